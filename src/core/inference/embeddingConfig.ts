import { isAbsolute, join, normalize as normalizePath, sep } from 'node:path';
import { isMissingFileError, readBoundedTextSync } from '../files/boundedRead';
import { type EmbeddingRole } from './embedding';
import { ModelError, type ModelFolder } from './modelFolder';

export type Pooling = 'mean' | 'cls' | 'last' | 'max';

/** How a feature-extraction model turns token vectors into one vector per text, and what it prepends to texts. */
export interface EmbeddingRecipe {
  pooling: Pooling;
  normalize: boolean;
  prefixes: Record<EmbeddingRole, string>;
}

/** An optional sentence-transformers file: undefined when absent or not JSON; a ModelError when it is not a safe file. */
function readJsonIfPresent(file: string): unknown {
  let text: string;
  try {
    text = readBoundedTextSync(file, { kind: 'modelConfig' });
  } catch (error) {
    if (isMissingFileError(error)) return undefined;
    throw new ModelError(error instanceof Error ? error.message : String(error), file);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** modules.json names its modules' folders; one that leaves the model folder (`../..`, `/etc`) is refused. */
function moduleFolder(model: ModelFolder, path: unknown): string {
  if (path === undefined) return '1_Pooling';
  const relativePath = typeof path === 'string' ? normalizePath(path) : '';
  if (relativePath === '' || isAbsolute(relativePath) || relativePath === '..' || relativePath.startsWith(`..${sep}`)) {
    throw new ModelError(`${join(model.dir, 'modules.json')}: the module path ${JSON.stringify(path)} is not a folder inside the model folder.`, join(model.dir, 'modules.json'));
  }
  return relativePath;
}

/**
 * Prefixes the model families were trained with, for models whose folder does not declare them
 * (config_sentence_transformers.json `prompts`). Matched against the model's id or folder name.
 */
const familyPrefixes: { pattern: RegExp; prefixes: Record<EmbeddingRole, string> }[] = [
  { pattern: /(^|[/_-])e5[-_]|multilingual-e5/i, prefixes: { query: 'query: ', document: 'passage: ' } },
  { pattern: /nomic-embed/i, prefixes: { query: 'search_query: ', document: 'search_document: ' } },
  { pattern: /bge-(small|base|large)-(en|zh)(-v1\.5)?|mxbai-embed-large|snowflake-arctic-embed/i, prefixes: { query: 'Represent this sentence for searching relevant passages: ', document: '' } },
];

/** Reads pooling and normalisation from the sentence-transformers files (modules.json, 1_Pooling/config.json). */
export function embeddingRecipe(model: ModelFolder): EmbeddingRecipe {
  const name = `${model.id} ${model.dir}`;
  const modules = readJsonIfPresent(join(model.dir, 'modules.json'));
  let pooling: Pooling | undefined;
  let normalize = true;
  if (Array.isArray(modules)) {
    const entries = (modules as unknown[]).filter((entry): entry is { type?: unknown; path?: unknown } => typeof entry === 'object' && entry !== null);
    const typeEndsWith = (entry: { type?: unknown }, suffix: string): boolean => typeof entry.type === 'string' && entry.type.endsWith(suffix);
    normalize = entries.some((entry) => typeEndsWith(entry, '.Normalize'));
    const poolingModule = entries.find((entry) => typeEndsWith(entry, '.Pooling'));
    const poolingConfig = readJsonIfPresent(join(model.dir, moduleFolder(model, poolingModule?.path), 'config.json')) as Record<string, unknown> | null | undefined;
    if (poolingConfig && typeof poolingConfig === 'object') {
      if (poolingConfig.pooling_mode_cls_token) pooling = 'cls';
      else if (poolingConfig.pooling_mode_lasttoken) pooling = 'last';
      else if (poolingConfig.pooling_mode_max_tokens) pooling = 'max';
      else if (poolingConfig.pooling_mode_mean_tokens || poolingConfig.pooling_mode_mean_sqrt_len_tokens) pooling = 'mean';
    }
  }
  if (!pooling) {
    const modelType = typeof model.config.model_type === 'string' ? model.config.model_type : '';
    const decoderOnly = /llama|qwen|mistral|gemma|phi/i.test(modelType);
    pooling = /bge-|gte-(base|large)-en-v1\.5|arctic-embed/i.test(name) ? 'cls' : decoderOnly ? 'last' : 'mean';
  }
  const declared = (readJsonIfPresent(join(model.dir, 'config_sentence_transformers.json')) as { prompts?: Record<string, string> } | undefined)?.prompts;
  let prefixes: Record<EmbeddingRole, string> = { query: '', document: '' };
  if (declared && (declared.query !== undefined || declared.document !== undefined || declared.passage !== undefined)) {
    prefixes = { query: declared.query ?? '', document: declared.document ?? declared.passage ?? '' };
  } else {
    prefixes = familyPrefixes.find((family) => family.pattern.test(name))?.prefixes ?? prefixes;
  }
  return { pooling, normalize, prefixes };
}

/** Pools one row of token vectors [tokens, dim] under its attention mask. */
export function poolTokens(hidden: Float32Array, offset: number, validTokens: number, dim: number, pooling: Pooling): Float32Array {
  const out = new Float32Array(dim);
  if (validTokens === 0) return out;
  switch (pooling) {
    case 'cls':
      out.set(hidden.subarray(offset, offset + dim));
      return out;
    case 'last':
      out.set(hidden.subarray(offset + (validTokens - 1) * dim, offset + validTokens * dim));
      return out;
    case 'max':
      out.fill(-Infinity);
      for (let t = 0; t < validTokens; t++) {
        const base = offset + t * dim;
        for (let d = 0; d < dim; d++) out[d] = Math.max(out[d]!, hidden[base + d]!);
      }
      return out;
    case 'mean':
      for (let t = 0; t < validTokens; t++) {
        const base = offset + t * dim;
        for (let d = 0; d < dim; d++) out[d]! += hidden[base + d]!;
      }
      for (let d = 0; d < dim; d++) out[d]! /= validTokens;
      return out;
  }
}

export function l2Normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i]! /= norm;
  return vector;
}
