import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countOf, shortModelName, splitMessage } from '../../../src/core/views/modelRows';

describe('Models view rows', () => {
  it('shows a chosen model by the name people know it by', () => {
    assert.equal(shortModelName('sentence-transformers/all-MiniLM-L6-v2'), 'all-MiniLM-L6-v2');
    assert.equal(shortModelName('Qwen/Qwen3-0.6B@main'), 'Qwen3-0.6B');
    assert.equal(shortModelName('/home/me/models/tiny-bert/'), 'tiny-bert');
    assert.equal(shortModelName('C:\\models\\tiny-bert'), 'tiny-bert');
    assert.equal(shortModelName('gpt2'), 'gpt2');
  });

  it('keeps the gist of a message first and the rest after it', () => {
    assert.deepEqual(splitMessage('No models in the cache yet: search the Hub to download one.'), { label: 'No models in the cache yet', detail: 'search the Hub to download one.' });
    assert.deepEqual(splitMessage('No models found.'), { label: 'No models found.' });
    assert.deepEqual(splitMessage('odd: '), { label: 'odd' });
    assert.deepEqual(splitMessage(': leading'), { label: ': leading' });
  });

  it('counts with the unit, so "0 · 0 B" reads "0 models · 0 B"', () => {
    assert.equal(countOf(0, 'model'), '0 models');
    assert.equal(countOf(1, 'model'), '1 model');
    assert.equal(countOf(1234, 'model'), '1,234 models');
  });
});
