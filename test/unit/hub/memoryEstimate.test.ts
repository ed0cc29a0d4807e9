import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseNvidiaSmi } from '../../../src/core/hub/hardware';
import {
  architectureFromConfig,
  estimateMemory,
  judgeFit,
  kvCacheBytes,
  loraParameters,
  nf4BytesPerParameter,
  parametersFromConfig,
  quickFit,
  type Hardware,
} from '../../../src/core/hub/memoryEstimate';

// Llama-3.2-1B's config.json (the published values).
const llama32_1b = {
  model_type: 'llama',
  hidden_size: 2048,
  num_hidden_layers: 16,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 64,
  intermediate_size: 8192,
  vocab_size: 128256,
  max_position_embeddings: 131072,
  tie_word_embeddings: true,
};

// all-MiniLM-L6-v2's config.json.
const miniLm = { model_type: 'bert', hidden_size: 384, num_hidden_layers: 6, num_attention_heads: 12, intermediate_size: 1536, vocab_size: 30522, max_position_embeddings: 512 };

const GiB = 2 ** 30;

describe('memory estimates against hand-computed cases', () => {
  it('counts Llama-3.2-1B parameters from config.json: 1,235,814,400', () => {
    // embed 128256·2048 = 262,668,288; per layer: q 2048² + k,v 2·2048·512 + o 2048² = 10,485,760,
    // mlp 3·2048·8192 = 50,331,648, norms 4096 → 60,821,504 × 16 = 973,144,064; final norm 2048.
    assert.equal(parametersFromConfig(architectureFromConfig(llama32_1b)), 1_235_814_400);
  });

  it('counts all-MiniLM-L6-v2 parameters from config.json: 22,713,216 (the published 22.7M)', () => {
    // embeddings (30522 + 512 + 2)·384 + LayerNorm 768 = 11,918,592; per layer 4·384²+4·384 + LN 768 + 2·384·1536
    // + 1536 + 384 + LN 768 = 1,774,464 × 6 = 10,646,784; pooler 384² + 384 = 147,840.
    assert.equal(parametersFromConfig(architectureFromConfig(miniLm)), 22_713_216);
  });

  it('sizes the KV cache: Llama-3.2-1B at 4096 tokens in fp16 is 128 MiB', () => {
    // 2 · 16 layers · 8 kv heads · 64 · 4096 tokens · 2 bytes = 134,217,728
    assert.equal(kvCacheBytes(architectureFromConfig(llama32_1b), 4096, 1, 2), 128 * 2 ** 20);
    assert.equal(kvCacheBytes(architectureFromConfig(miniLm), 512, 1, 4), 0);
  });

  it('counts LoRA parameters at rank 16 on all linear layers: 11,272,192 for Llama-3.2-1B', () => {
    // per layer 16·[(2048+2048) + 2(2048+512) + (2048+2048) + 3(2048+8192)] = 16·44,032 = 704,512; × 16 layers
    assert.equal(loraParameters(architectureFromConfig(llama32_1b), 16), 11_272_192);
  });

  it('GPU fp16 inference of Llama-3.2-1B at 4096 tokens: (weights + KV + activations) × 1.2', () => {
    const arch = architectureFromConfig(llama32_1b);
    const parameters = 1_235_814_400;
    const fp16 = estimateMemory(arch, { parameters, contextLength: 4096 }).find((e) => e.variant === 'fp16/bf16');
    assert.ok(fp16);
    const weights = parameters * 2;
    const kv = 134_217_728;
    const activations = 4096 * (4 * 2048 + 2 * 8192) * 2 + 128256 * 4; // 201,326,592 + 513,024
    assert.equal(fp16.breakdown.weights, weights);
    assert.equal(fp16.breakdown.kvCache, kv);
    assert.equal(fp16.breakdown.activations, activations);
    assert.equal(fp16.bytes, Math.round((weights + kv + activations) * 1.2)); // 3,369,223,373 B ≈ 3.14 GiB
    assert.equal(fp16.bytes, 3_369_223_373);
  });

  it('GPU int4 keeps embeddings in fp16 and adds a scale per 128 weights', () => {
    const arch = architectureFromConfig(llama32_1b);
    const int4 = estimateMemory(arch, { parameters: 1_235_814_400, contextLength: 4096 }).find((e) => e.variant === 'int4');
    // (1,235,814,400 − 262,668,288)·(0.5 + 2/128) + 262,668,288·2
    assert.equal(int4?.breakdown.weights, (1_235_814_400 - 262_668_288) * (0.5 + 2 / 128) + 262_668_288 * 2);
  });

  it('ONNX CPU uses the variant file size and materialises the attention scores', () => {
    const arch = architectureFromConfig(llama32_1b);
    const q4 = estimateMemory(arch, { parameters: 1_235_814_400, contextLength: 2048, onnxWeights: { q4: 1_000_000_000 } }).find((e) => e.variant === 'onnx q4');
    const kv = 2 * 16 * 8 * 64 * 2048 * 4;
    const activations = 2048 * (4 * 2048 + 2 * 8192) * 4 + 32 * 2048 * 2048 * 4 + 128256 * 4;
    assert.equal(q4?.breakdown.kvCache, kv);
    assert.equal(q4?.bytes, Math.round((1_000_000_000 + kv + activations) * 1.2));
  });

  it('QLoRA of Llama-3.2-1B at sequence 2048, batch 1, rank 16', () => {
    const arch = architectureFromConfig(llama32_1b);
    const qlora = estimateMemory(arch, { parameters: 1_235_814_400, trainingSequenceLength: 2048, trainingBatch: 1, loraRank: 16 }).find((e) => e.scenario === 'qlora');
    const weights = (1_235_814_400 - 262_668_288) * nf4BytesPerParameter + 262_668_288 * 2;
    const state = 11_272_192 * 16;
    const activations = 16 * 2048 * 2048 * 2 + 34 * 2048 * 2048 + 8 * 2048 * 128256;
    assert.equal(qlora?.bytes, Math.round((weights + state + activations) * 1.2));
    assert.ok(Math.abs(nf4BytesPerParameter * 8 - 4.127) < 0.001);
  });

  it('encoders get no KV cache and no training estimate', () => {
    const scenarios = estimateMemory(architectureFromConfig(miniLm), { parameters: 22_713_216, onnxWeights: { fp32: 90_000_000 } }).map((e) => e.scenario);
    assert.deepEqual(scenarios, ['onnx-cpu', 'gpu-inference', 'gpu-inference']);
  });

  it('judges fits / tight / does not fit against RAM and the largest GPU', () => {
    const hardware: Hardware = { ramBytes: 16 * GiB, freeRamBytes: 8 * GiB, cpuCount: 8, gpus: [{ name: 'NVIDIA A10', memoryBytes: 24 * GiB, freeBytes: undefined }] };
    const cpu = (bytes: number) =>
      judgeFit(
        { scenario: 'onnx-cpu', variant: 'onnx q4', device: 'cpu', bytes, tokens: 1, batch: 1, breakdown: { weights: bytes, kvCache: 0, activations: 0, trainingState: 0, overhead: 0 } },
        hardware,
      ).fit;
    const gpu = (bytes: number, hw = hardware) =>
      judgeFit({ scenario: 'lora', variant: 'LoRA', device: 'gpu', bytes, tokens: 1, batch: 1, breakdown: { weights: bytes, kvCache: 0, activations: 0, trainingState: 0, overhead: 0 } }, hw).fit;
    assert.equal(cpu(11 * GiB), 'fits');
    assert.equal(cpu(14 * GiB), 'tight');
    assert.equal(cpu(15 * GiB), 'does-not-fit');
    assert.equal(gpu(20 * GiB), 'fits');
    assert.equal(gpu(23 * GiB), 'tight');
    assert.equal(gpu(25 * GiB), 'does-not-fit');
    assert.equal(gpu(1, { ...hardware, gpus: [] }), 'no-device');
  });

  it('gives search results a first fit hint from the parameter count', () => {
    const laptop: Hardware = { ramBytes: 8 * GiB, freeRamBytes: 4 * GiB, cpuCount: 4, gpus: [] };
    // 1.5B parameters in q4 (0.5625 B/param) × 1.2 = 1.0125 GB: fits in 8 GiB.
    assert.deepEqual(quickFit(1.5e9, ['fp32', 'q4'], laptop), { fit: 'fits', bytes: 1_012_500_000, label: 'CPU onnx q4' });
    // 7B in fp32 only: 33.6 GB does not fit.
    assert.equal(quickFit(7e9, ['fp32'], laptop)?.fit, 'does-not-fit');
    // Python-only: judged on the GPU, and there is none.
    assert.equal(quickFit(1e9, [], laptop)?.fit, 'no-device');
    assert.equal(quickFit(undefined, ['q4'], laptop), undefined);
  });

  it('reads nvidia-smi CSV output and skips noise', () => {
    const gpus = parseNvidiaSmi('NVIDIA H100 80GB HBM3, 81559, 80000\nWARNING: infoROM is corrupted\nNVIDIA A10, 23028, \n');
    assert.deepEqual(gpus, [
      { name: 'NVIDIA H100 80GB HBM3', memoryBytes: 81559 * 2 ** 20, freeBytes: 80000 * 2 ** 20 },
      { name: 'NVIDIA A10', memoryBytes: 23028 * 2 ** 20, freeBytes: undefined },
    ]);
  });

  it('names what is missing from a config', () => {
    assert.throws(() => architectureFromConfig({ model_type: 'x' }), /hidden_size/);
  });
});
