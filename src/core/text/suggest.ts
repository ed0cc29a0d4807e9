import { editDistance } from './editDistance';

/** "`x`, `y`, `z`": the three candidates closest to `word` by edit distance, for "did you mean" messages. */
export function suggest(word: string, candidates: readonly string[]): string {
  const ranked = [...candidates].sort((a, b) => editDistance(word, a) - editDistance(word, b)).slice(0, 3);
  return ranked.map((name) => `\`${name}\``).join(', ');
}
