import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jaccard, maximalMarginalRelevance, reciprocalRankFusion } from '../../../src/core/rag/fusion';

describe('reciprocal rank fusion', () => {
  it('scores each id by the sum of 1/(k + rank) over the rankings', () => {
    const fused = reciprocalRankFusion(
      [
        [1, 2, 3],
        [3, 1],
      ],
      60,
    );
    assert.deepEqual(
      fused.map((entry) => entry.id),
      [1, 3, 2],
    );
    assert.ok(Math.abs((fused[0]?.score ?? 0) - (1 / 61 + 1 / 62)) < 1e-12);
    assert.ok(Math.abs((fused[2]?.score ?? 0) - 1 / 62) < 1e-12);
  });

  it('ranks an item found by both retrievers above one found at the top of only one', () => {
    const fused = reciprocalRankFusion([
      [10, 20],
      [30, 20],
    ]);
    assert.equal(fused[0]?.id, 20);
  });

  it('handles an empty ranking (lexical-only) by keeping the other order', () => {
    assert.deepEqual(
      reciprocalRankFusion([[5, 4, 3], []]).map((entry) => entry.id),
      [5, 4, 3],
    );
  });
});

describe('maximal marginal relevance', () => {
  it('with λ = 1 keeps the relevance order', () => {
    assert.deepEqual(
      maximalMarginalRelevance([0.9, 0.8, 0.7], () => 1, 3, 1),
      [0, 1, 2],
    );
  });

  it('skips a near-duplicate of an already picked item', () => {
    const similarity = (a: number, b: number): number => ((a === 0 && b === 1) || (a === 1 && b === 0) ? 0.99 : 0);
    assert.deepEqual(maximalMarginalRelevance([1, 0.95, 0.5], similarity, 2, 0.5), [0, 2]);
  });

  it('jaccard similarity of word sets', () => {
    assert.equal(jaccard(new Set(['a', 'b']), new Set(['b', 'c'])), 1 / 3);
  });
});
