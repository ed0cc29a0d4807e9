/**
 * How the extension and the CLI start the Python GPU server (`python -m chatwright_serve`, python/README.md
 * "Serving"): which finished fine-tuning runs can be served as adapters, and the command line for a model and its
 * adapters. The API key travels in the environment (`CHATWRIGHT_SERVE_API_KEY`), never on the command line, which
 * other users of the machine can read.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { readBoundedTextSync } from '../files/boundedRead';
import { isRunProcessAlive, listRunFolders, readRunRecord, runConfigFile } from '../jobs/runFolder';
import { defaultServePorts, serveApiKeyVariable } from './servedModels';

/** A run's `adapter/` folder that the GPU server can serve as a model id of its own. */
export interface ServableAdapter {
  /** The model id it is served under: the run's name, or the run folder's name when a newer run has that name. */
  id: string;
  /** The `adapter/` folder (absolute). */
  path: string;
  runDir: string;
  /** `base_model_name_or_path` from adapter_config.json: the model it must run on. */
  baseModel?: string;
  /** LoRA rank (`r`); vLLM's `--max-lora-rank` must hold it. */
  rank?: number;
  /** PEFT's `peft_type`, upper case (`LORA`, `PROMPT_TUNING` …). vLLM serves only `LORA`. */
  peftType: string;
  /** How it was trained: the run's `method.type` (lora, qlora, prompt_tuning), or `dora` for a LoRA with use_dora. */
  method: string;
}

export type GpuServerEngine = 'auto' | 'transformers' | 'vllm' | 'standin';

export interface GpuServerCommandOptions {
  /** The interpreter (the one the fine-tuning jobs run with). */
  python: string;
  /** The repository's `python/` folder, which holds `chatwright_serve` and `chatwright_train`. */
  pythonPath: string;
  /** A Hugging Face model id or folder. */
  model: string;
  adapters?: readonly Pick<ServableAdapter, 'id' | 'path'>[];
  /** The folders `POST /v1/adapters/load` may load from (`--adapter-root`, the workspace's runs folder); without any, the server takes the folders holding `adapters`. */
  adapterRoots?: readonly string[];
  host?: string;
  /** 0 picks a free port (the server's ready line and `serving` event say which). Default 8766. */
  port?: number;
  engine?: GpuServerEngine;
  /** The run folder the server writes its events.jsonl into. */
  runDir?: string;
  maxBatch?: number;
  /** Put in the child's environment only. */
  apiKey?: string;
  /** The environment the child inherits, for PYTHONPATH (default: this process's). */
  baseEnv?: NodeJS.ProcessEnv;
}

export interface GpuServerCommand {
  command: string;
  args: string[];
  /** Variables to set in the child's environment; an undefined one is taken out of what it inherits. */
  env: Record<string, string | undefined>;
}

/** The adapter ids the Python server accepts (python/chatwright_serve/adapters.py). */
const adapterIdPattern = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const adapterFolder = 'adapter';
const adapterConfigFile = 'adapter_config.json';
const adapterWeightFiles = ['adapter_model.safetensors', 'adapter_model.bin'];
/** adapter_config.json is a few hundred bytes; run config.json a few kilobytes. */
const adapterConfigMaxBytes = 1 << 20;

/**
 * The workspace's finished runs whose `adapter/` folder holds a readable PEFT config and weights, newest first. A run
 * whose trainer still runs, a serving run, and an unreadable or malformed adapter_config.json are skipped.
 */
export function findServableAdapters(workspaceRoot: string): ServableAdapter[] {
  const adapters: ServableAdapter[] = [];
  const taken = new Set<string>();
  for (const runDir of listRunFolders(workspaceRoot)) {
    const record = readRunRecord(runDir);
    if (!record || record.kind === 'serve' || isRunProcessAlive(record)) continue;
    const adapter = readAdapter(runDir);
    if (!adapter) continue;
    const runFolderName = runDir.split(/[\\/]/).pop() ?? record.name;
    const byName = adapterId(record.name);
    const id = byName !== undefined && !taken.has(byName) ? byName : adapterId(runFolderName);
    if (id === undefined || taken.has(id)) continue;
    taken.add(id);
    adapters.push({ id, runDir, ...adapter });
  }
  return adapters;
}

/** Those of `adapters` trained on `model` (the same id or folder); the GPU server refuses an adapter naming no base model. */
export function adaptersForModel(adapters: readonly ServableAdapter[], model: string): ServableAdapter[] {
  const trim = (text: string) => text.replace(/[\\/]+$/, '');
  return adapters.filter((adapter) => adapter.baseModel !== undefined && trim(adapter.baseModel) === trim(model));
}

/** `python -m chatwright_serve --model … [--adapter id=path]… [--adapter-root folder]… --host … --port … --engine … [--run-dir …] [--max-batch N]`. */
export function gpuServerCommand(options: GpuServerCommandOptions): GpuServerCommand {
  if (options.model.trim() === '') throw new RangeError('The model to serve is empty: give a Hugging Face model id or folder.');
  const port = options.port ?? defaultServePorts.gpu;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`The port must be an integer from 0 to 65535, not ${port}.`);
  if (options.maxBatch !== undefined && (!Number.isInteger(options.maxBatch) || options.maxBatch < 1)) {
    throw new RangeError(`The batch size must be a whole number of at least 1, not ${options.maxBatch}.`);
  }
  const args = ['-m', 'chatwright_serve', '--model', options.model];
  for (const adapter of options.adapters ?? []) {
    if (!adapterIdPattern.test(adapter.id)) throw new RangeError(`The adapter id '${adapter.id}' must be 1-128 letters, digits or . _ : / -, starting with a letter or digit.`);
    args.push('--adapter', `${adapter.id}=${adapter.path}`);
  }
  for (const root of options.adapterRoots ?? []) args.push('--adapter-root', root);
  args.push('--host', options.host ?? '127.0.0.1', '--port', String(port), '--engine', options.engine ?? 'auto');
  if (options.runDir !== undefined) args.push('--run-dir', options.runDir);
  if (options.maxBatch !== undefined) args.push('--max-batch', String(options.maxBatch));
  const inherited = (options.baseEnv ?? process.env)['PYTHONPATH'];
  const env: Record<string, string | undefined> = {
    PYTHONPATH: inherited ? `${options.pythonPath}${delimiter}${inherited}` : options.pythonPath,
    PYTHONUNBUFFERED: '1',
    // Set even without a key: one in the editor's own environment must not make the server ask for a key no client has.
    [serveApiKeyVariable]: options.apiKey || undefined,
  };
  return { command: options.python, args, env };
}

/** A run name as an adapter id: characters the server refuses become '-'; undefined when nothing usable is left. */
function adapterId(name: string): string | undefined {
  const id = name
    .replace(/[^A-Za-z0-9._:/-]+/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
  return adapterIdPattern.test(id) ? id : undefined;
}

function readAdapter(runDir: string): Omit<ServableAdapter, 'id' | 'runDir'> | undefined {
  const path = join(runDir, adapterFolder);
  try {
    if (!statSync(path).isDirectory()) return undefined;
    const files = new Set(readdirSync(path));
    if (!adapterWeightFiles.some((file) => files.has(file))) return undefined;
  } catch {
    return undefined;
  }
  const config = readJsonObject(join(path, adapterConfigFile));
  if (!config) return undefined;
  const peftType = config['peft_type'];
  if (typeof peftType !== 'string' || peftType === '') return undefined;
  const rank = config['r'];
  const baseModel = config['base_model_name_or_path'];
  const runMethod = readRunMethod(runDir);
  const method = config['use_dora'] === true ? 'dora' : (runMethod ?? peftType.toLowerCase());
  return {
    path,
    peftType: peftType.toUpperCase(),
    method,
    ...(typeof baseModel === 'string' && baseModel !== '' ? { baseModel } : {}),
    ...(typeof rank === 'number' && Number.isInteger(rank) && rank > 0 ? { rank } : {}),
  };
}

/** The run's `method.type` from its resolved config.json, when readable. */
function readRunMethod(runDir: string): string | undefined {
  const file = join(runDir, runConfigFile);
  if (!existsSync(file)) return undefined;
  const method = readJsonObject(file)?.['method'];
  const type = typeof method === 'object' && method !== null ? (method as Record<string, unknown>)['type'] : undefined;
  return typeof type === 'string' ? type : undefined;
}

function readJsonObject(file: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(readBoundedTextSync(file, { kind: 'modelConfig', maxBytes: adapterConfigMaxBytes }));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
