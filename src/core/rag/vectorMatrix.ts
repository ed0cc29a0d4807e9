/**
 * The scoring kernel, WebAssembly with 128-bit SIMD (two f32x4 accumulators): out[r] = dot(data[r], query) · norms[r].
 * Compiled with wabt 1.0.37 from this text (kept here so the bytes can be checked and rebuilt):
 *
 *   (module (memory (export "memory") 1 65536)
 *     (func (export "scan") (param $data i32) (param $query i32) (param $norms i32) (param $out i32) (param $rows i32) (param $dims i32)
 *       for each row: a, b = 0; for p over the row in steps of 32 bytes: a += data[p..p+16] * query[..]; b += data[p+16..p+32] * query[..]
 *       out[r] = (sum of the lanes of a + b) * norms[r]))
 *
 * (the full source is bench/rag/scan.wat). V8 runs it about 3x faster than the best plain-JS loop on the same data.
 */
const scanWasm =
  'AGFzbQEAAAABCgFgBn9/f39/fwADAgEABQYBAQGAgAQHEQIGbWVtb3J5AgAEc2NhbgAACt8BAdwBAwF/AnsEfyAFQQJ0IQkgACEKAkADQCAGIARPDQH9DAAAAAAAAAAAAAAAAAAAAAAhB/0MAAAAAAAAAAAAAAAAAAAAACEIIAogCWohCyABIQwCQANAIAogC08NASAHIAr9AAQAIAz9AAQA/eYB/eQBIQcgCCAK/QAEECAM/QAEEP3mAf3kASEIIApBIGohCiAMQSBqIQwMAAsLIAcgCP3kASEHIAMgBkECdGogB/0fACAH/R8BkiAH/R8CIAf9HwOSkiACIAZBAnRqKgIAlDgCACAGQQFqIQYMAAsLCw==';

type ScanFunction = (data: number, query: number, norms: number, out: number, rows: number, dims: number) => void;

/** The slice of the WebAssembly API used here (the project's `lib` has no DOM typings, where these live). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: { memory: WasmMemory; scan: ScanFunction } };
}

const wasm = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;
let compiled: object | null | undefined;

function wasmModule(): object | undefined {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(Buffer.from(scanWasm, 'base64')) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled ?? undefined;
}

const pageBytes = 65536;

/**
 * One model's embeddings held in memory for exact (brute-force) nearest-neighbour search, keyed by content hash;
 * removed rows are tombstoned (norm 0) and reused. Rows live in WebAssembly memory and are scored by the SIMD kernel
 * above; where WebAssembly SIMD is unavailable, or the dimension is not a multiple of 8, a plain JS loop scores them.
 * Why exact search and not an approximate index: see bench/rag/README.md.
 */
export class VectorMatrix {
  private capacity: number;
  private rows = 0;
  private readonly hashes: (string | undefined)[] = [];
  private readonly rowOf = new Map<string, number>();
  private readonly free: number[] = [];
  private memory: WasmMemory | undefined;
  private scanKernel: ScanFunction | undefined;
  private readonly queryBytes: number;
  private data!: Float32Array;
  private norms!: Float32Array;
  private out!: Float32Array;
  private query!: Float32Array;

  constructor(
    readonly model: string,
    readonly dimensions: number,
    capacity = 1024,
  ) {
    this.capacity = Math.max(8, Math.ceil(capacity / 4) * 4);
    this.queryBytes = Math.ceil((dimensions * 4) / 16) * 16;
    const module = dimensions % 8 === 0 ? wasmModule() : undefined;
    if (module && wasm) {
      const instance = new wasm.Instance(module, {});
      this.memory = instance.exports.memory;
      this.scanKernel = instance.exports.scan;
      this.memory.grow(Math.max(0, Math.ceil(this.layoutBytes(this.capacity) / pageBytes) - this.memory.buffer.byteLength / pageBytes));
      this.mapViews();
    } else {
      this.data = new Float32Array(this.capacity * dimensions);
      this.norms = new Float32Array(this.capacity);
      this.out = new Float32Array(this.capacity);
      this.query = new Float32Array(dimensions);
    }
  }

  /** Whether the SIMD kernel scores this matrix (else the JS loop). */
  get simd(): boolean {
    return this.scanKernel !== undefined;
  }

  get size(): number {
    return this.rowOf.size;
  }

  get bytes(): number {
    return this.memory ? this.memory.buffer.byteLength : this.data.byteLength + this.norms.byteLength * 2;
  }

  /** Layout in WebAssembly memory: query | norms[capacity] | out[capacity] | rows[capacity × dims]. */
  private layoutBytes(capacity: number): number {
    return this.queryBytes + capacity * 8 + capacity * this.dimensions * 4;
  }

  private dataOffset(capacity = this.capacity): number {
    return this.queryBytes + capacity * 8;
  }

  private mapViews(): void {
    const buffer = this.memory!.buffer;
    this.query = new Float32Array(buffer, 0, this.dimensions);
    this.norms = new Float32Array(buffer, this.queryBytes, this.capacity);
    this.out = new Float32Array(buffer, this.queryBytes + this.capacity * 4, this.capacity);
    this.data = new Float32Array(buffer, this.dataOffset(), this.capacity * this.dimensions);
  }

  private grow(): void {
    const capacity = this.capacity * 2;
    if (this.memory) {
      const needed = Math.ceil(this.layoutBytes(capacity) / pageBytes) - this.memory.buffer.byteLength / pageBytes;
      if (needed > 0) this.memory.grow(needed);
      const bytes = new Uint8Array(this.memory.buffer);
      // Rows move up to make room for the longer norms/out arrays; norms keep their offset.
      bytes.copyWithin(this.dataOffset(capacity), this.dataOffset(), this.dataOffset() + this.rows * this.dimensions * 4);
      this.capacity = capacity;
      this.mapViews();
      this.norms.fill(0, this.rows);
      return;
    }
    const data = new Float32Array(capacity * this.dimensions);
    data.set(this.data);
    const norms = new Float32Array(capacity);
    norms.set(this.norms);
    this.data = data;
    this.norms = norms;
    this.out = new Float32Array(capacity);
    this.capacity = capacity;
  }

  upsert(hash: string, vector: Float32Array): void {
    if (vector.length !== this.dimensions) throw new Error(`a ${vector.length}-dimensional vector cannot join an index of ${this.dimensions} dimensions`);
    let row = this.rowOf.get(hash);
    if (row === undefined) {
      row = this.free.pop();
      if (row === undefined) {
        if (this.rows === this.capacity) this.grow();
        row = this.rows++;
      }
      this.rowOf.set(hash, row);
      this.hashes[row] = hash;
    }
    this.data.set(vector, row * this.dimensions);
    let norm = 0;
    for (const value of vector) norm += value * value;
    this.norms[row] = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  }

  remove(hash: string): void {
    const row = this.rowOf.get(hash);
    if (row === undefined) return;
    this.rowOf.delete(hash);
    this.hashes[row] = undefined;
    this.norms[row] = 0;
    this.free.push(row);
  }

  /** Fills `out[0..rows)` with dot(row, query) · inverse norm of the row. */
  private scoreAll(query: Float32Array): void {
    if (this.scanKernel) {
      this.query.set(query);
      this.scanKernel(this.dataOffset(), 0, this.queryBytes, this.queryBytes + this.capacity * 4, this.rows, this.dimensions);
      return;
    }
    // Unchecked indexing on purpose (every index is in range by construction): `?? 0` guards cost ~3x here.
    const dims = this.dimensions;
    const data = this.data;
    for (let row = 0; row < this.rows; row++) {
      const offset = row * dims;
      let d0 = 0;
      let d1 = 0;
      let d2 = 0;
      let d3 = 0;
      let i = 0;
      for (; i + 3 < dims; i += 4) {
        d0 += data[offset + i]! * query[i]!;
        d1 += data[offset + i + 1]! * query[i + 1]!;
        d2 += data[offset + i + 2]! * query[i + 2]!;
        d3 += data[offset + i + 3]! * query[i + 3]!;
      }
      for (; i < dims; i++) d0 += data[offset + i]! * query[i]!;
      this.out[row] = (d0 + d1 + d2 + d3) * this.norms[row]!;
    }
  }

  /**
   * The `limit` most cosine-similar rows to `query`, best first. With `only`, just those hashes are candidates (a
   * path filter). Scores are cosine similarities in [-1, 1].
   */
  nearest(query: Float32Array, limit: number, only?: ReadonlySet<string>): { hash: string; score: number }[] {
    if (query.length !== this.dimensions) throw new Error(`the query vector has ${query.length} dimensions, the index ${this.dimensions}`);
    let queryNorm = 0;
    for (const value of query) queryNorm += value * value;
    const queryScale = queryNorm > 0 ? 1 / Math.sqrt(queryNorm) : 0;
    this.scoreAll(query);
    const topScores = new Float32Array(limit).fill(-Infinity);
    const topRows = new Int32Array(limit).fill(-1);
    let threshold = -Infinity;
    const consider = (row: number): void => {
      if (this.norms[row] === 0) return;
      const score = this.out[row]!;
      if (score <= threshold) return;
      let at = limit - 1;
      while (at > 0 && topScores[at - 1]! < score) {
        topScores[at] = topScores[at - 1]!;
        topRows[at] = topRows[at - 1]!;
        at--;
      }
      topScores[at] = score;
      topRows[at] = row;
      threshold = topScores[limit - 1]!;
    };
    if (only) {
      for (const hash of only) {
        const row = this.rowOf.get(hash);
        if (row !== undefined) consider(row);
      }
    } else {
      for (let row = 0; row < this.rows; row++) consider(row);
    }
    const result: { hash: string; score: number }[] = [];
    for (let at = 0; at < limit; at++) {
      const row = topRows[at] ?? -1;
      const hash = row >= 0 ? this.hashes[row] : undefined;
      if (hash !== undefined) result.push({ hash, score: (topScores[at] ?? 0) * queryScale });
    }
    return result;
  }
}
