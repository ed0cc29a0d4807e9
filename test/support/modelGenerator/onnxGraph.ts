import { onnx } from 'onnx-proto';

/** The domain of onnxruntime's contrib operators. */
export const contribDomain = 'com.microsoft';

/** ONNX element types used by the generated models. */
export const DType = { float: 1, uint8: 2, int8: 3, int32: 6, int64: 7, bool: 9 } as const;
export type DTypeCode = (typeof DType)[keyof typeof DType];

type AttributeValue = number | string | number[] | { ints: number[] } | { float: number };

/** A graph input or output: a name, an element type and a shape whose strings are symbolic dimensions. */
export interface ValueSpec {
  name: string;
  type: DTypeCode;
  shape: (number | string)[];
}

/**
 * A small builder over onnx-proto: nodes get unique names, initializers are raw little-endian bytes, constants are
 * deduplicated. Methods return the name of the tensor they produce so graphs read like the arithmetic they encode.
 */
export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly constants = new Map<string, string>();
  private counter = 0;
  /** Total bytes of weights, to report model sizes. */
  weightBytes = 0;

  constructor(private readonly opset = 17) {}

  private fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  op(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputNames?: string[] | number, domain = ''): string[] {
    const count = typeof outputNames === 'number' ? outputNames : (outputNames?.length ?? 1);
    const outputs = Array.isArray(outputNames) ? outputNames : Array.from({ length: count }, () => this.fresh(`/${opType}_out`));
    const attribute: onnx.IAttributeProto[] = Object.entries(attributes).map(([name, value]) => {
      if (typeof value === 'string') return { name, type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode(value) };
      if (Array.isArray(value)) return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: value };
      if (typeof value === 'number') return { name, type: onnx.AttributeProto.AttributeType.INT, i: value };
      if ('float' in value) return { name, type: onnx.AttributeProto.AttributeType.FLOAT, f: value.float };
      return { name, type: onnx.AttributeProto.AttributeType.INTS, ints: value.ints };
    });
    this.nodes.push({ opType, input: inputs, output: outputs, name: this.fresh(`/${opType}`), attribute, domain });
    return outputs;
  }

  /** One-output node. */
  o(opType: string, inputs: string[], attributes: Record<string, AttributeValue> = {}, outputName?: string): string {
    return this.op(opType, inputs, attributes, outputName ? [outputName] : 1)[0]!;
  }

  initializer(name: string, type: DTypeCode, dims: number[], data: Float32Array | Int8Array | Uint8Array | BigInt64Array | Int32Array): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.weightBytes += bytes.byteLength;
    this.initializers.push({ name, dataType: type, dims, rawData: bytes });
    return name;
  }

  /** A float constant (scalar when dims is empty). */
  floats(values: number[], dims: number[] = values.length === 1 ? [] : [values.length]): string {
    return this.constant(DType.float, dims, Float32Array.from(values));
  }

  ints(values: number[], dims: number[] = values.length === 1 ? [] : [values.length]): string {
    return this.constant(DType.int64, dims, BigInt64Array.from(values.map(BigInt)));
  }

  /** A 1-D int64 constant even for one element (shapes, axes). */
  intVector(values: number[]): string {
    return this.ints(values, [values.length]);
  }

  private constant(type: DTypeCode, dims: number[], data: Float32Array | BigInt64Array): string {
    const key = `${type}:${dims.join('x')}:${Array.from(data as ArrayLike<number | bigint>).join(',')}`;
    const existing = this.constants.get(key);
    if (existing) return existing;
    const name = this.initializer(this.fresh('const'), type, dims, data);
    this.constants.set(key, name);
    return name;
  }

  encode(inputs: ValueSpec[], outputs: ValueSpec[], producer: string): Uint8Array {
    const valueInfo = (spec: ValueSpec): onnx.IValueInfoProto => ({
      name: spec.name,
      type: {
        tensorType: {
          elemType: spec.type,
          shape: { dim: spec.shape.map((dim) => (typeof dim === 'number' ? { dimValue: dim } : { dimParam: dim })) },
        },
      },
    });
    const model: onnx.IModelProto = {
      irVersion: 8,
      // onnxruntime's contrib operators (GroupQueryAttention, MatMulNBits…) live in their own domain, at version 1.
      opsetImport: [{ domain: '', version: this.opset }, ...(this.nodes.some((node) => node.domain === contribDomain) ? [{ domain: contribDomain, version: 1 }] : [])],
      producerName: producer,
      producerVersion: '1',
      graph: { name: 'main_graph', node: this.nodes, initializer: this.initializers, input: inputs.map(valueInfo), output: outputs.map(valueInfo) },
    };
    return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  }
}

/** Deterministic weights: a small xorshift generator with Box-Muller normals, so a seed always gives the same model. */
export class WeightRandom {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  uniform(): number {
    let x = this.state;
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    this.state = x;
    return (x + 0.5) / 4294967296;
  }
  normal(): number {
    return Math.sqrt(-2 * Math.log(this.uniform())) * Math.cos(2 * Math.PI * this.uniform());
  }
  matrix(count: number, std: number): Float32Array {
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = this.normal() * std;
    return out;
  }
}
