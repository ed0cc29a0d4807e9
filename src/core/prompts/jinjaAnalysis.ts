import { parse, tokenize } from '@huggingface/jinja';
import { type OffsetFinding } from './promptFinding';

/**
 * Static analysis of a Jinja2 template with source positions.
 *
 * @huggingface/jinja's tokenizer and parser give no positions, so this module finds the tags itself (with offsets),
 * checks the block structure itself (which `{% for %}` is unclosed, which `{% endif %}` is stray), and uses the
 * library only to parse the inside of each tag, so that its syntax errors land on the tag that caused them.
 * Variables are collected per tag from the library's AST, with the scopes that `for`, `set` and `macro` open.
 */

export type JinjaTagKind = 'expression' | 'statement' | 'comment';

export interface JinjaTag {
  kind: JinjaTagKind;
  /** Offsets of the whole tag, delimiters included. */
  start: number;
  end: number;
  /** Offsets of the inside, without delimiters and whitespace-control marks. */
  innerStart: number;
  innerEnd: number;
  inner: string;
  /** The statement's keyword (`for`, `endif`, …); empty for expressions and comments. */
  keyword: string;
}

export interface VariableUse {
  name: string;
  start: number;
  end: number;
  /** The dotted path read from it, e.g. `customer.orders` → ['orders']. */
  path: string[];
}

export interface JinjaAnalysis {
  tags: JinjaTag[];
  findings: OffsetFinding[];
  /** Uses of variables that the template does not bind itself (they must come from the inputs). */
  freeVariables: VariableUse[];
  /** Every filter used, with its position. */
  filters: { name: string; start: number; end: number }[];
  /** Block statements with their closing tag, for folding and symbols. */
  blocks: { keyword: string; start: number; end: number }[];
  /** Names the template binds (loop variables, `set`, macros): completion offers them where they are in scope. */
  scopes: { names: string[]; start: number; end: number }[];
}

const blockOpeners: Record<string, string> = {
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

/** Jinja2's built-in filters. A filter outside this list is a typo or needs an extension. */
export const jinjaBuiltinFilters = [
  'abs', 'attr', 'batch', 'capitalize', 'center', 'count', 'd', 'default', 'dictsort', 'e', 'escape', 'filesizeformat',
  'first', 'float', 'forceescape', 'format', 'groupby', 'indent', 'int', 'items', 'join', 'last', 'length', 'list',
  'lower', 'map', 'max', 'min', 'pprint', 'random', 'reject', 'rejectattr', 'replace', 'reverse', 'round', 'safe',
  'select', 'selectattr', 'slice', 'sort', 'string', 'striptags', 'sum', 'title', 'tojson', 'trim', 'truncate', 'unique',
  'upper', 'urlencode', 'urlize', 'wordcount', 'wordwrap', 'xmlattr',
];
const knownFilters = new Set(jinjaBuiltinFilters);

/** Names every template can use without declaring them: Jinja's globals and the chat-template conventions. */
export const jinjaGlobals = new Set([
  'range', 'dict', 'lipsum', 'cycler', 'joiner', 'namespace', 'loop', 'true', 'false', 'none', 'True', 'False', 'None',
  'raise_exception', 'strftime_now', 'caller', 'varargs', 'kwargs', 'super', 'self',
]);

/** Finds the tags of a template with their offsets. Unterminated tags become findings; `{% raw %}` is skipped. */
export function scanJinjaTags(text: string): { tags: JinjaTag[]; findings: OffsetFinding[] } {
  const tags: JinjaTag[] = [];
  const findings: OffsetFinding[] = [];
  let index = 0;
  while (index < text.length) {
    const open = text.indexOf('{', index);
    if (open < 0 || open + 1 >= text.length) break;
    const next = text[open + 1];
    if (next !== '{' && next !== '%' && next !== '#') {
      index = open + 1;
      continue;
    }
    if (next === '#') {
      const close = text.indexOf('#}', open + 2);
      if (close < 0) {
        findings.push({ start: open, end: open + 2, severity: 'error', code: 'jinja-unclosed-comment', message: 'This `{#` comment is never closed: add `#}`.' });
        break;
      }
      tags.push(makeTag('comment', text, open, close + 2));
      index = close + 2;
      continue;
    }
    const closer = next === '{' ? '}}' : '%}';
    const close = findTagEnd(text, open + 2, closer);
    if (close < 0) {
      const what = next === '{' ? '`{{` expression is never closed: add `}}`' : '`{%` statement is never closed: add `%}`';
      findings.push({ start: open, end: open + 2, severity: 'error', code: 'jinja-unclosed-tag', message: `This ${what}.` });
      break;
    }
    const tag = makeTag(next === '{' ? 'expression' : 'statement', text, open, close + 2);
    tags.push(tag);
    index = close + 2;
    if (tag.keyword === 'raw') {
      const endRaw = /\{%-?\s*endraw\s*-?%\}/g;
      endRaw.lastIndex = index;
      const match = endRaw.exec(text);
      if (!match) {
        findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-unclosed-block', message: '`{% raw %}` is never closed: add `{% endraw %}`.' });
        break;
      }
      tags.push(makeTag('statement', text, match.index, match.index + match[0].length));
      index = match.index + match[0].length;
    }
  }
  return { tags, findings };
}

/** The closing delimiter's offset, skipping string literals (a `}}` inside quotes does not close the tag). */
function findTagEnd(text: string, from: number, closer: string): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      const partner = findQuoteEnd(text, i + 1, c);
      if (partner >= 0) i = partner;
      continue;
    }
    if (text.startsWith(closer, i)) return i;
    // Another opener before this tag closes means this one was left open.
    if (c === '{' && (text[i + 1] === '%' || text[i + 1] === '{' || text[i + 1] === '#') && text[i + 2] !== '{') return -1;
  }
  return -1;
}

function findQuoteEnd(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === quote) return i;
    else if (c === '\n') return -1;
  }
  return -1;
}

function makeTag(kind: JinjaTagKind, text: string, start: number, end: number): JinjaTag {
  let innerStart = start + 2;
  let innerEnd = end - 2;
  if (text[innerStart] === '-' || text[innerStart] === '+') innerStart++;
  if (innerEnd > innerStart && (text[innerEnd - 1] === '-' || text[innerEnd - 1] === '+')) innerEnd--;
  const inner = text.slice(innerStart, innerEnd);
  const keyword = kind === 'statement' ? (/^\s*([A-Za-z_]\w*)/.exec(inner)?.[1] ?? '') : '';
  return { kind, start, end, innerStart, innerEnd, inner, keyword };
}

type AstNode = { type: string; [key: string]: unknown };

/** Parses a template snippet with @huggingface/jinja; returns its first statement or the library's error. */
function parseSnippet(source: string): { node?: AstNode; error?: string } {
  try {
    const program = parse(tokenize(source)) as unknown as { body: AstNode[] };
    const node = program.body.find((candidate) => candidate.type !== 'Comment');
    return node !== undefined ? { node } : {};
  } catch (error) {
    return { error: cleanLibraryMessage(error instanceof Error ? error.message : String(error)) };
  }
}

function cleanLibraryMessage(message: string): string {
  return message.replace(/^(Parser|Syntax) Error:\s*/i, '').replace(/\.?\s*\w+ !== \w+\.?$/, '').trim();
}

/** A statement made parseable alone: block openers get their closer, middles get an opener. */
function snippetFor(tag: JinjaTag, source: string): string {
  const raw = source.slice(tag.start, tag.end);
  const closer = blockOpeners[tag.keyword];
  if (closer) return `${raw}{% ${closer} %}`;
  if (tag.keyword === 'set' && !/=/.test(tag.inner.replace(/(["']).*?\1/g, ''))) return `${raw}{% endset %}`;
  if (tag.keyword === 'elif') return `{% if true %}${raw}{% endif %}`;
  return raw;
}

/** Full analysis: tags, block structure, per-tag syntax, filters, and the variables the inputs must supply. */
export function analyzeJinja(text: string): JinjaAnalysis {
  const { tags, findings } = scanJinjaTags(text);
  const freeVariables: VariableUse[] = [];
  const filters: JinjaAnalysis['filters'] = [];
  const blocks: JinjaAnalysis['blocks'] = [];
  const scopes: JinjaAnalysis['scopes'] = [];
  const stack: { tag: JinjaTag; bound: string[] }[] = [];
  const globalBound = new Set<string>();
  // After a binding statement that does not parse, which names it binds is unknowable: any name may be bound.
  let everyNameMayBeBound = false;
  let inRaw = false;

  const isBound = (name: string): boolean => everyNameMayBeBound || jinjaGlobals.has(name) || globalBound.has(name) || stack.some((frame) => frame.bound.includes(name) || frame.bound.includes(anyName));

  for (const tag of tags) {
    if (tag.kind === 'comment') continue;
    if (tag.keyword === 'raw') {
      inRaw = true;
      continue;
    }
    if (tag.keyword === 'endraw') {
      inRaw = false;
      continue;
    }
    if (inRaw) continue;
    if (tag.kind === 'statement') {
      if (!tag.keyword) {
        findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-syntax', message: 'Empty statement: a `{% %}` tag needs a keyword such as `if`, `for` or `set`.' });
        continue;
      }
      const closedOpener = closers.get(tag.keyword) ?? (tag.keyword === 'endset' ? 'set' : undefined);
      if (closedOpener) {
        const index = findLastIndex(stack, (frame) => frame.tag.keyword === closedOpener);
        if (index < 0) {
          findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-unexpected-end', message: `\`{% ${tag.keyword} %}\` has no open \`{% ${closedOpener} %}\` to close.` });
          continue;
        }
        for (const unclosed of stack.splice(index + 1).reverse()) reportUnclosed(unclosed.tag, findings);
        const frame = stack.pop()!;
        blocks.push({ keyword: frame.tag.keyword, start: frame.tag.start, end: tag.end });
        if (frame.bound.length > 0) scopes.push({ names: frame.bound, start: frame.tag.end, end: tag.start });
        continue;
      }
      const middleOf = middles[tag.keyword];
      if (middleOf) {
        const top = stack[stack.length - 1];
        if (!top || !middleOf.includes(top.tag.keyword)) {
          findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-unexpected-end', message: `\`{% ${tag.keyword} %}\` must be inside ${middleOf.map((k) => `\`{% ${k} %}\``).join(' or ')}.` });
          continue;
        }
      }
      if (!blockOpeners[tag.keyword] && !middleOf && !singleStatements.has(tag.keyword)) {
        if (fileStatements.has(tag.keyword)) {
          findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-unsupported', message: `\`{% ${tag.keyword} %}\` is not supported: a prompt template cannot load other templates. Inline the text, or use a macro.` });
        } else {
          findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-unknown-statement', message: `Unknown statement \`{% ${tag.keyword} %}\`.` });
        }
        continue;
      }
    }
    const parsed = tag.keyword === 'else' ? {} : parseSnippet(snippetFor(tag, text));
    const node = parsed.node;
    const reads: AstNode[] = [];
    let loopFilter: { node: AstNode; bound: string[] } | undefined;
    const binds: string[] = [];
    const innerBinds: string[] = [];
    if (parsed.error) {
      findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-syntax', message: `Jinja syntax error: ${parsed.error}` });
      const recovered = namesBoundByBrokenStatement(tag);
      if (recovered === 'unknown' && tag.keyword === 'set') everyNameMayBeBound = true;
      else if (recovered === 'unknown') innerBinds.push(anyName);
      else for (const name of recovered) (tag.keyword === 'set' ? binds : innerBinds).push(name);
    }
    if (node) {
      switch (node.type) {
        case 'For': {
          const iterable = node.iterable as AstNode;
          for (const name of namesOf(node.loopvar as AstNode)) innerBinds.push(name);
          innerBinds.push('loop');
          if (iterable.type === 'SelectExpression') {
            // `for m in messages if m.role == "user"`: the filter reads the loop variable.
            reads.push(iterable.lhs as AstNode);
            loopFilter = { node: iterable.test as AstNode, bound: [...innerBinds] };
          } else reads.push(iterable);
          break;
        }
        case 'If':
          reads.push(node.test as AstNode);
          // Inside `{% if x is defined %}`, x is known to exist.
          for (const name of definedGuards(node.test as AstNode)) innerBinds.push(name);
          break;
        case 'Set':
        case 'SetStatement':
          if (node.value) reads.push(node.value as AstNode);
          for (const name of namesOf(node.assignee as AstNode)) binds.push(name);
          break;
        case 'Macro':
          binds.push((node.name as { value: string }).value);
          for (const arg of node.args as AstNode[]) {
            if (arg.type === 'KeywordArgumentExpression') {
              innerBinds.push((arg.key as { value: string }).value);
              reads.push(arg.value as AstNode);
            } else for (const name of namesOf(arg)) innerBinds.push(name);
          }
          innerBinds.push('caller', 'varargs', 'kwargs');
          break;
        case 'CallStatement':
          reads.push(node.call as AstNode);
          for (const name of ((node.callerArgs as AstNode[] | null) ?? []).flatMap(namesOf)) innerBinds.push(name);
          break;
        case 'FilterStatement':
          collectFilters(node.filter as AstNode, filters, tag);
          if ((node.filter as AstNode).type === 'CallExpression') for (const arg of (node.filter as AstNode).args as AstNode[]) reads.push(arg);
          break;
        case 'Break':
        case 'Continue':
        case 'Comment':
          break;
        default:
          if (tag.kind === 'expression') reads.push(node);
      }
    }
    if (tag.keyword === 'elif') {
      const ifNode = node;
      const alternate = (ifNode?.alternate as AstNode[] | undefined)?.[0];
      if (alternate?.test) {
        reads.pop();
        reads.push(alternate.test as AstNode);
      }
    }
    const names = new Set<string>();
    const found: { name: string; path: string[] }[] = [];
    for (const read of reads) walkReads(read, found, filters, tag);
    if (loopFilter) {
      const filterReads: { name: string; path: string[] }[] = [];
      walkReads(loopFilter.node, filterReads, filters, tag);
      for (const use of filterReads) if (!loopFilter.bound.includes(use.name)) found.push(use);
    }
    for (const use of found) names.add(use.name);
    locateUses(text, tag, found, isBound, freeVariables);
    for (const name of binds) globalBound.add(name);
    if (blockOpeners[tag.keyword] || (tag.keyword === 'set' && node && (node.value === null || node.value === undefined))) {
      stack.push({ tag, bound: innerBinds });
    }
  }
  for (const frame of stack) reportUnclosed(frame.tag, findings);

  for (const filter of filters) {
    if (!knownFilters.has(filter.name) && !globalBound.has(filter.name)) {
      findings.push({ start: filter.start, end: filter.end, severity: 'error', code: 'jinja-unknown-filter', message: `Unknown filter \`${filter.name}\`. Jinja's filters include ${suggest(filter.name, jinjaBuiltinFilters)}.` });
    }
  }
  if (globalBound.size > 0) scopes.push({ names: [...globalBound], start: 0, end: text.length });
  return { tags, findings, freeVariables, filters, blocks, scopes };
}

/** Stands in a scope's bound names for "any name": the statement that opened it did not parse. */
const anyName = '*';

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

function reportUnclosed(tag: JinjaTag, findings: OffsetFinding[]): void {
  const closer = blockOpeners[tag.keyword] ?? 'endset';
  findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-unclosed-block', message: `\`{% ${tag.keyword} %}\` is never closed: add \`{% ${closer} %}\`.` });
}

function findLastIndex<T>(items: T[], predicate: (item: T) => boolean): number {
  for (let i = items.length - 1; i >= 0; i--) if (predicate(items[i]!)) return i;
  return -1;
}

/** Variables a test proves present: `x is defined`, `x is not none`, combined with `and`. */
function definedGuards(test: AstNode | undefined): string[] {
  if (!test) return [];
  if (test.type === 'TestExpression' && !test.negate && (test.test as AstNode).value === 'defined') return namesOf(test.operand as AstNode);
  if (test.type === 'BinaryExpression' && (test.operator as { value: string }).value === 'and') return [...definedGuards(test.left as AstNode), ...definedGuards(test.right as AstNode)];
  return [];
}

function namesOf(node: AstNode | undefined): string[] {
  if (!node) return [];
  if (node.type === 'Identifier') return [node.value as string];
  if (node.type === 'TupleLiteral' || node.type === 'ArrayLiteral') return (node.value as AstNode[]).flatMap(namesOf);
  return [];
}

/** Collects the variables an expression reads (with the attribute path), and its filters. */
function walkReads(node: AstNode | undefined, found: { name: string; path: string[] }[], filters: JinjaAnalysis['filters'], tag: JinjaTag): void {
  if (!node || typeof node !== 'object') return;
  switch (node.type) {
    case 'Identifier':
      found.push({ name: node.value as string, path: [] });
      return;
    case 'MemberExpression': {
      const path: string[] = [];
      let current: AstNode = node;
      while (current.type === 'MemberExpression' && !current.computed) {
        path.unshift(((current.property as AstNode).value as string) ?? '');
        current = current.object as AstNode;
      }
      if (current.type === 'Identifier') {
        found.push({ name: current.value as string, path });
        return;
      }
      if (current === node) {
        // A computed access (`a[b]`): both sides are read.
        walkReads(node.object as AstNode, found, filters, tag);
        walkReads(node.property as AstNode, found, filters, tag);
        return;
      }
      walkReads(current, found, filters, tag);
      return;
    }
    case 'FilterExpression': {
      // `x | default(…)` says x is optional: not a use that needs a declaration.
      const filterName = ((node.filter as AstNode).type === 'CallExpression' ? ((node.filter as AstNode).callee as AstNode).value : (node.filter as AstNode).value) as string;
      if (filterName !== 'default' && filterName !== 'd') walkReads(node.operand as AstNode, found, filters, tag);
      collectFilters(node.filter as AstNode, filters, tag);
      if ((node.filter as AstNode).type === 'CallExpression') for (const arg of (node.filter as AstNode).args as AstNode[]) walkReads(arg, found, filters, tag);
      return;
    }
    case 'TestExpression':
      // `x is defined` guards an optional variable.
      if (!['defined', 'undefined', 'none'].includes((node.test as AstNode).value as string)) walkReads(node.operand as AstNode, found, filters, tag);
      return;
    case 'KeywordArgumentExpression':
      walkReads(node.value as AstNode, found, filters, tag);
      return;
    case 'ObjectLiteral':
      for (const [key, value] of (node.value as Map<AstNode, AstNode>).entries()) {
        walkReads(key, found, filters, tag);
        walkReads(value, found, filters, tag);
      }
      return;
    default:
      for (const [key, value] of Object.entries(node)) {
        // A binary or unary expression's operator is a lexer token (`and`, `in` are Identifier tokens), not a read.
        if (key === 'operator') continue;
        if (Array.isArray(value)) for (const item of value) walkReads(item as AstNode, found, filters, tag);
        else if (value && typeof value === 'object' && 'type' in value && value.constructor !== Object) walkReads(value as AstNode, found, filters, tag);
      }
  }
}

function collectFilters(filter: AstNode, filters: JinjaAnalysis['filters'], tag: JinjaTag): void {
  const identifier = filter.type === 'CallExpression' ? (filter.callee as AstNode) : filter;
  if (identifier.type !== 'Identifier') return;
  const name = identifier.value as string;
  const match = new RegExp(`\\|\\s*(${escapeRegExp(name)})\\b`).exec(tag.inner);
  const start = match ? tag.innerStart + match.index + match[0].length - name.length : tag.innerStart;
  filters.push({ name, start, end: start + name.length });
}

/** Places each read variable on its identifier in the tag's text (the AST has no positions). */
function locateUses(text: string, tag: JinjaTag, found: { name: string; path: string[] }[], isBound: (name: string) => boolean, out: VariableUse[]): void {
  const inner = text.slice(tag.innerStart, tag.innerEnd);
  const masked = inner.replace(/(["'])(?:\\.|(?!\1).)*\1/g, (m) => ' '.repeat(m.length));
  let cursor = 0;
  for (const use of found) {
    if (isBound(use.name)) continue;
    const pattern = new RegExp(`(?<![\\w.])${escapeRegExp(use.name)}(?!\\w)(?!\\s*=[^=])`, 'g');
    pattern.lastIndex = cursor;
    let match = pattern.exec(masked);
    if (!match) {
      pattern.lastIndex = 0;
      match = pattern.exec(masked);
    }
    const at = match ? match.index : 0;
    if (match) cursor = at + use.name.length;
    out.push({ name: use.name, path: use.path, start: tag.innerStart + at, end: tag.innerStart + at + (match ? use.name.length : 0) });
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** "`x`, `y` or `z`": the closest names first, for "did you mean" messages. */
export function suggest(word: string, candidates: readonly string[]): string {
  const ranked = [...candidates].sort((a, b) => editDistance(word, a) - editDistance(word, b)).slice(0, 3);
  return ranked.map((name) => `\`${name}\``).join(', ');
}

export function editDistance(a: string, b: string): number {
  const previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = previous[0]!;
    previous[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = previous[j]!;
      previous[j] = Math.min(above + 1, previous[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return previous[b.length]!;
}
