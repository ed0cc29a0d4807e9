import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultServerSettings, serverSettingsFrom } from '../../../src/server/serverSettings';

describe('settings the language server accepts from a client', () => {
  it('fills what is missing with the defaults', () => {
    assert.deepEqual(serverSettingsFrom(undefined), defaultServerSettings);
    assert.deepEqual(serverSettingsFrom({ datasets: { diagnostics: false } }).datasets, { ...defaultServerSettings.datasets, diagnostics: false });
  });

  it('clamps limits a client sends out of range', () => {
    const settings = serverSettingsFrom({ prompts: { renderTimeoutMs: 1e12 }, datasets: { maxTokens: -3, minRows: 1e9 } });
    assert.equal(settings.prompts.renderTimeoutMs, 60_000);
    assert.equal(settings.datasets.maxTokens, 0);
    assert.equal(settings.datasets.minRows, 1_000_000);
  });

  it("refuses relative paths, which would resolve in the server's working folder", () => {
    const settings = serverSettingsFrom({ datasets: { tokenizerPath: 'fifo/tokenizer.json' }, prompts: { previewModel: './models/evil' } });
    assert.equal(settings.datasets.tokenizerPath, '');
    assert.equal(settings.prompts.previewModel, '');
  });

  it('keeps absolute paths and Hub ids, and drops values of the wrong type', () => {
    assert.equal(serverSettingsFrom({ datasets: { tokenizerPath: '/models/tokenizer.json' } }).datasets.tokenizerPath, '/models/tokenizer.json');
    assert.equal(serverSettingsFrom({ prompts: { previewModel: 'Qwen/Qwen3-0.6B' } }).prompts.previewModel, 'Qwen/Qwen3-0.6B');
    const wrong = serverSettingsFrom({ datasets: { diagnostics: 'yes', formats: { '*.jsonl': 3, 'a/*.jsonl': 'messages' } }, prompts: ['x'] });
    assert.equal(wrong.datasets.diagnostics, true);
    assert.deepEqual(wrong.datasets.formats, { 'a/*.jsonl': 'messages' });
    assert.deepEqual(wrong.prompts, defaultServerSettings.prompts);
  });
});
