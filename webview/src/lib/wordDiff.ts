/**
 * A word-level diff of an answer against its reference, for highlighting: the longest common subsequence of words
 * (compared case-insensitively, punctuation kept with its word), with runs of the same kind merged. Bounded: past
 * `maxCells` words × words (a 100 KB answer against a long reference) it diffs only after trimming the common prefix
 * and suffix, and past that marks the differing middle wholesale, so a hostile answer never stalls the page.
 * (The `diff` package would do the same job; a small LCS keeps the bundle lean and the bound explicit.)
 */
export interface DiffPart {
  kind: 'same' | 'added' | 'removed';
  /** The words of the run, with the whitespace that followed each, as in the text they came from. */
  text: string;
}

const maxCells = 4_000_000;

/** Words with their trailing whitespace, so joining them gives back the text. */
export function splitWords(text: string): string[] {
  return text.match(/\S+\s*|\s+/g) ?? [];
}

function key(word: string): string {
  return word.trim().toLowerCase();
}

function push(parts: DiffPart[], kind: DiffPart['kind'], text: string): void {
  const last = parts[parts.length - 1];
  if (last && last.kind === kind) last.text += text;
  else if (text.length > 0) parts.push({ kind, text });
}

/** The diff of `answer` against `reference`: `same` and `added` parts spell the answer, `same` and `removed` the reference. */
export function diffWords(reference: string, answer: string): DiffPart[] {
  const from = splitWords(reference);
  const to = splitWords(answer);
  const parts: DiffPart[] = [];
  let start = 0;
  while (start < from.length && start < to.length && key(from[start]!) === key(to[start]!)) start++;
  let endFrom = from.length;
  let endTo = to.length;
  while (endFrom > start && endTo > start && key(from[endFrom - 1]!) === key(to[endTo - 1]!)) {
    endFrom--;
    endTo--;
  }
  push(parts, 'same', to.slice(0, start).join(''));
  const middleFrom = from.slice(start, endFrom);
  const middleTo = to.slice(start, endTo);
  if (middleFrom.length * middleTo.length > maxCells) {
    push(parts, 'removed', middleFrom.join(''));
    push(parts, 'added', middleTo.join(''));
  } else lcsDiff(middleFrom, middleTo, parts);
  push(parts, 'same', to.slice(endTo).join(''));
  return parts;
}

function lcsDiff(from: string[], to: string[], parts: DiffPart[]): void {
  const rows = from.length;
  const columns = to.length;
  const fromKeys = from.map(key);
  const toKeys = to.map(key);
  // lengths[i][j]: LCS of from[i..] and to[j..], in one flat array.
  const width = columns + 1;
  const lengths = new Uint32Array((rows + 1) * width);
  for (let i = rows - 1; i >= 0; i--) {
    for (let j = columns - 1; j >= 0; j--) {
      lengths[i * width + j] = fromKeys[i] === toKeys[j] ? lengths[(i + 1) * width + j + 1]! + 1 : Math.max(lengths[(i + 1) * width + j]!, lengths[i * width + j + 1]!);
    }
  }
  let i = 0;
  let j = 0;
  while (i < rows && j < columns) {
    if (fromKeys[i] === toKeys[j]) {
      push(parts, 'same', to[j]!);
      i++;
      j++;
    } else if (lengths[(i + 1) * width + j]! >= lengths[i * width + j + 1]!) push(parts, 'removed', from[i++]!);
    else push(parts, 'added', to[j++]!);
  }
  while (i < rows) push(parts, 'removed', from[i++]!);
  while (j < columns) push(parts, 'added', to[j++]!);
}
