import { type OffsetFinding } from './promptFinding';
import { type JinjaTag } from './jinjaTags';

/**
 * The block structure of a Jinja2 template and the scopes it opens, checked tag by tag: which `{% for %}` is unclosed,
 * which `{% endif %}` is stray, which statement is unknown, and which names `for`, `set` and `macro` bind where.
 */

/** Each block statement and the statement that closes it. */
export const blockOpeners: Record<string, string> = {
  for: 'endfor',
  if: 'endif',
  macro: 'endmacro',
  call: 'endcall',
  filter: 'endfilter',
  generation: 'endgeneration',
  block: 'endblock',
  with: 'endwith',
  autoescape: 'endautoescape',
};
const closers = new Map(Object.entries(blockOpeners).map(([open, close]) => [close, open]));
const middles: Record<string, string[]> = { elif: ['if'], else: ['if', 'for'] };
const singleStatements = new Set(['set', 'break', 'continue', 'do', 'raw', 'endraw', 'endset']);
const fileStatements = new Set(['include', 'import', 'from', 'extends']);

/** Names every template can use without declaring them: Jinja's globals and the chat-template conventions. */
export const jinjaGlobals = new Set([
  'range',
  'dict',
  'lipsum',
  'cycler',
  'joiner',
  'namespace',
  'loop',
  'true',
  'false',
  'none',
  'True',
  'False',
  'None',
  'raise_exception',
  'strftime_now',
  'caller',
  'varargs',
  'kwargs',
  'super',
  'self',
]);

/** Stands in a scope's bound names for "any name": the statement that opened it did not parse. */
const anyName = '*';

/**
 * Follows the open blocks while the tags are visited in order. `checkStatement` places a statement in the structure;
 * `isBound` answers, at the current tag, whether a name is bound by the template (so not an input); `finish` reports
 * what is left open and gives the folding blocks and completion scopes.
 */
export class JinjaBlockChecker {
  readonly blocks: { keyword: string; start: number; end: number }[] = [];
  readonly scopes: { names: string[]; start: number; end: number }[] = [];
  private readonly stack: { tag: JinjaTag; bound: string[] }[] = [];
  private readonly globalBound = new Set<string>();
  // After a binding statement that does not parse, which names it binds is unknowable: any name may be bound.
  private everyNameMayBeBound = false;

  constructor(private readonly findings: OffsetFinding[]) {}

  /**
   * Checks a statement's place: closers close their block (and report the blocks left open inside it), middles must
   * sit in their block, unknown and file-loading statements are reported. False when the tag needs no further analysis.
   */
  checkStatement(tag: JinjaTag): boolean {
    if (!tag.keyword) {
      this.findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-syntax', message: 'Empty statement: a `{% %}` tag needs a keyword such as `if`, `for` or `set`.' });
      return false;
    }
    const closedOpener = closers.get(tag.keyword) ?? (tag.keyword === 'endset' ? 'set' : undefined);
    if (closedOpener) {
      const index = findLastIndex(this.stack, (frame) => frame.tag.keyword === closedOpener);
      if (index < 0) {
        this.findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-unexpected-end', message: `\`{% ${tag.keyword} %}\` has no open \`{% ${closedOpener} %}\` to close.` });
        return false;
      }
      for (const unclosed of this.stack.splice(index + 1).reverse()) this.reportUnclosed(unclosed.tag);
      const frame = this.stack.pop()!;
      this.blocks.push({ keyword: frame.tag.keyword, start: frame.tag.start, end: tag.end });
      if (frame.bound.length > 0) this.scopes.push({ names: frame.bound, start: frame.tag.end, end: tag.start });
      return false;
    }
    const middleOf = middles[tag.keyword];
    if (middleOf) {
      const top = this.stack[this.stack.length - 1];
      if (!top || !middleOf.includes(top.tag.keyword)) {
        this.findings.push({
          start: tag.start,
          end: tag.end,
          severity: 'error',
          code: 'jinja-unexpected-end',
          message: `\`{% ${tag.keyword} %}\` must be inside ${middleOf.map((k) => `\`{% ${k} %}\``).join(' or ')}.`,
        });
        return false;
      }
    }
    if (!blockOpeners[tag.keyword] && !middleOf && !singleStatements.has(tag.keyword)) {
      if (fileStatements.has(tag.keyword)) {
        this.findings.push({
          start: tag.start,
          end: tag.end,
          severity: 'error',
          code: 'jinja-unsupported',
          message: `\`{% ${tag.keyword} %}\` is not supported: a prompt template cannot load other templates. Inline the text, or use a macro.`,
        });
      } else {
        this.findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-unknown-statement', message: `Unknown statement \`{% ${tag.keyword} %}\`.` });
      }
      return false;
    }
    return true;
  }

  /**
   * Binds what a statement that failed to parse would bind, read from its shape: into `binds` (the rest of the
   * template) or `innerBinds` (its block); a `set` whose names are unknowable makes every name possibly bound.
   */
  bindBrokenStatement(tag: JinjaTag, binds: string[], innerBinds: string[]): void {
    const recovered = namesBoundByBrokenStatement(tag);
    if (recovered === 'unknown' && tag.keyword === 'set') this.everyNameMayBeBound = true;
    else if (recovered === 'unknown') innerBinds.push(anyName);
    else for (const name of recovered) (tag.keyword === 'set' ? binds : innerBinds).push(name);
  }

  isBound(name: string): boolean {
    return this.everyNameMayBeBound || jinjaGlobals.has(name) || this.globalBound.has(name) || this.stack.some((frame) => frame.bound.includes(name) || frame.bound.includes(anyName));
  }

  /** Whether the template binds `name` at its top level (a `set` or a macro). */
  bindsGlobally(name: string): boolean {
    return this.globalBound.has(name);
  }

  /** Records a tag's bindings: `binds` for the rest of the template; a block it opens gets `innerBinds`. */
  enter(tag: JinjaTag, binds: readonly string[], innerBinds: string[], opensSetBlock: boolean): void {
    for (const name of binds) this.globalBound.add(name);
    if (blockOpeners[tag.keyword] || opensSetBlock) this.stack.push({ tag, bound: innerBinds });
  }

  /** Reports the blocks still open at the end, and adds the top-level scope. */
  finish(textLength: number): void {
    for (const frame of this.stack) this.reportUnclosed(frame.tag);
    if (this.globalBound.size > 0) this.scopes.push({ names: [...this.globalBound], start: 0, end: textLength });
  }

  private reportUnclosed(tag: JinjaTag): void {
    const closer = blockOpeners[tag.keyword] ?? 'endset';
    this.findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-unclosed-block', message: `\`{% ${tag.keyword} %}\` is never closed: add \`{% ${closer} %}\`.` });
  }
}

/**
 * The names a statement that failed to parse would bind, read from its shape (`for a, b in …`, `set x = …`), so that
 * one syntax error does not turn every use of its loop variable into an "undeclared variable"; 'unknown' when the
 * shape is unclear too. Statements that bind nothing give [].
 */
function namesBoundByBrokenStatement(tag: JinjaTag): string[] | 'unknown' {
  const inner = tag.inner.trim();
  const names = '([A-Za-z_]\\w*(?:\\s*,\\s*[A-Za-z_]\\w*)*)';
  if (tag.keyword === 'for') {
    const match = new RegExp(`^for\\s+\\(?\\s*${names}\\s*\\)?\\s+in\\b`).exec(inner);
    return match ? [...match[1]!.split(',').map((name) => name.trim()), 'loop'] : 'unknown';
  }
  if (tag.keyword === 'set') {
    const match = new RegExp(`^set\\s+${names}\\s*(=|$)`).exec(inner);
    return match ? match[1]!.split(',').map((name) => name.trim()) : 'unknown';
  }
  if (['macro', 'call', 'with'].includes(tag.keyword)) return 'unknown';
  return [];
}

function findLastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i]!)) return i;
  return -1;
}
