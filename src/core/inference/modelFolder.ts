import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isMissingFileError, readBoundedTextSync, type FileKind } from '../files/boundedRead';
import { resolveLocalModel } from '../hub/cacheLocation';
import { readChatTemplate, type ModelChatTemplate } from '../templates/chatTemplate';

/** Which ONNX weights to load. `auto` takes fp32 when present, else the first quantized variant found. */
export type ModelDtype = 'auto' | 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';

/** File-name suffixes of the transformers.js layout: onnx/model{suffix}.onnx. */
const dtypeSuffix: Record<Exclude<ModelDtype, 'auto'>, string> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
};
const autoOrder: Exclude<ModelDtype, 'auto'>[] = ['fp32', 'q8', 'int8', 'uint8', 'fp16', 'q4', 'q4f16', 'bnb4'];

export class ModelError extends Error {
  constructor(
    message: string,
    /** The file the problem is in, when there is one. */
    readonly file?: string,
  ) {
    super(message);
    this.name = 'ModelError';
  }
}

/** A model folder in the Hugging Face ONNX layout, with its JSON files read and checked. */
export interface ModelFolder {
  /** What the user named: a Hub id (optionally @revision) or a folder. */
  readonly id: string;
  readonly dir: string;
  /** id plus the snapshot folder, so caches and indexes can tell revisions apart. */
  readonly modelKey: string;
  readonly config: Record<string, unknown>;
  readonly tokenizerJson: object;
  readonly tokenizerConfig: Record<string, unknown>;
  readonly generationConfig: Record<string, unknown>;
  /** The chat template, read as the prompt preview reads it; absent for base models. */
  readonly chatTemplate?: ModelChatTemplate;
  /** The ONNX files present, by dtype. */
  readonly onnxFiles: Partial<Record<Exclude<ModelDtype, 'auto'>, string>>;
}

/** A file of the model folder as text: undefined when absent, a ModelError naming it when it is not a safe file. */
export function readModelText(file: string, kind: FileKind): string | undefined {
  try {
    return readBoundedTextSync(file, { kind });
  } catch (error) {
    if (isMissingFileError(error)) return undefined;
    throw new ModelError(error instanceof Error ? error.message : String(error), file);
  }
}

/**
 * A JSON object file of the model folder: undefined when absent and optional; a ModelError naming it when it is
 * missing but required (`missing` says what the folder needs), not a safe file, or not a JSON object.
 */
export function readModelJson(file: string, kind: FileKind, required: boolean, missing = 'a model folder needs config.json, tokenizer.json and onnx/model*.onnx'): Record<string, unknown> | undefined {
  const text = readModelText(file, kind);
  if (text === undefined) {
    if (required) throw new ModelError(`${basename(file)} is missing: ${missing}`, file);
    return undefined;
  }
  try {
    const value = JSON.parse(text) as unknown;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('expected a JSON object');
    return value as Record<string, unknown>;
  } catch (error) {
    throw new ModelError(`${file}: not valid JSON (${error instanceof Error ? error.message : String(error)})`, file);
  }
}

/**
 * Opens a model named by folder path or Hub id (resolved in the Hugging Face cache). Throws a ModelError that says
 * what is missing and where.
 */
export function openModelFolder(idOrPath: string, env: NodeJS.ProcessEnv = process.env): ModelFolder {
  const dir = resolveLocalModel(idOrPath, env);
  if (!dir) {
    throw new ModelError(`model '${idOrPath}' not found: it is neither a folder nor a model downloaded into the Hugging Face cache. Download it first (Chatwright: Models) or give a folder path.`);
  }
  const onnxDir = join(dir, 'onnx');
  const onnxFiles: ModelFolder['onnxFiles'] = {};
  const candidates = existsSync(onnxDir) ? readdirSync(onnxDir) : [];
  for (const [dtype, suffix] of Object.entries(dtypeSuffix) as [Exclude<ModelDtype, 'auto'>, string][]) {
    const name = `model${suffix}.onnx`;
    if (candidates.includes(name)) onnxFiles[dtype] = join(onnxDir, name);
  }
  if (Object.keys(onnxFiles).length === 0 && existsSync(join(dir, 'model.onnx'))) onnxFiles.fp32 = join(dir, 'model.onnx');
  if (Object.keys(onnxFiles).length === 0) {
    throw new ModelError(`${dir} has no ONNX weights (expected onnx/model.onnx or onnx/model_quantized.onnx). Pick a model exported for ONNX Runtime, e.g. from onnx-community or Xenova.`, onnxDir);
  }
  const config = readModelJson(join(dir, 'config.json'), 'modelConfig', true)!;
  const tokenizerJson = readModelJson(join(dir, 'tokenizer.json'), 'tokenizer', true)!;
  const tokenizerConfig = readModelJson(join(dir, 'tokenizer_config.json'), 'tokenizerConfig', false) ?? {};
  const { template: chatTemplate, problems } = readChatTemplate(dir, tokenizerConfig);
  // The engine refuses a template file it cannot read rather than run with another template than the model's.
  if (problems[0]) throw new ModelError(problems[0].message, problems[0].file);
  const generationConfig = readModelJson(join(dir, 'generation_config.json'), 'modelConfig', false) ?? {};
  return {
    id: idOrPath,
    dir,
    modelKey: idOrPath === dir ? dir : `${idOrPath} (${basename(dir)})`,
    config,
    tokenizerJson,
    tokenizerConfig,
    generationConfig,
    ...(chatTemplate ? { chatTemplate } : {}),
    onnxFiles,
  };
}

/** The ONNX file for a dtype, or a clear error listing what the folder has. */
export function selectOnnxFile(model: ModelFolder, dtype: ModelDtype = 'auto'): { file: string; dtype: Exclude<ModelDtype, 'auto'> } {
  if (dtype === 'auto') {
    const found = autoOrder.find((candidate) => model.onnxFiles[candidate]);
    return { file: model.onnxFiles[found!]!, dtype: found! };
  }
  const file = model.onnxFiles[dtype];
  if (!file) throw new ModelError(`${model.id} has no ${dtype} weights (onnx/model${dtypeSuffix[dtype]}.onnx); it has: ${Object.keys(model.onnxFiles).join(', ')}`, join(model.dir, 'onnx'));
  return { file, dtype };
}

/** Bytes of an ONNX file plus its external data files (model.onnx_data, model.onnx_data_1, …). */
export function onnxWeightBytes(file: string): number {
  let total = statSync(file).size;
  const dir = join(file, '..');
  for (const entry of readdirSync(dir)) {
    if (entry.startsWith(`${basename(file)}_data`)) total += statSync(join(dir, entry)).size;
  }
  return total;
}

export function configNumber(config: Record<string, unknown>, ...keys: string[]): number | undefined {
  // Real configs nest text_config once (vision-language models); a config.json nesting it thousands of times must
  // not overflow the stack.
  let level: Record<string, unknown> | undefined = config;
  for (let depth = 0; level && depth < 4; depth++) {
    for (const key of keys) {
      const value = level[key];
      if (typeof value === 'number' && Number.isFinite(value)) return value;
    }
    const textConfig: unknown = level.text_config;
    level = typeof textConfig === 'object' && textConfig !== null ? (textConfig as Record<string, unknown>) : undefined;
  }
  return undefined;
}
