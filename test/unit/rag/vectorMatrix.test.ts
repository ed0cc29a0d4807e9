import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VectorMatrix } from '../../../src/core/rag/vectorMatrix';
import { randomUnitVector, seededRandom } from '../../../bench/rag/synthetic';

function bruteForce(vectors: Float32Array[], query: Float32Array, k: number): string[] {
  const norm = (v: Float32Array): number => Math.sqrt(v.reduce((sum, x) => sum + x * x, 0));
  return vectors
    .map((vector, index) => ({ index, score: vector.reduce((sum, x, i) => sum + x * (query[i] ?? 0), 0) / (norm(vector) * norm(query)) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((entry) => `h${entry.index}`);
}

describe('in-memory vector matrix', () => {
  for (const dimensions of [64, 30]) {
    it(`finds the exact top k, growing from a small capacity (${dimensions} dims: ${dimensions % 8 === 0 ? 'SIMD kernel' : 'JS loop'})`, () => {
      const random = seededRandom(dimensions);
      const matrix = new VectorMatrix('m', dimensions, 8);
      assert.equal(matrix.simd, dimensions % 8 === 0);
      const vectors = Array.from({ length: 3000 }, (_, index) => {
        // Unnormalised on purpose: scores are cosines whatever the vectors' lengths.
        const vector = randomUnitVector(random, dimensions).map((x) => x * (1 + (index % 7)));
        matrix.upsert(`h${index}`, vector);
        return vector;
      });
      for (let q = 0; q < 5; q++) {
        const query = randomUnitVector(random, dimensions).map((x) => x * 3);
        const found = matrix.nearest(query, 10);
        assert.deepEqual(
          found.map((entry) => entry.hash),
          bruteForce(vectors, query, 10),
        );
        assert.ok(found.every((entry) => entry.score <= 1.0001 && entry.score >= -1.0001));
      }
    });
  }

  it('forgets removed rows, reuses their slots, and filters to a subset', () => {
    const matrix = new VectorMatrix('m', 8);
    const axis = (i: number): Float32Array => Float32Array.from({ length: 8 }, (_, j) => (j === i ? 1 : 0));
    for (let i = 0; i < 8; i++) matrix.upsert(`h${i}`, axis(i));
    assert.equal(matrix.nearest(axis(3), 1)[0]?.hash, 'h3');
    matrix.remove('h3');
    assert.notEqual(matrix.nearest(axis(3), 1)[0]?.hash, 'h3');
    matrix.upsert('new', axis(3));
    assert.equal(matrix.size, 8);
    assert.equal(matrix.nearest(axis(3), 1)[0]?.hash, 'new');
    assert.deepEqual(
      matrix
        .nearest(axis(5), 2, new Set(['h1', 'h2']))
        .map((entry) => entry.hash)
        .sort(),
      ['h1', 'h2'],
    );
    assert.throws(() => matrix.upsert('bad', new Float32Array(4)), /4-dimensional vector cannot join an index of 8 dimensions/);
  });
});
