import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDecoderModel, generateEncoderModel, miniLmL6Shape, qwen25HalfBShape } from '../../test/support/modelGenerator/index';

export interface BenchModel {
  dir: string;
  parameters: number;
  macsPerToken: number;
}

type Log = (line: string) => void;

/** Generates a model once under `root`; later runs reuse it. */
function ensureModel(root: string, name: string, log: Log, make: (dir: string) => { parameters: number; macsPerToken: number }): BenchModel {
  const dir = join(root, name);
  const marker = join(dir, '.complete.json');
  if (existsSync(marker)) return { dir, ...(JSON.parse(readFileSync(marker, 'utf8')) as { parameters: number; macsPerToken: number }) };
  const started = Date.now();
  const { parameters, macsPerToken } = make(dir);
  writeFileSync(marker, JSON.stringify({ parameters, macsPerToken }));
  log(`generated ${name} (${(parameters / 1e6).toFixed(1)}M parameters) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { dir, parameters, macsPerToken };
}

/** The real-size models the benchmark runs. */
export function ensureBenchModels(root: string, log: Log): { miniLm: BenchModel; qwen: BenchModel } {
  return {
    miniLm: ensureModel(root, 'all-MiniLM-L6-v2-shaped', log, (dir) => generateEncoderModel(dir, { ...miniLmL6Shape, formats: ['fp32', 'q8'] })),
    qwen: ensureModel(root, 'Qwen2.5-0.5B-shaped', log, (dir) => generateDecoderModel(dir, { ...qwen25HalfBShape, formats: ['q8'], maxPositions: 4096 })),
  };
}

/** The same weights as the Qwen2.5-0.5B-shaped model, in onnxruntime-genai's fused operators. */
export function ensureFusedQwenModel(root: string, log: Log): BenchModel {
  return ensureModel(root, 'Qwen2.5-0.5B-shaped-fused', log, (dir) => generateDecoderModel(dir, { ...qwen25HalfBShape, formats: ['q8'], maxPositions: 4096, graphStyle: 'fused' }));
}
