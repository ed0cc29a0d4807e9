import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { generateDecoderModel, generateEncoderModel, type DecoderOptions, type EncoderOptions } from '../../support/modelGenerator/index';

/** A scratch folder removed when the test file finishes. */
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `chatwright-${prefix}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

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

export { cosine } from '../../../src/core/rag/fusion';
