/**
 * Uncertainty of a comparison: percentile-bootstrap 95% intervals on means, and paired comparisons of two strategies
 * over the questions both answered (wins, losses, ties, and a paired bootstrap of the mean difference), so that a
 * difference within the noise is called a tie.
 *
 * Both are deterministic for a seed (one `seededRandom` stream per call) and allocate nothing per resample: the
 * report runs thousands of resamples over hundreds of questions for every strategy, metric and pair.
 */
import { type Interval, type PairwiseResult } from './evalTypes';

export interface BootstrapOptions {
  /** Resamples drawn (the report uses the comparison's `bootstrapSamples`, default 2000). */
  samples: number;
  seed: number;
}

/** The two-sided confidence of every interval here. */
export const confidenceLevel = 0.95;

/**
 * Below this many paired questions the bootstrap alone decides nothing: over a handful of questions it has too few
 * distinct resamples (two questions that both favour `a` give an interval of `[d, d]`, never containing 0). There a
 * verdict also needs the exact two-sided sign test on wins and losses at the 5% level: 2 of 2 wins is a tie (p = 0.5),
 * 8 of 8 is not (p ≈ 0.008).
 */
export const minPairedQuestions = 10;

/** The exact two-sided sign test's p-value for `wins` against `losses` (ties left out), under "either is as likely". */
export function signTestPValue(wins: number, losses: number): number {
  const n = wins + losses;
  if (n === 0) return 1;
  const fewer = Math.min(wins, losses);
  // P(X ≤ fewer) for X ~ Binomial(n, 1/2), summed with the binomial coefficients built up term by term.
  let coefficient = 1;
  let tail = 0;
  for (let k = 0; k <= fewer; k++) {
    tail += coefficient;
    coefficient = (coefficient * (n - k)) / (k + 1);
  }
  return Math.min(1, (2 * tail) / 2 ** n);
}

/**
 * The mean of `values` with its percentile-bootstrap 95% interval. Values that are not finite (NaN marks "no value")
 * are left out and `n` counts those kept.
 *
 * Conventions at the edges, so that no NaN ever reaches a report: with no values the interval is
 * `{mean: 0, low: 0, high: 0, n: 0}` (read `n` before the mean); with one value, or with fewer than two resamples,
 * `low = high = mean` (nothing to resample from).
 */
export function bootstrapMean(values: ArrayLike<number>, options: BootstrapOptions): Interval {
  const kept = finiteValues(values);
  return bootstrapOfFinite(kept, options);
}

export type PairedComparison = Omit<PairwiseResult, 'a' | 'b' | 'metric'>;

export interface PairedOptions extends BootstrapOptions {
  /** Scores closer than this count as equal (floating-point noise); default 1e-9. */
  tolerance?: number;
}

/**
 * Compares `a` and `b` question by question: `a[i]` and `b[i]` are the two strategies' scores on question i, NaN where
 * one has none (that question is left out). Wins and ties count questions; the difference is the mean of a − b with
 * a paired bootstrap 95% interval (the same questions resampled for both), and the verdict is `tie` when that
 * interval contains 0 — or, with fewer than `minPairedQuestions` paired questions, when the sign test on wins and
 * losses is not significant at 5% either (a handful of questions decides only when it is one-sided enough).
 */
export function pairedComparison(a: ArrayLike<number>, b: ArrayLike<number>, options: PairedOptions): PairedComparison {
  if (a.length !== b.length) throw new RangeError(`pairedComparison: ${a.length} scores for a but ${b.length} for b; they must be aligned by question`);
  const tolerance = options.tolerance ?? 1e-9;
  const differences = new Float64Array(a.length);
  let n = 0;
  let winsA = 0;
  let winsB = 0;
  let ties = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    const difference = x - y;
    if (Math.abs(difference) <= tolerance) {
      ties++;
      differences[n++] = 0;
    } else {
      if (difference > 0) winsA++;
      else winsB++;
      differences[n++] = difference;
    }
  }
  const difference = bootstrapOfFinite(differences.subarray(0, n), options);
  const decided = winsA + winsB;
  const enough = n >= minPairedQuestions || signTestPValue(winsA, winsB) < 0.05;
  let verdict: PairwiseResult['verdict'] = 'tie';
  if (enough && difference.low > 0) verdict = 'a';
  else if (enough && difference.high < 0) verdict = 'b';
  return { winsA, winsB, ties, winRateA: decided === 0 ? 0.5 : winsA / decided, difference, verdict };
}

/** Half the width of an interval: a true difference smaller than this cannot be told from noise at this sample size. */
export function halfWidth(interval: Interval): number {
  return (interval.high - interval.low) / 2;
}

function finiteValues(values: ArrayLike<number>): Float64Array {
  const kept = new Float64Array(values.length);
  let n = 0;
  for (let i = 0; i < values.length; i++) {
    const value = values[i]!;
    if (Number.isFinite(value)) kept[n++] = value;
  }
  return kept.subarray(0, n);
}

function bootstrapOfFinite(values: Float64Array, options: BootstrapOptions): Interval {
  const n = values.length;
  if (n === 0) return { mean: 0, low: 0, high: 0, n: 0 };
  let sum = 0;
  for (let i = 0; i < n; i++) sum += values[i]!;
  const mean = sum / n;
  const samples = Math.floor(options.samples);
  if (n === 1 || !(samples >= 2)) return { mean, low: mean, high: mean, n };
  const means = new Float64Array(samples);
  // `seededRandom`'s generator (mulberry32) written out here: this loop runs millions of times per report, and the
  // inlined form is several times faster than a call per draw. `floor(u / 2^32 * n)` is the index `floor(random() * n)`
  // would give, so the draws are exactly those of `seededRandom(seed)` (a test checks it).
  let state = options.seed >>> 0;
  for (let s = 0; s < samples; s++) {
    let resampled = 0;
    for (let i = 0; i < n; i++) {
      state = (state + 0x6d2b79f5) >>> 0;
      let t = state;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      resampled += values[Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n)]!;
    }
    means[s] = resampled / n;
  }
  means.sort();
  const tail = (1 - confidenceLevel) / 2;
  // The interval always holds the mean shown beside it (a very skewed sample can put a percentile past it; floating-point
  // sums can put it a hair past it when every value is equal).
  const low = Math.min(quantileOfSorted(means, tail), mean);
  const high = Math.max(quantileOfSorted(means, 1 - tail), mean);
  return { mean, low, high, n };
}

/** Linear interpolation between the order statistics (the "type 7" quantile of R and NumPy). */
function quantileOfSorted(sorted: Float64Array, probability: number): number {
  const position = probability * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}
