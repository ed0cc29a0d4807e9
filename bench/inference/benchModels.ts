import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateDecoderModel, generateEncoderModel, miniLmL6Shape, qwen25HalfBShape } from '../../test/support/modelGenerator/index';

export interface BenchModel {
  dir: string;
  parameters: number;
  macsPerToken: number;
}

/** Generates (once; reused from `root` afterwards) the real-size models the benchmark runs. */
export function ensureBenchModels(root: string, log: (line: string) => void): { miniLm: BenchModel; qwen: BenchModel } {
  const build = (name: string, make: (dir: string) => { parameters: number; macsPerToken: number }): BenchModel => {
    const dir = join(root, name);
    const marker = join(dir, '.complete.json');
    if (existsSync(marker)) return { dir, ...(JSON.parse(readFileSync(marker, 'utf8')) as { parameters: number; macsPerToken: number }) };
    const started = Date.now();
    const { parameters, macsPerToken } = make(dir);
    writeFileSync(marker, JSON.stringify({ parameters, macsPerToken }));
    log(`generated ${name} (${(parameters / 1e6).toFixed(1)}M parameters) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { dir, parameters, macsPerToken };
  };
  return {
    miniLm: build('all-MiniLM-L6-v2-shaped', (dir) => generateEncoderModel(dir, { ...miniLmL6Shape, formats: ['fp32', 'q8'] })),
    qwen: build('Qwen2.5-0.5B-shaped', (dir) => generateDecoderModel(dir, { ...qwen25HalfBShape, formats: ['q8'], maxPositions: 4096 })),
  };
}
