import { readdirSync, statSync, type Dirent } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { parseModelRef } from '../chat/backend';
import { scanJson, valueChoiceCompletions, type ValueChoice } from '../jobs/jobFileFeatures';
import { type TextPosition, type TextRange } from '../text/lineIndex';
import { parseComparison, type ComparisonFileOptions } from './comparisonFile';
import { builtinBackendIds, comparisonRuleAt, defaultTextOf, sectionOf, type ComparisonPathKind, type ComparisonRule, type ComparisonSectionRule } from './comparisonFields';
import { type ComparisonProblem } from './evalTypes';

/**
 * The editor features of a comparison file (`*.compare.yaml`, `.yml`, `.json`), from its text alone: located
 * diagnostics (the checker's own problems), hover and completion. Everything here reads `comparisonRules`, the table
 * the checker and the JSON Schema read, so the editor cannot say something the checker does not. Any text, however
 * broken, gives an answer.
 */

export interface ComparisonHover {
  markdown: string;
  range: TextRange;
}

export type ComparisonCompletionKind = 'field' | 'section' | 'value' | 'file';

export interface ComparisonCompletion {
  label: string;
  kind: ComparisonCompletionKind;
  detail: string;
  documentation?: string;
  /** Replaces `range`; a snippet with `${1:…}` placeholders when `snippet` is true. */
  insertText: string;
  /** What the text typed in `range` is matched against (it includes a JSON key's or value's quotes). */
  filterText: string;
  snippet: boolean;
  range: TextRange;
  sortText: string;
}

export interface ComparisonCompletionOptions extends ComparisonFileOptions {
  /** Hub ids offered as `engine/<id>` for model references (the models in the Hugging Face cache). */
  modelIds?: readonly string[];
  /** The most directory entries read when listing files for a path value (default 4000). */
  maxDirectoryEntries?: number;
}

/** The checker's problems, each prefixed with the field it is about. */
export function comparisonFileDiagnostics(text: string, file: string, options: ComparisonFileOptions = {}): ComparisonProblem[] {
  return parseComparison(text, file, options).problems.map((problem) => ({ ...problem, message: problem.path ? `${problem.path}: ${problem.message}` : problem.message }));
}

// ---------------------------------------------------------------------------------------------------------------------
// The parsed text: every key/value pair with its rule path (list levels left out) and dotted path (indices kept)

interface Entry {
  keys: string[];
  dotted: string;
  key: YamlNode;
  value: YamlNode | null;
}

interface Parsed {
  text: string;
  lines: LineCounter;
  root: unknown;
  entries: Entry[];
}

function parseText(text: string): Parsed {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const entries: Entry[] = [];
  const collect = (node: unknown, keys: string[], dotted: string): void => {
    if (isSeq(node)) node.items.forEach((item, index) => collect(item, keys, `${dotted}[${index}]`));
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = pair.key as YamlNode | null;
      if (!isScalar(key) || !key.range) continue;
      const name = String(key.value);
      const value = (pair.value as YamlNode | null) ?? null;
      const childKeys = [...keys, name];
      const childDotted = dotted ? `${dotted}.${name}` : name;
      entries.push({ keys: childKeys, dotted: childDotted, key, value: value?.range ? value : null });
      collect(value, childKeys, childDotted);
    }
  };
  collect(document.contents, [], '');
  return { text, lines, root: document.contents, entries };
}

function positionAt(parsed: Parsed, offset: number): TextPosition {
  const { line, col } = parsed.lines.linePos(Math.max(0, Math.min(offset, parsed.text.length)));
  return { line: line - 1, character: col - 1 };
}

function offsetAt(text: string, position: TextPosition): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) {
    const newline = text.indexOf('\n', offset);
    if (newline < 0) return text.length;
    offset = newline + 1;
  }
  const end = text.indexOf('\n', offset);
  return Math.min(offset + Math.max(0, position.character), end < 0 ? text.length : end);
}

function rangeOf(parsed: Parsed, node: YamlNode): TextRange {
  const [start, end] = node.range!;
  return { start: positionAt(parsed, start), end: positionAt(parsed, Math.max(start, end)) };
}

function contains(node: YamlNode, offset: number): boolean {
  const [start, end] = node.range!;
  return start <= offset && offset < Math.max(end, start + 1);
}

/** The ids of the file's own `endpoints:`, from whatever of it parses. */
function endpointIdsOf(root: unknown): string[] {
  const endpoints = isMap(root) ? root.get('endpoints', true) : undefined;
  if (!isSeq(endpoints)) return [];
  return endpoints.items.flatMap((item) => {
    const id = isMap(item) ? item.get('id') : undefined;
    return typeof id === 'string' ? [id] : [];
  });
}

// ---------------------------------------------------------------------------------------------------------------------
// Hover

function quoted(values: readonly string[]): string {
  return values.map((value) => `\`${value}\``).join(', ');
}

const pathKindText: Record<ComparisonPathKind, string> = {
  evalSet: 'path to a .jsonl eval set or a *.job.yaml',
  template: 'path to a .prompty template',
  examples: 'path to a .jsonl file of examples',
  trainingData: 'paths to .jsonl files',
  run: 'a run folder under .chatwright/runs',
  output: 'a folder',
  glob: 'globs',
};

function typeText(rule: ComparisonRule): string {
  switch (rule.kind) {
    case 'section':
      return rule.shorthand ? `section, or \`${rule.shorthand.field}\` alone${rule.shorthand.switchable ? ', or `false` for off' : ''}` : 'section';
    case 'list':
      return `list of ${rule.minItems} to ${rule.maxItems} entries`;
    case 'string':
      return rule.pathKind ? pathKindText[rule.pathKind] : 'text';
    case 'model':
      return '`<backend>/<model>`';
    case 'url':
      return 'http(s) URL';
    case 'envName':
      return 'environment variable name';
    case 'enum':
      return `one of ${quoted(rule.choices)}`;
    case 'integer':
      return `integer ${rule.minimum}..${rule.maximum}`;
    case 'number':
      return rule.minimum !== undefined && rule.maximum !== undefined ? `number ${rule.minimum}..${rule.maximum}` : 'number';
    case 'stringList':
      return `list of ${pathKindText[rule.pathKind]}`;
  }
}

function isRequired(keys: readonly string[]): boolean {
  const parent = sectionOf(comparisonRuleAt(keys.slice(0, -1)));
  return (parent?.required ?? []).includes(keys[keys.length - 1]!);
}

function fieldSummary(rule: ComparisonRule, keys: readonly string[]): string {
  const fallback = defaultTextOf(rule);
  return `${typeText(rule)} · ${fallback !== undefined ? `default ${/^[\w.-]+$/.test(fallback) ? `\`${fallback}\`` : fallback}` : isRequired(keys) ? 'required' : 'optional'}`;
}

function fieldMarkdown(rule: ComparisonRule, keys: readonly string[]): string {
  const parts = [`**\`${keys.join('.')}\`** — ${fieldSummary(rule, keys)}`, rule.description];
  const section = sectionOf(rule);
  if (section) parts.push(`Fields: ${quoted(Object.keys(section.fields))}.`);
  if (rule.kind === 'enum' && rule.meanings) parts.push(rule.choices.map((choice) => `- \`${choice}\`${rule.meanings?.[choice] ? `: ${rule.meanings[choice]}` : ''}`).join('\n'));
  return parts.join('\n\n');
}

function enumValueMarkdown(rule: Extract<ComparisonRule, { kind: 'enum' }>, dotted: string, value: string): string {
  if (!rule.choices.includes(value)) return `\`${value}\` is not a choice of \`${dotted}\`: ${quoted(rule.choices)}.`;
  const meaning = rule.meanings?.[value];
  return `**\`${value}\`** (\`${dotted}\`${rule.default === value ? ', the default' : ''})${meaning ? `: ${meaning}` : ''}`;
}

/** What backend a model reference names, in words. */
function modelValueMarkdown(value: string, root: unknown): string {
  const ref = parseModelRef(value.trim());
  if (!ref) return `\`${value}\` is not a model reference: write \`<backend>/<model>\`.`;
  if (builtinBackendIds.includes(ref.backend)) return `**\`${ref.model}\`** on the built-in ONNX engine (\`engine\`): a Hub id in the Hugging Face cache or a model folder, run in-process.`;
  const endpoints = isMap(root) ? root.get('endpoints', true) : undefined;
  const declared = isSeq(endpoints) ? endpoints.items.find((item) => isMap(item) && item.get('id') === ref.backend) : undefined;
  if (isMap(declared)) {
    const url = declared.get('url');
    return `**\`${ref.model}\`** on the endpoint \`${ref.backend}\` declared in this file${typeof url === 'string' ? ` (${url})` : ''}.`;
  }
  return `**\`${ref.model}\`** on \`${ref.backend}\`, which this file does not declare: the editor takes it from the chat's registered backends (configured endpoints, served models); \`chatwright eval\` cannot reach it.`;
}

/**
 * Hover on a key: the field's type, default (and why), choices and description. On a value: an enum choice's meaning,
 * the backend a model reference names, else the field's own hover.
 */
export function comparisonFileHover(text: string, position: TextPosition): ComparisonHover | undefined {
  const parsed = parseText(text);
  const offset = offsetAt(text, position);
  let found: ComparisonHover | undefined;
  for (const entry of parsed.entries) {
    const rule = comparisonRuleAt(entry.keys);
    if (contains(entry.key, offset)) found = rule ? { markdown: fieldMarkdown(rule, entry.keys), range: rangeOf(parsed, entry.key) } : undefined;
    else if (entry.value && !isMap(entry.value) && rule && contains(entry.value, offset) && (isScalar(entry.value) || rule.kind === 'stringList')) {
      const node = isSeq(entry.value) ? ((entry.value.items.find((item) => isScalar(item) && contains(item as YamlNode, offset)) as YamlNode | undefined) ?? entry.value) : entry.value;
      const value = isScalar(node) ? node.value : undefined;
      let markdown = fieldMarkdown(rule, entry.keys);
      if (rule.kind === 'enum' && typeof value === 'string') markdown = enumValueMarkdown(rule, entry.dotted, value);
      else if (rule.kind === 'model' && typeof value === 'string') markdown = `${modelValueMarkdown(value, parsed.root)}\n\n${fieldMarkdown(rule, entry.keys)}`;
      found = { markdown, range: rangeOf(parsed, node) };
    }
  }
  return found;
}

// ---------------------------------------------------------------------------------------------------------------------
// Completion

/** Files under the workspace root whose names match `pattern` (dot folders and node_modules skipped), relative to it. */
function filesUnder(root: string, pattern: RegExp, maxEntries: number): string[] {
  const found: string[] = [];
  let read = 0;
  const visit = (dir: string, depth: number): void => {
    let entries: Dirent[];
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      if (++read > maxEntries) return;
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = join(dir, entry.name);
      if (entry.isFile() && pattern.test(entry.name)) found.push(relative(root, full).split(sep).join('/'));
      else if (entry.isDirectory() && depth < 4) visit(full, depth + 1);
    }
  };
  visit(root, 0);
  return found.sort();
}

/** The run folders under `.chatwright/runs`, newest name first (run folders start with their date). */
function runFolders(root: string): string[] {
  try {
    return readdirSync(join(root, '.chatwright', 'runs'), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `.chatwright/runs/${entry.name}`)
      .sort()
      .reverse();
  } catch {
    return [];
  }
}

const filePatterns: Partial<Record<ComparisonPathKind, { pattern: RegExp; detail: string }>> = {
  evalSet: { pattern: /\.jsonl$|\.job\.(ya?ml|json)$/i, detail: 'eval set' },
  template: { pattern: /\.prompty(\.ya?ml)?$/i, detail: '.prompty template' },
  examples: { pattern: /\.jsonl$/i, detail: 'JSON Lines file' },
  trainingData: { pattern: /\.jsonl$/i, detail: 'JSON Lines file' },
};

function valueChoices(rule: ComparisonRule, root: string, endpointIds: readonly string[], options: ComparisonCompletionOptions): ValueChoice[] {
  const choice = (label: string, detail: string, preferred = false, documentation?: string): ValueChoice => ({
    label,
    kind: 'value',
    detail,
    preferred,
    ...(documentation !== undefined ? { documentation } : {}),
  });
  const pathKind = rule.kind === 'string' || rule.kind === 'stringList' ? rule.pathKind : undefined;
  switch (rule.kind) {
    case 'enum':
      return rule.choices.map((value) => choice(value, value === rule.default ? 'default' : (rule.meanings?.[value] ?? ''), value === rule.default, rule.meanings?.[value]));
    case 'model':
      return [
        ...endpointIds.map((id) => choice(`${id}/`, 'an endpoint of this file', true)),
        ...(options.modelIds ?? []).map((id) => choice(`engine/${id}`, 'built-in engine, in the Hugging Face cache')),
      ];
    case 'section':
      if (!rule.shorthand) return [];
      return [...(rule.shorthand.switchable ? [choice('false', 'off (the default)')] : []), ...valueChoices(rule.fields[rule.shorthand.field]!, root, endpointIds, options)];
    case 'string':
    case 'stringList': {
      if (pathKind === 'run') return runFolders(root).map((folder) => ({ label: folder, kind: 'file', detail: 'run folder', preferred: true }));
      const files = pathKind ? filePatterns[pathKind] : undefined;
      if (!files) return [];
      return filesUnder(root, files.pattern, options.maxDirectoryEntries ?? 4000).map((name) => ({
        label: name,
        kind: 'file',
        detail: files.detail,
        preferred: pathKind === 'evalSet' ? /eval|test|valid/i.test(name) : pathKind === 'trainingData' ? /train/i.test(name) : true,
      }));
    }
    default:
      return [];
  }
}

/** Escapes text for the inside of a snippet placeholder. */
function snippetText(text: string): string {
  return text.replace(/[\\$}]/g, (character) => `\\${character}`);
}

function keyItems(section: ComparisonSectionRule, keys: readonly string[], present: ReadonlySet<string>, range: TextRange, json: boolean): ComparisonCompletion[] {
  const items: ComparisonCompletion[] = [];
  for (const [key, rule] of Object.entries(section.fields)) {
    if (present.has(key)) continue;
    const childKeys = [...keys, key];
    let insertText: string;
    if (rule.kind === 'list' || rule.kind === 'stringList') insertText = json ? `"${key}": [\n\t$0\n]` : `${key}:\n  - $0`;
    else if (rule.kind === 'section' && !rule.shorthand) insertText = json ? `"${key}": {\n\t$0\n}` : `${key}:\n  $0`;
    else {
      const fallback = rule.kind === 'integer' || rule.kind === 'number' || rule.kind === 'enum' ? defaultTextOf(rule) : undefined;
      const placeholder = fallback === undefined || / /.test(fallback) ? '$1' : `\${1:${snippetText(fallback)}}`;
      const stringValued = rule.kind !== 'integer' && rule.kind !== 'number' && rule.kind !== 'section';
      insertText = json ? `"${key}": ${stringValued ? `"${placeholder}"` : placeholder}` : `${key}: ${placeholder}`;
    }
    items.push({
      label: key,
      kind: rule.kind === 'section' || rule.kind === 'list' ? 'section' : 'field',
      detail: fieldSummary(rule, childKeys),
      documentation: fieldMarkdown(rule, childKeys),
      insertText,
      filterText: json ? `"${key}"` : key,
      snippet: true,
      range,
      sortText: `${(section.required ?? []).includes(key) ? '0' : '1'}${key}`,
    });
  }
  return items;
}

function valueItems(choices: readonly ValueChoice[], range: TextRange, wrap: (label: string) => string): ComparisonCompletion[] {
  return valueChoiceCompletions(choices, range, wrap);
}

/**
 * Completion at the cursor: the keys of the cursor's mapping that are not there yet (top level, a strategy, an
 * endpoint, `few_shot`, `retrieval`, `judge`, `threshold`), enum choices, model references (the file's endpoints and
 * the Hub cache's models on the engine), and files for path values.
 */
export function comparisonFileCompletions(text: string, file: string, position: TextPosition, options: ComparisonCompletionOptions = {}): ComparisonCompletion[] {
  const root = resolve(options.workspaceRoot ?? dirname(resolve(file)));
  return /\.json$/i.test(file) ? jsonCompletions(text, root, position, options) : yamlCompletions(text, root, position, options);
}

/** A key written where the cursor is, so the YAML parser (which recovers from broken text) says where it belongs. */
const cursorMark = 'chatwrightCursorMark';

interface Probe {
  /** Rule path of the mapping holding the mark (as a key), or of the field holding it (as a value). */
  keys: string[];
  /** The other keys of the mapping the mark is a key of. */
  present: Set<string>;
  root: unknown;
}

function probe(lines: readonly string[], lineIndex: number, replacement: string): Probe | undefined {
  const text = [...lines.slice(0, lineIndex), replacement, ...lines.slice(lineIndex + 1)].join('\n');
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: false });
  let found: Probe | undefined;
  const visit = (node: unknown, keys: string[]): void => {
    if (found) return;
    if (isSeq(node)) {
      for (const item of node.items) {
        if (isScalar(item) && item.value === cursorMark) found = { keys, present: new Set(), root: document.contents };
        else visit(item, keys);
      }
      return;
    }
    if (!isMap(node)) return;
    const names = node.items.map((pair) => (isScalar(pair.key) ? String(pair.key.value) : ''));
    for (const pair of node.items) {
      const name = isScalar(pair.key) ? String(pair.key.value) : '';
      if (name === cursorMark) found = { keys, present: new Set(names.filter((other) => other !== cursorMark)), root: document.contents };
      else if (isScalar(pair.value) && pair.value.value === cursorMark) found = { keys: [...keys, name], present: new Set(), root: document.contents };
      else visit(pair.value, [...keys, name]);
      if (found) return;
    }
  };
  visit(document.contents, []);
  return found;
}

function yamlCompletions(text: string, root: string, position: TextPosition, options: ComparisonCompletionOptions): ComparisonCompletion[] {
  const lines = text.split('\n').map((line) => line.replace(/\r$/, ''));
  const line = lines[position.line] ?? '';
  const before = line.slice(0, position.character);
  const at = (character: number): TextPosition => ({ line: position.line, character });

  const keyTyped = /^(\s*(?:-\s+)*)([A-Za-z_][\w-]*)?$/.exec(before);
  if (keyTyped) {
    const prefix = keyTyped[1]!;
    const found = probe(lines, position.line, `${prefix}${cursorMark}: 0`);
    const section = found ? sectionOf(comparisonRuleAt(found.keys)) : undefined;
    // A key already written after the cursor on this line is replaced whole.
    const after = /^[\w-]*/.exec(line.slice(position.character))![0];
    if (found && section) return keyItems(section, found.keys, found.present, { start: at(prefix.length), end: at(position.character + after.length) }, false);
  }

  const valueTyped = /^(\s*(?:-\s+)*)([A-Za-z_][\w-]*)\s*:(\s*)(['"]?)([^\s'"#]*)$/.exec(before) ?? /^(\s*)-()(\s*)(['"]?)([^\s'"#]*)$/.exec(before);
  if (!valueTyped) return [];
  const [, prefix, key, space, quote, typed] = valueTyped;
  const found = probe(lines, position.line, key ? `${prefix}${key}: ${cursorMark}` : `${prefix}- ${cursorMark}`);
  const rule = found ? comparisonRuleAt(found.keys) : undefined;
  if (!found || !rule) return [];
  // The rest of a value the cursor is inside of is replaced too.
  const rest = /^[^\s'"#]*/.exec(line.slice(position.character))![0];
  const range = { start: at(position.character - typed!.length), end: at(position.character + rest.length) };
  const needsSpace = space === '' && quote === '';
  return valueItems(valueChoices(rule, root, endpointIdsOf(found.root), options), range, (label) => (needsSpace ? ` ${label}` : label));
}

function jsonCompletions(text: string, root: string, position: TextPosition, options: ComparisonCompletionOptions): ComparisonCompletion[] {
  const offset = offsetAt(text, position);
  const scan = scanJson(text, offset);
  const frames = scan.frames;
  if (frames.length === 0) return [];
  const keys = frames.slice(1).flatMap((frame) => (frame.key !== undefined ? [frame.key] : []));
  const innermost = frames[frames.length - 1]!;
  const lines = new LineCounter();
  let lineStart = 0;
  for (const line of text.split('\n')) {
    lines.addNewLine(lineStart);
    lineStart += line.length + 1;
  }
  const parsed: Parsed = { text, lines, root: undefined, entries: [] };
  const start = scan.stringStart ?? offset;
  // The closing quote an editor typed ahead of the cursor is replaced too.
  const end = scan.stringStart !== undefined && text[offset] === '"' ? offset + 1 : offset;
  const range = { start: positionAt(parsed, start), end: positionAt(parsed, end) };
  const wrap = (label: string): string => (/^(true|false|null|-?\d+(\.\d+)?)$/.test(label) ? label : JSON.stringify(label));
  const endpointIds = endpointIdsOf(parseDocument(text, { prettyErrors: false, uniqueKeys: false }).contents);
  if (innermost.array) {
    const rule = comparisonRuleAt(keys);
    if (rule?.kind !== 'stringList' || (scan.lastPunctuation !== '[' && scan.lastPunctuation !== ',')) return [];
    return valueItems(valueChoices(rule, root, endpointIds, options), range, wrap);
  }
  if (scan.lastPunctuation === '{' || scan.lastPunctuation === ',') {
    const section = sectionOf(comparisonRuleAt(keys));
    return section ? keyItems(section, keys, innermost.keys, range, true) : [];
  }
  if (scan.lastPunctuation === ':' && scan.lastKey !== undefined) {
    const rule = comparisonRuleAt([...keys, scan.lastKey]);
    return rule ? valueItems(valueChoices(rule, root, endpointIds, options), range, wrap) : [];
  }
  return [];
}

/**
 * What the file's diagnostics depend on besides its text: each file and folder it names (or the folder one would
 * appear in while it does not exist). A change there is a reason to check the comparison again.
 */
export function comparisonFileReferences(text: string, file: string, options: ComparisonFileOptions = {}): string[] {
  const root = resolve(options.workspaceRoot ?? dirname(resolve(file)));
  const watched = new Set<string>();
  const watch = (value: string): void => {
    const path = isAbsolute(value) ? value : resolve(root, value);
    if (statOrUndefined(path)) watched.add(path);
    else if (statOrUndefined(dirname(path))?.isDirectory()) watched.add(dirname(path));
  };
  for (const entry of parseText(text).entries) {
    const rule = comparisonRuleAt(entry.keys);
    const pathKind = rule?.kind === 'string' || rule?.kind === 'stringList' ? rule.pathKind : undefined;
    const shorthandPath = rule?.kind === 'section' && rule.shorthand?.field === 'run';
    if ((!pathKind || pathKind === 'glob' || pathKind === 'output') && !shorthandPath) continue;
    const values = isSeq(entry.value) ? entry.value.items : [entry.value];
    for (const node of values) if (isScalar(node) && typeof node.value === 'string' && node.value.trim()) watch(node.value);
    if (pathKind === 'run' || shorthandPath) {
      const value = isScalar(entry.value) ? entry.value.value : undefined;
      if (typeof value === 'string' && value.trim()) watch(join(isAbsolute(value) ? value : resolve(root, value), 'run.json'));
    }
  }
  return [...watched];
}

function statOrUndefined(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
