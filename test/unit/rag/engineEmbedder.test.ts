import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { CancelledError } from '../../../src/core/inference/abort';
import { OnnxTextEmbedder } from '../../../src/core/inference/textEmbedder';
import { connectToPort, onRequest } from '../../../src/core/rpc/connection';
import { indexEmbedRequest, type IndexEmbedParams } from '../../../src/shared/ragProtocol';
import { EngineTextEmbedder } from '../../../src/worker/engineEmbedder';
import { generateEncoderModel } from '../../support/modelGenerator';
import { scratchDir } from '../../support/scratchDir';

async function waitFor(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('the index worker embedder (vectors from the inference engine, tokens counted locally)', () => {
  let scratch: string;
  let model: string;
  let local: OnnxTextEmbedder;

  before(async () => {
    scratch = scratchDir('engine-embedder');
    model = join(scratch, 'tiny-bert');
    generateEncoderModel(model);
    local = await OnnxTextEmbedder.load(model);
  });

  after(async () => {
    await local.dispose();
    rmSync(scratch, { recursive: true, force: true });
  });

  /**
   * The worker's embedder connected to a host over a message channel (as a worker's port is), the host answering with
   * the in-process embedder as the engine would, or, with `answer` off, only when the request is cancelled.
   */
  function connected(): { embedder: EngineTextEmbedder; sent: IndexEmbedParams[]; cancelled: IndexEmbedParams[]; answer: boolean; fail: Error | undefined } {
    const { port1, port2 } = new MessageChannel();
    const worker = connectToPort(port1);
    const host = connectToPort(port2);
    const state = { embedder: EngineTextEmbedder.open(model, worker), sent: [] as IndexEmbedParams[], cancelled: [] as IndexEmbedParams[], answer: true, fail: undefined as Error | undefined };
    onRequest(host, indexEmbedRequest, async (params, signal) => {
      state.sent.push(params);
      if (state.fail) throw state.fail;
      if (!state.answer) {
        await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
        state.cancelled.push(params);
        throw new CancelledError();
      }
      return { vectors: await local.embed(params.texts, params.role), modelKey: local.modelKey };
    });
    worker.listen();
    host.listen();
    opened.push(worker, host, port1, port2);
    return state;
  }
  const opened: ({ dispose(): void } | { close(): void })[] = [];
  after(() => {
    for (const thing of opened) {
      if ('dispose' in thing) thing.dispose();
      else thing.close();
    }
  });

  it("has the in-process embedder's model key, limits and token counts, so existing indexes stay valid", async () => {
    const { embedder } = connected();
    await embedder.probe();
    assert.equal(embedder.modelKey, local.modelKey);
    assert.equal(embedder.dimensions, local.dimensions);
    assert.equal(embedder.maxTokens, local.maxTokens);
    for (const text of ['', 'Diesel is sold at the north quay.', 'Ünïcode and 🦀 and a longer sentence with several words in it']) {
      assert.equal(embedder.countTokens(text), local.countTokens(text));
    }
  });

  it("forwards texts and role, and returns the engine's vectors in order", async () => {
    const { embedder, sent } = connected();
    const texts = ['where is diesel sold', 'pontoon C'];
    const vectors = await embedder.embed(texts, 'document');
    assert.deepEqual(sent.at(-1), { model, texts, role: 'document' });
    assert.deepEqual(vectors, await local.embed(texts, 'document'));
    assert.ok(
      vectors.every((vector) => vector instanceof Float32Array),
      'vectors cross the channel as Float32Array',
    );
    assert.deepEqual(await embedder.embed([], 'document'), []);
  });

  it('cancels: the host sees its request cancelled and the call ends with CancelledError', async () => {
    const state = connected();
    state.answer = false;
    const controller = new AbortController();
    const pending = state.embedder.embed(['a passage'], 'document', controller.signal);
    await waitFor(() => state.sent.length === 1);
    controller.abort();
    await assert.rejects(pending, CancelledError);
    assert.deepEqual(state.cancelled, [{ model, texts: ['a passage'], role: 'document' }]);
    assert.equal(state.embedder.modelKey, local.modelKey);
    await assert.rejects(state.embedder.embed(['x'], 'document', controller.signal), CancelledError);
  });

  it("fails with the engine's reason, and disposing cancels what is still waiting", async () => {
    const state = connected();
    state.fail = Object.assign(new Error('the inference engine process was killed (SIGKILL)'), { name: 'EngineCrashedError' });
    await assert.rejects(state.embedder.embed(['x'], 'document'), { name: 'EngineCrashedError', message: /was killed/ });
    state.fail = undefined;
    state.answer = false;
    const waiting = state.embedder.embed(['y'], 'document');
    await waitFor(() => state.sent.length === 2);
    state.embedder.dispose();
    await assert.rejects(waiting, CancelledError);
    assert.equal(state.cancelled.length, 1, 'the host was told');
  });

  it('names the file when the model folder cannot be used', () => {
    const { port1, port2 } = new MessageChannel();
    try {
      assert.throws(() => EngineTextEmbedder.open(join(scratch, 'missing'), connectToPort(port1)), /missing/);
    } finally {
      port1.close();
      port2.close();
    }
  });
});
