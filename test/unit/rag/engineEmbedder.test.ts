import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CancelledError } from '../../../src/core/inference/abort';
import { OnnxTextEmbedder } from '../../../src/core/inference/textEmbedder';
import { type IndexEmbedCancel, type IndexEmbedRequest } from '../../../src/shared/ragProtocol';
import { EngineTextEmbedder } from '../../../src/worker/engineEmbedder';
import { generateEncoderModel } from '../../support/modelGenerator';
import { scratchDir } from '../../support/scratchDir';

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

  /** A host that answers each request with the in-process embedder, as the engine would. */
  function connected(): { embedder: EngineTextEmbedder; sent: (IndexEmbedRequest | IndexEmbedCancel)[]; answer: boolean } {
    const state = { embedder: undefined as unknown as EngineTextEmbedder, sent: [] as (IndexEmbedRequest | IndexEmbedCancel)[], answer: true };
    state.embedder = EngineTextEmbedder.open(model, (message) => {
      state.sent.push(message);
      if (message.kind !== 'embedRequest' || !state.answer) return;
      void local.embed(message.texts, message.role).then((vectors) => state.embedder.receive({ kind: 'embedResponse', id: message.id, ok: true, vectors, modelKey: local.modelKey }));
    });
    return state;
  }

  it('has the in-process embedder\'s model key, limits and token counts, so existing indexes stay valid', async () => {
    const { embedder } = connected();
    await embedder.probe();
    assert.equal(embedder.modelKey, local.modelKey);
    assert.equal(embedder.dimensions, local.dimensions);
    assert.equal(embedder.maxTokens, local.maxTokens);
    for (const text of ['', 'Diesel is sold at the north quay.', 'Ünïcode and 🦀 and a longer sentence with several words in it']) {
      assert.equal(embedder.countTokens(text), local.countTokens(text));
    }
  });

  it('forwards texts and role, and returns the engine\'s vectors in order', async () => {
    const { embedder, sent } = connected();
    const texts = ['where is diesel sold', 'pontoon C'];
    const vectors = await embedder.embed(texts, 'query');
    assert.deepEqual(sent.at(-1), { kind: 'embedRequest', id: (sent.at(-1) as IndexEmbedRequest).id, model, texts, role: 'query' });
    assert.deepEqual(vectors, await local.embed(texts, 'query'));
    assert.deepEqual(await embedder.embed([], 'document'), []);
  });

  it('cancels: the host is told, the call ends with CancelledError, a late answer is ignored', async () => {
    const state = connected();
    state.answer = false;
    const controller = new AbortController();
    const pending = state.embedder.embed(['a passage'], 'document', controller.signal);
    const request = state.sent.at(-1) as IndexEmbedRequest;
    controller.abort();
    await assert.rejects(pending, CancelledError);
    assert.deepEqual(state.sent.at(-1), { kind: 'embedCancel', id: request.id });
    state.embedder.receive({ kind: 'embedResponse', id: request.id, ok: true, vectors: [new Float32Array(3)], modelKey: 'other' });
    assert.equal(state.embedder.modelKey, local.modelKey);
    await assert.rejects(state.embedder.embed(['x'], 'document', controller.signal), CancelledError);
  });

  it('fails with the engine\'s reason, and disposing fails what is still waiting', async () => {
    const state = connected();
    state.answer = false;
    const failing = state.embedder.embed(['x'], 'document');
    const request = state.sent.at(-1) as IndexEmbedRequest;
    state.embedder.receive({ kind: 'embedResponse', id: request.id, ok: false, error: 'the inference engine process was killed (SIGKILL)' });
    await assert.rejects(failing, /was killed/);
    const waiting = state.embedder.embed(['y'], 'document');
    state.embedder.dispose();
    await assert.rejects(waiting, CancelledError);
  });

  it('names the file when the model folder cannot be used', () => {
    assert.throws(() => EngineTextEmbedder.open(join(scratch, 'missing'), () => undefined), /missing/);
  });
});
