// Where one decoding step of the Qwen2.5-0.5B-shaped int8 model goes, inside onnxruntime (the runtime Chatwright and
// transformers.js share): per-operator kernel time from onnxruntime's own profiler, the time between kernels, and the
// rate at which onnxruntime's int8 matrix-vector kernel can stream weights on these cores (a large M=1 product).
// It shows how much any engine that runs this graph in this runtime could gain over another.
//   node --import tsx bench/inference/decodeProfile.ts [--models /tmp/chatwright-bench] [--steps 48]
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type * as Ort from 'onnxruntime-node';
import { loadOnnxRuntime } from '../../src/core/inference/onnxSession';
import { DType, GraphBuilder } from '../../test/support/modelGenerator/onnxGraph';
import { ensureBenchModels } from './benchModels';

const { values } = parseArgs({ options: { models: { type: 'string', default: '/tmp/chatwright-bench' }, steps: { type: 'string', default: '48' } } });
const threads = availableParallelism();
const steps = Number(values.steps);

interface ProfileEvent {
  cat: string;
  name: string;
  dur: number;
  args?: { op_name?: string };
}

async function decodeSteps(ort: typeof Ort, file: string, profile: boolean, scratch: string): Promise<{ stepMs: number[]; events: ProfileEvent[] }> {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    ...(profile ? { enableProfiling: true, profileFilePrefix: join(scratch, 'decode') } : {}),
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  const layers = session.inputNames.filter((name) => /^past_key_values\.\d+\.key$/.test(name)).length;
  const config = JSON.parse(readFileSync(join(file, '..', '..', 'config.json'), 'utf8')) as { num_key_value_heads: number; hidden_size: number; num_attention_heads: number };
  const headDim = config.hidden_size / config.num_attention_heads;
  let past: Record<string, Ort.Tensor> = {};
  for (let layer = 0; layer < layers; layer++) for (const kind of ['key', 'value']) past[`past_key_values.${layer}.${kind}`] = new ort.Tensor('float32', new Float32Array(0), [1, config.num_key_value_heads, 0, headDim]);
  let length = 0;
  const stepMs: number[] = [];
  for (let step = 0; step <= steps; step++) {
    const count = step === 0 ? 32 : 1;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from({ length: count }, (_, i) => BigInt(1000 + ((step * 31 + i * 17) % 5000))), [1, count]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(length + count).fill(1n), [1, length + count]),
      ...past,
    };
    if (session.inputNames.includes('position_ids')) feeds.position_ids = new ort.Tensor('int64', BigInt64Array.from({ length: count }, (_, i) => BigInt(length + i)), [1, count]);
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

/** GB/s of int8 weights onnxruntime's dynamic-quantization matrix-vector product streams (M=1, 4096 × 32768). */
async function gemvStreamingRate(ort: typeof Ort, scratch: string): Promise<number> {
  const [k, n] = [4096, 32768];
  const g = new GraphBuilder();
  const [xq, xScale, xZero] = g.op('DynamicQuantizeLinear', ['x'], {}, 3) as [string, string, string];
  const product = g.o('MatMulInteger', [xq, g.initializer('w', DType.int8, [k, n], Int8Array.from({ length: k * n }, (_, i) => ((i * 7919) % 255) - 127)), xZero]);
  const scale = g.o('Mul', [xScale, g.initializer('w_scale', DType.float, [n], new Float32Array(n).fill(0.01))]);
  g.o('Mul', [g.o('Cast', [product], { to: DType.float }), scale], {}, 'y');
  const file = join(scratch, 'gemv.onnx');
  writeFileSync(file, g.encode([{ name: 'x', type: DType.float, shape: [1, k] }], [{ name: 'y', type: DType.float, shape: [1, n] }], 'gemv'));
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: threads, interOpNumThreads: 1, graphOptimizationLevel: 'all', extra: { session: { intra_op: { allow_spinning: '0' } } } });
  const x = new ort.Tensor('float32', Float32Array.from({ length: k }, (_, i) => ((i * 13) % 17) / 17 - 0.5), [1, k]);
  await session.run({ x });
  let best = Infinity;
  const deadline = performance.now() + 2000;
  while (performance.now() < deadline) {
    const started = performance.now();
    await session.run({ x });
    best = Math.min(best, performance.now() - started);
  }
  await session.release();
  return (k * n) / (best / 1000) / 1e9;
}

async function main(): Promise<void> {
  const ort = await loadOnnxRuntime();
  const models = ensureBenchModels(values.models, (line) => console.log(line));
  const file = join(models.qwen.dir, 'onnx', 'model_quantized.onnx');
  const scratch = mkdtempSync(join(tmpdir(), 'chatwright-decode-profile-'));
  try {
    const plain = await decodeSteps(ort, file, false, scratch);
    const median = [...plain.stepMs].sort((a, b) => a - b)[plain.stepMs.length >> 1]!;
    const { events } = await decodeSteps(ort, file, true, scratch);
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
    const gemv = await gemvStreamingRate(ort, scratch);
    const weightBytes = models.qwen.parameters; // int8: one byte per weight
    console.log(`Qwen2.5-0.5B shape, int8, ${threads} threads: ${steps} decoding steps after a 32-token prompt`);
    console.log(`  step (no profiler): median ${median.toFixed(2)} ms = ${(1000 / median).toFixed(1)} tokens/s`);
    console.log(`  with the profiler: ${(runUs / runs.length / 1000).toFixed(2)} ms per step, of which kernels ${(kernelUs / runs.length / 1000).toFixed(2)} ms (${((100 * kernelUs) / runUs).toFixed(0)}%) over ${Math.round(perRun)} operators`);
    console.log(`  int8 matrix products (incl. activation quantization): ${((100 * matmulUs) / runUs).toFixed(0)}% of the step, streaming ${((weightBytes / (matmulUs / runs.length)) * 1e6 / 1e9).toFixed(1)} GB/s of weights`);
    const matmulCount = matmulOps.reduce((sum, op) => sum + (byOp.get(op)?.count ?? 0), 0) / runs.length;
    console.log(`  everything else (${Math.round(perRun - matmulCount)} other operators, and the time between kernels): ${(100 - (100 * matmulUs) / runUs).toFixed(0)}%`);
    for (const [op, entry] of [...byOp].sort((a, b) => b[1].us - a[1].us).slice(0, 10)) console.log(`    ${op.padEnd(24)} ${((100 * entry.us) / runUs).toFixed(1).padStart(5)}%  ${(entry.count / runs.length).toFixed(0).padStart(4)} per step`);
    console.log(`  onnxruntime's int8 matrix-vector kernel on a large product: ${gemv.toFixed(1)} GB/s of weights`);
    const bestCase = (median / 1000) / (weightBytes / (gemv * 1e9));
    console.log(`  an engine running this graph could at most be ${bestCase.toFixed(2)}x faster than this step even if every non-matrix operator cost nothing and every product streamed at that rate`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main();
