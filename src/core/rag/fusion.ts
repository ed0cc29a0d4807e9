/** A ranked list of ids, best first, as one retriever returned it. */
export type Ranking = readonly number[];

/**
 * Reciprocal rank fusion (Cormack et al., 2009): score(d) = Σ 1 / (k + rank_i(d)), rank starting at 1. It needs no
 * score calibration between BM25 and cosine similarity, which live on unrelated scales. k = 60 is the paper's value.
 */
export function reciprocalRankFusion(rankings: readonly Ranking[], k = 60): { id: number; score: number }[] {
  const scores = new Map<number, number>();
  for (const ranking of rankings) {
    ranking.forEach((id, index) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + index + 1)));
  }
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || a.id - b.id);
}

/** Word-set overlap, the similarity MMR falls back to when passages have no vectors. */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let shared = 0;
  for (const word of a) if (b.has(word)) shared++;
  return shared / (a.size + b.size - shared);
}

/**
 * Maximal marginal relevance (Carbonell & Goldstein, 1998): picks `k` items one at a time, each maximising
 * λ·relevance − (1−λ)·(max similarity to the items already picked). Relevance is normalised to [0, 1] first so that
 * λ means the same for any scorer. Returns indices into `relevance`.
 */
export function maximalMarginalRelevance(relevance: readonly number[], similarity: (a: number, b: number) => number, k: number, lambda = 0.7): number[] {
  // Folded, not spread into Math.max/min: a call's arguments live on the stack, and candidate lists are input-sized.
  let max = -Infinity;
  let min = Infinity;
  for (const value of relevance) {
    if (value > max) max = value;
    if (value < min) min = value;
  }
  const normalised = relevance.map((value) => (max > min ? (value - min) / (max - min) : 1));
  const picked: number[] = [];
  const remaining = new Set(relevance.map((_, index) => index));
  while (picked.length < k && remaining.size > 0) {
    let best = -1;
    let bestScore = -Infinity;
    for (const candidate of remaining) {
      let redundancy = picked.length === 0 ? 0 : -Infinity;
      for (const chosen of picked) redundancy = Math.max(redundancy, similarity(candidate, chosen));
      const score = lambda * (normalised[candidate] ?? 0) - (1 - lambda) * redundancy;
      if (score > bestScore) {
        bestScore = score;
        best = candidate;
      }
    }
    picked.push(best);
    remaining.delete(best);
  }
  return picked;
}
