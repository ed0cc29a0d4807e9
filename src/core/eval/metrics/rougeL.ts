/**
 * The most words of either text ROUGE-L compares; longer texts are cut to their first `rougeLTokenCap` words. The
 * longest-common-subsequence table costs answer × reference cells (4,000 × 4,000 = 16 million, tens of milliseconds);
 * answers and references in an eval set are far shorter, so the cap only guards against a runaway generation.
 */
export const rougeLTokenCap = 4000;

/**
 * ROUGE-L F-measure (β = 1) over normalized words: the longest common subsequence of answer and reference, as
 * precision against the answer's length and recall against the reference's, and their harmonic mean. Both empty is 1,
 * one empty is 0 (as token F1). Two rows of the dynamic-programming table, so memory is O(reference length).
 */
export function rougeL(answer: readonly string[], reference: readonly string[]): number {
  const a = answer.length > rougeLTokenCap ? answer.slice(0, rougeLTokenCap) : answer;
  const b = reference.length > rougeLTokenCap ? reference.slice(0, rougeLTokenCap) : reference;
  if (a.length === 0 || b.length === 0) return a.length === b.length ? 1 : 0;
  const lcs = longestCommonSubsequence(a, b);
  if (lcs === 0) return 0;
  const precision = lcs / a.length;
  const recall = lcs / b.length;
  return (2 * precision * recall) / (precision + recall);
}

/** Length of the longest common subsequence of two word lists. Words are mapped to integers first, so the inner loop compares numbers. */
export function longestCommonSubsequence(a: readonly string[], b: readonly string[]): number {
  const ids = new Map<string, number>();
  const idOf = (token: string): number => {
    let id = ids.get(token);
    if (id === undefined) {
      id = ids.size;
      ids.set(token, id);
    }
    return id;
  };
  const bIds = Int32Array.from(b, idOf);
  let previous = new Int32Array(b.length + 1);
  let current = new Int32Array(b.length + 1);
  for (const token of a) {
    const id = ids.get(token);
    if (id === undefined) continue; // a word not in b cannot extend any subsequence: the row would equal the previous one
    for (let j = 1; j <= bIds.length; j++) {
      if (bIds[j - 1] === id) current[j] = previous[j - 1]! + 1;
      else {
        const up = previous[j]!;
        const left = current[j - 1]!;
        current[j] = up > left ? up : left;
      }
    }
    [previous, current] = [current, previous];
  }
  return previous[bIds.length]!;
}
