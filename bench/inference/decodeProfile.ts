// Where one decoding step of the Qwen2.5-0.5B-shaped int8 model goes, inside onnxruntime (the runtime Chatwright and
// transformers.js share): per-operator kernel time from onnxruntime's own profiler and the time between kernels, set
// against two references measured in the same run — the same weights in onnxruntime-genai's fused operators (what
// rewriting the exported graph could reach) and the weights' matrix products alone (the memory floor no engine
// reading each weight once per token can pass).
//   node --import tsx bench/inference/decodeProfile.ts [--models /tmp/chatwright-bench] [--steps 48]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type * as Ort from 'onnxruntime-node';
import { loadOnnxRuntime } from '../../src/core/inference/onnxSession';
import { ensureBenchModels, ensureFusedQwenModel } from './benchModels';
import { decoderMatricesOf, measureWeightStreamingMs, weightBytesPerToken, writeWeightStreamingGraph } from './weightStreaming';

const { values } = parseArgs({ options: { models: { type: 'string', default: '/tmp/chatwright-bench' }, steps: { type: 'string', default: '48' } } });
const threads = availableParallelism();
const steps = Number(values.steps);

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

interface KvShape {
  kvHeads: number;
  headDim: number;
}

async function decodeSteps(ort: typeof Ort, file: string, kv: KvShape, profile: boolean, scratch: string): Promise<{ stepMs: number[]; events: ProfileEvent[] }> {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...(profile ? { enableProfiling: true, profileFilePrefix: join(scratch, 'decode') } : {}),
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const layers = session.inputNames.filter((name) => /^past_key_values\.\d+\.key$/.test(name)).length;
  let past: Record<string, Ort.Tensor> = {};
  for (let layer = 0; layer < layers; layer++)
    for (const kind of ['key', 'value']) past[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, kv.kvHeads, 0, kv.headDim]);
  let length = 0;
  const stepMs: number[] = [];
  for (let step = 0; step <= steps; step++) {
    const count = step === 0 ? 32 : 1;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: count }, (_, i) => BigInt(1000 + ((step * 31 + i * 17) % 5000))),
        [1, count],
      ),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(length + count).fill(1n), [1, length + count]),
      ...past,
    };
    if (session.inputNames.includes('position_ids'))
      feeds.position_ids = new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: count }, (_, i) => BigInt(length + i)),
        [1, count],
      );
    const started = performance.now();
    const outputs = await session.run(feeds);
    if (step > 0) stepMs.push(performance.now() - started);
    length += count;
    past = {};
    for (let layer = 0; layer < layers; layer++) for (const kind of ['key', 'value']) past[`past_key_values.${layer}.${kind}`] = outputs[`present.${layer}.${kind}`]!;
  }
  let events: ProfileEvent[] = [];
  if (profile) {
    session.endProfiling();
    const written = readdirSync(scratch).find((name) => name.startsWith('decode') && name.endsWith('.json'));
    if (written) events = JSON.parse(readFileSync(join(scratch, written), 'utf8')) as ProfileEvent[];
  }
  await session.release();
  return { stepMs, events };
}

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;

async function main(): Promise<void> {
  const ort = await loadOnnxRuntime();
  const models = ensureBenchModels(values.models, (line) => console.log(line));
  const file = join(models.qwen.dir, 'onnx', 'model_quantized.onnx');
  const config = JSON.parse(readFileSync(join(models.qwen.dir, 'config.json'), 'utf8')) as Record<string, number>;
  const kv = { kvHeads: config.num_key_value_heads!, headDim: config.hidden_size! / config.num_attention_heads! };
  const matrices = decoderMatricesOf(models.qwen.dir);
  const bytes = weightBytesPerToken(matrices);
  const scratch = mkdtempSync(join(tmpdir(), 'chatwright-decode-profile-'));
  try {
    const fusedFile = join(ensureFusedQwenModel(values.models, (line) => console.log(line)).dir, 'onnx', 'model_quantized.onnx');
    const streamingFile = join(scratch, 'weights.onnx');
    writeWeightStreamingGraph(streamingFile, matrices);
    // Alternating rounds, each compared within itself: memory bandwidth on a shared machine moves with its neighbours.
    const exported: number[] = [];
    const fused: number[] = [];
    const floor: number[] = [];
    for (let round = 0; round < 3; round++) {
      exported.push(median((await decodeSteps(ort, file, kv, false, scratch)).stepMs));
      fused.push(median((await decodeSteps(ort, fusedFile, kv, false, scratch)).stepMs));
      floor.push(await measureWeightStreamingMs(ort, streamingFile, matrices, threads));
    }
    const list = (values: number[], digits = 2): string => values.map((value) => value.toFixed(digits)).join(', ');
    const ratios = (of: number[]): string => list(exported.map((ms, round) => ms / of[round]!));
    console.log(`Qwen2.5-0.5B shape, int8, ${threads} threads: median step of ${steps} decoding steps after a 32-token prompt, in 3 alternating rounds`);
    console.log(`  the exported graph (what both engines run): ${list(exported)} ms`);
    console.log(
      `  the same weights in onnxruntime-genai's fused operators (GroupQueryAttention with rotary, SkipSimplifiedLayerNormalization, packed QKV and gate/up products): ${list(fused)} ms → the exported graph's step ÷ this: ${ratios(fused)}`,
    );
    console.log(
      `  the weights' matrix products alone (${(bytes / 1e6).toFixed(0)} MB per token at ${list(
        floor.map((ms) => bytes / ms / 1e6),
        1,
      )} GB/s): ${list(floor)} ms → no engine reading each weight once per token passes ${ratios(floor)}x the exported graph on these cores`,
    );

    const { events } = await decodeSteps(ort, file, kv, true, scratch);
    const runs = events.filter((event) => event.cat === 'Session' && event.name === 'model_run').slice(1);
    const runUs = runs.reduce((sum, event) => sum + event.dur, 0);
    const byOp = new Map<string, { count: number; us: number }>();
    // Kernel events of the decoding steps only: the first model_run (the prompt) is left out by skipping its kernels.
    const kernels = events.filter((event) => event.cat === 'Node' && event.name.endsWith('_kernel_time'));
    const perRun = kernels.length / (runs.length + 1);
    for (const event of kernels.slice(Math.round(perRun))) {
      const op = event.args?.op_name ?? '?';
      const entry = byOp.get(op) ?? { count: 0, us: 0 };
      entry.count++;
      entry.us += event.dur;
      byOp.set(op, entry);
    }
    const kernelUs = [...byOp.values()].reduce((sum, entry) => sum + entry.us, 0);
    const matmulOps = ['MatMulIntegerToFloat', 'DynamicQuantizeMatMul', 'MatMulInteger', 'DynamicQuantizeLinear'];
    const matmulUs = matmulOps.reduce((sum, op) => sum + (byOp.get(op)?.us ?? 0), 0);
    const matmulCount = matmulOps.reduce((sum, op) => sum + (byOp.get(op)?.count ?? 0), 0) / runs.length;
    console.log(
      `  the exported graph under onnxruntime's profiler (which slows every kernel): ${(runUs / runs.length / 1000).toFixed(2)} ms per step, kernels ${((100 * kernelUs) / runUs).toFixed(0)}% over ${Math.round(perRun)} operators`,
    );
    console.log(
      `    int8 matrix products (with activation quantization): ${((100 * matmulUs) / runUs).toFixed(0)}%; the ${Math.round(perRun - matmulCount)} other operators and the time between kernels: ${(100 - (100 * matmulUs) / runUs).toFixed(0)}%`,
    );
    for (const [op, entry] of [...byOp].sort((a, b) => b[1].us - a[1].us).slice(0, 10))
      console.log(`    ${op.padEnd(24)} ${((100 * entry.us) / runUs).toFixed(1).padStart(5)}%  ${(entry.count / runs.length).toFixed(0).padStart(4)} per step`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main();
