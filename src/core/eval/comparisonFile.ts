import { existsSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { parseModelRef } from '../chat/backend';
import { isJobFilePath } from '../jobs/jobFileFeatures';
import { readJobFile } from '../jobs/jobFile';
import { isLoopbackHost } from '../text/listenAddress';
import { suggest } from '../text/suggest';
import { builtinBackendIds, comparisonRules, type ComparisonFieldRule, type ComparisonRule, type ComparisonSectionRule } from './comparisonFields';
import { type ComparisonProblem, type ComparisonSpec, type EndpointSpec, type FewShotSelection, type MetricId, type StrategySpec } from './evalTypes';
import { defaultJudgeRubric } from './judge';

export interface ComparisonFileOptions {
  /** The workspace folder relative paths resolve against; default the comparison file's folder. */
  workspaceRoot?: string;
}

/** Whether a path names a comparison file: `*.compare.yaml`, `*.compare.yml` or `*.compare.json`. */
export function isComparisonFilePath(path: string): boolean {
  return /\.compare\.(ya?ml|json)$/i.test(path);
}

/** The comparison's default name: the file name without `.compare.yaml`, made safe for a folder name. */
export function comparisonNameOf(file: string): string {
  const bare = basename(file).replace(/(\.compare)?\.(ya?ml|json)$/i, '');
  const name = bare.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 64);
  // Only dots would make the output folder `.chatwright/evals` itself or its parent.
  return /^\.*$/.test(name) ? 'comparison' : name;
}

/** A value as it was written, for messages. */
function describe(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : (JSON.stringify(value) ?? String(value));
}

/** Collects located problems; a problem names the node it is about (the value, else the key, else the file's start). */
class Problems {
  readonly list: ComparisonProblem[] = [];
  constructor(
    private readonly lines: LineCounter,
    private readonly textLength: number,
  ) {}

  add(node: YamlNode | null | undefined, path: string, severity: ComparisonProblem['severity'], message: string): void {
    const [start, end] = node?.range ?? [0, 0];
    this.list.push({ path, range: { start: this.position(start), end: this.position(Math.max(start, end)) }, severity, message });
  }

  error(node: YamlNode | null | undefined, path: string, message: string): void {
    this.add(node, path, 'error', message);
  }

  warn(node: YamlNode | null | undefined, path: string, message: string): void {
    this.add(node, path, 'warning', message);
  }

  position(offset: number): { line: number; character: number } {
    const { line, col } = this.lines.linePos(Math.max(0, Math.min(offset, this.textLength)));
    return { line: line - 1, character: col - 1 };
  }
}

function childPath(path: string, key: string | number): string {
  return typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
}

/** A checked value with the nodes it came from, so later checks can point at them. */
interface Checked<T> {
  value: T;
  /** The value's node; the key's when the value is empty. */
  node: YamlNode;
}

type Fields = Record<string, Checked<unknown> | undefined>;

/**
 * The generic half of the checker: walks the YAML against `comparisonRules`, reporting unknown keys (with the closest
 * known ones), wrong types, out-of-range numbers, missing required fields and list sizes. What passes comes back
 * with its node; what fails is left out, so the specific checks only see well-typed values.
 */
class Walker {
  constructor(private readonly problems: Problems) {}

  section(rule: ComparisonSectionRule, node: YamlNode, path: string, keyNode: YamlNode | undefined): Fields | undefined {
    if (!isMap(node)) {
      this.problems.error(node, path, `must be a mapping of fields, got ${isSeq(node) ? 'a list' : describe(isScalar(node) ? node.value : node)}`);
      return undefined;
    }
    const fields: Fields = {};
    const seen = new Set<string>();
    for (const pair of node.items) {
      const key = pair.key as YamlNode | null;
      const name = isScalar(key) ? String(key.value) : '';
      if (name === '$schema' && !path) continue;
      if (!Object.hasOwn(rule.fields, name)) {
        this.problems.error(key, childPath(path, name), `unknown field; did you mean ${suggest(name, Object.keys(rule.fields))}?`);
        continue;
      }
      seen.add(name);
      const value = (pair.value as YamlNode | null) ?? null;
      const checked = this.rule(rule.fields[name]!, value, childPath(path, name), key!);
      if (checked !== undefined) fields[name] = checked;
      else if ((rule.required ?? []).includes(name) && (value === null || (isScalar(value) && value.value === null)) && !['section', 'list', 'stringList'].includes(rule.fields[name]!.kind))
        this.problems.error(key, childPath(path, name), 'is required and has no value');
    }
    for (const name of rule.required ?? []) {
      // On the section's key; for a list item or the whole file, on its first key rather than across every line.
      if (!seen.has(name)) this.problems.error(keyNode ?? (node.items[0]?.key as YamlNode | undefined) ?? node, childPath(path, name), 'is required');
    }
    return fields;
  }

  rule(rule: ComparisonRule, node: YamlNode | null, path: string, keyNode: YamlNode | undefined): Checked<unknown> | undefined {
    const at = (node?.range ? node : keyNode) ?? node!;
    const empty = node === null || (isScalar(node) && node.value === null);
    if (rule.kind === 'section') {
      if (rule.shorthand && isScalar(node) && (node.value === false || node.value === null) && rule.shorthand.switchable) return undefined;
      if (rule.shorthand && isScalar(node) && !empty) {
        const inner = this.rule(rule.fields[rule.shorthand.field]!, node, childPath(path, rule.shorthand.field), keyNode);
        return inner ? { value: { [rule.shorthand.field]: inner }, node: at } : undefined;
      }
      if (empty) {
        this.problems.error(at, path, rule.shorthand ? `needs a value: ${rule.shorthand.switchable ? '`false`, ' : ''}\`${rule.shorthand.field}\` or a mapping` : 'needs a mapping of fields');
        return undefined;
      }
      const fields = this.section(rule, node, path, keyNode);
      return fields ? { value: fields, node: at } : undefined;
    }
    if (rule.kind === 'list' || rule.kind === 'stringList') {
      if (empty && rule.kind === 'stringList') return { value: [], node: at };
      if (!isSeq(node)) {
        this.problems.error(at, path, `must be a list${rule.kind === 'list' ? ' of mappings' : ' of strings'}`);
        return undefined;
      }
      const items: Checked<unknown>[] = [];
      node.items.forEach((item, index) => {
        const itemNode = item as YamlNode;
        const checked =
          rule.kind === 'list' ? this.rule(rule.items, itemNode, childPath(path, index), undefined) : this.field({ kind: 'string', description: '' }, itemNode, childPath(path, index), itemNode);
        if (checked) items.push(checked);
      });
      if (rule.kind === 'list' && (node.items.length < rule.minItems || node.items.length > rule.maxItems))
        this.problems.error(at, path, `must have ${rule.minItems} to ${rule.maxItems} entries, has ${node.items.length}`);
      return { value: items, node: at };
    }
    if (empty) return undefined;
    if (!isScalar(node)) {
      this.problems.error(node, path, `must be a single value, got ${isSeq(node) ? 'a list' : 'a mapping'}`);
      return undefined;
    }
    return this.field(rule, node, path, at);
  }

  private field(rule: ComparisonFieldRule, node: YamlNode, path: string, keyNode: YamlNode): Checked<unknown> | undefined {
    const value = isScalar(node) ? node.value : undefined;
    const at = node.range ? node : keyNode;
    const fail = (message: string): undefined => {
      this.problems.error(at, path, message);
      return undefined;
    };
    switch (rule.kind) {
      case 'string':
      case 'model':
      case 'url':
      case 'envName':
        if (typeof value !== 'string' || !value.trim()) return fail(`must be a non-empty string, got ${describe(value)}`);
        if (rule.kind === 'string' && rule.pattern !== undefined && !new RegExp(rule.pattern).test(value))
          return fail(`'${value}' must be 1 to ${rule.maxLength ?? 40} letters, digits, '.', '_' or '-'${/^\.+$/.test(value) ? ', not only dots' : ''}`);
        return { value, node: at };
      case 'enum':
        if (typeof value !== 'string' || !rule.choices.includes(value))
          return fail(`must be one of ${rule.choices.join(', ')}; got ${describe(value)}; did you mean ${suggest(String(value), rule.choices)}?`);
        return { value, node: at };
      case 'integer':
        if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`must be an integer, got ${describe(value)}`);
        if (value < rule.minimum || value > rule.maximum) return fail(`must be between ${rule.minimum} and ${rule.maximum}, got ${value}`);
        return { value, node: at };
      case 'number':
        if (typeof value !== 'number' || !Number.isFinite(value)) return fail(`must be a number, got ${describe(value)}`);
        if ((rule.minimum !== undefined && value < rule.minimum) || (rule.maximum !== undefined && value > rule.maximum))
          return fail(`must be between ${rule.minimum ?? '-∞'} and ${rule.maximum ?? '∞'}, got ${value}`);
        return { value, node: at };
      case 'stringList':
        return fail('must be a list of strings');
    }
  }
}

/** Reads a checked field's value (undefined when it was absent or wrong). */
function get<T>(fields: Fields | undefined, key: string): T | undefined {
  return fields?.[key]?.value as T | undefined;
}

function nodeOf(fields: Fields | undefined, key: string): YamlNode | undefined {
  return fields?.[key]?.node;
}

/** Key-like text in `api_key_env`: a provider's key prefix, or a long mixed string no one names a variable with. */
function looksLikeKey(text: string): boolean {
  if (/^(sk-|sk_|hf_|ghp_|gho_|github_pat_|xox[abp]-|AKIA|AIza|glpat-|pk-|rk-)/.test(text)) return true;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(text)) return text.length >= 16;
  return text.length >= 24 && !text.includes('_') && /[0-9]/.test(text) && /[a-z]/.test(text) && /[A-Z]/.test(text);
}

interface PathContext {
  root: string;
  problems: Problems;
}

/**
 * A path of the comparison file, resolved against the workspace root. A path that leaves the root is an error: a
 * shared comparison file must not read (or write) outside the workspace it was opened in.
 */
function workspacePath(text: string, node: YamlNode, path: string, context: PathContext): string | undefined {
  const resolved = isAbsolute(text) ? resolve(text) : resolve(context.root, text);
  const inside = relative(context.root, resolved);
  if (inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    context.problems.error(node, path, `${text} is outside the workspace (${context.root}); name a path inside it`);
    return undefined;
  }
  return resolved;
}

function workspaceRelative(root: string, absolute: string): string {
  return relative(root, absolute).split(sep).join('/') || '.';
}

function statOf(path: string): ReturnType<typeof statSync> | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

/** An existing file inside the workspace, or an error saying what is missing. */
function existingFile(text: string, node: YamlNode, path: string, what: string, context: PathContext): string | undefined {
  const resolved = workspacePath(text, node, path, context);
  if (resolved === undefined) return undefined;
  const stats = statOf(resolved);
  if (!stats) context.problems.error(node, path, `the ${what} ${resolved} does not exist`);
  else if (stats.isDirectory()) context.problems.error(node, path, `${resolved} is a folder; name the ${what} file`);
  else return resolved;
  return undefined;
}

/** The eval set: a JSONL file, or a job file whose `data.eval` file is reused. */
function evalSetOf(checked: Checked<string>, context: PathContext): string | undefined {
  const path = 'eval_set';
  const file = existingFile(checked.value, checked.node, path, 'eval set', context);
  if (file === undefined) return undefined;
  if (!isJobFilePath(file)) {
    if (!/\.jsonl$/i.test(file)) context.problems.warn(checked.node, path, `${file} is not a .jsonl file; it is read as JSON Lines (one JSON object a line)`);
    return file;
  }
  const job = readJobFile(file);
  if (!job.config) {
    const first = job.problems[0];
    context.problems.error(
      checked.node,
      path,
      `the job file ${file} has problems (${first ? `line ${first.line}: ${first.path ? `${first.path}: ` : ''}${first.message}` : 'unreadable'}); fix it, or name its eval set's .jsonl file`,
    );
    return undefined;
  }
  const evalFile = job.config.data.eval;
  if (evalFile === null) context.problems.error(checked.node, path, `the job file ${file} has no eval set (data.eval is null); name a .jsonl eval set`);
  else if (evalFile === 'auto')
    context.problems.error(
      checked.node,
      path,
      `the job file ${file} splits its eval set off the training data at run time (data.eval: auto), so there is no file to reuse; make one with "Make Eval Set from Dataset…" and name it here (or as the job's data.eval)`,
    );
  else return workspacePath(evalFile, checked.node, path, context);
  return undefined;
}

function checkModelRef(checked: Checked<string> | undefined, path: string, backends: ReadonlySet<string>, problems: Problems): string | undefined {
  if (!checked) return undefined;
  const ref = parseModelRef(checked.value.trim());
  if (!ref) {
    problems.error(checked.node, path, `'${checked.value}' is not a model reference; write <backend>/<model>, e.g. engine/Qwen/Qwen2.5-0.5B-Instruct or <endpoint id>/<model>`);
    return undefined;
  }
  if (!backends.has(ref.backend))
    problems.warn(
      checked.node,
      path,
      `'${ref.backend}' is not an endpoint of this file (${[...backends].join(', ')}); it must be a chat backend registered in the editor, and \`chatwright eval\` cannot reach it — declare it under endpoints:`,
    );
  return checked.value.trim();
}

function checkEndpoints(items: Checked<Fields>[], problems: Problems): EndpointSpec[] {
  const endpoints: EndpointSpec[] = [];
  const seen = new Set<string>();
  items.forEach(({ value: fields }, index) => {
    const at = (key: string): string => `endpoints[${index}].${key}`;
    const id = fields.id as Checked<string> | undefined;
    const url = fields.url as Checked<string> | undefined;
    const keyEnv = fields.api_key_env as Checked<string> | undefined;
    let valid = id !== undefined && url !== undefined;
    if (id && builtinBackendIds.includes(id.value)) {
      problems.error(id.node, at('id'), `'${id.value}' is the built-in engine's id; give the endpoint another`);
      valid = false;
    } else if (id && seen.has(id.value)) {
      problems.error(id.node, at('id'), `'${id.value}' names two endpoints; ids must be unique`);
      valid = false;
    }
    if (id) seen.add(id.value);
    if (url) {
      let parsed: URL | undefined;
      try {
        parsed = new URL(url.value);
      } catch {
        parsed = undefined;
      }
      if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
        problems.error(url.node, at('url'), `'${url.value}' is not an http(s) URL; write e.g. http://127.0.0.1:8766/v1`);
        valid = false;
      } else if (parsed.protocol === 'http:' && !isLoopbackHost(parsed.hostname))
        problems.warn(url.node, at('url'), `plain http to ${parsed.hostname}: the API key and every question travel in clear; use https for a host that is not this machine`);
    }
    if (keyEnv && (looksLikeKey(keyEnv.value) || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(keyEnv.value))) {
      problems.error(
        keyEnv.node,
        at('api_key_env'),
        looksLikeKey(keyEnv.value)
          ? 'this looks like an API key, not the name of an environment variable: put the key in the environment, not in the file (e.g. OPENAI_API_KEY), and remove it from the file'
          : `'${keyEnv.value}' is not an environment variable name (letters, digits and '_', not starting with a digit)`,
      );
      valid = false;
    }
    if (valid) endpoints.push({ id: id!.value, url: url!.value, ...(keyEnv ? { apiKeyEnv: keyEnv.value } : {}) });
  });
  return endpoints;
}

interface StrategyContext extends PathContext {
  backends: ReadonlySet<string>;
  seed: number;
}

function checkStrategy(fields: Fields, index: number, context: StrategyContext): StrategySpec | undefined {
  const { problems } = context;
  const at = (key: string): string => `strategies[${index}].${key}`;
  const model = checkModelRef(fields.model as Checked<string> | undefined, at('model'), context.backends, problems);
  const name = get<string>(fields, 'name');
  let valid = name !== undefined && model !== undefined;
  const relativeFile = (checked: Checked<string> | undefined, path: string, what: string): string | undefined => {
    if (!checked) return undefined;
    const file = existingFile(checked.value, checked.node, path, what, context);
    if (file === undefined) valid = false;
    return file === undefined ? undefined : workspaceRelative(context.root, file);
  };
  const template = relativeFile(fields.template as Checked<string> | undefined, at('template'), 'template');
  if (template !== undefined && !/\.prompty(\.ya?ml)?$/i.test(template))
    problems.warn(nodeOf(fields, 'template'), at('template'), `${template} is not a .prompty file; it is read as a prompty template`);

  let fewShot: StrategySpec['fewShot'];
  const fewShotFields = get<Fields>(fields, 'few_shot');
  if (fewShotFields) {
    const k = get<number>(fewShotFields, 'k');
    const examples = relativeFile(fewShotFields.examples as Checked<string> | undefined, `${at('few_shot')}.examples`, 'examples file');
    if (!fewShotFields.examples && !fields.template) {
      problems.error(nodeOf(fields, 'few_shot'), at('few_shot'), 'has no examples: name an examples file (`examples: data/examples.jsonl`) or a template that has its own');
      valid = false;
    }
    if (k !== undefined)
      fewShot = {
        k,
        selection: get<FewShotSelection>(fewShotFields, 'selection') ?? 'first',
        ...(examples !== undefined ? { examples } : {}),
        seed: get<number>(fewShotFields, 'seed') ?? context.seed,
      };
  }
  const retrievalFields = get<Fields>(fields, 'retrieval');
  const retrievalK = get<number>(retrievalFields, 'k');
  const index_ = get<string>(retrievalFields, 'index');
  const retrieval = retrievalK !== undefined ? { k: retrievalK, ...(index_ !== undefined ? { index: index_ } : {}) } : undefined;

  let fineTuned: StrategySpec['fineTuned'];
  const run = get<Fields>(fields, 'fine_tuned')?.run as Checked<string> | undefined;
  if (run) {
    const path = `${at('fine_tuned')}.run`;
    const folder = workspacePath(run.value, run.node, path, context);
    if (folder === undefined) valid = false;
    else if (!statOf(folder)?.isDirectory()) {
      problems.error(run.node, path, `there is no run folder at ${folder}; name the folder under .chatwright/runs that trained the adapter`);
      valid = false;
    } else {
      if (!existsSync(join(folder, 'run.json'))) problems.warn(run.node, path, `${folder} has no run.json: the report cannot show the training time and GPU hours`);
      fineTuned = { run: workspaceRelative(context.root, folder) };
    }
  }
  if (!valid) return undefined;
  const description = get<string>(fields, 'description');
  const seed = get<number>(fields, 'seed');
  return {
    name: name!,
    ...(description !== undefined ? { description } : {}),
    model: model!,
    ...(template !== undefined ? { template } : {}),
    ...(fewShot ? { fewShot } : {}),
    ...(retrieval ? { retrieval } : {}),
    ...(fineTuned ? { fineTuned } : {}),
    temperature: get<number>(fields, 'temperature') ?? 0,
    maxTokens: get<number>(fields, 'max_tokens') ?? 512,
    ...(seed !== undefined ? { seed } : {}),
  };
}

/**
 * Parses and checks a comparison file. `spec` is present when there are no errors (warnings allowed); every problem
 * is located. Checks what can be checked from the text and the disk (files exist, names unique, endpoints' URLs);
 * never contacts a backend.
 */
export function parseComparison(text: string, file: string, options: ComparisonFileOptions = {}): { spec?: ComparisonSpec; problems: ComparisonProblem[] } {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const problems = new Problems(lines, text.length);
  if (document.errors.length > 0) {
    for (const error of document.errors) {
      const start = problems.position(error.pos[0]);
      problems.list.push({ path: '', range: { start, end: problems.position(Math.max(error.pos[0], error.pos[1])) }, severity: 'error', message: error.message.split('\n')[0]! });
    }
    return { problems: problems.list };
  }
  const rootNode = document.contents as YamlNode | null;
  if (rootNode === null || !isMap(rootNode)) {
    problems.error(rootNode, '', 'a comparison file must be a mapping with at least `eval_set` and `strategies`');
    return { problems: problems.list };
  }
  const fileAbsolute = resolve(file);
  const root = resolve(options.workspaceRoot ?? dirname(fileAbsolute));
  const context: PathContext = { root, problems };
  const top = new Walker(problems).section(comparisonRules, rootNode, '', undefined)!;

  const name = get<string>(top, 'name') ?? comparisonNameOf(fileAbsolute);
  const evalSetChecked = top.eval_set as Checked<string> | undefined;
  const evalSet = evalSetChecked ? evalSetOf(evalSetChecked, context) : undefined;
  const endpoints = checkEndpoints(get<Checked<Fields>[]>(top, 'endpoints') ?? [], problems);
  const backends = new Set([...builtinBackendIds, ...endpoints.map((endpoint) => endpoint.id)]);
  const seed = get<number>(top, 'seed') ?? 0;

  const strategies: StrategySpec[] = [];
  const strategyNames = new Set<string>();
  (get<Checked<Fields>[]>(top, 'strategies') ?? []).forEach(({ value: fields }, index) => {
    const strategyName = fields.name as Checked<string> | undefined;
    if (strategyName && strategyNames.has(strategyName.value)) problems.error(strategyName.node, `strategies[${index}].name`, `'${strategyName.value}' names two strategies; names must be unique`);
    if (strategyName) strategyNames.add(strategyName.value);
    const strategy = checkStrategy(fields, index, { ...context, backends, seed });
    if (strategy) strategies.push(strategy);
  });

  const embeddingModel = checkModelRef(top.embedding_model as Checked<string> | undefined, 'embedding_model', backends, problems);
  const judgeFields = get<Fields>(top, 'judge');
  let judge: ComparisonSpec['judge'];
  if (judgeFields) {
    const judgeModel = checkModelRef(judgeFields.model as Checked<string> | undefined, 'judge.model', backends, problems);
    const maxScore = get<number>(judgeFields, 'max_score') ?? 5;
    const passScore = get<number>(judgeFields, 'pass_score') ?? Math.min(4, maxScore);
    if (passScore > maxScore) problems.error(nodeOf(judgeFields, 'pass_score') ?? nodeOf(judgeFields, 'max_score'), 'judge.pass_score', `must be at most max_score (${maxScore}), got ${passScore}`);
    if (judgeModel !== undefined) judge = { model: judgeModel, rubric: get<string>(judgeFields, 'rubric') ?? defaultJudgeRubric, maxScore, passScore };
  }
  const thresholdFields = get<Fields>(top, 'threshold');
  let threshold: ComparisonSpec['threshold'];
  if (thresholdFields) {
    const thresholdStrategy = thresholdFields.strategy as Checked<string> | undefined;
    if (thresholdStrategy && !strategyNames.has(thresholdStrategy.value))
      problems.error(
        thresholdStrategy.node,
        'threshold.strategy',
        `'${thresholdStrategy.value}' is not a strategy of this comparison; did you mean ${suggest(thresholdStrategy.value, [...strategyNames])}?`,
      );
    const metric = get<MetricId>(thresholdFields, 'metric');
    const min = get<number>(thresholdFields, 'min');
    if (metric !== undefined && min !== undefined) threshold = { metric, min, ...(thresholdStrategy ? { strategy: thresholdStrategy.value } : {}) };
  }
  const trainingData: string[] = [];
  for (const [index, item] of (get<Checked<string>[]>(top, 'training_data') ?? []).entries()) {
    const found = existingFile(item.value, item.node, `training_data[${index}]`, 'training data file', context);
    if (found !== undefined) trainingData.push(found);
  }
  const documents: string[] = [];
  for (const [index, item] of (get<Checked<string>[]>(top, 'documents') ?? []).entries()) {
    if (isAbsolute(item.value) || item.value.split(/[\\/]/).includes('..'))
      problems.error(item.node, `documents[${index}]`, `${item.value} must be a glob inside the workspace (no leading '/', no '..')`);
    else documents.push(item.value);
  }
  const outputChecked = top.output as Checked<string> | undefined;
  const outputDir = outputChecked ? workspacePath(outputChecked.value, outputChecked.node, 'output', context) : join(root, '.chatwright', 'evals', name);
  if (outputDir !== undefined && outputDir === root) problems.error(outputChecked?.node, 'output', 'must be a folder below the workspace root, not the root itself');

  const primaryMetric = get<MetricId>(top, 'primary_metric') ?? (judge ? 'judge_score' : embeddingModel !== undefined ? 'embedding_similarity' : 'token_f1');
  // A metric the comparison cannot compute would make the recommendation (or the CI check) decide on nothing.
  const unavailable = (metric: MetricId): string | undefined =>
    (metric === 'judge_score' || metric === 'judge_pass') && !judgeFields
      ? `${metric} needs a judge: add a judge: section or choose another metric`
      : metric === 'embedding_similarity' && !top.embedding_model
        ? 'embedding_similarity needs an embedding_model: add one or choose another metric'
        : undefined;
  for (const [fields, key, path] of [
    [top, 'primary_metric', 'primary_metric'],
    [thresholdFields, 'metric', 'threshold.metric'],
  ] as const) {
    const metric = get<MetricId>(fields, key);
    const reason = metric !== undefined ? unavailable(metric) : undefined;
    if (reason !== undefined) problems.error(nodeOf(fields, key), path, reason);
  }

  if (problems.list.some((problem) => problem.severity === 'error') || evalSet === undefined || outputDir === undefined) return { problems: problems.list };
  const description = get<string>(top, 'description');
  const spec: ComparisonSpec = {
    file: fileAbsolute,
    root,
    name,
    ...(description !== undefined ? { description } : {}),
    evalSet,
    strategies,
    endpoints,
    concurrency: get<number>(top, 'concurrency') ?? 4,
    primaryMetric,
    ...(embeddingModel !== undefined ? { embeddingModel } : {}),
    ...(judge ? { judge } : {}),
    ...(threshold ? { threshold } : {}),
    trainingData,
    documents,
    outputDir,
    seed,
    bootstrapSamples: get<number>(top, 'bootstrap_samples') ?? 2000,
  };
  return { spec, problems: problems.list };
}
