import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { comparisonNameFrom, newComparisonFileText } from '../../../src/core/eval/newComparisonFile';

describe('new comparison file', () => {
  it('writes one strategy per chosen step of the ladder, over the eval set and the model', () => {
    const text = newComparisonFileText({
      name: 'support',
      evalSet: 'data/support.eval.jsonl',
      model: 'engine/Qwen/Qwen3-0.6B',
      zeroShot: true,
      fewShot: { examples: 'data/examples.jsonl', k: 3 },
      retrieval: { k: 4, index: 'docs' },
      fineTuned: { run: '.chatwright/runs/20261201-101500-support', model: 'gpu/support-lora' },
    });
    const file = parse(text) as { name: string; eval_set: string; strategies: Record<string, unknown>[] };
    assert.equal(file.name, 'support');
    assert.equal(file.eval_set, 'data/support.eval.jsonl');
    assert.deepEqual(
      file.strategies.map((s) => [s['name'], s['model']]),
      [
        ['zero-shot', 'engine/Qwen/Qwen3-0.6B'],
        ['few-shot', 'engine/Qwen/Qwen3-0.6B'],
        ['rag', 'engine/Qwen/Qwen3-0.6B'],
        ['fine-tuned', 'gpu/support-lora'],
      ],
    );
    assert.deepEqual(file.strategies[1]!['few_shot'], { k: 3, selection: 'similar', examples: 'data/examples.jsonl', seed: 0 });
    assert.deepEqual(file.strategies[2]!['retrieval'], { k: 4, index: 'docs' });
    assert.deepEqual(file.strategies[3]!['fine_tuned'], { run: '.chatwright/runs/20261201-101500-support' });
  });

  it('leaves out the steps not chosen, and quotes paths YAML would misread', () => {
    const text = newComparisonFileText({ name: 'x', evalSet: 'data/#odd: name.jsonl', model: 'local/m', zeroShot: false, retrieval: { k: 2 } });
    const file = parse(text) as { eval_set: string; strategies: Record<string, unknown>[] };
    assert.equal(file.eval_set, 'data/#odd: name.jsonl');
    assert.deepEqual(file.strategies, [{ name: 'rag', model: 'local/m', description: "The 2 best passages of the workspace's documents with the question.", retrieval: { k: 2 } }]);
  });

  it('refuses a comparison without any strategy', () => {
    assert.throws(() => newComparisonFileText({ name: 'x', evalSet: 'e.jsonl', model: 'a/b', zeroShot: false }), /at least one strategy/);
  });

  it('derives a name the format accepts from a file name', () => {
    assert.equal(comparisonNameFrom('support.eval.jsonl'), 'support');
    assert.equal(comparisonNameFrom('my questions (v2).jsonl'), 'my-questions-v2');
    assert.equal(comparisonNameFrom('???.jsonl'), 'comparison');
  });
});
