import { join } from 'node:path';
import { generateDecoderModel, generateEncoderModel, type DecoderOptions, type EncoderOptions } from './modelGenerator/index';
import { scratchDir } from './scratchDir';

export function encoderModel(options: EncoderOptions = {}): string {
  const dir = join(scratchDir('encoder'), 'tiny-bert');
  generateEncoderModel(dir, options);
  return dir;
}

export function decoderModel(options: DecoderOptions = {}): { dir: string; scriptTokens?: number[] } {
  const dir = join(scratchDir('decoder'), 'tiny-qwen2');
  const generated = generateDecoderModel(dir, options);
  return generated.scriptTokens ? { dir, scriptTokens: generated.scriptTokens } : { dir };
}

export { cosine } from '../../src/core/text/cosine';
