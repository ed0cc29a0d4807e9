import { readdirSync, statSync, type Dirent, type Stats } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { resolvePath, resolveJobText, type JobFileOptions, type JobFileProblem } from './jobFile';
import { defaultLearningRate, jobRules, methods, type FieldRule, type SectionRule } from './jobFields';

/**
 * The editor features of a job file (`*.job.yaml`, `*.job.yml`, `*.job.json`), computed from its text alone: located
 * diagnostics, hover and completion. Everything here reads `jobRules`, the table the checker and the JSON Schema read,
 * so the editor cannot say something the checker does not. Any text, however broken (a file being typed), gives an
 * answer: problems become diagnostics, and completion works from the lines around the cursor when the YAML does not
 * parse.
 */

/** A position as LSP counts it: 0-based line, UTF-16 code units into the line. */
export interface JobTextPosition {
  line: number;
  character: number;
}

export interface JobTextRange {
  start: JobTextPosition;
  end: JobTextPosition;
}

export interface JobFileDiagnostic {
  range: JobTextRange;
  severity: 'error' | 'warning';
  /** The dotted path of the field, as Python's checker names it; empty for a syntax error. */
  path: string;
  message: string;
}

export interface JobFileHover {
  markdown: string;
  range: JobTextRange;
}

export type JobCompletionKind = 'field' | 'section' | 'value' | 'file';

export interface JobFileCompletion {
  label: string;
  kind: JobCompletionKind;
  detail: string;
  documentation?: string;
  /** Replaces `range`; a snippet with `${1:…}` placeholders when `snippet` is true. */
  insertText: string;
  /** What the text typed in `range` is matched against (it includes a JSON key's or value's quotes). */
  filterText: string;
  snippet: boolean;
  range: JobTextRange;
  sortText: string;
}

export interface JobFileCompletionOptions {
  /** The most directory entries read when listing the .jsonl files and model folders near the job file (default 2000). */
  maxDirectoryEntries?: number;
  /** Hub ids offered for `model.path` (the models in the Hugging Face cache). */
  modelIds?: readonly string[];
}

const jobFileName = /\.job\.(ya?ml|json)$/i;

/** Whether a path names a job file: `*.job.yaml`, `*.job.yml` or `*.job.json`. */
export function isJobFilePath(path: string): boolean {
  return jobFileName.test(path);
}

type Rule = FieldRule | SectionRule;

function ruleAt(path: readonly string[]): Rule | undefined {
  let rule: Rule = jobRules;
  for (const key of path) {
    if (rule.kind !== 'section' || !Object.hasOwn(rule.fields, key)) return undefined;
    rule = rule.fields[key]!;
  }
  return rule;
}

function isRequired(path: readonly string[]): boolean {
  const parent = ruleAt(path.slice(0, -1));
  return parent?.kind === 'section' && (parent.required ?? []).includes(path[path.length - 1]!);
}

// ---------------------------------------------------------------------------------------------------------------
// The parsed text: every key/value pair with its dotted path and positions

interface ParsedJob {
  text: string;
  lines: LineCounter;
  entries: Entry[];
}

interface Entry {
  path: string[];
  dotted: string;
  key: YamlNode;
  value: YamlNode | null;
}

function parseJob(text: string): ParsedJob {
  const lines = new LineCounter();
  // Duplicate keys are the checker's to report; here every pair keeps its position.
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const entries: Entry[] = [];
  const collect = (node: unknown, path: string[]): void => {
    if (!isMap(node)) return;
    for (const pair of node.items) {
      const key = pair.key as YamlNode | null;
      if (!isScalar(key) || !key.range) continue;
      const name = String(key.value);
      const value = (pair.value as YamlNode | null) ?? null;
      const childPath = [...path, name];
      entries.push({ path: childPath, dotted: childPath.join('.'), key, value: value?.range ? value : null });
      collect(value, childPath);
    }
  };
  collect(document.contents, []);
  return { text, lines, entries };
}

function positionAt(parsed: ParsedJob, offset: number): JobTextPosition {
  const { line, col } = parsed.lines.linePos(Math.max(0, Math.min(offset, parsed.text.length)));
  return { line: line - 1, character: col - 1 };
}

function offsetAt(parsed: ParsedJob, position: JobTextPosition): number {
  const starts = parsed.lines.lineStarts;
  if (position.line >= starts.length) return parsed.text.length;
  const start = starts[Math.max(0, position.line)]!;
  const next = position.line + 1 < starts.length ? starts[position.line + 1]! : parsed.text.length + 1;
  return Math.min(start + Math.max(0, position.character), next - 1, parsed.text.length);
}

function rangeOfNode(parsed: ParsedJob, node: YamlNode): JobTextRange {
  const [start, end] = node.range!;
  return { start: positionAt(parsed, start), end: positionAt(parsed, Math.max(start, end)) };
}

/** From `offset` to the end of its line (trailing blanks left out): where a problem without a node is shown. */
function restOfLine(parsed: ParsedJob, offset: number): JobTextRange {
  const newline = parsed.text.indexOf('\n', offset);
  let end = newline < 0 ? parsed.text.length : newline;
  while (end > offset && /\s/.test(parsed.text[end - 1]!)) end--;
  return { start: positionAt(parsed, offset), end: positionAt(parsed, end) };
}

// ---------------------------------------------------------------------------------------------------------------
// Diagnostics

/**
 * The job file's problems, located: every problem of `resolveJobText` (syntax, unknown fields with a suggestion,
 * types, bounds, required fields, missing files, cross-field rules), plus the file checks it does not make: a dataset
 * that is a folder or empty or not JSON Lines, the same file for training and evaluation, a model folder without a
 * config or tokenizer, a resume checkpoint that does not exist.
 */
export function jobFileDiagnostics(text: string, file: string, options: JobFileOptions = {}): JobFileDiagnostic[] {
  const parsed = parseJob(text);
  const result = resolveJobText(text, file, options);
  const located: JobFileDiagnostic[] = result.problems.map((problem) => ({
    range: problemRange(parsed, problem),
    severity: 'error',
    path: problem.path,
    message: problem.path ? `${problem.path}: ${problem.message}` : problem.message,
  }));
  const syntaxBroken = result.problems.some((problem) => problem.path === '');
  return syntaxBroken ? located : located.concat(fileChecks(parsed, dirname(resolve(file)), new Set(result.problems.map((problem) => problem.path))));
}

function problemRange(parsed: ParsedJob, problem: JobFileProblem): JobTextRange {
  const starts = parsed.lines.lineStarts;
  const offset = Math.min((starts[problem.line - 1] ?? parsed.text.length) + problem.column - 1, parsed.text.length);
  const own = parsed.entries.find((entry) => entry.dotted === problem.path);
  if (own) {
    // A wrong line of a list (`target.slurm.sbatch`) is marked on that line.
    const item = own.value !== null && isSeq(own.value) ? own.value.items.find((candidate) => isScalar(candidate) && candidate.range?.[0] === offset) : undefined;
    if (isScalar(item)) return rangeOfNode(parsed, item);
    // A wrong value is marked on the value; a wrong key, a missing value or a wrong section on the key.
    const onValue = own.value !== null && own.value.range![1] > own.value.range![0] && own.key.range![0] !== offset && (isScalar(own.value) || isSeq(own.value));
    return rangeOfNode(parsed, onValue ? own.value! : own.key);
  }
  // A rule that ties two fields together is located at the field that decides it.
  const decider = parsed.entries.find((entry) => entry.value !== null && isScalar(entry.value) && entry.value.range![0] === offset && entry.value.range![1] > offset);
  if (decider) return rangeOfNode(parsed, decider.value!);
  // A missing field is marked on its section's key.
  const parts = problem.path.split('.');
  for (let length = parts.length - 1; length > 0; length--) {
    const section = parsed.entries.find((entry) => entry.dotted === parts.slice(0, length).join('.'));
    if (section) return rangeOfNode(parsed, section.key);
  }
  return restOfLine(parsed, offset);
}

function statOf(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

function stringEntry(parsed: ParsedJob, dotted: string): { entry: Entry; text: string } | undefined {
  const entry = parsed.entries.find((candidate) => candidate.dotted === dotted);
  if (!entry?.value || !isScalar(entry.value) || typeof entry.value.value !== 'string' || !entry.value.value.trim()) return undefined;
  return { entry, text: entry.value.value };
}

function fileChecks(parsed: ParsedJob, folder: string, reported: ReadonlySet<string>): JobFileDiagnostic[] {
  const found: JobFileDiagnostic[] = [];
  const add = (entry: Entry, severity: JobFileDiagnostic['severity'], message: string): void => {
    found.push({ range: rangeOfNode(parsed, entry.value ?? entry.key), severity, path: entry.dotted, message: `${entry.dotted}: ${message}` });
  };
  const datasets = new Map<string, string>();
  for (const [dotted, use] of [
    ['data.train', 'train on'],
    ['data.eval', 'evaluate on'],
  ] as const) {
    const given = stringEntry(parsed, dotted);
    if (!given || reported.has(dotted) || (dotted === 'data.eval' && given.text === 'auto')) continue;
    const path = resolvePath(given.text, folder);
    const stats = statOf(path);
    // A missing file is already the checker's problem.
    if (!stats) continue;
    if (stats.isDirectory()) add(given.entry, 'error', `${path} is a folder; name a .jsonl file in it`);
    else if (stats.size === 0) add(given.entry, 'error', `${path} is empty: there are no rows to ${use}`);
    else {
      if (!/\.jsonl$/i.test(path)) add(given.entry, 'warning', `${path} is not a .jsonl file; rows are read as JSON Lines (one JSON object a line)`);
      datasets.set(dotted, path);
    }
  }
  const evalEntry = stringEntry(parsed, 'data.eval');
  if (evalEntry && datasets.has('data.train') && datasets.get('data.train') === datasets.get('data.eval'))
    add(evalEntry.entry, 'warning', 'is the same file as data.train: the eval loss would measure memorisation, not generalisation; name a held-out file or `auto`');
  const model = stringEntry(parsed, 'model.path');
  if (model && !reported.has('model.path')) {
    const folderPath = resolvePath(model.text, folder);
    if (statOf(folderPath)?.isDirectory()) {
      if (!statOf(join(folderPath, 'config.json'))) add(model.entry, 'warning', `${folderPath} has no config.json: transformers cannot load it as a model`);
      else if (!statOf(join(folderPath, 'tokenizer.json')) && !statOf(join(folderPath, 'tokenizer_config.json')))
        add(model.entry, 'warning', `${folderPath} has no tokenizer.json or tokenizer_config.json: the data cannot be tokenized`);
    }
  }
  const resumeFrom = stringEntry(parsed, 'training.resume');
  if (resumeFrom && !reported.has('training.resume') && resumeFrom.text !== 'auto' && resumeFrom.text !== 'never') {
    const checkpoint = resolvePath(resumeFrom.text, folder);
    if (!statOf(checkpoint)?.isDirectory()) add(resumeFrom.entry, 'error', `there is no checkpoint folder at ${checkpoint}; use \`auto\`, \`never\` or a checkpoint-N folder`);
  }
  return found;
}

/**
 * What the job file's diagnostics depend on besides its text: each dataset and local model it names, or the folder
 * it would appear in while it does not exist. A change there is a reason to check the job file again.
 */
export function jobFileReferences(text: string, file: string): string[] {
  const parsed = parseJob(text);
  const folder = dirname(resolve(file));
  const watched = new Set<string>();
  for (const dotted of ['data.train', 'data.eval', 'model.path']) {
    const given = stringEntry(parsed, dotted);
    if (!given || given.text === 'auto') continue;
    const path = resolvePath(given.text, folder);
    if (statOf(path)) watched.add(path);
    else if (statOf(dirname(path))?.isDirectory()) watched.add(dirname(path));
  }
  return [...watched];
}

// ---------------------------------------------------------------------------------------------------------------
// Hover

function formatValue(value: unknown): string {
  if (typeof value === 'number' && value !== 0 && Math.abs(value) < 1e-3) return value.toExponential();
  return typeof value === 'string' ? value : String(value);
}

/** The default as the hover and the completion state it; undefined for a field without one. */
function defaultText(rule: FieldRule, path: readonly string[]): string | undefined {
  switch (rule.kind) {
    case 'string':
      return rule.default === null ? undefined : rule.default;
    case 'number':
      if (rule.default === null && path.join('.') === 'training.learning_rate') return methods.map((method) => `${formatValue(defaultLearningRate[method])} (${method})`).join(', ');
      return rule.default === null ? undefined : formatValue(rule.default);
    case 'evalSource':
    case 'packing':
      return 'auto';
    case 'modules':
      return 'all-linear';
    case 'lines':
      return '[]';
    case 'integer':
      return rule.default === null ? undefined : formatValue(rule.default);
    default:
      return formatValue(rule.default);
  }
}

function boundsText(rule: { minimum?: number; maximum?: number; exclusiveMinimum?: boolean }): string {
  const parts: string[] = [];
  if (rule.minimum !== undefined) parts.push(`${rule.exclusiveMinimum ? '>' : '≥'} ${rule.minimum}`);
  if (rule.maximum !== undefined) parts.push(`≤ ${rule.maximum}`);
  return parts.length > 0 ? ` ${parts.join(', ')}` : '';
}

function quoted(values: readonly string[]): string {
  return values.map((value) => `\`${value}\``).join(', ');
}

/** What a field holds, in a few words: its type and bounds. */
function typeText(rule: Rule): string {
  switch (rule.kind) {
    case 'section':
      return 'section';
    case 'string':
      if (rule.pathKind === 'file') return 'path to a .jsonl file';
      if (rule.pathKind === 'model') return 'Hub id or model folder';
      if (rule.pathKind === 'resume') return '`auto`, `never` or a checkpoint folder';
      return rule.nullable ? 'text or null' : 'text';
    case 'enum':
      return `one of ${quoted(rule.choices)}`;
    case 'integer':
      return `integer${boundsText(rule)}${rule.nullable ? ' or null' : ''}`;
    case 'number':
      return `number${boundsText(rule)}${rule.nullable ? ' or null' : ''}`;
    case 'boolean':
      return 'true or false';
    case 'evalSource':
      return 'path to a .jsonl file, `auto` or null';
    case 'packing':
      return `one of ${quoted(rule.choices)}, or true/false`;
    case 'modules':
      return '`all-linear` or a list of module names';
    case 'lines':
      return 'list of lines of text';
  }
}

function fieldSummary(rule: Rule, path: readonly string[]): string {
  if (rule.kind === 'section') return 'section';
  const fallback = defaultText(rule, path);
  return `${typeText(rule)} · ${fallback !== undefined ? `default \`${fallback}\`` : isRequired(path) ? 'required' : 'no default'}`;
}

function fieldMarkdown(rule: Rule, path: readonly string[]): string {
  const parts = [`**\`${path.join('.')}\`** — ${fieldSummary(rule, path)}`, rule.description];
  if (rule.kind === 'section') parts.push(`Fields: ${quoted(Object.keys(rule.fields))}.`);
  if ((rule.kind === 'enum' || rule.kind === 'packing') && rule.meanings) {
    parts.push(rule.choices.map((choice) => `- \`${choice}\`${rule.meanings?.[choice] ? `: ${rule.meanings[choice]}` : ''}`).join('\n'));
  }
  return parts.join('\n\n');
}

function valueMarkdown(rule: FieldRule, path: readonly string[], value: unknown): string | undefined {
  if ((rule.kind !== 'enum' && rule.kind !== 'packing') || typeof value !== 'string') return undefined;
  const dotted = path.join('.');
  if (!rule.choices.includes(value)) return `\`${value}\` is not a choice of \`${dotted}\`: ${quoted(rule.choices)}.`;
  const isDefault = (rule.kind === 'enum' ? rule.default : 'auto') === value;
  const others = rule.choices.filter((choice) => choice !== value);
  return [
    `**\`${value}\`** (\`${dotted}\`${isDefault ? ', the default' : ''})${rule.meanings?.[value] ? `: ${rule.meanings[value]}` : ''}`,
    '',
    `Other choices: ${others.map((choice) => `\`${choice}\`${rule.meanings?.[choice] ? ` (${rule.meanings[choice]})` : ''}`).join(', ')}.`,
  ].join('\n');
}

function contains(node: YamlNode, offset: number): boolean {
  const [start, end] = node.range!;
  return start <= offset && offset < Math.max(end, start + 1);
}

/**
 * Hover on a key: the field's type, bounds, default and where the default comes from (its description says). Hover on
 * a value: what that choice means beside the others; on any other value, the field's own hover.
 */
export function jobFileHover(text: string, position: JobTextPosition): JobFileHover | undefined {
  const parsed = parseJob(text);
  const offset = offsetAt(parsed, position);
  for (const entry of parsed.entries) {
    const rule = ruleAt(entry.path);
    if (contains(entry.key, offset)) return rule ? { markdown: fieldMarkdown(rule, entry.path), range: rangeOfNode(parsed, entry.key) } : undefined;
    if (!entry.value || isMap(entry.value) || !contains(entry.value, offset)) continue;
    if (!rule || rule.kind === 'section') return undefined;
    const item = isSeq(entry.value) ? (entry.value.items.find((candidate) => isScalar(candidate) && contains(candidate, offset)) as YamlNode | undefined) : entry.value;
    const node = item ?? entry.value;
    const markdown = (isScalar(node) ? valueMarkdown(rule, entry.path, node.value) : undefined) ?? fieldMarkdown(rule, entry.path);
    return { markdown, range: rangeOfNode(parsed, node) };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// Completion

/** Escapes text for the inside of a snippet placeholder. */
function snippetText(text: string): string {
  return text.replace(/[\\$}]/g, (character) => `\\${character}`);
}

/** A value offered for a field: an enum choice, a file, a model. */
export interface ValueChoice {
  label: string;
  kind: 'value' | 'file';
  detail: string;
  documentation?: string;
  preferred: boolean;
}

/**
 * The .jsonl files and the model folders (those holding a config.json) in the job file's folder and two levels below
 * (dot folders and node_modules skipped), relative to it, at most `maxEntries` directory entries read.
 */
function pathsNear(folder: string, maxEntries: number): { datasets: string[]; models: string[] } {
  const datasets: string[] = [];
  const models: string[] = [];
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
      if (entry.isFile() && /\.jsonl$/i.test(entry.name)) datasets.push(relative(folder, full).split(sep).join('/'));
      else if (entry.isFile() && entry.name === 'config.json' && depth > 0) models.push(`./${relative(folder, dir).split(sep).join('/')}`);
      else if (entry.isDirectory() && depth < 2) visit(full, depth + 1);
    }
  };
  visit(folder, 0);
  return { datasets: datasets.sort(), models: models.sort() };
}

function valueChoices(rule: FieldRule, path: readonly string[], file: string, options: JobFileCompletionOptions): ValueChoice[] {
  const choice = (label: string, detail: string, preferred = false, documentation?: string): ValueChoice => ({
    label,
    kind: 'value',
    detail,
    preferred,
    ...(documentation !== undefined ? { documentation } : {}),
  });
  const files = (prefer: RegExp): ValueChoice[] =>
    pathsNear(dirname(resolve(file)), options.maxDirectoryEntries ?? 2000).datasets.map((name) => ({ label: name, kind: 'file', detail: 'JSON Lines file', preferred: prefer.test(name) }));
  const modelChoices = (): ValueChoice[] => [
    ...pathsNear(dirname(resolve(file)), options.maxDirectoryEntries ?? 2000).models.map((name): ValueChoice => ({ label: name, kind: 'file', detail: 'model folder', preferred: true })),
    ...(options.modelIds ?? []).map((id) => choice(id, 'in the Hugging Face cache')),
  ];
  switch (rule.kind) {
    case 'enum':
    case 'packing': {
      const fallback = rule.kind === 'enum' ? rule.default : 'auto';
      const choices = rule.choices.map((value) => choice(value, value === fallback ? 'default' : '', value === fallback, rule.meanings?.[value]));
      return rule.kind === 'packing' ? [...choices, choice('true', 'padding_free'), choice('false', 'padded')] : choices;
    }
    case 'boolean':
      return [choice('true', rule.default ? 'default' : '', rule.default), choice('false', rule.default ? '' : 'default', !rule.default)];
    case 'evalSource':
      return [choice('auto', 'default: a sibling valid/eval file, else a held-out share', true), choice('null', 'no evaluation'), ...files(/valid|eval|dev|test/i)];
    case 'modules':
      return [choice('all-linear', 'default: every linear layer but the output', true)];
    case 'string':
      if (rule.pathKind === 'file') return files(path[path.length - 1] === 'train' ? /train/i : /valid|eval|dev|test/i);
      if (rule.pathKind === 'resume') return [choice('auto', 'default: the latest checkpoint of the run', true), choice('never', 'start fresh')];
      if (rule.pathKind === 'model') return modelChoices();
      return rule.nullable ? [choice('null', 'none')] : [];
    case 'integer':
      return rule.nullable ? [choice('null', 'default', true)] : [];
    default:
      return [];
  }
}

function keyItems(section: SectionRule, path: readonly string[], present: ReadonlySet<string>, range: JobTextRange, json: boolean, methodType: string): JobFileCompletion[] {
  const items: JobFileCompletion[] = [];
  for (const [key, rule] of Object.entries(section.fields)) {
    if (present.has(key)) continue;
    const childPath = [...path, key];
    const required = (section.required ?? []).includes(key);
    let insertText: string;
    if (rule.kind === 'section') insertText = json ? `"${key}": {\n\t$0\n}` : `${key}:\n  $0`;
    else {
      const fallback =
        childPath.join('.') === 'training.learning_rate'
          ? formatValue(defaultLearningRate[(methods as readonly string[]).includes(methodType) ? (methodType as (typeof methods)[number]) : 'lora'])
          : defaultText(rule, childPath);
      const placeholder = fallback === undefined ? '$1' : `\${1:${snippetText(fallback)}}`;
      const stringValued = rule.kind === 'string' || rule.kind === 'enum' || ((rule.kind === 'evalSource' || rule.kind === 'packing' || rule.kind === 'modules') && fallback !== undefined);
      insertText = json ? `"${key}": ${stringValued ? `"${placeholder}"` : placeholder}` : `${key}: ${placeholder}`;
    }
    items.push({
      label: key,
      kind: rule.kind === 'section' ? 'section' : 'field',
      detail: fieldSummary(rule, childPath),
      documentation: fieldMarkdown(rule, childPath),
      insertText,
      filterText: json ? `"${key}"` : key,
      snippet: true,
      range,
      sortText: `${required ? '0' : '1'}${key}`,
    });
  }
  return items;
}

function valueItems(rule: FieldRule, path: readonly string[], file: string, range: JobTextRange, wrap: (label: string) => string, options: JobFileCompletionOptions): JobFileCompletion[] {
  return valueChoiceCompletions(valueChoices(rule, path, file, options), range, wrap);
}

/** Completion items for value choices, the preferred first; `wrap` quotes a label the way the document needs. */
export function valueChoiceCompletions(choices: readonly ValueChoice[], range: JobTextRange, wrap: (label: string) => string): JobFileCompletion[] {
  return choices.map((choice) => ({
    label: choice.label,
    kind: choice.kind,
    detail: choice.detail,
    ...(choice.documentation !== undefined ? { documentation: choice.documentation } : {}),
    insertText: wrap(choice.label),
    filterText: wrap(choice.label).trim(),
    snippet: false,
    range,
    sortText: `${choice.preferred ? '0' : '1'}${choice.label}`,
  }));
}

/**
 * Completion at the cursor: the keys of the cursor's section that are not there yet (a snippet with the default), the
 * choices of an enum or boolean value, and the .jsonl files near the job file for `data.train`/`data.eval`.
 */
export function jobFileCompletions(text: string, file: string, position: JobTextPosition, options: JobFileCompletionOptions = {}): JobFileCompletion[] {
  return /\.json$/i.test(file) ? jsonCompletions(text, file, position, options) : yamlCompletions(text, file, position, options);
}

const blockKeyLine = /^(\s*)([A-Za-z_$][\w$-]*)\s*:(.*)$/;

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

function isSkippable(line: string): boolean {
  const trimmed = line.trim();
  return trimmed === '' || trimmed.startsWith('#');
}

/**
 * The section path of a line indented `indent` in block YAML, from the lines above it: each less-indented `key:`
 * line with nothing after the colon opens a section. Undefined inside a value (a list, a block scalar).
 */
function sectionPathAbove(lines: readonly string[], lineIndex: number, indent: number): string[] | undefined {
  const path: string[] = [];
  let limit = indent;
  for (let index = lineIndex - 1; index >= 0 && limit > 0; index--) {
    const line = lines[index]!;
    if (isSkippable(line) || indentOf(line) >= limit) continue;
    const match = blockKeyLine.exec(line);
    if (!match || !/^\s*(#.*)?$/.test(match[3]!)) return undefined;
    path.unshift(match[2]!);
    limit = indentOf(line);
  }
  return path;
}

/** The keys at `indent` in the block around `lineIndex` (the line itself left out). */
function siblingKeys(lines: readonly string[], lineIndex: number, indent: number): Set<string> {
  const keys = new Set<string>();
  for (const step of [-1, 1]) {
    for (let index = lineIndex + step; index >= 0 && index < lines.length; index += step) {
      const line = lines[index]!;
      if (isSkippable(line)) continue;
      const lineIndent = indentOf(line);
      if (lineIndent < indent) break;
      const match = lineIndent === indent ? blockKeyLine.exec(line) : null;
      if (match) keys.add(match[2]!);
    }
  }
  return keys;
}

function methodTypeOf(text: string): string {
  return /^\s+type\s*:\s*['"]?([\w-]+)/m.exec(text.slice(Math.max(0, text.search(/^method\s*:/m))))?.[1] ?? 'lora';
}

function yamlCompletions(text: string, file: string, position: JobTextPosition, options: JobFileCompletionOptions): JobFileCompletion[] {
  const lines = text.split(/\r?\n/);
  const line = lines[position.line] ?? '';
  const before = line.slice(0, position.character);
  const at = (character: number): JobTextPosition => ({ line: position.line, character });

  const keyTyped = /^(\s*)([A-Za-z_$][\w$-]*)?$/.exec(before);
  if (keyTyped) {
    const indent = keyTyped[1]!.length;
    const path = sectionPathAbove(lines, position.line, indent);
    const section = path ? ruleAt(path) : undefined;
    if (!path || section?.kind !== 'section') return [];
    // A key already written after the cursor on this line is replaced whole.
    const after = /^[\w$-]*/.exec(line.slice(position.character))![0];
    const range = { start: at(indent), end: at(position.character + after.length) };
    return keyItems(section, path, siblingKeys(lines, position.line, indent), range, false, methodTypeOf(text));
  }

  const valueTyped = /^(\s*)([A-Za-z_$][\w$-]*)\s*:(\s*)(['"]?)([^\s'"#]*)$/.exec(before);
  if (valueTyped) {
    const path = sectionPathAbove(lines, position.line, valueTyped[1]!.length);
    if (!path) return [];
    const fieldPath = [...path, valueTyped[2]!];
    const rule = ruleAt(fieldPath);
    if (!rule || rule.kind === 'section') return [];
    const start = position.character - valueTyped[5]!.length;
    const needsSpace = valueTyped[3] === '' && valueTyped[4] === '';
    // The rest of a value the cursor is inside of is replaced too.
    const rest = /^[^\s'"#]*/.exec(line.slice(position.character))![0];
    return valueItems(rule, fieldPath, file, { start: at(start), end: at(position.character + rest.length) }, (label) => (needsSpace ? ` ${label}` : label), options);
  }
  return [];
}

export interface JsonFrame {
  /** The key this object or array is the value of; undefined for the root. */
  key: string | undefined;
  array: boolean;
  keys: Set<string>;
}

export interface JsonCursor {
  frames: JsonFrame[];
  /** Where the string the cursor is in starts (its opening quote), if it is in one. */
  stringStart: number | undefined;
  /** The last punctuation before the cursor outside strings: `{`, `,`, `:` or `[`. */
  lastPunctuation: string | undefined;
  /** The key last written before the cursor in the innermost object. */
  lastKey: string | undefined;
}

/**
 * Scans JSON (complete or being typed) once: the objects open at `offset` with the keys each holds in the whole text,
 * and what the cursor follows. Tolerant of anything: unbalanced brackets and unterminated strings just end the scan.
 */
export function scanJson(text: string, offset: number): JsonCursor {
  const stack: JsonFrame[] = [];
  let cursor: JsonCursor | undefined;
  let stringStart: number | undefined;
  let lastString: string | undefined;
  let pendingKey: string | undefined;
  let lastPunctuation: string | undefined;
  let lastKey: string | undefined;
  for (let index = 0; index <= text.length; index++) {
    if (index === offset) cursor = { frames: [...stack], stringStart, lastPunctuation, lastKey };
    if (index === text.length) break;
    const character = text[index]!;
    if (stringStart !== undefined) {
      if (character === '\\') index++;
      else if (character === '"') {
        lastString = JSON.parse(text.slice(stringStart, index + 1).replace(/\\u(?![0-9a-fA-F]{4})/g, '\\\\u')) as string;
        stringStart = undefined;
      } else if (character === '\n') stringStart = undefined;
      continue;
    }
    switch (character) {
      case '"':
        stringStart = index;
        lastString = undefined;
        break;
      case ':':
        pendingKey = lastString;
        if (pendingKey !== undefined) {
          stack[stack.length - 1]?.keys.add(pendingKey);
          lastKey = pendingKey;
        }
        lastPunctuation = character;
        break;
      case '{':
      case '[':
        stack.push({ key: pendingKey, array: character === '[', keys: new Set() });
        pendingKey = undefined;
        lastKey = undefined;
        lastPunctuation = character;
        break;
      case '}':
      case ']':
        stack.pop();
        lastPunctuation = character;
        break;
      case ',':
        pendingKey = undefined;
        lastPunctuation = character;
        break;
      default:
        if (!/\s/.test(character)) lastString = undefined;
    }
  }
  return cursor ?? { frames: [...stack], stringStart, lastPunctuation, lastKey };
}

function jsonCompletions(text: string, file: string, position: JobTextPosition, options: JobFileCompletionOptions): JobFileCompletion[] {
  const lines = new LineCounter();
  let lineStart = 0;
  for (const line of text.split('\n')) {
    lines.addNewLine(lineStart);
    lineStart += line.length + 1;
  }
  const parsed: ParsedJob = { text, lines, entries: [] };
  const offset = offsetAt(parsed, position);
  const scan = scanJson(text, offset);
  const objects = scan.frames;
  if (objects.length === 0 || objects.some((frame) => frame.array)) return [];
  const path = objects.slice(1).map((frame) => frame.key ?? '');
  const start = scan.stringStart ?? offset;
  // The closing quote an editor typed ahead of the cursor is replaced too.
  const end = scan.stringStart !== undefined && text[offset] === '"' ? offset + 1 : offset;
  const range = { start: positionAt(parsed, start), end: positionAt(parsed, end) };
  if (scan.lastPunctuation === '{' || scan.lastPunctuation === ',') {
    const section = ruleAt(path);
    if (section?.kind !== 'section') return [];
    // A key counts as present once its colon is written, so the one being typed is still offered.
    const present = objects[objects.length - 1]!.keys;
    return keyItems(section, path, present, range, true, methodTypeOfJson(text));
  }
  if (scan.lastPunctuation === ':' && scan.lastKey !== undefined) {
    const fieldPath = [...path, scan.lastKey];
    const rule = ruleAt(fieldPath);
    if (!rule || rule.kind === 'section') return [];
    const bare = new Set(['true', 'false', 'null']);
    return valueItems(rule, fieldPath, file, range, (label) => (bare.has(label) ? label : JSON.stringify(label)), options);
  }
  return [];
}

function methodTypeOfJson(text: string): string {
  return /"method"\s*:\s*\{[^{}]*?"type"\s*:\s*"([\w-]+)"/.exec(text)?.[1] ?? 'lora';
}
