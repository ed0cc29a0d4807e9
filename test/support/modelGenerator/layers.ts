import { contribDomain, DType, type GraphBuilder, type WeightRandom } from './onnxGraph';

/**
 * How a model's MatMul weights are stored: float32; int8 per output column with dynamic uint8 activations (q8, what
 * onnxruntime's `quantize_dynamic` writes); or 4-bit blocks of 32 along the input dimension in onnxruntime's
 * MatMulNBits (q4, what its MatMul4BitsQuantizer writes).
 */
export type WeightFormat = 'fp32' | 'q8' | 'q4';

/** The file a format is written to, in the onnx-community layout. */
export function modelFileOf(format: WeightFormat): string {
  return { fp32: 'onnx/model.onnx', q8: 'onnx/model_quantized.onnx', q4: 'onnx/model_q4.onnx' }[format];
}

/** One output block of a packed linear layer: its weights' name, width and whether it has a bias. */
export interface LinearPart {
  name: string;
  outDim: number;
  bias?: boolean;
}

const q4BlockSize = 32;

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
    const weights = options.weights ?? this.random.matrix(inDim * outDim, options.std ?? 0.02);
    const y = this.product(x, `${name}.weight`, weights, inDim, outDim);
    return options.bias ? this.g.o('Add', [y, this.g.initializer(`${name}.bias`, DType.float, [outDim], this.random.matrix(outDim, options.std ?? 0.02))]) : y;
  }

  /**
   * Several linear layers over the same input as one product (q, k and v; gate and up), their columns side by side,
   * as onnxruntime-genai's builder packs them. The weights are drawn in the order separate `linear` calls draw them, so
   * a packed model and an unpacked one of the same seed compute the same function.
   */
  linearPacked(x: string, inDim: number, parts: LinearPart[]): string {
    const totalOut = parts.reduce((sum, part) => sum + part.outDim, 0);
    const weights = new Float32Array(inDim * totalOut);
    const biases = new Float32Array(totalOut);
    let column = 0;
    for (const part of parts) {
      const own = this.random.matrix(inDim * part.outDim, 0.02);
      for (let row = 0; row < inDim; row++) weights.set(own.subarray(row * part.outDim, (row + 1) * part.outDim), row * totalOut + column);
      if (part.bias) biases.set(this.random.matrix(part.outDim, 0.02), column);
      column += part.outDim;
    }
    const name = parts.map((part) => part.name).join('+');
    const y = this.product(x, `${name}.weight`, weights, inDim, totalOut);
    return parts.some((part) => part.bias) ? this.g.o('Add', [y, this.g.initializer(`${name}.bias`, DType.float, [totalOut], biases)]) : y;
  }

  private product(x: string, name: string, weights: Float32Array, inDim: number, outDim: number): string {
    if (this.format === 'fp32') return this.g.o('MatMul', [x, this.g.initializer(name, DType.float, [inDim, outDim], weights)]);
    if (this.format === 'q4') {
      const { blocks, scales } = quantizeBlocks4(weights, inDim, outDim);
      const blockCount = Math.ceil(inDim / q4BlockSize);
      return this.g.op(
        'MatMulNBits',
        [x, this.g.initializer(`${name}_Q4`, DType.uint8, [outDim, blockCount, q4BlockSize / 2], blocks), this.g.initializer(`${name}_scales`, DType.float, [outDim * blockCount], scales)],
        { K: inDim, N: outDim, bits: 4, block_size: q4BlockSize, accuracy_level: 4 },
        1,
        contribDomain,
      )[0]!;
    }
    const { quantized, scales } = quantizeColumns(weights, inDim, outDim);
    const [xq, xScale, xZero] = this.quantizeActivation(x);
    const integer = this.g.o('MatMulInteger', [xq, this.g.initializer(`${name}_quantized`, DType.int8, [inDim, outDim], quantized), xZero]);
    const scale = this.g.o('Mul', [xScale, this.g.initializer(`${name}_scale`, DType.float, [outDim], scales)]);
    return this.g.o('Mul', [this.g.o('Cast', [integer], { to: DType.float }), scale]);
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
    if (this.format !== 'q8') return this.g.o('Gather', [this.g.initializer(`${name}.weight`, DType.float, [rows, dim], table), ids]);
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
    return this.g.o('Mul', [this.g.o('Mul', [x, inverse]), this.rmsNormWeight(name, dim)]);
  }

  rmsNormWeight(name: string, dim: number): string {
    return this.g.initializer(
      `${name}.weight`,
      DType.float,
      [dim],
      new Float32Array(dim).map(() => 1 + this.random.normal() * 0.02),
    );
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

/**
 * 4-bit blocks as MatMulNBits stores them: for each output column, blocks of 32 inputs, two per byte (low nibble
 * first), symmetric around the default zero point 8, one float scale per block.
 */
export function quantizeBlocks4(weights: Float32Array, rows: number, cols: number): { blocks: Uint8Array; scales: Float32Array } {
  const blockCount = Math.ceil(rows / q4BlockSize);
  const blocks = new Uint8Array(cols * blockCount * (q4BlockSize / 2)).fill(0x88);
  const scales = new Float32Array(cols * blockCount);
  for (let c = 0; c < cols; c++) {
    for (let b = 0; b < blockCount; b++) {
      const end = Math.min(rows, (b + 1) * q4BlockSize);
      let max = 0;
      for (let r = b * q4BlockSize; r < end; r++) max = Math.max(max, Math.abs(weights[r * cols + c]!));
      const scale = max / 7 || 1;
      scales[c * blockCount + b] = scale;
      for (let r = b * q4BlockSize; r < end; r++) {
        const level = Math.max(0, Math.min(15, Math.round(weights[r * cols + c]! / scale) + 8));
        const index = (c * blockCount + b) * (q4BlockSize / 2) + ((r - b * q4BlockSize) >> 1);
        blocks[index] = (r - b * q4BlockSize) % 2 === 0 ? (blocks[index]! & 0xf0) | level : (blocks[index]! & 0x0f) | (level << 4);
      }
    }
  }
  return { blocks, scales };
}
