import { parse, tokenize } from '@huggingface/jinja';
import { escapeRegExp } from '../text/regExp';
import { blockOpeners } from './jinjaBlocks';
import { type JinjaTag } from './jinjaTags';

/**
 * The inside of each Jinja2 tag, read through @huggingface/jinja's AST: what it reads (variables with their attribute
 * paths, filters) and what it binds. The AST has no positions, so uses are placed on their identifiers in the tag's text.
 */

export interface VariableUse {
  name: string;
  start: number;
  end: number;
  /** The dotted path read from it, e.g. `customer.orders` → ['orders']. */
  path: string[];
}

/** A filter used in the template, at its name. */
export interface FilterUse {
  name: string;
  start: number;
  end: number;
}

export type AstNode = { type: string; [key: string]: unknown };

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
  return message
    .replace(/^(Parser|Syntax) Error:\s*/i, '')
    .replace(/\.?\s*\w+ !== \w+\.?$/, '')
    .trim();
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

/**
 * Parses one tag alone, block statements completed with their closer, so that the library's syntax errors land on
 * the tag that caused them. `{% else %}` has nothing to parse.
 */
export function parseTag(tag: JinjaTag, source: string): { node?: AstNode; error?: string } {
  return tag.keyword === 'else' ? {} : parseSnippet(snippetFor(tag, source));
}

/** What one parsed tag reads and binds. */
export interface TagEffects {
  reads: AstNode[];
  /** A loop's `if` filter, which reads the loop variables it binds. */
  loopFilter?: { node: AstNode; bound: string[] };
  /** Names bound for the rest of the template (`set`, a macro's name). */
  binds: string[];
  /** Names bound inside the block the tag opens (loop variables, macro arguments, `is defined` guards). */
  innerBinds: string[];
}

/** The reads and bindings of a tag's statement or expression; filter calls are added to `filters`. */
export function effectsOf(tag: JinjaTag, node: AstNode | undefined, filters: FilterUse[]): TagEffects {
  const reads: AstNode[] = [];
  let loopFilter: { node: AstNode; bound: string[] } | undefined;
  const binds: string[] = [];
  const innerBinds: string[] = [];
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
    // The snippet is `{% if true %}{% elif … %}{% endif %}`: the read is the alternate's test, not `true`.
    const alternate = (node?.alternate as AstNode[] | undefined)?.[0];
    if (alternate?.test) {
      reads.pop();
      reads.push(alternate.test as AstNode);
    }
  }
  return { reads, ...(loopFilter !== undefined ? { loopFilter } : {}), binds, innerBinds };
}

/** A `set` without `=` (`{% set x %}…{% endset %}`) opens a block. */
export function opensSetBlock(tag: JinjaTag, node: AstNode | undefined): boolean {
  return tag.keyword === 'set' && node !== undefined && (node.value === null || node.value === undefined);
}

/** The variables a tag reads that `isBound` does not bind, placed on their identifiers in the text. */
export function freeVariableUses(text: string, tag: JinjaTag, effects: TagEffects, filters: FilterUse[], isBound: (name: string) => boolean, out: VariableUse[]): void {
  const found: { name: string; path: string[] }[] = [];
  for (const read of effects.reads) walkReads(read, found, filters, tag);
  if (effects.loopFilter) {
    const filterReads: { name: string; path: string[] }[] = [];
    walkReads(effects.loopFilter.node, filterReads, filters, tag);
    for (const use of filterReads) if (!effects.loopFilter.bound.includes(use.name)) found.push(use);
  }
  locateUses(text, tag, found, isBound, out);
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
function walkReads(node: AstNode | undefined, found: { name: string; path: string[] }[], filters: FilterUse[], tag: JinjaTag): void {
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

function collectFilters(filter: AstNode, filters: FilterUse[], tag: JinjaTag): void {
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
