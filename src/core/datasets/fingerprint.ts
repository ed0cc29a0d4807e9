/**
 * Row fingerprints for duplicate detection in constant memory per row: two 32-bit lanes of a normalized hash (ASCII
 * case and all whitespace ignored) and a 32-bit hash of the exact text. 64 bits make false duplicates negligible below
 * billions of rows. Computed in one pass over the line's text, not over the parsed value: a walk over the value costs
 * several times JSON.parse itself, and this runs on every row.
 */
export interface RowFingerprint {
  normalizedHigh: number;
  normalizedLow: number;
  exact: number;
}

/** Fingerprints one line (surrounding whitespace never matters). */
export function fingerprintLine(text: string): RowFingerprint {
  let a = 0x811c9dc5;
  let b = 0x9747b28c;
  let exact = 0x1505;
  let start = 0;
  let end = text.length;
  while (start < end && text.charCodeAt(start) <= 32) start++;
  while (end > start && text.charCodeAt(end - 1) <= 32) end--;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    exact = ((exact << 5) - exact + c) | 0;
    if (c <= 32) continue;
    if (c >= 65 && c <= 90) c += 32;
    a = Math.imul(a ^ c, 0x01000193);
    b = ((b << 5) + b + c) | 0;
  }
  a = Math.imul(a ^ (a >>> 15), 0x2c1b3c6d);
  b = Math.imul(b ^ (b >>> 13), 0x297a2d39);
  return { normalizedHigh: (a ^ (a >>> 16)) >>> 0, normalizedLow: (b ^ (b >>> 16)) >>> 0, exact: exact >>> 0 };
}

/**
 * An open-addressing hash table from normalized fingerprint to (exact hash, first line): 16 bytes per slot in typed
 * arrays, no per-row objects. It grows by half when 90% full (so 18-27 bytes per row), and its buffers can be
 * transferred between worker threads.
 */
export class FingerprintTable {
  private keysHigh: Uint32Array;
  private keysLow: Uint32Array;
  private exacts: Uint32Array;
  /** Line of the first occurrence, plus one (0 marks an empty slot). */
  private lines: Uint32Array;
  private count = 0;

  constructor(capacity = 1024) {
    const size = Math.max(1024, Math.ceil(capacity / 0.85));
    this.keysHigh = new Uint32Array(size);
    this.keysLow = new Uint32Array(size);
    this.exacts = new Uint32Array(size);
    this.lines = new Uint32Array(size);
  }

  get size(): number {
    return this.count;
  }

  /** The first slot to probe: the hash mapped onto any table size by multiplication (no power of two needed). */
  private home(fp: RowFingerprint): number {
    const mixed = (fp.normalizedHigh ^ Math.imul(fp.normalizedLow, 0x9e3779b1)) >>> 0;
    return Math.floor((mixed * this.lines.length) / 4294967296);
  }

  /**
   * Records a row; when an equal row was seen, returns its first line and whether it was an exact copy, and keeps the
   * first occurrence.
   */
  add(fp: RowFingerprint, line: number): { firstLine: number; exact: boolean } | undefined {
    if ((this.count + 1) * 10 > this.lines.length * 9) this.grow();
    const size = this.lines.length;
    let slot = this.home(fp);
    for (;;) {
      const stored = this.lines[slot]!;
      if (stored === 0) {
        this.keysHigh[slot] = fp.normalizedHigh;
        this.keysLow[slot] = fp.normalizedLow;
        this.exacts[slot] = fp.exact;
        this.lines[slot] = line + 1;
        this.count++;
        return undefined;
      }
      if (this.keysHigh[slot] === fp.normalizedHigh && this.keysLow[slot] === fp.normalizedLow) {
        return { firstLine: stored - 1, exact: this.exacts[slot] === fp.exact };
      }
      slot = slot + 1 === size ? 0 : slot + 1;
    }
  }

  /** The first line of an equal row, without recording anything. */
  lookup(fp: RowFingerprint): number | undefined {
    return this.find(fp)?.line;
  }

  find(fp: RowFingerprint): { line: number; exact: boolean } | undefined {
    const size = this.lines.length;
    let slot = this.home(fp);
    for (;;) {
      const stored = this.lines[slot]!;
      if (stored === 0) return undefined;
      if (this.keysHigh[slot] === fp.normalizedHigh && this.keysLow[slot] === fp.normalizedLow) return { line: stored - 1, exact: this.exacts[slot] === fp.exact };
      slot = slot + 1 === size ? 0 : slot + 1;
    }
  }

  *entries(): Generator<RowFingerprint & { line: number }> {
    for (let slot = 0; slot < this.lines.length; slot++) {
      const stored = this.lines[slot]!;
      if (stored !== 0) yield { normalizedHigh: this.keysHigh[slot]!, normalizedLow: this.keysLow[slot]!, exact: this.exacts[slot]!, line: stored - 1 };
    }
  }

  private grow(): void {
    const old = { high: this.keysHigh, low: this.keysLow, exact: this.exacts, lines: this.lines };
    const size = Math.ceil(old.lines.length * 1.5);
    this.keysHigh = new Uint32Array(size);
    this.keysLow = new Uint32Array(size);
    this.exacts = new Uint32Array(size);
    this.lines = new Uint32Array(size);
    this.count = 0;
    for (let slot = 0; slot < old.lines.length; slot++) {
      const stored = old.lines[slot]!;
      if (stored !== 0) this.add({ normalizedHigh: old.high[slot]!, normalizedLow: old.low[slot]!, exact: old.exact[slot]! }, stored - 1);
    }
  }

  /** The table as transferable buffers (for a worker's result). */
  toBuffers(): { high: Uint32Array; low: Uint32Array; exact: Uint32Array; lines: Uint32Array; count: number } {
    return { high: this.keysHigh, low: this.keysLow, exact: this.exacts, lines: this.lines, count: this.count };
  }

  static fromBuffers(buffers: { high: Uint32Array; low: Uint32Array; exact: Uint32Array; lines: Uint32Array; count: number }): FingerprintTable {
    const table = new FingerprintTable(0);
    table.keysHigh = buffers.high;
    table.keysLow = buffers.low;
    table.exacts = buffers.exact;
    table.lines = buffers.lines;
    table.count = buffers.count;
    return table;
  }
}
