/**
 * Search scores as a person reads them. Raw scores mean nothing to a reader (BM25 is unbounded, reciprocal rank
 * fusion gives 0.0328, cosine can be negative), so a hit shows its rank and how it compares with the best hit of the
 * same search: "#2 ●●●●○ 81%". The percentage is relative to this result list only, never across searches.
 * In src/shared because the Search Index quick pick (host) and the chat webview's passages show it alike.
 */

export interface RelevanceDisplay {
  /** 1-based position in the list as shown. */
  rank: number;
  /** Score as a share of the best score in the list, 0-100; undefined when scores cannot be compared that way. */
  percent: number | undefined;
  /** "●●●○○" for `percent`, '' when there is none. */
  bar: string;
  /** "#1 ●●●●● 100%", or just "#1". */
  text: string;
}

const barCells = 5;

export function relevanceBar(percent: number): string {
  const clamped = Math.min(100, Math.max(0, percent));
  // A hit that made the list gets at least one cell: an empty bar would read as "no match at all".
  const filled = clamped > 0 ? Math.max(1, Math.round((clamped / 100) * barCells)) : 0;
  // ● and ○ (WGL4 shapes) come from the same font everywhere; ▮/▯ fell back to mismatched fonts, ▯ a speck.
  return '●'.repeat(filled) + '○'.repeat(barCells - filled);
}

/**
 * Display relevance for a list of scores in the order they are shown (MMR may show a lower score above a higher
 * one, so the best score is looked up, not assumed to be first). When the best score is not positive and finite
 * (empty list, all zeros, only negative cosines, a NaN from outside), percentages would mislead: only ranks are shown.
 */
export function describeRelevance(scores: readonly number[]): RelevanceDisplay[] {
  const finite = scores.filter((score) => Number.isFinite(score));
  const best = finite.reduce((highest, score) => Math.max(highest, score), 0);
  const comparable = best > 0;
  return scores.map((score, index) => {
    const rank = index + 1;
    if (!comparable || !Number.isFinite(score)) return { rank, percent: undefined, bar: '', text: `#${rank}` };
    const percent = Math.round(Math.min(100, Math.max(0, (score / best) * 100)));
    const bar = relevanceBar(percent);
    return { rank, percent, bar, text: `#${rank} ${bar} ${percent}%` };
  });
}
