import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { type InferenceEngineSettings } from '../../core/inference/inferenceEngine';
import { type ModelDtype } from '../../core/inference/modelFolder';
import { UsageError } from '../io';

/** Options every inference command takes, for parseArgs. */
export const engineArgOptions = {
  model: { type: 'string', short: 'm' },
  dtype: { type: 'string', default: 'auto' },
  provider: { type: 'string', default: 'cpu' },
  threads: { type: 'string', default: '0' },
} as const;

export const engineUsage = `  --model, -m <id|path>  a Hub id (resolved in the Hugging Face cache) or a model folder (required)
  --dtype <d>            which weights: auto (fp32 if present), fp32, fp16, q8, int8, uint8, q4
  --provider <p>         cpu (default), cuda, or auto (CUDA when installed, else CPU; the one used is reported)
  --threads <n>          threads for the model (default: one per core)`;

const dtypes: ModelDtype[] = ['auto', 'fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'];

export function engineSettings(values: { provider?: string; threads?: string }): InferenceEngineSettings {
  const provider = values.provider ?? 'cpu';
  if (provider !== 'cpu' && provider !== 'cuda' && provider !== 'auto') throw new UsageError(`--provider must be cpu, cuda or auto, not '${provider}'`);
  return { executionProvider: provider, threads: integer('--threads', values.threads ?? '0', 0), idleUnloadMs: 0 };
}

/** The model argument: a folder (relative to the working directory) or a Hub id left for the cache lookup. */
export function modelArgs(values: { model?: string; dtype?: string }, cwd: string): { model: string; dtype: ModelDtype } {
  if (!values.model) throw new UsageError('--model is required (a Hub id or a model folder)');
  const folder = resolve(cwd, values.model);
  const dtype = (values.dtype ?? 'auto') as ModelDtype;
  if (!dtypes.includes(dtype)) throw new UsageError(`--dtype must be one of ${dtypes.join(', ')}, not '${values.dtype}'`);
  return { model: existsSync(folder) ? folder : values.model, dtype };
}

export function integer(flag: string, text: string, min: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min) throw new UsageError(`${flag} must be an integer of at least ${min}, not '${text}'`);
  return value;
}

export function decimal(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new UsageError(`${flag} must be a number, not '${text}'`);
  return value;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}
