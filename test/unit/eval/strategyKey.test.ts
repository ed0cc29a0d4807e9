import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EvalQuestion, type StrategySpec } from '../../../src/core/eval/evalTypes';
import { questionKey, strategyKey } from '../../../src/core/eval/strategyKey';

const base: StrategySpec = {
  name: 'few-shot-rag',
  model: 'alpha/tiny',
  template: 'prompts/support.prompty',
  fewShot: { k: 3, selection: 'similar', examples: 'data/examples.jsonl', seed: 1 },
  retrieval: { k: 4, index: 'docs' },
  temperature: 0,
  maxTokens: 256,
  seed: 7,
};
const texts = { template: 'system: You help.', examples: '{"messages":[]}' };
/** The base strategy without one of its optional settings. */
function without(setting: 'seed' | 'template' | 'fewShot' | 'retrieval'): StrategySpec {
  const copy = { ...base };
  delete copy[setting];
  return copy;
}
const question: EvalQuestion = { id: 'q1', line: 1, question: 'How do I install?', reference: 'Run the installer.', history: [], sources: [] };

describe('strategyKey', () => {
  it('is 16 hex characters, the same for the same strategy and texts', () => {
    const key = strategyKey(base, texts);
    assert.match(key, /^[0-9a-f]{16}$/);
    assert.equal(strategyKey({ ...base }, { ...texts }), key);
  });

  it('does not depend on the order the strategy was written in', () => {
    const reordered: StrategySpec = {
      seed: 7,
      maxTokens: 256,
      temperature: 0,
      retrieval: { index: 'docs', k: 4 },
      fewShot: { seed: 1, examples: 'data/examples.jsonl', selection: 'similar', k: 3 },
      template: 'prompts/support.prompty',
      model: 'alpha/tiny',
      name: 'few-shot-rag',
    };
    assert.equal(strategyKey(reordered, { examples: texts.examples, template: texts.template }), strategyKey(base, texts));
  });

  it('keeps the key when only the name, description or fine-tuned run change: they do not shape the answers', () => {
    const key = strategyKey(base, texts);
    assert.equal(strategyKey({ ...base, name: 'renamed', description: 'A new description', fineTuned: { run: 'runs/one' } }, texts), key);
  });

  const changes: [string, StrategySpec, { template?: string; examples?: string }][] = [
    ['the model', { ...base, model: 'alpha/other' }, texts],
    ['the temperature', { ...base, temperature: 0.7 }, texts],
    ['max tokens', { ...base, maxTokens: 512 }, texts],
    ['the seed', { ...base, seed: 8 }, texts],
    ['no seed', without('seed'), texts],
    ['the template path', { ...base, template: 'prompts/other.prompty' }, texts],
    ['the template text', base, { ...texts, template: 'system: You help briefly.' }],
    ['a template that cannot be read', base, { examples: texts.examples }],
    ['no template', without('template'), texts],
    ['few-shot k', { ...base, fewShot: { ...base.fewShot!, k: 5 } }, texts],
    ['few-shot selection', { ...base, fewShot: { ...base.fewShot!, selection: 'random' } }, texts],
    ['few-shot seed', { ...base, fewShot: { ...base.fewShot!, seed: 2 } }, texts],
    ['the examples path', { ...base, fewShot: { ...base.fewShot!, examples: 'data/more.jsonl' } }, texts],
    ['the examples text', base, { ...texts, examples: '{"messages":[{"role":"user","content":"x"}]}' }],
    ['few-shot off', without('fewShot'), texts],
    ['retrieval k', { ...base, retrieval: { k: 8, index: 'docs' } }, texts],
    ['the retrieval index', { ...base, retrieval: { k: 4, index: 'manual' } }, texts],
    ['retrieval off', without('retrieval'), texts],
  ];
  for (const [what, strategy, changedTexts] of changes) {
    it(`changes with ${what}`, () => {
      assert.notEqual(strategyKey(strategy, changedTexts), strategyKey(base, texts));
    });
  }
});

describe('questionKey', () => {
  it('is 16 hex characters and ignores the id, line and sources', () => {
    const key = questionKey(question);
    assert.match(key, /^[0-9a-f]{16}$/);
    assert.equal(questionKey({ ...question, id: 'other', line: 9, sources: ['docs/install.md'] }), key);
  });

  it('changes with the question, the reference and the history', () => {
    const key = questionKey(question);
    assert.notEqual(questionKey({ ...question, question: 'How do I uninstall?' }), key);
    assert.notEqual(questionKey({ ...question, reference: 'Use the package.' }), key);
    assert.notEqual(questionKey({ ...question, history: [{ role: 'user', content: 'Hi' }] }), key);
    assert.notEqual(questionKey({ ...question, history: [{ role: 'assistant', content: 'Hi' }] }), questionKey({ ...question, history: [{ role: 'user', content: 'Hi' }] }));
  });
});
