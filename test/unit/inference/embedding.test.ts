import * as assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { OnnxTextEmbedder } from '../../../src/core/inference/textEmbedder';
import { cosine, encoderModel } from '../../support/testModels';

const texts = [
  'Chatwright builds domain chatbots in VS Code.',
  'short',
  'Retrieval-augmented generation embeds every chunk of the corpus and looks up the nearest ones for each question; the lengths of chunks vary a lot, which is why batches are grouped by length.',
  'Ünïcödé and 日本語 text, with emoji 🦀.',
];

/** transformers.js's feature-extraction pipeline on the same folder, local files only. */
async function transformersJsVectors(dir: string, dtype: 'fp32' | 'q8', pooling: 'mean' | 'cls'): Promise<number[][]> {
  const { env, pipeline } = await import('@huggingface/transformers');
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.localModelPath = `${dirname(dir)}/`;
  const extractor = await pipeline('feature-extraction', basename(dir), { dtype });
  const output = await extractor(texts, { pooling, normalize: true });
  const vectors = output.tolist() as number[][];
  await extractor.dispose();
  return vectors;
}

describe('embeddings', () => {
  const model = encoderModel({ hiddenSize: 64, layers: 2, heads: 4, formats: ['fp32', 'q8'] });

  for (const dtype of ['fp32', 'q8'] as const) {
    it(`match transformers.js on the same model (${dtype}, cosine > 0.9999)`, async () => {
      const embedder = await OnnxTextEmbedder.load(model, { dtype });
      const ours = await embedder.embed(texts, 'document');
      const theirs = await transformersJsVectors(model, dtype, 'mean');
      assert.equal(ours.length, texts.length);
      ours.forEach((vector, i) => {
        assert.equal(vector.length, 64);
        const similarity = cosine(vector, theirs[i]!);
        assert.ok(similarity > 0.9999, `text ${i}: cosine ${similarity}`);
      });
      await embedder.dispose();
    });
  }

  it('gives the same vector for a text whatever else is in its batch', async () => {
    const embedder = await OnnxTextEmbedder.load(model, { maxBatchSize: 4 });
    const batched = await embedder.embed(texts, 'document');
    for (let i = 0; i < texts.length; i++) {
      const [alone] = await embedder.embed([texts[i]!], 'document');
      assert.ok(cosine(alone!, batched[i]!) > 0.99999, `text ${i} changed with padding`);
    }
    await embedder.dispose();
  });

  it('returns unit vectors when the model normalises, raw ones when it does not', async () => {
    const normalised = await OnnxTextEmbedder.load(model);
    const [vector] = await normalised.embed(['hello'], 'query');
    assert.ok(Math.abs(Math.hypot(...vector!) - 1) < 1e-5);
    const raw = encoderModel({ normalize: false, pooling: 'cls' });
    const unnormalised = await OnnxTextEmbedder.load(raw);
    assert.deepEqual({ pooling: unnormalised.recipe.pooling, normalize: unnormalised.recipe.normalize }, { pooling: 'cls', normalize: false });
    const [rawVector] = await unnormalised.embed(['hello'], 'query');
    assert.ok(Math.abs(Math.hypot(...rawVector!) - 1) > 1e-3);
    const theirs = await transformersJsVectors(raw, 'fp32', 'cls');
    const [ours] = await unnormalised.embed([texts[0]!], 'document');
    assert.ok(cosine(ours!, theirs[0]!) > 0.9999);
    await normalised.dispose();
    await unnormalised.dispose();
  });

  it('truncates long texts at the model maximum, keeping the final [SEP]', async () => {
    const embedder = await OnnxTextEmbedder.load(model, { maxTokens: 16 });
    const ids = embedder.encode('word '.repeat(100), 'document');
    assert.equal(ids.length, 16);
    assert.equal(ids.at(-1), 102);
    const [vector] = await embedder.embed(['word '.repeat(1000)], 'document');
    assert.equal(vector!.length, 64);
    assert.equal(embedder.countTokens('hello world'), 4);
    await embedder.dispose();
  });

  it('prefixes queries and documents as the model declares', async () => {
    writeFileSync(join(model, 'config_sentence_transformers.json'), JSON.stringify({ prompts: { query: 'query: ', document: 'passage: ' } }));
    const embedder = await OnnxTextEmbedder.load(model);
    assert.deepEqual(embedder.recipe.prefixes, { query: 'query: ', document: 'passage: ' });
    assert.equal(embedder.countTokens('query: what is rag?'), embedder.encode('what is rag?', 'query').length);
    const [query] = await embedder.embed(['what is rag?'], 'query');
    const [document] = await embedder.embed(['what is rag?'], 'document');
    assert.ok(cosine(query!, document!) < 0.99999, 'the role changes the input');
    await embedder.dispose();
  });

  it('stops between batches when cancelled', async () => {
    const embedder = await OnnxTextEmbedder.load(model, { maxBatchSize: 1 });
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(embedder.embed(texts, 'document', controller.signal), { name: 'CancelledError' });
    await embedder.dispose();
  });
});
