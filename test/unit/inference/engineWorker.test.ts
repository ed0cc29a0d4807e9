import * as assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { after, describe, it } from 'node:test';
import { EngineClient, type EngineCrashReport } from '../../../src/host/engine/engineClient';
import { cosine, decoderModel, encoderModel } from '../../support/testModels';
import { scratchDir } from '../../support/scratchDir';

const workerPath = resolve(__dirname, '../../../src/worker/engineWorker.ts');

function startClient(events: { crashes?: string[]; loaded?: string[] } = {}): EngineClient {
  const client = new EngineClient({
    workerPath,
    settings: { executionProvider: 'cpu', threads: 0, idleUnloadMs: 0 },
    onCrash: (report) => events.crashes?.push(report.message),
    restartLimits: { baseDelayMs: 50 },
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

describe('the engine client after crashes (a fake worker that crashes like a native library)', () => {
  const crashingWorker = resolve(__dirname, '../../fixtures/engine/crashingWorker.mjs');
  const limits = { baseDelayMs: 40, maxDelayMs: 1000, maxCrashes: 4, windowMs: 60_000 };

  function fakeClient(env: Record<string, string>, reports: EngineCrashReport[]): { client: EngineClient; starts: () => number[]; cleanup: () => void } {
    const dir = scratchDir('engine-crash');
    const log = join(dir, 'starts.log');
    writeFileSync(log, '');
    const client = new EngineClient({
      workerPath: crashingWorker,
      env: { ...process.env, ...env, START_LOG: log },
      settings: { executionProvider: 'cpu', threads: 0, idleUnloadMs: 0 },
      restartLimits: limits,
      onCrash: (report) => reports.push(report),
    });
    return {
      client,
      starts: () => readFileSync(log, 'utf8').split('\n').filter(Boolean).map(Number),
      cleanup: () => {
        client.dispose();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  it('restarts a worker that crashes on start with growing waits, gives up after 4 crashes, and reports twice with the stderr tail', async () => {
    const reports: EngineCrashReport[] = [];
    const { client, starts, cleanup } = fakeClient({ CRASH_ON_START: '1' }, reports);
    try {
      const errors: string[] = [];
      for (let attempt = 0; attempt < 8; attempt++) {
        await assert.rejects(client.request('status', {}), (error: Error) => {
          assert.equal(error.name, 'EngineCrashedError');
          errors.push(error.message);
          return true;
        });
      }
      const times = starts();
      assert.equal(times.length, 4, 'no start after giving up');
      assert.equal(client.starts, 4);
      const gaps = times.slice(1).map((time, i) => time - times[i]!);
      assert.ok(gaps[0]! >= 35 && gaps[1]! >= 75 && gaps[2]! >= 155, `waits grow: ${gaps.join(', ')} ms`);
      assert.match(errors[3]!, /exited with code 134.*cannot allocate the arena.*stays stopped until you run "Chatwright: Restart Inference Engine"/);
      for (const refused of errors.slice(4)) assert.match(refused, /crashed 4 times within 1 minutes.*stays stopped until you run "Chatwright: Restart Inference Engine"/);
      assert.deepEqual(
        reports.map((r) => r.gaveUp),
        [false, true],
      );
      assert.match(reports[0]!.stderrTail, /Ort::Exception\n {2}what\(\): {2}cannot allocate the arena/);
      assert.equal(reports[0]!.restartDelayMs, 40);

      client.restart();
      await assert.rejects(client.request('status', {}), /exited with code 134/);
      assert.equal(starts().length, 5, 'the user restart starts it again');
    } finally {
      cleanup();
    }
  });

  it('does not load again a model that crashed the engine while loading, until the user restarts the engine; other models load', async () => {
    const reports: EngineCrashReport[] = [];
    const { client, starts, cleanup } = fakeClient({}, reports);
    try {
      await assert.rejects(
        client.request('load', { model: 'crashes-on-load', kind: 'generator' }),
        /exited with code 139: loading crashes-on-load \| Segmentation fault.*while loading crashes-on-load/,
      );
      assert.equal(reports.length, 1);
      assert.deepEqual(reports[0]!.models, ['crashes-on-load']);
      assert.match(reports[0]!.message, /Segmentation fault in MlasGemm.*while loading crashes-on-load \(not loaded again until you run "Chatwright: Restart Inference Engine"\)/);
      for (let attempt = 0; attempt < 3; attempt++) {
        await assert.rejects(
          client.request('load', { model: 'crashes-on-load', kind: 'generator' }),
          /crashes-on-load crashed the inference engine while loading.*not loaded again until you run "Chatwright: Restart Inference Engine"/,
        );
      }
      assert.equal(starts().length, 1, 'refused without starting a process');
      const other = await client.request('load', { model: 'fine', kind: 'embedder' });
      assert.equal(other.model, 'fine');
      assert.equal(starts().length, 2);

      client.restart();
      await assert.rejects(client.request('load', { model: 'crashes-on-load', kind: 'generator' }), /exited with code 139/);
      assert.equal(starts().length, 3, 'the user restart lets the model be tried again');
    } finally {
      cleanup();
    }
  });

  it('lets a request waiting out the back-off be cancelled', async () => {
    const reports: EngineCrashReport[] = [];
    const { client, cleanup } = fakeClient({ CRASH_ON_START: '1' }, reports);
    try {
      await assert.rejects(client.request('status', {}), /exited with code 134/);
      const controller = new AbortController();
      const waiting = client.request('status', {}, undefined, controller.signal);
      controller.abort();
      await assert.rejects(waiting, (error: Error) => error.name === 'CancelledError');
    } finally {
      cleanup();
    }
  });
});
