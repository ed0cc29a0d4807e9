import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { countOf, modelKindIcon, modelsStatusText, shortModelName, splitMessage } from '../../../src/core/views/modelRows';

const codiconNames = new Set(
  readFileSync(join(__dirname, '..', '..', '..', 'node_modules', '@vscode', 'codicons', 'dist', 'codicon.csv'), 'utf8')
    .split('\n')
    .slice(1)
    .map((line) => line.split(',')[0]!.trim())
    .filter((name) => name.length > 0),
);

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

  it('marks each model kind with a real codicon, and never with the bracket-shaped symbol-array that reads as an empty box', () => {
    for (const icon of Object.values(modelKindIcon)) {
      assert.ok(codiconNames.has(icon), `${icon} is a codicon`);
      assert.notEqual(icon, 'symbol-array');
    }
  });

  it('shows both models in the status bar with their kinds\' icons, "none" for the one not chosen', () => {
    assert.equal(modelsStatusText('org/tiny-qwen3', undefined), '$(comment-discussion) tiny-qwen3 · $(graph-scatter) none');
    assert.equal(modelsStatusText('Qwen/Qwen3-0.6B@main', '/home/me/models/tiny-bert/'), '$(comment-discussion) Qwen3-0.6B · $(graph-scatter) tiny-bert');
    assert.equal(modelsStatusText(undefined, undefined), '$(comment-discussion) Choose models');
    for (const [, icon] of modelsStatusText('a/b', 'c/d').matchAll(/\$\(([\w-]+)\)/g)) assert.ok(codiconNames.has(icon!), `$(${icon}) is a codicon`);
  });
});
