import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { readBoundedTextSync } from '../files/boundedRead';
import { repoIdProblem } from '../hub/cachePaths';
import { editDistance } from '../text/editDistance';
import { defaultLearningRate, jobRules, type FieldRule, type JobMethod, type SectionRule } from './jobFields';
import { type ResolvedJobTarget } from './jobTarget';
import { targetProblems } from './jobTargetChecks';

/** One problem in a job file: 1-based line and column, the dotted path Python's checker would name, what is wrong. */
export interface JobFileProblem {
  line: number;
  column: number;
  path: string;
  message: string;
}

/** The resolved config exactly as `chatwright_train.config.resolve_config` accepts it (every field, defaults filled). */
export interface ResolvedJobConfig {
  model: { path: string; attn_implementation: string; trust_remote_code: boolean };
  data: {
    train: string;
    eval: string | null;
    eval_fraction: number;
    format: string;
    max_seq_length: number;
    packing: string;
    overlong: string;
    chat_template: string | null;
    max_file_bytes: number;
  };
  method: {
    type: JobMethod;
    lora: { r: number; alpha: number; dropout: number; target_modules: string | string[]; use_rslora: boolean; use_dora: boolean };
    quantization: { quant_type: string; double_quant: boolean; compute_dtype: string };
    prompt_tuning: { num_virtual_tokens: number; init: string; init_text: string | null };
  };
  training: {
    epochs: number;
    max_steps: number;
    per_device_batch_size: number;
    gradient_accumulation_steps: number;
    learning_rate: number;
    lr_scheduler: string;
    warmup_ratio: number;
    weight_decay: number;
    max_grad_norm: number;
    seed: number;
    precision: string;
    gradient_checkpointing: boolean;
    logging_steps: number;
    eval_steps: number;
    save_steps: number;
    save_total_limit: number;
    resume: string;
    dataloader_workers: number;
    deterministic: boolean;
  };
  output: { merge: boolean; merged_dtype: string };
  /** Where it runs (`jobTarget.ts`); `defaultTarget` when the file has no `target` section. */
  target: ResolvedJobTarget;
}

export interface JobFileResult {
  /** Present only when there is no problem. */
  config?: ResolvedJobConfig;
  /** The job's name: `name`, else the file name without `.job.yaml`/`.job.json`. */
  name: string;
  problems: JobFileProblem[];
}

export interface JobFileOptions {
  /** Maps a Hub id to a local folder (the Hugging Face cache's snapshot); by default Hub ids are passed on as they are. */
  resolveHubModel?: (id: string) => string | undefined;
}

/** The job file's name without its extension: `persona.job.yaml` → `persona`. */
export function jobNameOf(file: string): string {
  const base = file.split(/[\\/]/).pop() ?? file;
  return base.replace(/(\.job)?\.(ya?ml|json)$/i, '') || 'job';
}

/** Formats a problem as `file:line:column: path: message`, the form editors and terminals link. */
export function formatJobProblem(file: string, problem: JobFileProblem): string {
  return `${file}:${problem.line}:${problem.column}: ${problem.path ? `${problem.path}: ` : ''}${problem.message}`;
}

/** Reads a job file through the bounded reader (it is named by the user) and resolves it. */
export function readJobFile(file: string, options: JobFileOptions = {}): JobFileResult {
  let text: string;
  try {
    text = readBoundedTextSync(file, { kind: 'template' });
  } catch (error) {
    return { name: jobNameOf(file), problems: [{ line: 1, column: 1, path: '', message: error instanceof Error ? error.message : String(error) }] };
  }
  return resolveJobText(text, file, options);
}

class Checker {
  readonly problems: JobFileProblem[] = [];
  constructor(private readonly lines: LineCounter) {}

  fail(node: YamlNode | null | undefined, path: string, message: string): void {
    const offset = node?.range?.[0] ?? 0;
    const { line, col } = this.lines.linePos(offset);
    this.problems.push({ line, column: col, path, message });
  }
}

type Plain = string | number | boolean | null;

function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
}

/** The closest known name within two edits (a typo), else the one equal once underscores and case are ignored. */
function suggestion(key: string, known: readonly string[]): string | undefined {
  const squash = (text: string): string => text.replace(/[_-]/g, '').toLowerCase();
  const same = known.find((name) => squash(name) === squash(key));
  if (same) return same;
  let best: string | undefined;
  let bestDistance = 3;
  for (const name of known) {
    const distance = editDistance(key.toLowerCase(), name);
    if (distance < bestDistance) [best, bestDistance] = [name, distance];
  }
  return best;
}

function join(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

interface Context {
  checker: Checker;
  folder: string;
  options: JobFileOptions;
}

/** A path in the job file: relative to the job file's folder, `~` to the home folder. */
export function resolvePath(value: string, folder: string): string {
  if (value === '~' || value.startsWith('~/')) return resolve(process.env.HOME ?? '~', value.slice(2));
  return isAbsolute(value) ? value : resolve(folder, value);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * A model is a folder when the text looks like a path or names an existing folder next to the job file; otherwise it
 * must be a Hub id. Python's `from_pretrained` takes either, so an unresolved Hub id is passed on unchanged.
 */
function resolveModel(value: string, node: YamlNode, path: string, context: Context): string {
  const looksLikePath = /^(\.{1,2}([\\/]|$)|[\\/]|~|[A-Za-z]:[\\/])/.test(value) || value.includes('\\');
  const local = resolvePath(value, context.folder);
  if (looksLikePath || isFolder(local)) {
    if (!isFolder(local)) context.checker.fail(node, path, `the model folder ${local} does not exist`);
    return local;
  }
  const id = value.split('@')[0]!;
  const problem = repoIdProblem(id);
  if (problem !== undefined) {
    context.checker.fail(node, path, `'${value}' is neither a folder next to the job file nor a Hub id (${problem})`);
    return value;
  }
  return context.options.resolveHubModel?.(value) ?? value;
}

function checkField(rule: FieldRule, node: YamlNode | null, value: Plain | Plain[] | undefined, path: string, context: Context): unknown {
  const { checker } = context;
  const fail = (message: string): void => checker.fail(node, path, message);
  switch (rule.kind) {
    case 'string': {
      if (rule.numberAsText && typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return String(value);
      if (value === undefined || value === null) {
        if (value === null && !rule.nullable && rule.default === null) fail('is required');
        return rule.default;
      }
      if (typeof value !== 'string' || !value.trim()) {
        fail(`must be a non-empty string, got ${describe(value)}`);
        return rule.default;
      }
      if (rule.pathKind === 'file') {
        const file = resolvePath(value, context.folder);
        if (!existsSync(file)) fail(`the file ${file} does not exist`);
        return file;
      }
      if (rule.pathKind === 'model') return resolveModel(value, node!, path, context);
      if (rule.pathKind === 'resume') return value === 'auto' || value === 'never' ? value : resolvePath(value, context.folder);
      return value;
    }
    case 'enum':
      if (value === undefined || value === null) return rule.default;
      if (typeof value !== 'string' || !rule.choices.includes(value)) {
        const close = typeof value === 'string' ? suggestion(value, rule.choices) : undefined;
        fail(`must be one of ${rule.choices.join(', ')}; got ${describe(value)}${close ? ` (did you mean '${close}'?)` : ''}`);
        return rule.default;
      }
      return value;
    case 'integer': {
      if (value === undefined || (value === null && rule.nullable)) return rule.default;
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        fail(`must be an integer, got ${describe(value)}`);
        return rule.default;
      }
      if (rule.minimum !== undefined && value < rule.minimum) fail(`must be at least ${rule.minimum}, got ${value}`);
      else if (rule.maximum !== undefined && value > rule.maximum) fail(`must be at most ${rule.maximum}, got ${value}`);
      else return value;
      return rule.default;
    }
    case 'number': {
      if (value === undefined || (value === null && rule.nullable)) return rule.default;
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        fail(`must be a finite number, got ${describe(value)}`);
        return rule.default;
      }
      if (rule.minimum !== undefined && (rule.exclusiveMinimum ? value <= rule.minimum : value < rule.minimum))
        fail(`must be ${rule.exclusiveMinimum ? 'greater than' : 'at least'} ${rule.minimum}, got ${value}`);
      else if (rule.maximum !== undefined && value > rule.maximum) fail(`must be at most ${rule.maximum}, got ${value}`);
      else return value;
      return rule.default;
    }
    case 'boolean':
      if (value === undefined) return rule.default;
      if (typeof value !== 'boolean') {
        fail(`must be true or false, got ${describe(value)}`);
        return rule.default;
      }
      return value;
    case 'evalSource':
      if (value === undefined) return 'auto';
      if (value === null || value === false) return null;
      if (typeof value !== 'string' || !value.trim()) {
        fail(`must be a file path, "auto" or null, got ${describe(value)}`);
        return 'auto';
      }
      if (value === 'auto') return value;
      {
        const file = resolvePath(value, context.folder);
        if (!existsSync(file)) fail(`the file ${file} does not exist`);
        return file;
      }
    case 'packing':
      if (value === undefined || value === null) return 'auto';
      if (value === true) return 'padding_free';
      if (value === false) return 'padded';
      if (typeof value !== 'string' || !rule.choices.includes(value)) {
        fail(`must be one of ${rule.choices.join(', ')} (or true/false); got ${describe(value)}`);
        return 'auto';
      }
      return value;
    case 'modules':
      if (value === undefined) return 'all-linear';
      if (typeof value === 'string' && value.trim()) return value;
      if (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string' && item.trim())) return value;
      fail('must be "all-linear" or a non-empty list of module names');
      return 'all-linear';
    case 'lines':
      if (value === undefined || value === null) return [];
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) {
        fail(`must be a list of lines of text, got ${Array.isArray(value) ? 'a list with a value that is not text' : describe(value)}`);
        return [];
      }
      return value;
  }
}

function plainValue(node: YamlNode | null): Plain | Plain[] | undefined {
  if (node === null) return null;
  if (isScalar(node)) return node.value as Plain;
  if (isSeq(node)) return node.items.map((item) => (isScalar(item) ? (item.value as Plain) : ({} as unknown as Plain)));
  return undefined;
}

function checkSection(rule: SectionRule, node: YamlNode | null, path: string, context: Context): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const entries = new Map<string, { key: YamlNode; value: YamlNode | null }>();
  let present = false;
  if (node !== null && !(isScalar(node) && node.value === null)) {
    if (!isMap(node)) context.checker.fail(node, path, `must be a mapping of fields, got ${isSeq(node) ? 'a list' : describe(plainValue(node))}`);
    else {
      present = true;
      for (const pair of node.items) {
        const keyNode = pair.key as YamlNode;
        const key = isScalar(keyNode) ? String(keyNode.value) : '';
        if (key === '$schema' && !path) continue;
        if (!(key in rule.fields)) {
          const known = Object.keys(rule.fields);
          const close = suggestion(key, known);
          context.checker.fail(keyNode, join(path, key), `unknown field${close ? ` (did you mean '${close}'?)` : ` (known: ${known.join(', ')})`}`);
          continue;
        }
        entries.set(key, { key: keyNode, value: (pair.value as YamlNode | null) ?? null });
      }
    }
  }
  // A missing section is reported once, by its parent, as Python does; not again for each of its required fields. A
  // section written empty (`data:`) is there for its parent, so its own required fields are reported, as Python does.
  const writtenEmpty = node !== null && isScalar(node) && node.value === null;
  for (const name of present || writtenEmpty || !path ? (rule.required ?? []) : []) {
    if (!entries.has(name)) context.checker.fail(node, join(path, name), 'is required');
  }
  for (const [key, child] of Object.entries(rule.fields)) {
    const entry = entries.get(key);
    const childPath = join(path, key);
    if (child.kind === 'section') {
      out[key] = checkSection(child, entry?.value ?? null, childPath, context);
      continue;
    }
    const valueNode = entry?.value ?? null;
    if (entry && valueNode !== null && !isScalar(valueNode) && !((child.kind === 'modules' || child.kind === 'lines') && isSeq(valueNode))) {
      context.checker.fail(valueNode, childPath, `must be a single value, got ${isSeq(valueNode) ? 'a list' : 'a mapping'}`);
      out[key] = checkField(child, valueNode, undefined, childPath, context);
      continue;
    }
    out[key] = checkField(child, entry ? (valueNode ?? entry.key) : null, entry ? plainValue(valueNode) : undefined, childPath, context);
  }
  return out;
}

/**
 * Parses a job file (YAML; JSON is read by the same parser, which keeps positions for both), checks every field
 * against `jobRules` and resolves paths against the file's folder. Every problem is reported, located.
 */
export function resolveJobText(text: string, file: string, options: JobFileOptions = {}): JobFileResult {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const checker = new Checker(lines);
  let name = jobNameOf(file);
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const position = lines.linePos(error.pos[0]);
      checker.problems.push({ line: position.line, column: position.col, path: '', message: error.message.split('\n')[0]! });
    }
    return { name, problems: checker.problems };
  }
  const root = document.contents as YamlNode | null;
  if (root === null || !isMap(root)) {
    checker.fail(root, '', 'a job file must be a mapping with at least `model` and `data`');
    return { name, problems: checker.problems };
  }
  const context: Context = { checker, folder: dirname(resolve(file)), options };
  const raw = checkSection(jobRules, root, '', context);
  const { name: given, ...config } = raw as unknown as { name: string | null } & ResolvedJobConfig;
  if (typeof given === 'string') name = given;
  // The method's own default rate: Python would fill the same one, but the resolved config should say it.
  if ((raw.training as { learning_rate: number | null }).learning_rate === null) config.training.learning_rate = defaultLearningRate[config.method.type];
  crossChecks(config, root, checker);
  return checker.problems.length > 0 ? { name, problems: checker.problems } : { name, config, problems: [] };
}

/** The rules that tie fields together, as `config.py` states them, located at the field that has to change. */
function crossChecks(config: ResolvedJobConfig, root: YamlNode, checker: Checker): void {
  const at = (path: string): YamlNode => {
    let node: YamlNode = root;
    for (const key of path.split('.')) {
      if (!isMap(node)) return node;
      const next = node.get(key, true) as YamlNode | undefined;
      if (!next) return node;
      node = next;
    }
    return node;
  };
  const { method, training, output, target } = config;
  if (method.prompt_tuning.init === 'text' && !method.prompt_tuning.init_text) checker.fail(at('method.prompt_tuning.init'), 'method.prompt_tuning.init_text', 'is required when init is "text"');
  if (method.type === 'prompt_tuning' && (method.lora.use_dora || method.lora.use_rslora))
    checker.fail(at('method.lora'), 'method.lora', 'use_dora/use_rslora apply to LoRA methods, not prompt_tuning');
  if (training.max_steps === 0) checker.fail(at('training.max_steps'), 'training.max_steps', 'must be -1 (use epochs) or at least 1');
  if (output.merge && method.type === 'prompt_tuning') checker.fail(at('output.merge'), 'output.merge', 'prompt tuning has no weights to merge; set it to false');
  for (const problem of targetProblems(target)) {
    const node = at(problem.path);
    const item = problem.index !== undefined && isSeq(node) ? (node.items[problem.index] as YamlNode | undefined) : undefined;
    checker.fail(item ?? node, problem.path, problem.message);
  }
}
