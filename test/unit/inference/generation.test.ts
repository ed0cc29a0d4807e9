import * as assert from 'node:assert/strict';
import { copyFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { OnnxTextGenerator } from '../../../src/core/inference/textGenerator';
import { cosine, decoderModel, encoderModel } from '../../support/testModels';

const chat = [{ role: 'user', content: 'Say something.' }];

function maxDifference(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function spread(values: Float32Array): number {
  let [low, high] = [Infinity, -Infinity];
  for (const value of values) [low, high] = [Math.min(low, value), Math.max(high, value)];
  return high - low;
}

/**
 * Decodes greedily with the KV cache and checks each step's logits against a pass over the whole sequence so far;
 * `tolerance` gets the fresh logits of a step.
 */
async function assertCacheMatchesRecompute(generator: OnnxTextGenerator, newTokens: number, tolerance: (fresh: Float32Array) => number): Promise<void> {
  const prompt = generator.encodeChat(chat);
  const cached: Float32Array[] = [];
  const result = await generator.generateFromIds(prompt, { temperature: 0, maxNewTokens: newTokens }, undefined, undefined, (logits) => cached.push(logits));
  assert.equal(result.tokens.length, newTokens);
  for (let step = 0; step < cached.length; step++) {
    const fresh = await generator.logitsWithoutCache([...prompt, ...result.tokens.slice(0, step)]);
    const [worst, allowed] = [maxDifference(fresh, cached[step]!), tolerance(fresh)];
    assert.ok(worst < allowed, `step ${step}: logits differ by ${worst} (tolerance ${allowed})`);
  }
}

describe('text generation with the KV cache', () => {
  const random = decoderModel({ layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2, formats: ['fp32', 'q8'] });

  it('gives the same logits as recomputing from scratch at every step (fp32)', async () => {
    const generator = await OnnxTextGenerator.load(random.dir, { dtype: 'fp32' });
    await assertCacheMatchesRecompute(generator, 12, () => 1e-4);
    await generator.dispose();
  });

  // q8 quantizes activations dynamically with one scale per input tensor, so a one-token step and a whole-sequence
  // pass legitimately round differently, and how much depends on the CPU: without AVX-512 VNNI, onnxruntime sums
  // u8×s8 pairs in 16 bits, which can saturate. What holds on every CPU: the cache's deviation stays within the
  // quantization error itself, measured on this machine as the distance of the same pass in q8 from fp32.
  it('gives the same logits as recomputing from scratch at every step, within the quantization error (q8)', async () => {
    const quantized = await OnnxTextGenerator.load(random.dir, { dtype: 'q8' });
    const full = await OnnxTextGenerator.load(random.dir, { dtype: 'fp32' });
    const prompt = quantized.encodeChat(chat);
    const cached: Float32Array[] = [];
    const result = await quantized.generateFromIds(prompt, { temperature: 0, maxNewTokens: 12 }, undefined, undefined, (logits) => cached.push(logits));
    for (let step = 0; step < cached.length; step++) {
      const tokens = [...prompt, ...result.tokens.slice(0, step)];
      const fresh = await quantized.logitsWithoutCache(tokens);
      const quantizationError = maxDifference(fresh, await full.logitsWithoutCache(tokens));
      const allowed = Math.max(2 * quantizationError, 0.01 * spread(fresh));
      const worst = maxDifference(fresh, cached[step]!);
      assert.ok(worst < allowed, `step ${step}: cached and recomputed q8 logits differ by ${worst}; the q8 pass itself is ${quantizationError} from fp32 (allowed ${allowed})`);
    }
    await quantized.dispose();
    await full.dispose();
  });

  it('runs the Llama layout (no q/k/v biases, one KV head per four query heads) with a matching cache', async () => {
    const llama = decoderModel({ architecture: 'llama', layers: 2, hiddenSize: 64, heads: 8, kvHeads: 2 });
    const generator = await OnnxTextGenerator.load(llama.dir);
    await assertCacheMatchesRecompute(generator, 6, () => 1e-4);
    await generator.dispose();
  });

  describe("exports in onnxruntime-genai's fused operators (GroupQueryAttention, SkipSimplifiedLayerNormalization, packed products)", () => {
    const fused = decoderModel({ layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2, formats: ['fp32', 'q4'], graphStyle: 'fused' });

    it('computes what the exported graph of the same weights computes, with no position_ids input', async () => {
      const exported = await OnnxTextGenerator.load(random.dir);
      const ours = await OnnxTextGenerator.load(fused.dir);
      const prompt = exported.encodeChat(chat);
      assert.ok(maxDifference(await ours.logitsWithoutCache(prompt), await exported.logitsWithoutCache(prompt)) < 1e-4);
      const a = await exported.generate(chat, { temperature: 0, maxNewTokens: 12 });
      const b = await ours.generate(chat, { temperature: 0, maxNewTokens: 12 });
      assert.deepEqual(b.tokens, a.tokens);
      await exported.dispose();
      await ours.dispose();
    });

    it('packs 4-bit weights the way MatMulNBits reads them: q4 logits follow the fp32 ones', async () => {
      const full = await OnnxTextGenerator.load(fused.dir, { dtype: 'fp32' });
      const fourBit = await OnnxTextGenerator.load(fused.dir, { dtype: 'q4' });
      const prompt = full.encodeChat(chat);
      const similarity = cosine(await fourBit.logitsWithoutCache(prompt), await full.logitsWithoutCache(prompt));
      assert.ok(similarity > 0.99, `cosine of q4 and fp32 logits ${similarity}`);
      await full.dispose();
      await fourBit.dispose();
    });

    for (const dtype of ['fp32', 'q4'] as const) {
      it(`keeps GroupQueryAttention's cache equal to recomputing from scratch (${dtype}${dtype === 'q4' ? ', MatMulNBits' : ''})`, async () => {
        const generator = await OnnxTextGenerator.load(fused.dir, { dtype });
        await assertCacheMatchesRecompute(generator, 8, () => 1e-4);
        await generator.dispose();
      });
    }
  });

  it('decodes greedily the same tokens as transformers.js on the same model', async () => {
    const { env, pipeline } = await import('@huggingface/transformers');
    env.allowRemoteModels = false;
    env.localModelPath = `${dirname(random.dir)}/`;
    const theirs = await pipeline('text-generation', basename(random.dir), { dtype: 'fp32' });
    const prompt = 'The quick brown fox';
    const [output] = (await theirs(prompt, { max_new_tokens: 10, do_sample: false, return_full_text: false })) as { generated_text: string }[];
    await theirs.dispose();
    const generator = await OnnxTextGenerator.load(random.dir);
    const ours = await generator.complete(prompt, { temperature: 0, maxNewTokens: 10 });
    assert.equal(ours.text, output!.generated_text);
    await generator.dispose();
  });

  it('decodes greedily the same way every time', async () => {
    const generator = await OnnxTextGenerator.load(random.dir);
    const first = await generator.generate(chat, { temperature: 0, maxNewTokens: 16 });
    const second = await generator.generate(chat, { temperature: 0, maxNewTokens: 16 });
    assert.deepEqual(second.tokens, first.tokens);
    assert.equal(first.stats.finishReason, 'length');
    assert.equal(first.stats.generatedTokens, 16);
    assert.ok(first.stats.promptTokens > 5 && first.stats.timeToFirstTokenMs > 0 && first.stats.tokensPerSecond > 0);
    await generator.dispose();
  });

  it('samples reproducibly with a seed, and differently with another', async () => {
    const generator = await OnnxTextGenerator.load(random.dir);
    const run = (seed: number) => generator.generate(chat, { temperature: 1.5, topK: 0, seed, maxNewTokens: 10 }).then((r) => r.tokens);
    const a = await run(11);
    assert.deepEqual(await run(11), a);
    assert.notDeepEqual(await run(12), a);
    await generator.dispose();
  });

  it('feeds num_logits_to_keep to exports that take it, with the same results', async () => {
    const withInput = decoderModel({ layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2, logitsToKeepInput: true });
    const plain = await OnnxTextGenerator.load(random.dir);
    const keeping = await OnnxTextGenerator.load(withInput.dir);
    const a = await plain.generate(chat, { temperature: 0, maxNewTokens: 8 });
    const b = await keeping.generate(chat, { temperature: 0, maxNewTokens: 8 });
    assert.deepEqual(b.tokens, a.tokens);
    await plain.dispose();
    await keeping.dispose();
  });

  it('refuses a prompt longer than the context window and caps the answer at it', async () => {
    const small = decoderModel({ maxPositions: 40 });
    const generator = await OnnxTextGenerator.load(small.dir);
    await assert.rejects(generator.generate([{ role: 'user', content: 'word '.repeat(60) }], {}), /context window of 40/);
    const capped = await generator.generate([{ role: 'user', content: 'hi' }], { temperature: 0, maxNewTokens: 100 });
    assert.equal(capped.stats.finishReason, 'context');
    assert.equal(capped.stats.promptTokens + capped.stats.generatedTokens, 40);
    await generator.dispose();
  });
});

describe('streamed answers of a scripted model', () => {
  const script = 'Grüße 🦀 aus Köln, ENDE der Antwort';
  const scripted = decoderModel({ script, hiddenSize: 64 });

  it('streams multi-byte text without broken characters and ends at EOS', async () => {
    const generator = await OnnxTextGenerator.load(scripted.dir);
    const deltas: string[] = [];
    const result = await generator.generate(chat, { temperature: 0 }, (delta) => deltas.push(delta));
    assert.equal(result.text, script);
    assert.equal(deltas.join(''), script);
    for (const delta of deltas) assert.ok(!delta.includes('\uFFFD'), `broken character in ${JSON.stringify(delta)}`);
    assert.ok(deltas.includes(' 🦀') || deltas.some((delta) => delta.includes('🦀')), 'the crab arrives whole');
    assert.ok(result.tokens.length > deltas.length, 'some tokens were held until their character was complete');
    assert.equal(result.stats.finishReason, 'eos');
    await generator.dispose();
  });

  it('stops before a stop string that spans several tokens', async () => {
    const generator = await OnnxTextGenerator.load(scripted.dir);
    const tokens = scripted.scriptTokens!.map((id) => generator.tokenizer.decode([id]));
    const stop = 'Köln, EN';
    assert.ok(!tokens.some((token) => token.includes(stop)), `the stop string must span tokens: ${JSON.stringify(tokens)}`);
    const deltas: string[] = [];
    const result = await generator.generate(chat, { temperature: 0, stop: [stop] }, (delta) => deltas.push(delta));
    assert.equal(result.text, 'Grüße 🦀 aus ');
    assert.equal(deltas.join(''), 'Grüße 🦀 aus ');
    assert.equal(result.stats.finishReason, 'stop');
    await generator.dispose();
  });

  it('stops within one token when cancelled, keeping what was streamed', async () => {
    const generator = await OnnxTextGenerator.load(scripted.dir);
    const controller = new AbortController();
    let tokensAfterAbort = 0;
    const result = await generator.generate(
      chat,
      { temperature: 0 },
      () => {
        if (controller.signal.aborted) tokensAfterAbort++;
        controller.abort();
      },
      controller.signal,
    );
    assert.equal(result.stats.finishReason, 'cancelled');
    assert.equal(result.text, 'Gr');
    assert.equal(tokensAfterAbort, 0);
    await generator.dispose();
  });
});

describe('model files that are wrong', () => {
  it('names a corrupt ONNX file in the error', async () => {
    const model = decoderModel();
    const file = join(model.dir, 'onnx', 'model.onnx');
    writeFileSync(file, Buffer.from('this is not a protobuf at all'));
    await assert.rejects(OnnxTextGenerator.load(model.dir), (error: Error) => {
      assert.equal(error.name, 'ModelError');
      assert.ok(error.message.includes(file), error.message);
      assert.match(error.message, /corrupt|not an ONNX model/);
      return true;
    });
  });

  it('says an encoder is not a text-generation model', async () => {
    const model = decoderModel();
    const encoder = encoderModel();
    copyFileSync(join(encoder, 'onnx', 'model.onnx'), join(model.dir, 'onnx', 'model.onnx'));
    await assert.rejects(OnnxTextGenerator.load(model.dir), /model\.onnx does not look like a text-generation model with a KV cache: it lacks output 'logits'/);
  });

  it('says when the tokenizer does not belong to the model (ids past its vocabulary)', async () => {
    const small = decoderModel({ vocabSize: 512 });
    const generator = await OnnxTextGenerator.load(small.dir);
    await assert.rejects(generator.generate([{ role: 'user', content: 'hello there' }], {}), /tokenizer produced token id \d+ but config\.json's vocab_size is 512/);
    await generator.dispose();
  });

  it('says what a folder without ONNX weights lacks', async () => {
    await assert.rejects(OnnxTextGenerator.load(join(encoderModel(), '1_Pooling')), /no ONNX weights/);
    await assert.rejects(OnnxTextGenerator.load('no-such-org/no-such-model'), /not found/);
  });
});
