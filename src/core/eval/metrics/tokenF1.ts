/**
 * SQuAD's token F1 over normalized words (answerText.ts): the words the answer and the reference share, counted with
 * multiplicity (a word twice in each counts twice, twice in one and once in the other counts once), as precision
 * against the answer's length and recall against the reference's, and their harmonic mean. Both empty is a perfect
 * match (1); one empty is none (0).
 */
export function tokenF1(answer: readonly string[], reference: readonly string[]): number {
  if (answer.length === 0 || reference.length === 0) return answer.length === reference.length ? 1 : 0;
  const referenceCounts = new Map<string, number>();
  for (const token of reference) referenceCounts.set(token, (referenceCounts.get(token) ?? 0) + 1);
  let shared = 0;
  for (const token of answer) {
    const left = referenceCounts.get(token) ?? 0;
    if (left > 0) {
      shared++;
      referenceCounts.set(token, left - 1);
    }
  }
  if (shared === 0) return 0;
  const precision = shared / answer.length;
  const recall = shared / reference.length;
  return (2 * precision * recall) / (precision + recall);
}
