import { closeSync, openSync, readSync } from 'node:fs';

/**
 * Duplicate detection in constant memory per row. Rows are equal "up to normalization" when they are equal after
 * dropping every character ≤ U+0020 and lowering ASCII letters; exact duplicates are equal after trimming.
 *
 * Hashing every character of every row cost more than JSON.parse itself, so each row gets only a cheap *sample key*
 * that normalization cannot change (the first and last normalized characters, and the ones after the last quotes).
 * Rows whose keys collide are candidates: the first time, the two texts are compared directly (exact copies compare
 * natively); after that, full normalized hashes (kept in the table) are compared, and a match is confirmed by
 * comparing the texts. Earlier rows are read back from the file (or the editor's lines) by line number. So a
 * reported duplicate is always a true one.
 */

/** Returns a row's text by its (zero-based) line number, or undefined when it cannot be read. */
export type RowText = (line: number) => string | undefined;

/** The sample key's parameters, shared with its byte twin (`sampleKeyOfUtf8Bytes` in cleanRowScan.ts). */
export const sampledEnds = 32;
export const sampledQuotes = 8;

export function mix(hash: number, c: number): number {
  return Math.imul(hash ^ c, 0x01000193);
}

/**
 * The sample key of one line: a hash of characters that normalization keeps in place (the first and last 32
 * normalized characters, and the one after each of the last 8 quotes: the start of the last strings, usually the
 * answers). Costs O(samples), not O(length). Rows whose samples collide only cost a full hash.
 */
export function sampleKey(text: string): number {
  let hash = 0x811c9dc5;
  let taken = 0;
  const length = text.length;
  for (let i = 0; i < length && taken < sampledEnds; i++) {
    let c = text.charCodeAt(i);
    if (c <= 32) continue;
    if (c >= 65 && c <= 90) c += 32;
    hash = mix(hash, c);
    taken++;
  }
  taken = 0;
  for (let j = length - 1; j >= 0 && taken < sampledEnds; j--) {
    let c = text.charCodeAt(j);
    if (c <= 32) continue;
    if (c >= 65 && c <= 90) c += 32;
    hash = mix(hash, c);
    taken++;
  }
  let at = text.lastIndexOf('"');
  for (let quotes = 0; at >= 0 && quotes < sampledQuotes; quotes++) {
    let k = at + 1;
    while (k < length && text.charCodeAt(k) <= 32) k++;
    let c = k < length ? text.charCodeAt(k) : 0;
    if (c >= 65 && c <= 90) c += 32;
    hash = mix(hash, c);
    at = at === 0 ? -1 : text.lastIndexOf('"', at - 1);
  }
  hash = Math.imul(hash ^ (hash >>> 15), 0x2c1b3c6d);
  return (hash ^ (hash >>> 16)) >>> 0;
}

/** A full hash of the normalized text (every character); computed only for candidates. Never 0. */
export function normalizedHash(text: string): number {
  let hash = 0x9747b28c;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c <= 32) continue;
    if (c >= 65 && c <= 90) c += 32;
    hash = Math.imul(hash ^ c, 0x01000193);
  }
  hash = Math.imul(hash ^ (hash >>> 13), 0x297a2d39);
  return (hash ^ (hash >>> 16)) >>> 0 || 1;
}

/** 2 when the rows are equal after trimming, 1 when equal after normalization, 0 otherwise. */
export function compareRows(a: string, b: string): 0 | 1 | 2 {
  if (a === b || a.trim() === b.trim()) return 2;
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && a.charCodeAt(i) <= 32) i++;
    while (j < b.length && b.charCodeAt(j) <= 32) j++;
    if (i === a.length || j === b.length) return i === a.length && j === b.length ? 1 : 0;
    let x = a.charCodeAt(i++);
    let y = b.charCodeAt(j++);
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x !== y) return 0;
  }
}

/** Every this many lines, a file's row index keeps a byte offset (so a row is found by reading at most this many). */
const indexStride = 16;

/** Data of a `FileRows`, plain and transferable. */
export interface FileRowsData {
  path: string;
  offsets: Float64Array;
  count: number;
  end: number;
}

/**
 * Reads rows of a file back by line number, for confirming duplicates: keeps the byte offset of every 16th line
 * (half a byte per row) and reads forward from there.
 */
export class FileRows {
  private offsets: Float64Array;
  private count = 0;
  private fd: number | undefined;

  constructor(
    readonly path: string,
    /** Where the scanned range ends (the last row ends here when unterminated). */
    readonly end: number,
    expectedLines = 1024,
  ) {
    this.offsets = new Float64Array(Math.max(64, Math.ceil(expectedLines / indexStride) + 1));
  }

  /** Records where a line starts; call for every line in order (only every 16th is kept). */
  note(line: number, offset: number): void {
    if (line % indexStride !== 0) return;
    const slot = line / indexStride;
    if (slot >= this.offsets.length) {
      const bigger = new Float64Array(Math.ceil(this.offsets.length * 1.5) + 1);
      bigger.set(this.offsets);
      this.offsets = bigger;
    }
    this.offsets[slot] = offset;
    this.count = slot + 1;
  }

  readonly text: RowText = (line) => {
    const slot = Math.floor(line / indexStride);
    if (slot >= this.count) return undefined;
    let skip = line - slot * indexStride;
    let position = this.offsets[slot]!;
    let fd: number;
    try {
      fd = this.fd ?? openSync(this.path, 'r');
    } catch {
      return undefined;
    }
    try {
      const parts: Buffer[] = [];
      let block = Buffer.allocUnsafe(16 * 1024);
      while (position < this.end) {
        const bytesRead = readSync(fd, block, 0, Math.min(block.length, this.end - position), position);
        if (bytesRead === 0) break;
        let from = 0;
        while (skip > 0) {
          const newline = block.indexOf(10, from);
          if (newline < 0 || newline >= bytesRead) break;
          from = newline + 1;
          skip--;
        }
        if (skip > 0) {
          position += bytesRead;
          continue;
        }
        const newline = block.indexOf(10, from);
        if (newline >= 0 && newline < bytesRead) {
          parts.push(Buffer.from(block.subarray(from, newline)));
          return decodeRow(parts);
        }
        parts.push(Buffer.from(block.subarray(from, bytesRead)));
        position += bytesRead;
        if (block.length < 16 * 1024 * 1024) block = Buffer.allocUnsafe(block.length * 4);
      }
      return skip > 0 ? undefined : decodeRow(parts);
    } catch {
      return undefined;
    } finally {
      if (this.fd === undefined) closeSync(fd);
    }
  };

  /** Keeps the file open for reads until `close` (a scan confirms many rows; each read opening it would cost more). */
  open(): void {
    try {
      this.fd ??= openSync(this.path, 'r');
    } catch {
      // Reads then open the file themselves, and fail as they would.
    }
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Plain data (the file descriptor, if open, stays here). */
  toData(): FileRowsData {
    return { path: this.path, offsets: this.offsets, count: this.count, end: this.end };
  }

  static fromData(data: FileRowsData): FileRows {
    const rows = new FileRows(data.path, data.end, 0);
    rows.offsets = data.offsets;
    rows.count = data.count;
    return rows;
  }
}

function decodeRow(parts: Buffer[]): string {
  const text = (parts.length === 1 ? parts[0]! : Buffer.concat(parts)).toString('utf8');
  return text.charCodeAt(text.length - 1) === 13 ? text.slice(0, -1) : text;
}

export interface TableBuffers {
  /**
   * Per slot three words: sample key, full normalized hash (0: not computed yet), and first line + 1 (0: empty slot)
   * with the top bit set for rows placed by (sample key, full hash).
   */
  slots: Uint32Array;
  count: number;
  rows?: FileRowsData;
}

const placedByFullHash = 0x80000000;

function combine(key: number, full: number): number {
  const mixed = Math.imul(key ^ Math.imul(full, 0x85ebca6b), 0xc2b2ae35);
  return (mixed ^ (mixed >>> 16)) >>> 0;
}

/**
 * An open-addressing hash table of distinct rows (up to normalization): 12 bytes per slot, interleaved in one typed
 * array (a probe touches one cache line), no per-row objects. The first row with a sample key is placed by that key;
 * later rows with the same key (templated data shares whole beginnings and endings) get their full hash and are
 * placed by both, so they never pile up in one probe run. It grows by half when 90% full, and its buffer can be
 * transferred between worker threads. `rows` reads its rows back for confirmation.
 */
export class FingerprintTable {
  private slots: Uint32Array;
  private capacity: number;
  private count = 0;
  /** Where the table's rows come from (a file and its row index), when they are on disk. */
  fileRows: FileRows | undefined;
  /** What the last unsuccessful `find` learned, for `add`: the row's full hash when its sample key was taken, else 0. */
  private lastHash = 0;

  constructor(
    capacity = 1024,
    public rows: RowText = () => undefined,
  ) {
    this.capacity = Math.max(1024, Math.ceil(capacity / 0.85));
    this.slots = new Uint32Array(this.capacity * 3);
  }

  get size(): number {
    return this.count;
  }

  /** The first slot to probe: a hash mapped onto any table size by multiplication (no power of two needed). */
  private home(hash: number): number {
    const mixed = Math.imul(hash, 0x9e3779b1) >>> 0;
    return Math.floor((mixed * this.capacity) / 4294967296);
  }

  /** Whether the row in this slot (its text read back) equals `own`; 0, 1 (normalized) or 2 (exact). */
  private confirm(at: number, own: string | undefined): 0 | 1 | 2 {
    if (own === undefined) return 0;
    const earlier = this.rows((this.slots[at + 2]! & ~placedByFullHash) - 1);
    return earlier === undefined ? 0 : compareRows(own, earlier);
  }

  /**
   * The first line of a row equal (up to normalization) to the given one, probing without recording. `text` is the
   * row's text, or a function giving it (asked only when needed); `cache` keeps the row's full hash between calls
   * (on several tables, or between the editor's passes).
   */
  find(key: number, text: string | (() => string | undefined), cache?: { fullHash?: number }): { line: number; exact: boolean } | undefined {
    const slots = this.slots;
    const capacity = this.capacity;
    this.lastHash = 0;
    // 1. The first row with this sample key, if any.
    let slot = this.home(key);
    let first = -1;
    for (;;) {
      const at = slot * 3;
      const stored = slots[at + 2]!;
      if (stored === 0) break;
      if (slots[at] === key && (stored & placedByFullHash) === 0) {
        first = at;
        break;
      }
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
    if (first < 0) return undefined;
    // 2. The key is taken. When the first row's full hash is unknown, compare the texts at once (one read; exact
    //    copies, the common duplicates, compare natively); otherwise compare full hashes, then texts where they match.
    let own = typeof text === 'string' ? text : undefined;
    const ownText = (): string | undefined => (own ??= typeof text === 'string' ? text : text());
    let full = slots[first + 1]!;
    let comparedFirst = false;
    if (full === 0) {
      const earlier = this.rows(slots[first + 2]! - 1);
      if (earlier === undefined) {
        // An unreadable earlier row (the file changed meanwhile) can never be confirmed: mark it so.
        full = 0xffffffff;
      } else {
        const value = ownText();
        if (value === undefined) return undefined;
        const same = compareRows(value, earlier);
        if (same !== 0) return { line: slots[first + 2]! - 1, exact: same === 2 };
        comparedFirst = true;
        full = normalizedHash(earlier);
      }
      slots[first + 1] = full;
    }
    let ownHash = cache?.fullHash;
    if (ownHash === undefined) {
      const value = ownText();
      if (value === undefined) return undefined;
      ownHash = normalizedHash(value);
      if (cache) cache.fullHash = ownHash;
    }
    this.lastHash = ownHash;
    if (full === ownHash && !comparedFirst) {
      const same = this.confirm(first, ownText());
      if (same !== 0) return { line: slots[first + 2]! - 1, exact: same === 2 };
    }
    // 3. The later rows with this sample key, placed by key and full hash.
    slot = this.home(combine(key, ownHash));
    for (;;) {
      const at = slot * 3;
      const stored = slots[at + 2]!;
      if (stored === 0) return undefined;
      if ((stored & placedByFullHash) !== 0 && slots[at] === key && slots[at + 1] === ownHash) {
        const same = this.confirm(at, ownText());
        if (same !== 0) return { line: (stored & ~placedByFullHash) - 1, exact: same === 2 };
      }
      slot = slot + 1 === capacity ? 0 : slot + 1;
    }
  }

  /**
   * Records a row; when an equal row was seen, returns its first line and whether it was an exact copy, and keeps the
   * first occurrence.
   */
  add(key: number, line: number, text: string | (() => string | undefined), cache?: { fullHash?: number }): { firstLine: number; exact: boolean } | undefined {
    if ((this.count + 1) * 10 > this.capacity * 9) this.grow();
    const found = this.find(key, text, cache);
    if (found) return { firstLine: found.line, exact: found.exact };
    this.insert(key, this.lastHash, line, this.lastHash !== 0);
    return undefined;
  }

  private insert(key: number, full: number, line: number, byFullHash: boolean): void {
    const slots = this.slots;
    let slot = this.home(byFullHash ? combine(key, full) : key);
    while (slots[slot * 3 + 2] !== 0) slot = slot + 1 === this.capacity ? 0 : slot + 1;
    slots[slot * 3] = key;
    slots[slot * 3 + 1] = full;
    slots[slot * 3 + 2] = ((line + 1) | (byFullHash ? placedByFullHash : 0)) >>> 0;
    this.count++;
  }

  /** The recorded rows; `fullHash` is 0 where it was never needed. */
  *entries(): Generator<{ key: number; line: number; fullHash: number }> {
    for (let at = 0; at < this.slots.length; at += 3) {
      const stored = this.slots[at + 2]!;
      if (stored !== 0) yield { key: this.slots[at]!, line: (stored & ~placedByFullHash) - 1, fullHash: this.slots[at + 1]! };
    }
  }

  private grow(): void {
    const old = this.slots;
    this.capacity = Math.ceil(this.capacity * 1.5);
    this.slots = new Uint32Array(this.capacity * 3);
    this.count = 0;
    for (let at = 0; at < old.length; at += 3) {
      const stored = old[at + 2]!;
      if (stored !== 0) this.insert(old[at]!, old[at + 1]!, (stored & ~placedByFullHash) - 1, (stored & placedByFullHash) !== 0);
    }
  }

  /** The table as transferable buffers (for a worker's result). */
  toBuffers(): TableBuffers {
    return { slots: this.slots, count: this.count, ...(this.fileRows ? { rows: this.fileRows.toData() } : {}) };
  }

  /** The buffers to list as transferred when posting `toBuffers()`. */
  static transferList(buffers: TableBuffers): ArrayBuffer[] {
    const list = [buffers.slots.buffer as ArrayBuffer];
    if (buffers.rows) list.push(buffers.rows.offsets.buffer as ArrayBuffer);
    return list;
  }

  static fromBuffers(buffers: TableBuffers): FingerprintTable {
    const table = new FingerprintTable(0);
    table.slots = buffers.slots;
    table.capacity = buffers.slots.length / 3;
    table.count = buffers.count;
    if (buffers.rows) {
      table.fileRows = FileRows.fromData(buffers.rows);
      table.rows = table.fileRows.text;
    }
    return table;
  }
}
