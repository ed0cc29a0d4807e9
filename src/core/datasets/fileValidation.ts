import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join } from 'node:path';
import { DatasetAccumulator, looksLikeTrainingData, mergeStats, syntaxCodes, type DatasetStats } from './datasetScan';
import { movedFixes, type DatasetFinding, type DatasetFindingCode } from './findings';
import { FingerprintTable } from './fingerprint';
import { type DatasetFormat } from './formats';
import { rangeScanProgress, scanRangeRequest } from '../../shared/datasetWorkerProtocol';
import { ProcessCrashedError, ProcessLauncher } from '../process/launcher';
import { withProgress } from '../rpc/connection';
import { scanRange, type RangeScanMessage, type RangeScanRequest, type RangeScanResult } from './rangeScan';
import { analyzeLine } from './rowAnalysis';
import { decideTrainingData } from './validateDataset';

export interface FileValidationOptions {
  format?: DatasetFormat;
  maxTokens?: number;
  minRows?: number;
  /** Findings listed per code (the stats count all). Default 1000, so memory stays constant on huge files. */
  maxFindingsPerCode?: number;
  checkDuplicates?: boolean;
  /** Count tokens: undefined for no, null for the default tokenizer, or the path of a tokenizer.json. */
  tokenizer?: string | null;
  /** Worker threads to use; default: the machine's parallelism (at most 8). Small files run inline. */
  threads?: number;
  trainingData?: boolean | 'auto';
  /** Other splits to check for shared rows. */
  splitFiles?: string[];
  signal?: AbortSignal;
  onProgress?: (bytesDone: number, bytesTotal: number) => void;
  /** Findings as they are found, in file order except for duplicates across thread ranges (reported at the end). */
  onFinding?: (finding: DatasetFinding) => void;
  /** The worker script; default: dist/datasetWorker.js beside the bundle (or the TypeScript source under tsx). */
  workerScript?: string;
}

export interface FileValidationResult {
  stats: DatasetStats;
  cancelled: boolean;
}

/** Files below this size are scanned inline: starting workers would cost more than it saves. */
const inlineLimit = 8 * 1024 * 1024;
/** The head sample: this many complete lines decide whether the file is training data… */
const sampleLines = 1000;
/** …read a megabyte at a time, up to this much; a head with fewer complete lines defers the decision to the whole file. */
const headBytes = 1024 * 1024;
const maxHeadBytes = 16 * 1024 * 1024;

/** The worker's entry beside this bundle (dist/datasetWorker.js), or its TypeScript source under tsx. */
export function defaultWorkerScript(): string | undefined {
  for (const candidate of [join(__dirname, 'datasetWorker.js'), join(__dirname, '..', '..', 'worker', 'validationWorker.ts')]) if (existsSync(candidate)) return candidate;
  return undefined;
}

/**
 * Whether the file is training data, decided as the in-memory validator decides it, from complete lines only: the
 * first `sampleLines` of them, or all of a file that ends sooner. A head that holds fewer complete lines within
 * `maxHeadBytes` (long rows) decides nothing: `trainingData` is then undefined, and the caller decides from the whole
 * file. (A cut-off first line is no row: deciding on it switched every row check off for files with long rows.)
 */
export async function sampleHead(path: string, size: number, options: Pick<FileValidationOptions, 'format' | 'trainingData'>): Promise<{ trainingData: boolean | undefined; bytesPerLine: number }> {
  const handle = await open(path, 'r');
  try {
    let buffer = Buffer.alloc(Math.min(size, headBytes));
    let filled = 0;
    let lines: string[] = [];
    let whole = false;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      filled += bytesRead;
      whole = filled >= size || bytesRead === 0;
      const end = whole ? filled : buffer.lastIndexOf(10, filled - 1) + 1;
      let text = buffer.subarray(0, end).toString('utf8');
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      lines = text === '' ? [] : text.split('\n');
      // The empty string after the last line end is not a line.
      if (lines[lines.length - 1] === '') lines.pop();
      if (whole || lines.length >= sampleLines || buffer.length >= maxHeadBytes) break;
      const bigger = Buffer.alloc(Math.min(size, maxHeadBytes, buffer.length * 2));
      buffer.copy(bigger, 0, 0, filled);
      buffer = bigger;
    }
    const lineBytes = lines.length > 0 ? Math.max(1, filled / lines.length) : Math.max(1, filled);
    if (options.format || options.trainingData === true) return { trainingData: true, bytesPerLine: lineBytes };
    if (options.trainingData === false) return { trainingData: false, bytesPerLine: lineBytes };
    if (!whole && lines.length < sampleLines) return { trainingData: undefined, bytesPerLine: lineBytes };
    const analyses = lines.slice(0, sampleLines).map((line) => analyzeLine(line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line, { checkDuplicates: false }));
    return { trainingData: decideTrainingData(analyses, {}), bytesPerLine: lineBytes };
  } finally {
    await handle.close();
  }
}

/** Byte offsets that split the file into `parts` ranges, each starting right after a line end. */
async function splitAtLines(path: string, size: number, parts: number): Promise<number[]> {
  const bounds = [0];
  const handle = await open(path, 'r');
  try {
    const probe = Buffer.alloc(64 * 1024);
    for (let k = 1; k < parts; k++) {
      let position = Math.max(Math.floor((size * k) / parts), bounds[bounds.length - 1]!);
      let boundary = -1;
      while (position < size) {
        const { bytesRead } = await handle.read(probe, 0, probe.length, position);
        if (bytesRead === 0) break;
        const newline = probe.subarray(0, bytesRead).indexOf(10);
        if (newline >= 0) {
          boundary = position + newline + 1;
          break;
        }
        position += bytesRead;
      }
      if (boundary > 0 && boundary < size && boundary > bounds[bounds.length - 1]!) bounds.push(boundary);
    }
  } finally {
    await handle.close();
  }
  bounds.push(size);
  return bounds;
}

/**
 * Scans one range on a worker thread of its own. Resolves undefined when `signal` aborts (the worker is terminated
 * at once, whatever it is doing); a worker that crashes fails the validation with the range it was scanning.
 */
async function runInWorker(script: string, request: RangeScanRequest, onMessage: (message: RangeScanMessage) => void, signal?: AbortSignal): Promise<RangeScanResult | undefined> {
  if (signal?.aborted) return undefined;
  const launcher = new ProcessLauncher({
    name: `The validation worker for bytes ${request.start}-${request.end} of ${basename(request.path)}`,
    // A small young generation and a capped old one keep each worker's memory flat and low (measured: both faster
    // and smaller than the defaults); rows are short-lived garbage. The cap still fits a line of tens of megabytes.
    // The old generation's cap leaves room for a tokenizer (Qwen3's keeps about 50 MB), loaded when tokens are
    // counted or a row is long enough to pass the default context.
    target: { kind: 'worker', entry: script, resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 } },
  });
  const stop = (): void => void launcher.dispose();
  signal?.addEventListener('abort', stop, { once: true });
  try {
    const connection = await launcher.connection();
    return await withProgress(connection, rangeScanProgress, onMessage, (progressToken) => launcher.request(scanRangeRequest, { request, progressToken }));
  } catch (error) {
    if (signal?.aborted) return undefined;
    // The crash's reason names the range and how the worker ended (out of memory, its last error lines).
    throw error instanceof ProcessCrashedError ? new Error(`${error.crash.reason}.`, { cause: error }) : error;
  } finally {
    signal?.removeEventListener('abort', stop);
    await launcher.dispose();
  }
}

/** The duplicate fingerprints of a whole file (to check another split against). */
export async function collectFingerprints(path: string): Promise<FingerprintTable> {
  const size = (await stat(path)).size;
  const result = await scanRange({ path, start: 0, end: size, checkDuplicates: true, trainingData: false }, () => undefined);
  return result.table ? FingerprintTable.fromBuffers(result.table) : new FingerprintTable();
}

/**
 * Validates a JSON Lines file of any size from disk: the file is split at line boundaries into one byte range per
 * thread, each streamed in chunks by a worker; findings stream out as they are found; memory stays constant apart
 * from about 15 bytes of duplicate table per row (12-byte slots plus a sparse line index). Resolves with the whole file's stats (`cancelled` when aborted).
 */
export async function validateDatasetFile(path: string, options: FileValidationOptions = {}): Promise<FileValidationResult> {
  const size = (await stat(path)).size;
  const head = await sampleHead(path, size, options);
  const { bytesPerLine } = head;
  // Undecided from the head: scan with every check on, hold the findings, and decide from the whole file's rows.
  const deferred = head.trainingData === undefined;
  const trainingData = head.trainingData ?? true;
  const held: DatasetFinding[] = [];
  const checkDuplicates = options.checkDuplicates !== false;
  const splits: NonNullable<RangeScanRequest['splits']> = [];
  if (checkDuplicates) {
    for (const file of options.splitFiles ?? []) splits.push({ file: basename(file), table: (await collectFingerprints(file)).toBuffers() });
  }
  const script = options.workerScript ?? defaultWorkerScript();
  const threads = size < inlineLimit || !script ? 1 : Math.max(1, Math.min(options.threads ?? Math.min(availableParallelism(), 8), 64));
  const bounds = await splitAtLines(path, size, threads);
  const ranges = bounds.slice(0, -1).map((start, index) => ({ start, end: bounds[index + 1]! }));

  const cap = options.maxFindingsPerCode ?? 1000;
  const coordinator = new DatasetAccumulator(
    {
      ...(options.format ? { format: options.format } : {}),
      ...(options.minRows !== undefined ? { minRows: options.minRows } : {}),
      maxFindingsPerCode: cap,
      ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
      checkDuplicates: false,
    },
    trainingData,
    (item) => (deferred ? held.push(item) : options.onFinding?.(item)),
  );
  const progress = ranges.map(() => 0);
  const report = (): void =>
    options.onProgress?.(
      progress.reduce((a, b) => a + b, 0),
      size,
    );
  // Findings of range k wait until the ranges before it are done (their line count is its line offset).
  const waitingFindings: DatasetFinding[][] = ranges.map(() => []);
  const results: (RangeScanResult | undefined)[] = ranges.map(() => undefined);
  let flushedUpTo = 0;
  const lineOffsets = [0];
  const shift = (item: DatasetFinding, offset: number): DatasetFinding => {
    if (offset === 0) return item;
    const move = (p: { line: number; character: number }) => ({ line: p.line + offset, character: p.character });
    return {
      ...item,
      range: { start: move(item.range.start), end: move(item.range.end) },
      // A worker numbers lines from its range's start; so do the related line and the message that names it.
      ...(item.relatedLine !== undefined && !item.relatedFile
        ? { relatedLine: item.relatedLine + offset, message: item.message.replace(`line ${item.relatedLine + 1}`, `line ${item.relatedLine + offset + 1}`) }
        : {}),
      ...movedFixes(item, move),
    };
  };
  const drain = (): void => {
    while (flushedUpTo < ranges.length) {
      const offset = lineOffsets[flushedUpTo]!;
      for (const item of waitingFindings[flushedUpTo]!.splice(0)) coordinator.passThrough(shift(item, offset));
      const result = results[flushedUpTo];
      if (!result) return;
      lineOffsets[flushedUpTo + 1] = offset + result.lines;
      flushedUpTo++;
    }
  };
  const onMessage =
    (index: number) =>
    (message: RangeScanMessage): void => {
      if (message.type === 'findings') {
        for (const finding of message.findings) waitingFindings[index]!.push(finding);
        if (index === flushedUpTo) drain();
      } else if (message.type === 'progress') {
        progress[index] = message.bytes;
        report();
      }
    };
  let cancelled = false;
  const requests: RangeScanRequest[] = ranges.map((range) => ({
    path,
    start: range.start,
    end: range.end,
    ...(options.format ? { format: options.format } : {}),
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    maxFindingsPerCode: cap,
    checkDuplicates,
    trainingData,
    endsFile: range.end === size,
    // Sized once from the head's line length: growing a table holds the old and the new one at the same time.
    // (Capped: a head of tiny lines must not reserve gigabytes; past the cap the table grows as it needs.)
    expectedRows: Math.min(2_000_000, Math.ceil(((range.end - range.start) / bytesPerLine) * 1.05)),
    ...(options.tokenizer !== undefined ? { tokenizer: options.tokenizer } : {}),
    ...(splits.length > 0 ? { splits } : {}),
  }));
  await Promise.all(
    requests.map(async (request, index) => {
      const result =
        // Big files go to workers even on one thread: measured 2-3x faster per row than inline on the main thread,
        // whose heap is the CLI's or the editor's (larger young generation, other work in it).
        size < inlineLimit || !script ? await scanRange(request, onMessage(index), () => options.signal?.aborted ?? false) : await runInWorker(script, request, onMessage(index), options.signal);
      if (!result || options.signal?.aborted) {
        cancelled = true;
        return;
      }
      results[index] = result;
      drain();
    }),
  );
  if (cancelled) return { stats: coordinator.stats, cancelled: true };

  // Duplicates across ranges: each range's first occurrences against the ranges before it. The tables are probed
  // where they are, never merged into a new one: no allocation on top of the bytes a row they already hold. Candidates are confirmed by reading both rows back.
  const merged = coordinator.stats;
  const earlier: { table: FingerprintTable; offset: number }[] = [];
  results.forEach((result, index) => {
    if (!result) return;
    const offset = lineOffsets[index]!;
    mergeStats(merged, result.stats, offset);
    coordinator.addRowsByFormat(result.rowsByFormat, offset);
    if (!result.table) return;
    const table = FingerprintTable.fromBuffers(result.table);
    table.fileRows?.open();
    if (earlier.length > 0) {
      for (const entry of table.entries()) {
        // The full hash is known for every row whose sample key collided within its range (all of them in templated data).
        const cache: { fullHash?: number } = entry.fullHash !== 0 && entry.fullHash !== 0xffffffff ? { fullHash: entry.fullHash } : {};
        for (const previous of earlier) {
          const found = previous.table.find(entry.key, () => table.rows(entry.line), cache);
          if (found) {
            coordinator.reportDuplicate(entry.line + offset, found.line + previous.offset, found.exact, 0);
            break;
          }
        }
      }
    }
    earlier.push({ table, offset });
  });
  for (const { table } of earlier) table.fileRows?.close();
  const lastResult = results[results.length - 1];
  const last = lastResult?.last;
  if (deferred) {
    // The same rule as the in-memory validator's, over every row of the file.
    const recognized = Object.values(merged.formats).reduce((sum, count) => sum + count, 0);
    merged.trainingData = looksLikeTrainingData(recognized, merged.rows, false);
    if (!merged.trainingData) {
      for (const code of Object.keys(merged.findings) as DatasetFindingCode[]) if (!syntaxCodes.has(code)) delete merged.findings[code];
    }
  }
  const stats = coordinator.finish(last ? { ...last, line: last.line + lineOffsets[results.length - 1]! } : undefined);
  stats.bytes = size;
  if (deferred) for (const item of held) if (stats.trainingData || syntaxCodes.has(item.code)) options.onFinding?.(item);
  return { stats, cancelled: false };
}
