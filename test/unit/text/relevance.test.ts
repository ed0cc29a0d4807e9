import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeRelevance, relevanceBar } from '../../../src/shared/relevance';

describe('search relevance for people', () => {
  it('shows rank, a bar and the share of the best hit instead of raw BM25 scores', () => {
    const shown = describeRelevance([6.53, 3.647, 2.944]);
    assert.deepEqual(
      shown.map((entry) => entry.text),
      ['#1 ●●●●● 100%', '#2 ●●●○○ 56%', '#3 ●●○○○ 45%'],
    );
    assert.ok(
      shown.every((entry) => !/6\.53|3\.647/.test(entry.text)),
      'no raw score leaks into the label',
    );
  });

  it('compares with the best score even when it is not first (MMR reorders)', () => {
    const shown = describeRelevance([0.02, 0.04]);
    assert.deepEqual(
      shown.map((entry) => [entry.rank, entry.percent]),
      [
        [1, 50],
        [2, 100],
      ],
    );
  });

  it('reads reciprocal-rank-fusion scores on the same scale', () => {
    const rrf = [1 / 61 + 1 / 61, 1 / 61 + 1 / 63, 1 / 70];
    assert.deepEqual(
      describeRelevance(rrf).map((entry) => entry.percent),
      [100, 98, 44],
    );
  });

  it('falls back to ranks alone when scores cannot be compared as shares', () => {
    assert.deepEqual(
      describeRelevance([-0.1, -0.3]).map((entry) => entry.text),
      ['#1', '#2'],
    );
    assert.deepEqual(
      describeRelevance([0, 0]).map((entry) => entry.text),
      ['#1', '#2'],
    );
    assert.deepEqual(describeRelevance([]), []);
  });

  it('ignores non-finite scores from outside instead of printing NaN%', () => {
    const shown = describeRelevance([Number.NaN, 2, 1, Number.POSITIVE_INFINITY]);
    assert.deepEqual(
      shown.map((entry) => entry.text),
      ['#1', '#2 ●●●●● 100%', '#3 ●●●○○ 50%', '#4'],
    );
  });

  it('gives a listed hit at least one cell, and clamps the bar', () => {
    assert.equal(relevanceBar(1), '●○○○○');
    assert.equal(relevanceBar(0), '○○○○○');
    assert.equal(relevanceBar(250), '●●●●●');
    assert.equal(relevanceBar(-5), '○○○○○');
  });
});
