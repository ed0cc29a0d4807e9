// What the cores can do: multiply-accumulates per second of onnxruntime's own GEMM kernels (fp32 MatMul and the
// int8 path that q8 models use) on large square products, with the benchmark's thread count.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOnnxRuntime } from '../../src/core/inference/onnxSession';
import { DType, GraphBuilder } from '../../test/support/modelGenerator/onnxGraph';

export async function measurePeakMacsPerSecond(threads: number, size = 1024, seconds = 3): Promise<{ fp32: number; int8: number }> {
  const ort = await loadOnnxRuntime();
  const dir = mkdtempSync(join(tmpdir(), 'chatwright-peak-'));
  try {
    const result = { fp32: 0, int8: 0 };
    for (const kind of ['fp32', 'int8'] as const) {
      // int8 is measured as the models compute it (dynamic activation quantization + MatMulInteger + rescale, which
      // onnxruntime fuses), so the fraction compares like with like.
      const g = new GraphBuilder();
      if (kind === 'fp32') {
        g.o('MatMul', ['x', g.initializer('w', DType.float, [size, size], new Float32Array(size * size).fill(0.01))], {}, 'y');
      } else {
        const [xq, xScale, xZero] = g.op('DynamicQuantizeLinear', ['x'], {}, 3) as [string, string, string];
        const product = g.o('MatMulInteger', [xq, g.initializer('w', DType.int8, [size, size], new Int8Array(size * size).fill(3)), xZero]);
        const scale = g.o('Mul', [xScale, g.initializer('w_scale', DType.float, [size], new Float32Array(size).fill(0.01))]);
        g.o('Mul', [g.o('Cast', [product], { to: DType.float }), scale], {}, 'y');
      }
      const file = join(dir, `${kind}.onnx`);
      writeFileSync(file, g.encode([{ name: 'x', type: DType.float, shape: [size, size] }], [{ name: 'y', type: DType.float, shape: [size, size] }], 'peak'));
      const session = await ort.InferenceSession.create(file, {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: 'all',
        extra: { session: { intra_op: { allow_spinning: '0' } } },
      });
      const x = new ort.Tensor(
        'float32',
        Float32Array.from({ length: size * size }, (_, i) => ((i * 7919) % 13) / 13 - 0.5),
        [size, size],
      );
      await session.run({ x });
      // The best of many short windows: other processes on a shared machine only ever slow a window down.
      const deadline = performance.now() + seconds * 1000;
      while (performance.now() < deadline) {
        const started = performance.now();
        await session.run({ x });
        result[kind] = Math.max(result[kind], size ** 3 / ((performance.now() - started) / 1000));
      }
      await session.release();
    }
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
