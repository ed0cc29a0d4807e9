import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resolveSampling, Sampler, SeededRandom, topKIndices } from '../../../src/core/inference/sampling';

function logits(values: number[]): Float32Array {
  return Float32Array.from(values);
}

describe('sampling', () => {
  it('is greedy when sampling is off or the temperature is 0', () => {
    const sampler = new Sampler(resolveSampling({ temperature: 0 }, {}));
    assert.equal(sampler.next(logits([0.1, 3, 2.9, -1]), []), 1);
  });

  it('reproduces the same tokens for the same seed and differs for another', () => {
    const draw = (seed: number): number[] => {
      const sampler = new Sampler(resolveSampling({ temperature: 1, topK: 0, seed }, {}));
      return Array.from({ length: 50 }, () => sampler.next(logits([1, 1, 1, 1, 1, 1, 1, 1]), []));
    };
    assert.deepEqual(draw(7), draw(7));
    assert.notDeepEqual(draw(7), draw(8));
  });

  it('samples only among the top-k tokens', () => {
    const sampler = new Sampler(resolveSampling({ temperature: 5, topK: 2, seed: 1 }, {}));
    const seen = new Set(Array.from({ length: 200 }, () => sampler.next(logits([5, 0, 4.9, 4.8, 0]), [])));
    assert.deepEqual([...seen].sort(), [0, 2]);
  });

  it('samples only within the top-p nucleus', () => {
    const sampler = new Sampler(resolveSampling({ temperature: 1, topK: 0, topP: 0.5, seed: 3 }, {}));
    // Probabilities ≈ 0.47, 0.47, 0.06: the nucleus at 0.5 holds the first two.
    const seen = new Set(Array.from({ length: 300 }, () => sampler.next(logits([2, 2, 0]), [])));
    assert.deepEqual([...seen].sort(), [0, 1]);
  });

  it('applies the repetition penalty to tokens already in the context', () => {
    const sampler = new Sampler(resolveSampling({ temperature: 0, repetitionPenalty: 2 }, {}));
    assert.equal(sampler.next(logits([3, 2, 0]), [0]), 1);
  });

  it('takes defaults from generation_config.json and rejects nonsense', () => {
    const resolved = resolveSampling({}, { do_sample: true, temperature: 0.7, top_p: 0.8, top_k: 20, repetition_penalty: 1.05 });
    assert.deepEqual(resolved, { doSample: true, temperature: 0.7, topK: 20, topP: 0.8, minP: 0, repetitionPenalty: 1.05 });
    assert.equal(resolveSampling({ temperature: 0 }, { do_sample: true }).doSample, false);
    assert.throws(() => resolveSampling({ topP: 2 }, {}), /topP/);
    assert.throws(() => resolveSampling({ temperature: -1 }, {}), /temperature/);
  });

  it('finds the top-k indices in order', () => {
    assert.deepEqual(topKIndices(logits([1, 9, 3, 7, 5]), 3), [1, 3, 4]);
    const random = new SeededRandom(5);
    const values = Float32Array.from({ length: 1000 }, () => random.next());
    const expected = Array.from(values.keys())
      .sort((a, b) => values[b]! - values[a]!)
      .slice(0, 10);
    assert.deepEqual(topKIndices(values, 10), expected);
  });
});
