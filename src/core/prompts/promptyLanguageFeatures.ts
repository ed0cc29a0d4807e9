import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { splitLines, type TextRange } from '../text/lineIndex';
import { describedSchemaAtPath, schemaAtPath, type SchemaNode } from './frontMatterSchema';
import { jinjaBuiltinFilters } from './jinjaAnalysis';
import { jinjaGlobals } from './jinjaBlocks';
import { type PromptyAnalysis } from './promptyDiagnostics';
import { knownRoles } from './promptyDocument';
import { parseReference } from './promptyInputs';
import { examplesSettings } from './promptySettings';
import { resolveInsideWorkspace } from './workspaceFiles';

export type CompletionKind = 'property' | 'value' | 'variable' | 'function' | 'keyword' | 'file' | 'module';

export interface PromptCompletion {
  label: string;
  kind: CompletionKind;
  detail?: string;
  documentation?: string;
  insertText?: string;
  /** Sort before the rest (e.g. declared inputs before loop variables). */
  sortText?: string;
}

export interface CompletionEnvironment {
  /** Model ids from the local Hugging Face cache. */
  modelIds: readonly string[];
  templatePath?: string;
  workspaceRoots: readonly string[];
}

const statementKeywords = ['if', 'elif', 'else', 'endif', 'for', 'endfor', 'set', 'endset', 'macro', 'endmacro', 'call', 'endcall', 'filter', 'endfilter', 'raw', 'endraw', 'break', 'continue'];

/** The chain of YAML keys that leads to a line, read from indentation (works on half-typed YAML too). */
export function yamlKeyPathAt(lines: readonly string[], line: number, column: number): { parents: string[]; key?: string; inValue: boolean; indent: number } {
  const current = lines[line] ?? '';
  const before = current.slice(0, column);
  const keyMatch = /^(\s*)(?:-\s+)?([\w$.-]+)\s*:\s*(.*)$/.exec(before);
  const indent = /^(\s*)/.exec(before)![1]!.length + (/^\s*-\s+/.test(before) ? before.match(/^\s*-\s+/)![0].length - /^(\s*)/.exec(before)![1]!.length : 0);
  const parents: string[] = [];
  let limit = keyMatch ? keyMatch[1]!.length : indent;
  for (let i = line - 1; i >= 0 && limit > 0; i--) {
    const text = lines[i]!;
    if (!text.trim() || /^\s*#/.test(text)) continue;
    const match = /^(\s*)(-\s+)?([\w$.-]+)\s*:/.exec(text);
    const lineIndent = /^(\s*)/.exec(text)![1]!.length;
    if (lineIndent < limit) {
      if (match) parents.unshift(match[3]!);
      limit = lineIndent;
    }
  }
  if (keyMatch) return { parents, key: keyMatch[2]!, inValue: true, indent };
  return { parents, inValue: false, indent };
}

function schemaDocumentation(schema: SchemaNode | undefined): string | undefined {
  if (!schema) return undefined;
  const facts: string[] = [];
  const types = schema.anyOf ? schema.anyOf.map((branch) => branch.type).flat() : [schema.type].flat();
  if (types.filter(Boolean).length > 0) facts.push(`Type: ${types.filter(Boolean).join(' | ')}`);
  if (schema.enum) facts.push(`One of: ${schema.enum.map((v) => `\`${String(v)}\``).join(', ')}`);
  if (schema.minimum !== undefined || schema.maximum !== undefined) facts.push(`Range: ${schema.minimum ?? '−∞'} … ${schema.maximum ?? '∞'}`);
  if (schema.default !== undefined) facts.push(`Default: \`${JSON.stringify(schema.default)}\``);
  return [schema.description, facts.join(' · ')].filter(Boolean).join('\n\n');
}

/** Completion at a position: front-matter keys and values, variables and filters in tags, role markers at line start. */
export function completePrompty(analysis: PromptyAnalysis, position: { line: number; character: number }, environment: CompletionEnvironment): PromptCompletion[] {
  const { document } = analysis;
  const offset = document.positions.offsetAt(position);
  const lineText = document.positions.lineText(position.line);
  const before = lineText.slice(0, position.character);
  const front = document.frontMatter;
  if (front && offset >= front.start && offset <= front.end)
    return completeFrontMatter(splitLines(document.text.slice(front.start, front.end)), position.line - document.positions.positionAt(front.start).line, position.character, analysis, environment);
  if (document.unclosedFrontMatter || offset < document.bodyStart) return [];

  const body = document.body;
  const bodyOffset = offset - document.bodyStart;
  const tagOpen = openTagBefore(body, bodyOffset, document.format);
  if (tagOpen) {
    const inside = body.slice(tagOpen.innerStart, bodyOffset);
    if (document.format === 'jinja2' && /\|\s*\w*$/.test(inside)) {
      return jinjaBuiltinFilters.map((name) => ({ label: name, kind: 'function', detail: 'Jinja filter' }));
    }
    const member = /([A-Za-z_][\w]*(?:\.[A-Za-z_]\w*)*)\.(\w*)$/.exec(inside);
    if (member) return attributeCompletions(analysis, member[1]!.split('.'));
    const items: PromptCompletion[] = analysis.inputs.map((input) => {
      const documentation = [input.description, input.hasValue ? `Sample: \`${preview(input.value)}\`` : undefined].filter(Boolean).join('\n\n');
      return { label: input.name, kind: 'variable', detail: input.type ? `input: ${input.type}` : 'input', ...(documentation ? { documentation } : {}), sortText: `0${input.name}` };
    });
    for (const scope of analysis.jinja?.scopes ?? []) {
      if (bodyOffset < scope.start || bodyOffset > scope.end) continue;
      for (const name of scope.names) if (!items.some((item) => item.label === name)) items.push({ label: name, kind: 'variable', detail: 'template variable', sortText: `1${name}` });
    }
    if (document.format === 'jinja2') {
      if (tagOpen.kind === 'statement' && /^\s*-?\s*\w*$/.test(inside)) {
        return statementKeywords.map((keyword) => ({ label: keyword, kind: 'keyword', sortText: `0${keyword}` }));
      }
      if ((analysis.jinja?.scopes ?? []).some((scope) => scope.names.includes('loop') && bodyOffset >= scope.start && bodyOffset <= scope.end) && !items.some((i) => i.label === 'loop')) {
        items.push({ label: 'loop', kind: 'variable', detail: 'loop.index, loop.first, loop.last, …', sortText: '1loop' });
      }
    }
    return items;
  }
  if (/^\s*#?\s*\w*$/.test(before)) {
    return knownRoles.map((role, index) => ({ label: `${role}:`, kind: 'keyword', detail: 'role marker', insertText: `${role}:\n`, documentation: `Starts a ${role} message.`, sortText: `${index}` }));
  }
  return [];
}

function preview(value: unknown): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text === undefined ? 'undefined' : text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function attributeCompletions(analysis: PromptyAnalysis, path: string[]): PromptCompletion[] {
  const [root, ...rest] = path;
  let value: unknown = analysis.inputs.find((input) => input.name === root)?.value;
  for (const key of rest) value = value && typeof value === 'object' ? (Array.isArray(value) ? value[0] : (value as Record<string, unknown>)[key]) : undefined;
  if (Array.isArray(value)) value = value[0];
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value as Record<string, unknown>).map(([key, child]) => ({
    label: key,
    kind: 'property',
    detail: Array.isArray(child) ? 'list' : typeof child,
    documentation: `Sample: \`${preview(child)}\``,
  }));
}

/** The tag the cursor is inside (opened before it, not closed before it), or undefined. */
function openTagBefore(body: string, offset: number, format: 'jinja2' | 'mustache'): { kind: 'expression' | 'statement'; innerStart: number } | undefined {
  const expression = body.lastIndexOf('{{', offset - 1);
  const statement = format === 'jinja2' ? body.lastIndexOf('{%', offset - 1) : -1;
  const start = Math.max(expression, statement);
  if (start < 0 || start + 2 > offset) return undefined;
  const closer = start === expression ? '}}' : '%}';
  const close = body.indexOf(closer, start + 2);
  if (close >= 0 && close + closer.length <= offset) return undefined;
  let innerStart = start + 2;
  while (body[innerStart] === '-' || body[innerStart] === '{' || body[innerStart] === '#' || body[innerStart] === '^' || body[innerStart] === '&') innerStart++;
  return { kind: start === expression ? 'expression' : 'statement', innerStart };
}

function completeFrontMatter(lines: string[], line: number, column: number, analysis: PromptyAnalysis, environment: CompletionEnvironment): PromptCompletion[] {
  const { parents, key, inValue } = yamlKeyPathAt(lines, line, column);
  if (inValue && key) {
    const path = [...parents, key];
    const joined = path.join('.');
    if (joined === 'model.id' || joined === 'model.configuration.model' || (joined === 'model' && parents.length === 0)) {
      return environment.modelIds.map((id) => ({ label: id, kind: 'module', detail: 'in the local Hugging Face cache' }));
    }
    if (joined === 'examples' || joined === 'examples.file' || joined === 'sample') {
      const files = workspaceFiles(environment, joined === 'sample' ? /\.(json|ya?ml)$/i : /\.jsonl$/i);
      return files.map((file) => ({ label: joined === 'sample' ? `\${file:${file}}` : file, kind: 'file', detail: joined === 'sample' ? 'sample values from a file' : 'examples file' }));
    }
    const schema = schemaAtPath(path);
    const values = schema?.enum ?? (schema?.anyOf ?? []).flatMap((branch) => branch.enum ?? []);
    const booleans = [schema?.type].flat().includes('boolean') ? [true, false] : [];
    const description = schema?.description;
    return [...values, ...booleans].map((value) => ({ label: String(value), kind: 'value', ...(description !== undefined ? { documentation: description } : {}) }));
  }
  const schema = schemaAtPath(parents);
  if (!schema?.properties) return [];
  const siblings = new Set(siblingKeys(lines, line));
  return Object.entries(schema.properties)
    .filter(([name]) => !siblings.has(name))
    .map(([name, child]) => {
      const resolved = describedSchemaAtPath([...parents, name]) ?? child;
      const isObject = [resolved.type].flat().includes('object') && !resolved.anyOf;
      const documentation = schemaDocumentation(resolved);
      return {
        label: name,
        kind: 'property' as const,
        ...(documentation !== undefined ? { documentation } : {}),
        insertText: isObject ? `${name}:\n  ` : `${name}: `,
        detail: analysis.document.format,
      };
    });
}

/** Keys already written at the same indentation in the same mapping, so completion does not offer them twice. */
function siblingKeys(lines: string[], line: number): string[] {
  const indent = /^(\s*)/.exec(lines[line] ?? '')![1]!.length;
  const keys: string[] = [];
  for (const direction of [-1, 1]) {
    for (let i = line + direction; i >= 0 && i < lines.length; i += direction) {
      const text = lines[i]!;
      if (!text.trim()) continue;
      const lineIndent = /^(\s*)/.exec(text)![1]!.length;
      if (lineIndent < indent) break;
      const match = /^\s*([\w$.-]+)\s*:/.exec(text);
      if (lineIndent === indent && match) keys.push(match[1]!);
    }
  }
  return keys;
}

/** Files under the template's folder (and the workspace roots) matching a pattern, as paths relative to the template. */
function workspaceFiles(environment: CompletionEnvironment, pattern: RegExp): string[] {
  const base = environment.templatePath ? dirname(environment.templatePath) : environment.workspaceRoots[0];
  if (!base) return [];
  const results: string[] = [];
  const roots = [base, ...environment.workspaceRoots.filter((root) => root !== base)];
  const visit = (folder: string, depth: number): void => {
    if (depth > 4 || results.length >= 200) return;
    let entries;
    try {
      entries = readdirSync(folder, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(folder, entry.name);
      if (entry.isDirectory()) visit(full, depth + 1);
      else if (pattern.test(entry.name)) {
        const rel = relative(base, full).split('\\').join('/');
        if (!results.includes(rel)) results.push(rel);
      }
    }
  };
  for (const root of roots) visit(root, 0);
  return results;
}

export interface PromptHover {
  markdown: string;
  range: TextRange;
}

/** Hover: a front-matter key's documentation, or a variable's declaration and sample value. */
export function hoverPrompty(analysis: PromptyAnalysis, position: { line: number; character: number }): PromptHover | undefined {
  const { document } = analysis;
  const offset = document.positions.offsetAt(position);
  const front = document.frontMatter;
  if (front && offset >= front.start && offset <= front.end) {
    const lines = splitLines(document.text.slice(front.start, front.end));
    const line = position.line - document.positions.positionAt(front.start).line;
    const text = lines[line] ?? '';
    const match = /^(\s*)(?:-\s+)?([\w$.-]+)\s*:/.exec(text);
    if (!match) return undefined;
    const keyStart = text.indexOf(match[2]!, match[1]!.length);
    if (position.character < keyStart || position.character > keyStart + match[2]!.length) return undefined;
    const { parents } = yamlKeyPathAt(lines, line, keyStart);
    const schema = describedSchemaAtPath([...parents, match[2]!]);
    const documentation = schemaDocumentation(schema);
    if (!documentation) return undefined;
    return {
      markdown: `**${[...parents, match[2]!].join('.')}**\n\n${documentation}`,
      range: { start: { line: position.line, character: keyStart }, end: { line: position.line, character: keyStart + match[2]!.length } },
    };
  }
  const use = analysis.variables.find((variable) => offset >= variable.start && offset <= variable.end);
  const name = use?.name ?? wordAt(document.text, offset);
  if (!name) return undefined;
  const input = analysis.inputs.find((candidate) => candidate.name === name);
  const range = use ? document.positions.rangeAt(use.start, use.end) : undefined;
  if (!input) {
    if (!use) return undefined;
    return { markdown: `**${name}**: not declared in \`inputs\` or \`sample\`; it renders empty unless the caller passes it.`, range: range! };
  }
  const lines = [`**${name}**${input.type ? ` \`${input.type}\`` : ''} — ${input.source === 'inputs' ? 'declared input' : 'sample value'}`];
  if (input.description) lines.push(input.description);
  if (input.hasValue) lines.push(`Sample:\n\`\`\`json\n${preview(input.value)}\n\`\`\``);
  return { markdown: lines.join('\n\n'), range: range ?? document.positions.rangeAt(offset, offset) };
}

function wordAt(text: string, offset: number): string | undefined {
  let start = offset;
  while (start > 0 && /\w/.test(text[start - 1]!)) start--;
  let end = offset;
  while (end < text.length && /\w/.test(text[end]!)) end++;
  const word = text.slice(start, end);
  return word && !jinjaGlobals.has(word) ? word : undefined;
}

export type PromptDefinition = { path: string; range?: TextRange } | { range: TextRange };

/** Go to definition: a variable → its declaration; the examples file or a `${file:…}` → that file. */
export function definitionPrompty(
  analysis: PromptyAnalysis,
  position: { line: number; character: number },
  environment: { templatePath?: string; workspaceRoots: readonly string[] },
): PromptDefinition | undefined {
  const { document } = analysis;
  const offset = document.positions.offsetAt(position);
  const front = document.frontMatter;
  if (front && offset >= front.start && offset <= front.end) {
    const lineText = document.positions.lineText(position.line);
    const reference = /\$\{file:([^}]+)\}/.exec(lineText);
    const examples = examplesSettings(front.data);
    const target = reference ? parseReference(reference[0])?.target : examples && lineText.includes(examples.file) ? examples.file : undefined;
    if (!target) return undefined;
    const resolved = resolveInsideWorkspace(target, environment.templatePath, environment.workspaceRoots);
    return 'path' in resolved ? { path: resolved.path } : undefined;
  }
  const use = analysis.variables.find((variable) => offset >= variable.start && offset <= variable.end);
  const input = analysis.inputs.find((candidate) => candidate.name === (use?.name ?? wordAt(document.text, offset)));
  if (!input?.keyRange || !front) return undefined;
  return { range: document.positions.rangeAt(front.start + input.keyRange[0], front.start + input.keyRange[1]) };
}

export interface PromptSymbol {
  name: string;
  detail?: string;
  kind: 'frontMatter' | 'role' | 'block';
  range: TextRange;
  selectionRange: TextRange;
}

/** Document symbols: the front matter and one per role section (what the rendered messages will be). */
export function symbolsPrompty(analysis: PromptyAnalysis): PromptSymbol[] {
  const { document } = analysis;
  const symbols: PromptSymbol[] = [];
  if (document.frontMatter) {
    const range = document.positions.rangeAt(0, document.bodyStart);
    const name = typeof document.frontMatter.data?.name === 'string' ? document.frontMatter.data.name : 'front matter';
    symbols.push({ name, detail: 'front matter', kind: 'frontMatter', range, selectionRange: document.positions.rangeAt(0, 3) });
  }
  const roles = document.roleLines.filter((line) => line.known);
  roles.forEach((line, index) => {
    const end = index + 1 < roles.length ? roles[index + 1]!.lineStart : document.text.length;
    symbols.push({
      name: `${line.role}:`,
      detail: 'message',
      kind: 'role',
      range: document.positions.rangeAt(line.lineStart, Math.max(line.lineEnd, trimEnd(document.text, end))),
      selectionRange: document.positions.rangeAt(line.roleStart, line.roleEnd),
    });
  });
  return symbols;
}

function trimEnd(text: string, end: number): number {
  while (end > 0 && /\s/.test(text[end - 1]!)) end--;
  return end;
}

/** Folding: the front matter, each role section, multi-line Jinja blocks and comments. */
export function foldingPrompty(analysis: PromptyAnalysis): { startLine: number; endLine: number; kind?: 'comment' | 'region' }[] {
  const { document } = analysis;
  const ranges: { startLine: number; endLine: number; kind?: 'comment' | 'region' }[] = [];
  const add = (start: number, end: number, kind?: 'comment' | 'region'): void => {
    const startLine = document.positions.positionAt(start).line;
    const endLine = document.positions.positionAt(end).line;
    if (endLine > startLine) ranges.push({ startLine, endLine, ...(kind !== undefined ? { kind } : {}) });
  };
  if (document.frontMatter) add(0, Math.max(0, document.bodyStart - 1), 'region');
  const roles = document.roleLines.filter((line) => line.known);
  roles.forEach((line, index) => add(line.lineStart, trimEnd(document.text, index + 1 < roles.length ? roles[index + 1]!.lineStart : document.text.length)));
  for (const block of analysis.jinja?.blocks ?? []) add(document.bodyStart + block.start, document.bodyStart + block.end - 1);
  for (const tag of analysis.jinja?.tags ?? []) if (tag.kind === 'comment') add(document.bodyStart + tag.start, document.bodyStart + tag.end - 1, 'comment');
  return ranges;
}
