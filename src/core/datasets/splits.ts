import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const splitWords = ['train', 'training', 'valid', 'validation', 'val', 'eval', 'evaluation', 'dev', 'test'];
const splitPattern = new RegExp(`(^|[._-])(${splitWords.join('|')})(?=[._-]|$)`, 'i');

/**
 * The other splits of the dataset a file belongs to, found beside it by name: `train.jsonl` ↔ `valid.jsonl`,
 * `chat_train.jsonl` ↔ `chat_test.jsonl`, and so on. Only files that exist are returned.
 */
export function findSiblingSplits(path: string): string[] {
  const name = basename(path);
  const match = splitPattern.exec(name);
  if (!match) return [];
  const found: string[] = [];
  const at = match.index + match[1]!.length;
  const word = match[2]!;
  for (const other of splitWords) {
    if (other === word.toLowerCase()) continue;
    const candidate = join(dirname(path), name.slice(0, at) + other + name.slice(at + word.length));
    if (existsSync(candidate)) found.push(candidate);
  }
  return found;
}
