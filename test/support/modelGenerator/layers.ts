import { DType, type GraphBuilder, type WeightRandom } from './onnxGraph';

/** How a model's MatMul weights are stored: float32, or int8 per output column with dynamic uint8 activations (q8). */
export type WeightFormat = 'fp32' | 'q8';

/**
 * The building blocks shared by the encoder and the decoder. In q8 form a linear layer is what onnxruntime's
 * `quantize_dynamic` produces: DynamicQuantizeLinear on the activation, MatMulInteger, then a rescale.
 */
export class Layers {
  private readonly quantizedInputs = new Map<string, [string, string, string]>();

  constructor(
    readonly g: GraphBuilder,
    readonly random: WeightRandom,
    readonly format: WeightFormat,
  ) {}

  /** y = x W (+ b), with W of shape [inDim, outDim]; `weights` overrides the random initialisation. */
  linear(x: string, name: string, inDim: number, outDim: number, options: { bias?: boolean; std?: number; weights?: Float32Array } = {}): string {
    const std = options.std ?? 0.02;
    const weights = options.weights ?? this.random.matrix(inDim * outDim, std);
    let y: string;
    if (this.format === 'fp32') {
      y = this.g.o('MatMul', [x, this.g.initializer(`${name}.weight`, DType.float, [inDim, outDim], weights)]);
    } else {
      const { quantized, scales } = quantizeColumns(weights, inDim, outDim);
      const [xq, xScale, xZero] = this.quantizeActivation(x);
      const product = this.g.o('MatMulInteger', [xq, this.g.initializer(`${name}.weight_quantized`, DType.int8, [inDim, outDim], quantized), xZero]);
      const scale = this.g.o('Mul', [xScale, this.g.initializer(`${name}.weight_scale`, DType.float, [outDim], scales)]);
      y = this.g.o('Mul', [this.g.o('Cast', [product], { to: DType.float }), scale]);
    }
    if (options.bias) y = this.g.o('Add', [y, this.g.initializer(`${name}.bias`, DType.float, [outDim], this.random.matrix(outDim, std))]);
    return y;
  }

  private quantizeActivation(x: string): [string, string, string] {
    const cached = this.quantizedInputs.get(x);
    if (cached) return cached;
    const outputs = this.g.op('DynamicQuantizeLinear', [x], {}, 3) as [string, string, string];
    this.quantizedInputs.set(x, outputs);
    return outputs;
  }

  /** An embedding table lookup; in q8 form the table is int8 with one scale per row, dequantised after the lookup. */
  embedding(ids: string, name: string, rows: number, dim: number, table: Float32Array): string {
    if (this.format === 'fp32') return this.g.o('Gather', [this.g.initializer(`${name}.weight`, DType.float, [rows, dim], table), ids]);
    const { quantized, scales } = quantizeRows(table, rows, dim);
    const gathered = this.g.o('Cast', [this.g.o('Gather', [this.g.initializer(`${name}.weight_quantized`, DType.int8, [rows, dim], quantized), ids])], { to: DType.float });
    const rowScales = this.g.o('Gather', [this.g.initializer(`${name}.weight_scale`, DType.float, [rows, 1], scales), ids]);
    return this.g.o('Mul', [gathered, rowScales]);
  }

  layerNorm(x: string, name: string, dim: number, eps: number): string {
    const ones = new Float32Array(dim).map(() => 1 + this.random.normal() * 0.02);
    const gamma = this.g.initializer(`${name}.weight`, DType.float, [dim], ones);
    const beta = this.g.initializer(`${name}.bias`, DType.float, [dim], this.random.matrix(dim, 0.02));
    return this.g.o('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: { float: eps } });
  }

  /** RMSNorm written out (opset 17 has no RMSNormalization): x / sqrt(mean(x²) + eps) · w. */
  rmsNorm(x: string, name: string, dim: number, eps: number): string {
    const meanSquare = this.g.o('ReduceMean', [this.g.o('Mul', [x, x])], { axes: [-1], keepdims: 1 });
    const inverse = this.g.o('Reciprocal', [this.g.o('Sqrt', [this.g.o('Add', [meanSquare, this.g.floats([eps])])])]);
    const weight = this.g.initializer(`${name}.weight`, DType.float, [dim], new Float32Array(dim).map(() => 1 + this.random.normal() * 0.02));
    return this.g.o('Mul', [this.g.o('Mul', [x, inverse]), weight]);
  }

  /** GELU by its exact erf form (the Gelu operator arrives only at opset 20). */
  gelu(x: string): string {
    const erf = this.g.o('Erf', [this.g.o('Mul', [x, this.g.floats([Math.SQRT1_2])])]);
    return this.g.o('Mul', [this.g.o('Mul', [x, this.g.floats([0.5])]), this.g.o('Add', [erf, this.g.floats([1])])]);
  }

  silu(x: string): string {
    return this.g.o('Mul', [x, this.g.o('Sigmoid', [x])]);
  }
}

/** Symmetric int8 per output column (the layout of onnxruntime's per-channel dynamic quantization). */
export function quantizeColumns(weights: Float32Array, rows: number, cols: number): { quantized: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) scales[c] = Math.max(scales[c]!, Math.abs(weights[r * cols + c]!));
  }
  for (let c = 0; c < cols; c++) scales[c] = scales[c]! / 127 || 1;
  const quantized = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) quantized[r * cols + c] = Math.round(weights[r * cols + c]! / scales[c]!);
  }
  return { quantized, scales };
}

export function quantizeRows(table: Float32Array, rows: number, dim: number): { quantized: Int8Array; scales: Float32Array } {
  const scales = new Float32Array(rows);
  const quantized = new Int8Array(rows * dim);
  for (let r = 0; r < rows; r++) {
    let max = 0;
    for (let c = 0; c < dim; c++) max = Math.max(max, Math.abs(table[r * dim + c]!));
    const scale = max / 127 || 1;
    scales[r] = scale;
    for (let c = 0; c < dim; c++) quantized[r * dim + c] = Math.round(table[r * dim + c]! / scale);
  }
  return { quantized, scales };
}
