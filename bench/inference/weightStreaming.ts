// The memory frame of batch-1 decoding: every token multiplies the activations by every weight matrix once, so a
// token cannot take less time than streaming the model's matrices from memory. Measured here with onnxruntime's own
// int8 kernel (the one q8 models run) on exactly the model's bytes, laid out as two large products with nothing else
// in the graph: no attention, no norms, no per-operator overhead. No engine that reads each weight once per token
// can decode faster on these cores than this.
import { randomFillSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { DType, GraphBuilder } from '../../test/support/modelGenerator/onnxGraph';

export interface DecoderMatrices {
  hidden: number;
  intermediate: number;
  layers: number;
  kvDim: number;
  vocab: number;
}

export function decoderMatricesOf(modelDir: string): DecoderMatrices {
  const config = JSON.parse(readFileSync(join(modelDir, 'config.json'), 'utf8')) as Record<string, number>;
  const heads = config.num_attention_heads!;
  const headDim = config.head_dim ?? config.hidden_size! / heads;
  return { hidden: config.hidden_size!, intermediate: config.intermediate_size!, layers: config.num_hidden_layers!, kvDim: (config.num_key_value_heads ?? heads) * headDim, vocab: config.vocab_size! };
}

/** Bytes of int8 weights one decoded token reads: q, k, v, o, gate, up, down per layer, and the LM head. */
export function weightBytesPerToken(m: DecoderMatrices): number {
  return m.layers * (m.hidden * (2 * m.hidden + 2 * m.kvDim) + 3 * m.hidden * m.intermediate) + m.hidden * m.vocab;
}

/** Writes the model's matrices as two int8 products (those reading the hidden state, those reading the MLP's). */
export function writeWeightStreamingGraph(file: string, m: DecoderMatrices): void {
  const g = new GraphBuilder();
  const product = (input: string, k: number, n: number, output: string): void => {
    const [xq, xScale, xZero] = g.op('DynamicQuantizeLinear', [input], {}, 3) as [string, string, string];
    const integer = g.o('MatMulInteger', [xq, g.initializer(`${output}.weight`, DType.int8, [k, n], randomFillSync(new Int8Array(k * n))), xZero]);
    const scale = g.o('Mul', [xScale, g.initializer(`${output}.scale`, DType.float, [n], new Float32Array(n).fill(1e-3))]);
    g.o('Mul', [g.o('Cast', [integer], { to: DType.float }), scale], {}, output);
  };
  const fromHidden = m.layers * (2 * m.hidden + 2 * m.kvDim + 2 * m.intermediate) + m.vocab;
  product('hidden_state', m.hidden, fromHidden, 'from_hidden');
  product('mlp_state', m.intermediate, m.layers * m.hidden, 'from_mlp');
  writeFileSync(
    file,
    g.encode(
      [
        { name: 'hidden_state', type: DType.float, shape: [1, m.hidden] },
        { name: 'mlp_state', type: DType.float, shape: [1, m.intermediate] },
      ],
      [
        { name: 'from_hidden', type: DType.float, shape: [1, fromHidden] },
        { name: 'from_mlp', type: DType.float, shape: [1, m.layers * m.hidden] },
      ],
      'weight-streaming',
    ),
  );
}

/** Median milliseconds to stream the graph's weights once, over `seconds` of back-to-back runs. */
export async function measureWeightStreamingMs(ort: typeof Ort, file: string, m: DecoderMatrices, threads: number, seconds = 2): Promise<number> {
  const session = await ort.InferenceSession.create(file, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    extra: { session: { intra_op: { allow_spinning: '0' } } },
  });
  try {
    const state = (size: number): Ort.Tensor =>
      new ort.Tensor(
        'float32',
        Float32Array.from({ length: size }, (_, i) => ((i * 7919) % 101) / 101 - 0.5),
        [1, size],
      );
    const feeds = { hidden_state: state(m.hidden), mlp_state: state(m.intermediate) };
    await session.run(feeds);
    const times: number[] = [];
    const deadline = performance.now() + seconds * 1000;
    while (performance.now() < deadline || times.length < 5) {
      const started = performance.now();
      await session.run(feeds);
      times.push(performance.now() - started);
    }
    return times.sort((a, b) => a - b)[times.length >> 1]!;
  } finally {
    await session.release();
  }
}
