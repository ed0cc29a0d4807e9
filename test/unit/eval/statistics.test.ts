import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../../src/core/text/seededRandom';
import { bootstrapMean, halfWidth, minPairedQuestions, pairedComparison, signTestPValue } from '../../../src/core/eval/statistics';

function bernoulli(p: number, n: number, seed: number): number[] {
  const random = seededRandom(seed);
  return Array.from({ length: n }, () => (random() < p ? 1 : 0));
}

describe('bootstrapMean', () => {
  it('brackets the true mean of Bernoulli(0.7) over 400 draws, about as wide as the normal approximation says', () => {
    const values = bernoulli(0.7, 400, 11);
    const interval = bootstrapMean(values, { samples: 2000, seed: 5 });
    assert.equal(interval.n, 400);
    assert.ok(interval.low < 0.7 && 0.7 < interval.high, JSON.stringify(interval));
    const expectedWidth = 2 * 1.96 * Math.sqrt(0.21 / 400);
    const width = interval.high - interval.low;
    assert.ok(Math.abs(width - expectedWidth) / expectedWidth < 0.2, `width ${width} vs ${expectedWidth}`);
    assert.ok(interval.low <= interval.mean && interval.mean <= interval.high);
  });

  it('covers the true mean in about 95% of 200 independent samples', () => {
    let covered = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const interval = bootstrapMean(bernoulli(0.7, 200, 1000 + seed), { samples: 1000, seed });
      if (interval.low <= 0.7 && 0.7 <= interval.high) covered++;
    }
    assert.ok(covered >= 182 && covered <= 198, `covered ${covered} of 200`);
  });

  it('gives the same interval for the same seed and a different one for another seed', () => {
    const random = seededRandom(3);
    const values = Array.from({ length: 50 }, () => random());
    assert.deepEqual(bootstrapMean(values, { samples: 500, seed: 1 }), bootstrapMean(values, { samples: 500, seed: 1 }));
    assert.notDeepEqual(bootstrapMean(values, { samples: 500, seed: 1 }), bootstrapMean(values, { samples: 500, seed: 2 }));
  });

  it('draws exactly the resamples of seededRandom(seed)', () => {
    const random = seededRandom(21);
    const values = Array.from({ length: 37 }, () => random());
    const draw = seededRandom(8);
    const means: number[] = [];
    for (let s = 0; s < 300; s++) {
      let sum = 0;
      for (let i = 0; i < values.length; i++) sum += values[Math.floor(draw() * values.length)]!;
      means.push(sum / values.length);
    }
    means.sort((x, y) => x - y);
    const at = (p: number): number => {
      const position = p * (means.length - 1);
      const below = Math.floor(position);
      return means[below]! + (means[below + 1]! - means[below]!) * (position - below);
    };
    const interval = bootstrapMean(values, { samples: 300, seed: 8 });
    assert.equal(interval.low, at(0.025));
    assert.equal(interval.high, at(0.975));
  });

  it('is an empty interval of zeros with n = 0 when there are no values, and leaves NaN out', () => {
    assert.deepEqual(bootstrapMean([], { samples: 100, seed: 1 }), { mean: 0, low: 0, high: 0, n: 0 });
    assert.deepEqual(bootstrapMean([NaN, NaN], { samples: 100, seed: 1 }), { mean: 0, low: 0, high: 0, n: 0 });
    assert.equal(bootstrapMean([1, NaN, 0], { samples: 100, seed: 1 }).n, 2);
  });

  it('collapses to the value itself for a single value', () => {
    assert.deepEqual(bootstrapMean([0.42], { samples: 100, seed: 1 }), { mean: 0.42, low: 0.42, high: 0.42, n: 1 });
  });

  it('has no width when every value is the same', () => {
    const interval = bootstrapMean(new Array<number>(30).fill(0.3), { samples: 200, seed: 1 });
    assert.equal(interval.mean, interval.low);
    assert.equal(interval.mean, interval.high);
  });
});

describe('pairedComparison', () => {
  it('counts wins, losses and ties question by question, and calls a clear advantage for a', () => {
    // a beats b on 60 questions, loses on 30, ties on 10.
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 100; i++) {
      const [x, y] = i < 60 ? [1, 0] : i < 90 ? [0, 1] : [0.5, 0.5 + 1e-12];
      a.push(x);
      b.push(y);
    }
    const result = pairedComparison(a, b, { samples: 2000, seed: 7 });
    assert.equal(result.winsA, 60);
    assert.equal(result.winsB, 30);
    assert.equal(result.ties, 10);
    assert.equal(result.winRateA, 60 / 90);
    assert.ok(Math.abs(result.difference.mean - 0.3) < 1e-12);
    assert.equal(result.difference.n, 100);
    assert.equal(result.verdict, 'a');
    assert.equal(pairedComparison(b, a, { samples: 2000, seed: 7 }).verdict, 'b');
  });

  it('calls symmetric noise a tie', () => {
    const random = seededRandom(99);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 200; i++) {
      const base = random();
      const noise = (random() - 0.5) * 0.2;
      a.push(base + noise);
      b.push(base - noise);
    }
    // Symmetric by construction: the mean difference is small against its spread.
    const result = pairedComparison(a, b, { samples: 2000, seed: 3 });
    assert.ok(result.difference.low < 0 && result.difference.high > 0, JSON.stringify(result.difference));
    assert.equal(result.verdict, 'tie');
  });

  it('finds a small consistent improvement that unpaired intervals would miss', () => {
    const random = seededRandom(5);
    const a: number[] = [];
    const b: number[] = [];
    for (let i = 0; i < 100; i++) {
      const difficulty = random();
      b.push(difficulty);
      a.push(difficulty + 0.02 + (random() - 0.5) * 0.01);
    }
    const separate = [bootstrapMean(a, { samples: 1000, seed: 1 }), bootstrapMean(b, { samples: 1000, seed: 1 })];
    assert.ok(separate[0]!.low < separate[1]!.high, 'the unpaired intervals overlap');
    assert.equal(pairedComparison(a, b, { samples: 1000, seed: 1 }).verdict, 'a');
  });

  it('pairs only questions both answered, and decides nothing on one question', () => {
    const result = pairedComparison([1, NaN, 0.5], [0, 0.2, NaN], { samples: 100, seed: 1 });
    assert.equal(result.difference.n, 1);
    assert.equal(result.winsA, 1);
    assert.equal(result.verdict, 'tie');
    const none = pairedComparison([], [], { samples: 100, seed: 1 });
    assert.deepEqual(none, { winsA: 0, winsB: 0, ties: 0, winRateA: 0.5, difference: { mean: 0, low: 0, high: 0, n: 0 }, verdict: 'tie' });
  });

  it('below minPairedQuestions decides only when the sign test agrees at 5%, and from that many on by the interval', () => {
    assert.equal(minPairedQuestions, 10);
    // 2 of 2 (p = 0.5), 3 of 3 (0.25), 5 of 5 (0.0625): ties however one-sided.
    assert.equal(pairedComparison([1, 1], [0, 0], { samples: 2000, seed: 1 }).verdict, 'tie');
    assert.equal(pairedComparison([0.1, 0.12, 0.15], [0, 0.1, 0.05], { samples: 2000, seed: 1 }).verdict, 'tie');
    assert.equal(pairedComparison(new Array<number>(5).fill(1), new Array<number>(5).fill(0), { samples: 2000, seed: 1 }).verdict, 'tie');
    // 6 of 6 (p = 0.03125) and 8 of 8 (0.0078): decided.
    assert.equal(pairedComparison(new Array<number>(6).fill(1), new Array<number>(6).fill(0), { samples: 2000, seed: 1 }).verdict, 'a');
    const eight = pairedComparison(new Array<number>(8).fill(0), new Array<number>(8).fill(1), { samples: 2000, seed: 1 });
    assert.equal(eight.winsB, 8);
    assert.equal(eight.verdict, 'b');
    // 7 wins and 2 losses of 9 (p ≈ 0.18): a tie even though the interval may exclude 0.
    assert.equal(pairedComparison([1, 1, 1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0.1, 0.1], { samples: 2000, seed: 1 }).verdict, 'tie');
    // Unpaired questions do not count: 5 paired wins of 6 rows.
    assert.equal(pairedComparison([...new Array<number>(5).fill(1), 1], [...new Array<number>(5).fill(0), NaN], { samples: 2000, seed: 1 }).verdict, 'tie');
    assert.equal(pairedComparison(new Array<number>(10).fill(1), new Array<number>(10).fill(0), { samples: 2000, seed: 1 }).verdict, 'a');
    assert.equal(pairedComparison(new Array<number>(10).fill(0), new Array<number>(10).fill(1), { samples: 2000, seed: 1 }).verdict, 'b');
  });

  it('honours a wider tolerance for ties', () => {
    const result = pairedComparison([0.5, 0.6], [0.52, 0.3], { samples: 100, seed: 1, tolerance: 0.05 });
    assert.equal(result.ties, 1);
    assert.equal(result.winsA, 1);
  });

  it('gives the exact two-sided sign test p-value', () => {
    // P(X ≤ 0) for Binomial(8, 1/2) = 1/256, two-sided 2/256.
    assert.ok(Math.abs(signTestPValue(8, 0) - 2 / 256) < 1e-12);
    // P(X ≤ 2) for Binomial(9, 1/2) = (1 + 9 + 36) / 512, two-sided 92/512.
    assert.ok(Math.abs(signTestPValue(7, 2) - 92 / 512) < 1e-12);
    assert.equal(signTestPValue(3, 3), 1);
    assert.equal(signTestPValue(0, 0), 1);
  });

  it('refuses scores that are not aligned by question', () => {
    assert.throws(() => pairedComparison([1, 2], [1], { samples: 10, seed: 1 }), /aligned by question/);
  });

  it('half width is half the interval', () => {
    assert.ok(Math.abs(halfWidth({ mean: 0.5, low: 0.4, high: 0.7, n: 3 }) - 0.15) < 1e-12);
  });
});
