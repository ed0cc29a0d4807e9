import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { EngineClient } from '../../../src/host/engine/engineClient';
import { cosine, decoderModel, encoderModel } from './testModels';

const workerPath = resolve(__dirname, '../../../src/worker/engineWorker.ts');

function startClient(events: { crashes?: string[]; loaded?: string[] } = {}): EngineClient {
  const client = new EngineClient({
    workerPath,
    execArgv: ['--import', 'tsx'],
    settings: { executionProvider: 'cpu', threads: 0, idleUnloadMs: 0 },
    onCrash: (reason) => events.crashes?.push(reason),
    onModelLoaded: (info) => events.loaded?.push(`${info.kind}:${info.provider}:${info.dtype}`),
  });
  after(() => client.dispose());
  return client;
}

describe('the engine worker, driven through its protocol', () => {
  const encoder = encoderModel({ formats: ['fp32'] });
  const scripted = decoderModel({ script: 'Один; два, три — 🦀 done' });

  it('embeds in the worker and reports the model it loaded', async () => {
    const loaded: string[] = [];
    const client = startClient({ loaded });
    const result = await client.request('embed', { model: encoder, texts: ['first text', 'second, longer text'], role: 'document' });
    assert.equal(result.vectors.length, 2);
    assert.ok(result.vectors[0] instanceof Float32Array, 'vectors cross the process boundary as Float32Array');
    assert.equal(result.dimensions, 32);
    assert.ok(cosine(result.vectors[0], result.vectors[1]!) < 0.9999);
    assert.deepEqual(loaded, ['embedder:cpu:fp32']);
    const status = await client.request('status', {});
    assert.equal(status.loaded.length, 1);
    assert.ok(status.peakRssBytes >= status.rssBytes && status.rssBytes > 0);
    assert.deepEqual(await client.request('countTokens', { model: encoder, texts: ['hello world'] }), [4]);
  });

  it('streams generated text as it is produced and returns the stats', async () => {
    const client = startClient();
    const deltas: string[] = [];
    const result = await client.request('generate', { model: scripted.dir, messages: [{ role: 'user', content: 'count' }], options: { temperature: 0 } }, (text) => deltas.push(text));
    assert.equal(result.text, 'Один; два, три — 🦀 done');
    assert.equal(deltas.join(''), result.text);
    assert.ok(deltas.length > 3);
    assert.equal(result.stats.finishReason, 'eos');
    assert.equal(result.stats.provider, 'cpu');
  });

  it('cancels one request without disturbing the next', async () => {
    const client = startClient();
    const controller = new AbortController();
    const deltas: string[] = [];
    const cancelled = await client.request(
      'generate',
      { model: scripted.dir, messages: [{ role: 'user', content: 'count' }], options: { temperature: 0 } },
      (text) => {
        deltas.push(text);
        controller.abort();
      },
      controller.signal,
    );
    assert.equal(cancelled.stats.finishReason, 'cancelled');
    assert.ok(cancelled.stats.generatedTokens <= 3, `stopped within a token of the request (${cancelled.stats.generatedTokens} tokens)`);
    const full = await client.request('generate', { model: scripted.dir, messages: [{ role: 'user', content: 'count' }], options: { temperature: 0 } });
    assert.equal(full.stats.finishReason, 'eos');
  });

  it('fails pending requests clearly when the worker dies, and restarts on the next request', async () => {
    const crashes: string[] = [];
    const client = startClient({ crashes });
    await client.request('load', { model: scripted.dir, kind: 'generator' });
    const firstPid = client.pid!;
    const pending = client.request('generate', { model: scripted.dir, messages: [{ role: 'user', content: 'count' }], options: { temperature: 0 } }, () => process.kill(firstPid, 'SIGKILL'));
    await assert.rejects(pending, (error: Error) => {
      assert.equal(error.name, 'EngineCrashedError');
      assert.match(error.message, /inference engine process was killed \(SIGKILL\).*generate request was lost.*restarts on the next request/);
      return true;
    });
    assert.equal(crashes.length, 1);
    const again = await client.request('embed', { model: encoder, texts: ['still works'], role: 'query' });
    assert.equal(again.vectors.length, 1);
    assert.notEqual(client.pid, firstPid);
    assert.equal(client.restarts, 1);
  });

  it('returns a corrupt model file as an error naming it, and keeps serving', async () => {
    const client = startClient();
    const broken = encoderModel();
    const file = join(broken, 'onnx', 'model.onnx');
    writeFileSync(file, Buffer.alloc(1000, 7));
    await assert.rejects(client.request('embed', { model: broken, texts: ['x'], role: 'query' }), (error: Error & { file?: string }) => {
      assert.equal(error.name, 'ModelError');
      assert.equal(error.file, file);
      assert.ok(error.message.startsWith(file));
      return true;
    });
    await assert.rejects(client.request('embed', { model: scripted.dir, texts: ['x'], role: 'query' }), /text-generation model .* not an embedding model/);
    assert.equal((await client.request('embed', { model: encoder, texts: ['x'], role: 'query' })).vectors.length, 1);
  });
});
