import { closeSync, openSync, readSync } from 'node:fs';
import { isAscii, isUtf8 } from 'node:buffer';
import { DatasetAccumulator, type DatasetScanOptions, type DatasetStats, type FormatRows } from './datasetScan';
import { finding, lineRange, type DatasetFinding } from './findings';
import { FileRows, FingerprintTable, type TableBuffers } from './fingerprint';
import { type DatasetFormat } from './formats';
import { analyzeLine, type LineAnalysis, type LineAnalysisOptions } from './rowAnalysis';
import { type CertifiedRow, RegionCertifier, sampleKeyOfUtf8Bytes } from './cleanRowScan';
import { defaultContextTokens } from './tokenCount';
import { defaultTokenCounterSync, loadTokenCounter } from './tokenizer';

/** One byte range of a file to scan, starting and ending at line boundaries. Plain data: it crosses to workers. */
export interface RangeScanRequest {
  path: string;
  start: number;
  end: number;
  format?: DatasetFormat;
  maxTokens?: number;
  minRows?: number;
  maxFindingsPerCode?: number;
  checkDuplicates: boolean;
  trainingData: boolean;
  /** About how many rows the range holds (sizes the duplicate table once). */
  expectedRows?: number;
  /** Whether the range ends at the end of the file (its unterminated last line is then reported as truncated, not here). */
  endsFile?: boolean;
  /** Count tokens: undefined for no, null for the default tokenizer, or a tokenizer.json path. */
  tokenizer?: string | null;
  splits?: { file: string; table: TableBuffers }[];
}

export interface RangeScanResult {
  stats: DatasetStats;
  /** Lines in the range (line numbers in its findings start at 0). */
  lines: number;
  last?: { line: number; terminated: boolean; invalid: boolean; length: number };
  table?: TableBuffers;
  /** Where the range's rows of each format are (the first ones), for the file-level mixed-format check. */
  rowsByFormat: FormatRows;
}

/** What a range scan reports while it runs: findings in line order (lines counted from the range's start), or bytes done. */
export type RangeScanMessage = { type: 'findings'; findings: DatasetFinding[] } | { type: 'progress'; bytes: number };

// Just under 1 MB: Node turns a latin1-decoded string of about 1 MB or more into an external string, held outside
// the V8 heap where the worker's heap limits do not bound it (measured: +100 MB peak RSS with two threads).
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

const chunkSize = 960 * 1024;
/** A single line longer than this is reported, not held: it would hold the whole file in memory. */
const maxLineBytes = 512 * 1024 * 1024;

/** The byte offset of the first invalid UTF-8 sequence in `bytes`, or -1. */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let min: number;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b >= 0xe0 && b <= 0xef) [need, min] = [2, 0x800];
    else if (b >= 0xf0 && b <= 0xf4) [need, min] = [3, 0x10000];
    else return i;
    if (i + need >= bytes.length) return i;
    let cp = b & (0x3f >> need);
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined || (c & 0xc0) !== 0x80) return i;
      cp = (cp << 6) | (c & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i;
    i += need + 1;
  }
  return -1;
}

/**
 * Scans one byte range of a JSON Lines file: reads it in chunks (never the whole file), analyses each line and
 * accumulates findings, stats and duplicate fingerprints. Runs in a worker thread, or inline for small files.
 */
export async function scanRange(request: RangeScanRequest, post: (message: RangeScanMessage) => void, cancelled: () => boolean = () => false): Promise<RangeScanResult> {
  const tokenCounter = request.tokenizer === undefined ? undefined : await loadTokenCounter(request.tokenizer ?? undefined);
  const lineOptions: LineAnalysisOptions = {
    ...(request.format ? { format: request.format } : {}),
    ...(tokenCounter ? { tokenCounter } : {}),
    ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
    // Without a configured maximum, rows long enough to pass the default model's context are still counted (not in
    // files that are not training data, whose row findings are dropped: a sibling split's fingerprints, a log).
    ...(request.maxTokens === undefined && request.trainingData ? { contextCounter: () => tokenCounter ?? defaultTokenCounterSync() } : {}),
    checkDuplicates: request.checkDuplicates,
  };
  // Byte offsets of the range's lines (every 16th kept), to read an earlier row back when a duplicate is a candidate.
  const fileRows = request.checkDuplicates ? new FileRows(request.path, request.end, request.expectedRows ?? 1024) : undefined;
  const scanOptions: DatasetScanOptions = {
    ...(request.format ? { format: request.format } : {}),
    ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
    ...(request.maxFindingsPerCode !== undefined ? { maxFindingsPerCode: request.maxFindingsPerCode } : {}),
    ...(tokenCounter ? { tokenCounterName: tokenCounter.name } : {}),
    checkDuplicates: request.checkDuplicates,
    ...(request.expectedRows !== undefined ? { expectedRows: request.expectedRows } : {}),
    ...(fileRows ? { rowText: fileRows.text } : {}),
    // File-level checks run once, over the whole file, in the coordinator.
    fileLevelChecks: false,
    ...(request.splits ? { splits: request.splits.map((split) => ({ file: split.file, table: FingerprintTable.fromBuffers(split.table) })) } : {}),
  };
  let batch: DatasetFinding[] = [];
  const accumulator = new DatasetAccumulator(scanOptions, request.trainingData, (item) => batch.push(item));
  const flush = (): void => {
    if (batch.length > 0) post({ type: 'findings', findings: batch });
    batch = [];
  };

  const fd = openSync(request.path, 'r');
  fileRows?.open();
  let line = 0;
  // The last line's facts, as scalars (an object per line would be garbage on every row).
  let lastTerminated = false;
  let lastInvalid = false;
  let lastLength = 0;
  try {
    let position = request.start;
    let buffer = Buffer.allocUnsafe(Math.min(chunkSize, Math.max(1, request.end - request.start)));
    let carried = 0;
    const addLine = (raw: string, terminated: boolean, offset: number): void => {
      fileRows?.note(line, offset);
      const text = raw.charCodeAt(raw.length - 1) === 13 ? raw.slice(0, -1) : raw;
      const analysis = analyzeLine(text, lineOptions);
      if (!terminated && request.endsFile && analysis.kind === 'invalid') analysis.problems = [];
      accumulator.add(line, analysis, text);
      lastTerminated = terminated;
      lastInvalid = analysis.kind === 'invalid';
      lastLength = analysis.length;
      line++;
    };
    // Rows the byte scanner certifies clean skip decoding and JSON.parse (see cleanRowScan.ts); it applies when no
    // token counting or other configured format asks more of a row than that.
    const certify = tokenCounter === undefined && (request.format === undefined || request.format === 'messages');
    // A certified row this long could pass the default context when no maximum is set: the full path counts it.
    const certifiedBytesLimit = request.maxTokens === undefined && request.trainingData ? defaultContextTokens : Number.POSITIVE_INFINITY;
    const certified: CertifiedRow = { lineEnd: 0, turns: 0, length: 0, ascii: true };
    const addCertifiedLine = (region: Buffer, start: number, regionStart: number): void => {
      fileRows?.note(line, regionStart + start);
      const end = region[certified.lineEnd - 1] === 0x0d ? certified.lineEnd - 1 : certified.lineEnd;
      const analysis: LineAnalysis = { kind: 'row', format: 'messages', recognized: true, problems: [], turns: certified.turns, length: certified.length };
      if (request.checkDuplicates) analysis.fingerprint = sampleKeyOfUtf8Bytes(region, start, end);
      // The text is decoded only if a duplicate check asks for it, while the region is still in hand.
      const encoding = certified.ascii ? 'latin1' : 'utf8';
      accumulator.add(line, analysis, () => region.toString(encoding, start, end));
      lastTerminated = certified.lineEnd < region.length;
      lastInvalid = false;
      lastLength = certified.length;
      line++;
    };
    if (request.start === 0) {
      const head = Buffer.alloc(3);
      const bytesRead = readSync(fd, head, 0, 3, 0);
      if (bytesRead === 3 && head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) {
        accumulator.report(
          finding('bom', 'The file starts with a byte order mark (BOM), which many JSON Lines readers reject as invalid JSON. Remove it.', lineRange(0, 0, 1), {
            fix: { title: 'Remove the byte order mark', edits: [{ range: lineRange(0, 0, 1), newText: '' }] },
          }),
        );
        position = 3;
      }
    }
    while (position < request.end || carried > 0) {
      if (cancelled()) break;
      const want = Math.min(buffer.length - carried, request.end - position);
      let bytesRead = 0;
      // A synchronous read of a chunk (from the page cache, usually) costs less than the hop through libuv's thread
      // pool; the event loop still gets a turn per chunk, so an inline scan (the editor's server) stays responsive.
      if (want > 0) bytesRead = readSync(fd, buffer, carried, want, position);
      position += bytesRead;
      const filled = carried + bytesRead;
      const atEnd = bytesRead === 0 || position >= request.end;
      let cut = buffer.lastIndexOf(10, filled - 1) + 1;
      if (atEnd) cut = filled;
      if (cut === 0) {
        // No line end in the buffer: the line is longer than the buffer. Grow it, up to a limit.
        if (buffer.length >= maxLineBytes) {
          accumulator.report(
            finding(
              'invalid-json',
              `Line ${line + 1} is longer than ${maxLineBytes / 1024 / 1024} MiB without a line end; it cannot be a sensible row. Split the file into one JSON object per line.`,
              lineRange(line, 0, 1),
            ),
          );
          break;
        }
        const bigger = Buffer.allocUnsafe(buffer.length * 2);
        buffer.copy(bigger, 0, 0, filled);
        buffer = bigger;
        carried = filled;
        continue;
      }
      const region = buffer.subarray(0, cut);
      const regionStart = position - filled;
      const ascii = isAscii(region);
      if (ascii || isUtf8(region)) {
        const certifier = certify ? new RegionCertifier(region) : undefined;
        let from = 0;
        while (from < region.length) {
          if (certifier?.certify(from, certified) && certified.lineEnd - from < certifiedBytesLimit) {
            addCertifiedLine(region, from, regionStart);
            from = certified.lineEnd + 1;
            continue;
          }
          const newline = region.indexOf(10, from);
          const stop = newline < 0 ? region.length : newline;
          // ASCII decodes as latin1 to the same text, faster (no UTF-8 decoding) and into one-byte strings.
          addLine(region.toString(ascii ? 'latin1' : 'utf8', from, stop), newline >= 0, regionStart + from);
          from = stop + 1;
        }
      } else {
        // Slow path, only for chunks with bad bytes: per line, to name the byte offset of each problem.
        let from = 0;
        while (from < region.length) {
          const newline = region.indexOf(10, from);
          const stop = newline < 0 ? region.length : newline;
          const bytes = region.subarray(from, stop);
          const bad = firstInvalidUtf8(bytes);
          if (bad >= 0) {
            const offset = position - filled + from + bad;
            const column = bytes.subarray(0, bad).toString('utf8').length;
            accumulator.report(
              finding(
                'invalid-utf8',
                `Invalid UTF-8 at byte offset ${offset} (byte 0x${bytes[bad]!.toString(16).padStart(2, '0')}): save the file as UTF-8, or fix the broken character.`,
                lineRange(line, column, column + 1),
              ),
            );
          }
          addLine(bytes.toString('utf8'), newline >= 0, position - filled + from);
          from = stop + 1;
        }
      }
      buffer.copy(buffer, 0, cut, filled);
      carried = filled - cut;
      flush();
      post({ type: 'progress', bytes: position - request.start });
      await yieldTurn();
      if (atEnd && carried === 0) break;
    }
  } finally {
    closeSync(fd);
    fileRows?.close();
  }
  const stats = accumulator.finish();
  stats.bytes = request.end - request.start;
  flush();
  if (accumulator.fingerprints && fileRows) accumulator.fingerprints.fileRows = fileRows;
  const table = accumulator.fingerprints?.toBuffers();
  const last = line > 0 ? { line: line - 1, terminated: lastTerminated, invalid: lastInvalid, length: lastLength } : undefined;
  return { stats, lines: line, ...(last ? { last } : {}), ...(table ? { table } : {}), rowsByFormat: accumulator.rowsByFormat };
}
