import * as assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type ChatwrightApi } from '../../../src/extension';
import { generateDecoderModel, generateEncoderModel } from '../../support/modelGenerator/index';

const extensionId = 'chatwright.chatwright';

describe('Chatwright inference engine (through the extension API)', () => {
  let scratch: string;
  let encoder: string;
  let decoder: string;
  const answer = 'Hallo Welt, schön 🦀!';

  before(() => {
    scratch = mkdtempSync(join(tmpdir(), 'chatwright-engine-it-'));
    encoder = join(scratch, 'tiny-bert');
    decoder = join(scratch, 'tiny-qwen2');
    generateEncoderModel(encoder);
    generateDecoderModel(decoder, { script: answer });
  });

  after(() => rmSync(scratch, { recursive: true, force: true }));

  async function api(): Promise<ChatwrightApi> {
    const extension = vscode.extensions.getExtension<ChatwrightApi>(extensionId);
    assert.ok(extension);
    return extension.activate();
  }

  it('embeds in a worker process, not on the extension host', async () => {
    const { engine } = await api();
    const result = await engine.embed(encoder, ['a question about RAG', 'a passage about something else'], 'document');
    assert.equal(result.vectors.length, 2);
    assert.equal(result.dimensions, 32);
    assert.ok(engine.pid && engine.pid !== process.pid, 'the engine runs in its own process');
    assert.deepEqual(
      Object.keys(require.cache).filter((path) => path.includes('onnxruntime-node')),
      [],
      'onnxruntime never loads on the extension host',
    );
  });

  it('streams a generated answer and reports its stats', async () => {
    const { engine } = await api();
    const deltas: string[] = [];
    const result = await engine.generate(decoder, [{ role: 'user', content: 'Say hello' }], { temperature: 0 }, (text) => deltas.push(text));
    assert.equal(result.text, answer);
    assert.equal(deltas.join(''), answer);
    assert.equal(result.stats.finishReason, 'eos');
    assert.equal(result.stats.provider, 'cpu');
    assert.ok(result.stats.promptTokens > 0 && result.stats.timeToFirstTokenMs > 0);
  });

  it('stops generating when its signal is aborted', async () => {
    const { engine } = await api();
    const controller = new AbortController();
    const result = await engine.generate(decoder, [{ role: 'user', content: 'Say hello' }], { temperature: 0 }, () => controller.abort(), controller.signal);
    assert.equal(result.stats.finishReason, 'cancelled');
    assert.ok(result.text.length < answer.length);
  });

  it('shows its status and unloads models on command', async () => {
    const { engine } = await api();
    const status = await engine.status();
    assert.ok(status && status.loaded.length >= 2);
    await vscode.commands.executeCommand('chatwright.engine.unloadModels');
    assert.equal((await engine.status())?.loaded.length, 0);
  });
});
