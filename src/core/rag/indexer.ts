import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readBoundedFile, UnsafeFileError } from '../files/boundedRead';
import { type TextEmbedder } from '../inference/embedding';
import { type Block } from './blocks';
import { approximateTokenCounter, type ChunkBudget, type TokenCounter } from './chunk';
import { chunkDocument, formatOf, textBlocks } from './chunker';
import { defaultDocumentBudget, type DocumentBudget, formatSeconds, truncateText } from './documentBudget';
import { pdfBlocks } from './pdfBlocks';
import { decodeSourceText, defaultSourceOptions, SourceFilter, scanSources, type SourceOptions } from './sources';
import { type ContentVerdict, type IndexStore } from './store';
import { type IndexProgressInfo, type IndexRunSummary } from '../../shared/ragProtocol';

/** Bumped when chunking changes in a way that must re-chunk existing indexes. */
const chunkerVersion = 1;

export interface ChunkingOptions {
  /** Largest chunk in tokens; capped by the embedding model's own limit. */
  maxTokens: number;
  overlapTokens: number;
}

export const defaultChunking: ChunkingOptions = { maxTokens: 256, overlapTokens: 32 };

/** Progress of an index run: the record the index worker reports to the host. */
export type IndexProgress = IndexProgressInfo;

/** What one indexing run did; the same record the index worker reports to the host. */
export type IndexRunReport = IndexRunSummary;

export interface IndexerOptions {
  root: string;
  store: IndexStore;
  sources?: SourceOptions;
  chunking?: ChunkingOptions;
  embedder?: TextEmbedder;
  embedBatchSize?: number;
  signal?: AbortSignal;
  onProgress?: (progress: IndexProgress) => void;
  /** Awaited between files and batches: resolves when indexing may continue (pause). */
  gate?: () => Promise<void>;
  /** Per-document limits (pages, characters, chunks, parse time); default `defaultDocumentBudget`. */
  documentBudget?: DocumentBudget;
  /**
   * How the previous run ended, when it died while reading a file (the index worker ran out of memory): that file is
   * skipped with this reason at once rather than read again.
   */
  previousRunFailure?: string;
}

/** The file being read, recorded before parsing so that a run that dies on it leaves its name behind. */
interface ReadingMarker {
  path: string;
  size: number;
  mtimeMs: number;
  /** Earlier runs that ended while reading this same, unchanged file. */
  interruptions: number;
}

const readingMarkerKey = 'readingDocument';

/**
 * Runs that may end while reading the same unchanged file before it is skipped without a reported failure. One is
 * usually the window being closed or the CLI killed mid-file; two in a row on the same bytes is the file.
 */
const interruptionsBeforeQuarantine = 2;

/** Tokens the model adds around every input ([CLS]/[SEP] or BOS/EOS) and a little room for its passage prefix. */
const modelReservedTokens = 8;

/**
 * Keeps one folder's index in step with its files. Every file is written in one transaction (document row and its
 * chunks), and embeddings are stored per batch keyed by content hash, so an interrupted run (cancel, crash, kill -9)
 * leaves a consistent index and the next run continues where it stopped: unchanged files are recognised by size and
 * mtime, then by content hash, and only texts without a vector are embedded.
 */
export class FolderIndexer {
  readonly budget: ChunkBudget;
  readonly documentBudget: DocumentBudget;
  private readonly sources: SourceOptions;
  private readonly filter: SourceFilter;
  private readonly chunkingKey: string;
  /** The settings a file's content is judged by: a skip recorded under other settings is tried again. */
  private readonly attemptKey: string;

  constructor(private readonly options: IndexerOptions) {
    this.sources = options.sources ?? defaultSourceOptions;
    this.filter = new SourceFilter(this.sources);
    const chunking = options.chunking ?? defaultChunking;
    const embedder = options.embedder;
    const counter: TokenCounter = embedder ? { exact: true, description: `${embedder.modelKey} tokenizer`, count: (text) => embedder.countTokens(text) } : approximateTokenCounter;
    const maxTokens = embedder ? Math.min(chunking.maxTokens, embedder.maxTokens - modelReservedTokens) : chunking.maxTokens;
    this.budget = { maxTokens, overlapTokens: Math.min(chunking.overlapTokens, Math.floor(maxTokens / 4)), counter };
    this.chunkingKey = JSON.stringify({ v: chunkerVersion, counter: counter.description, max: this.budget.maxTokens, overlap: this.budget.overlapTokens });
    this.documentBudget = options.documentBudget ?? defaultDocumentBudget;
    this.attemptKey = JSON.stringify({ chunking: this.chunkingKey, budget: this.documentBudget, maxFileBytes: this.sources.maxFileBytes, maxPdfBytes: this.sources.maxPdfBytes });
  }

  private get store(): IndexStore {
    return this.options.store;
  }

  /** Scans the folder and brings the whole index up to date. */
  async indexAll(): Promise<IndexRunReport> {
    const report = emptyReport();
    const started = performance.now();
    const progress: IndexProgress = { phase: 'scanning', filesDone: 0, filesTotal: 0, chunksWritten: 0, embedded: 0, embedTotal: 0 };
    this.options.onProgress?.({ ...progress });
    this.settleInterruptedRun();
    const scan = scanSources(this.options.root, this.sources, this.options.signal);
    report.scanned = scan.files.length;
    const present = new Set(scan.files.map((file) => file.path));
    for (const doc of this.store.documents()) {
      if (!present.has(doc.path)) {
        this.store.deleteDocument(doc.path);
        report.removed++;
      }
    }
    const skippedPaths = new Set(scan.skipped.map((entry) => entry.path));
    for (const entry of this.store.skipped()) if (!present.has(entry.path) && !skippedPaths.has(entry.path)) this.store.clearSkipped(entry.path);
    for (const entry of scan.skipped) this.store.setSkipped(entry.path, entry.reason, 'skipped');
    report.skipped += scan.skipped.length;
    progress.phase = 'chunking';
    progress.filesTotal = scan.files.length;
    const chunkStarted = performance.now();
    let lastYield = performance.now();
    for (const file of scan.files) {
      if (this.options.signal?.aborted) {
        report.cancelled = true;
        break;
      }
      if (performance.now() - lastYield > 25) {
        await yieldToEvents();
        lastYield = performance.now();
      }
      await this.options.gate?.();
      const existing = this.store.document(file.path);
      if (existing && existing.chunking === this.chunkingKey && existing.size === file.size && existing.mtimeMs === file.mtimeMs) {
        report.unchanged++;
      } else {
        progress.currentPath = file.path;
        await this.indexFile(file.path, report);
      }
      progress.filesDone++;
      progress.chunksWritten = report.chunksWritten;
      const elapsed = performance.now() - chunkStarted;
      if (progress.filesDone >= 5) progress.etaMs = (elapsed / progress.filesDone) * (progress.filesTotal - progress.filesDone);
      this.options.onProgress?.({ ...progress });
    }
    this.store.setMeta(readingMarkerKey, undefined);
    report.pipelineMs = performance.now() - started;
    await this.embedPending(report, progress);
    progress.phase = 'done';
    delete progress.etaMs;
    delete progress.currentPath;
    this.options.onProgress?.({ ...progress });
    return report;
  }

  /**
   * Re-indexes just these paths (relative to the folder), as a file watcher reports them: changed files are
   * re-chunked, vanished ones removed, and paths the filters exclude ignored. Renames arrive as a delete and a create.
   */
  async updatePaths(paths: readonly string[]): Promise<IndexRunReport> {
    const report = emptyReport();
    const started = performance.now();
    this.settleInterruptedRun();
    for (const path of new Set(paths)) {
      if (this.options.signal?.aborted) {
        report.cancelled = true;
        break;
      }
      await this.options.gate?.();
      if (!this.filter.matches(path) || this.filter.isIgnored(this.options.root, path)) {
        if (this.store.document(path)) {
          this.store.deleteDocument(path);
          report.removed++;
        }
        this.store.clearSkipped(path);
        continue;
      }
      report.scanned++;
      await this.indexFile(path, report);
    }
    this.store.setMeta(readingMarkerKey, undefined);
    report.pipelineMs = performance.now() - started;
    await this.embedPending(report, { phase: 'embedding', filesDone: 0, filesTotal: 0, chunksWritten: report.chunksWritten, embedded: 0, embedTotal: 0 });
    return report;
  }

  /**
   * Reads, checks, parses and chunks one file and writes it; any problem is recorded against the file, never thrown.
   * A file whose content got it skipped is not read again while it and the settings stay the same.
   */
  private async indexFile(path: string, report: IndexRunReport): Promise<void> {
    const absolute = join(this.options.root, path);
    const format = formatOf(path);
    const cap = format === 'pdf' ? this.sources.maxPdfBytes : this.sources.maxFileBytes;
    let bytes: Buffer;
    let verdict: ContentVerdict;
    try {
      const stats = statSync(absolute);
      if (!stats.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      verdict = { size: stats.size, mtimeMs: stats.mtimeMs, attempt: this.attemptKey };
      if (stats.size > cap) {
        this.store.setSkipped(path, `too large: ${stats.size} bytes (limit ${cap})`, 'skipped');
        report.skipped++;
        return;
      }
      const earlier = this.store.skippedVerdict(path);
      if (earlier && earlier.size === verdict.size && earlier.mtimeMs === verdict.mtimeMs && earlier.attempt === verdict.attempt) {
        if (earlier.kind === 'error') report.errors++;
        else report.skipped++;
        return;
      }
      // Bounded: the file can turn into a pipe or grow between the stat and the read.
      bytes = await readBoundedFile(absolute, { kind: 'document', maxBytes: cap });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const vanished = code === 'ENOENT' || code === 'ENOTDIR' || (error instanceof UnsafeFileError && error.reason === 'unreadable' && !existsSync(absolute));
      if (vanished) {
        if (this.store.document(path)) {
          this.store.deleteDocument(path);
          report.removed++;
        }
        this.store.clearSkipped(path);
        return;
      }
      if (error instanceof UnsafeFileError && error.reason !== 'unreadable') {
        this.store.setSkipped(path, error.message, 'skipped');
        report.skipped++;
        return;
      }
      this.store.setSkipped(path, `cannot be read: ${(error as Error).message}`, 'error');
      report.errors++;
      return;
    }
    const contentHash = createHash('sha256').update(bytes).digest('hex');
    const existing = this.store.document(path);
    if (existing && existing.contentHash === contentHash && existing.chunking === this.chunkingKey) {
      this.store.touchDocument(path, verdict.size, verdict.mtimeMs);
      report.unchanged++;
      return;
    }
    this.beginReading(path, verdict);
    let outcome: DocumentOutcome;
    try {
      outcome = await this.parseAndChunk(path, format, bytes);
    } catch (error) {
      if (this.options.signal?.aborted) {
        this.store.setMeta(readingMarkerKey, undefined);
        return;
      }
      outcome = { skip: `cannot be parsed as ${format}: ${(error as Error).message}`, kind: 'error' };
    }
    this.store.setMeta(readingMarkerKey, undefined);
    if ('skip' in outcome) {
      this.store.setSkipped(path, outcome.skip, outcome.kind, verdict);
      if (outcome.kind === 'error') report.errors++;
      else report.skipped++;
      return;
    }
    this.store.replaceDocument({ path, contentHash, size: verdict.size, mtimeMs: verdict.mtimeMs, format, chunking: this.chunkingKey }, outcome.chunks, outcome.truncated);
    report.indexed++;
    report.chunksWritten += outcome.chunks.length;
  }

  /** Parses and chunks one file within its document budget (throws on a parse failure). */
  private async parseAndChunk(path: string, format: ReturnType<typeof formatOf>, bytes: Buffer): Promise<DocumentOutcome> {
    const budget = this.documentBudget;
    let blocks: Block[];
    const notes: string[] = [];
    if (format === 'pdf') {
      const text = await pdfBlocks(bytes, budget, this.options.signal);
      blocks = text.blocks;
      if (text.truncated) notes.push(text.truncated);
    } else {
      const decoded = decodeSourceText(bytes, format);
      if (!decoded.ok) return { skip: decoded.reason, kind: 'skipped' };
      const kept = truncateText(decoded.text, budget.maxCharacters);
      if (kept.truncated) notes.push(kept.truncated);
      const started = performance.now();
      blocks = textBlocks(format, kept.text);
      // Text formats parse synchronously (nothing can interrupt them), in linear time; this only reports a file that
      // still took too long, so that it is not parsed again while unchanged.
      const elapsed = performance.now() - started;
      if (elapsed > budget.maxParseMs) return { skip: `parsing took ${formatSeconds(Math.round(elapsed))}, over the limit of ${formatSeconds(budget.maxParseMs)} per document`, kind: 'skipped' };
    }
    const chunked = chunkDocument(path, blocks, this.budget, budget.maxChunks);
    if (chunked.truncated) notes.push(chunked.truncated);
    if (chunked.chunks.length === 0 && format === 'pdf') return { skip: notes.length > 0 ? `nothing indexed: ${notes.join('; ')}` : 'no text layer (scanned PDF?): nothing to index', kind: 'skipped' };
    return { chunks: chunked.chunks, ...(notes.length > 0 ? { truncated: notes.join('; ') } : {}) };
  }

  /** Leaves the file's name in the index before parsing it: if the run dies here, the next one knows which file. */
  private beginReading(path: string, verdict: ContentVerdict): void {
    const previous = this.readingMarker();
    const same = previous?.path === path && previous.size === verdict.size && previous.mtimeMs === verdict.mtimeMs;
    const marker: ReadingMarker = { path, size: verdict.size, mtimeMs: verdict.mtimeMs, interruptions: same ? previous.interruptions : 0 };
    this.store.setMeta(readingMarkerKey, JSON.stringify(marker));
  }

  private readingMarker(): ReadingMarker | undefined {
    const raw = this.store.getMeta(readingMarkerKey);
    if (raw === undefined) return undefined;
    try {
      const parsed = JSON.parse(raw) as Partial<ReadingMarker>;
      if (typeof parsed.path === 'string' && typeof parsed.size === 'number' && typeof parsed.mtimeMs === 'number' && typeof parsed.interruptions === 'number') return parsed as ReadingMarker;
    } catch {
      // An unreadable marker names no file: there is nothing to hold against any.
    }
    return undefined;
  }

  /**
   * A previous run ended while reading a file (its marker is still there). When the worker reported why it died, or
   * when runs ended on that same unchanged file before, the file is skipped until it changes; otherwise it is tried
   * once more, and the interruption counted.
   */
  private settleInterruptedRun(): void {
    const marker = this.readingMarker();
    const failure = this.options.previousRunFailure;
    if (!marker) {
      this.store.setMeta(readingMarkerKey, undefined);
      return;
    }
    let stats;
    try {
      stats = statSync(join(this.options.root, marker.path));
    } catch {
      this.store.setMeta(readingMarkerKey, undefined);
      return;
    }
    if (stats.size !== marker.size || stats.mtimeMs !== marker.mtimeMs) {
      this.store.setMeta(readingMarkerKey, undefined);
      return;
    }
    const interruptions = marker.interruptions + 1;
    if (failure === undefined && interruptions < interruptionsBeforeQuarantine) {
      this.store.setMeta(readingMarkerKey, JSON.stringify({ ...marker, interruptions }));
      return;
    }
    const reason =
      failure !== undefined
        ? `the indexer ${failure} while reading this file; it is skipped until it changes (or Rebuild Index)`
        : `the indexer stopped ${interruptions} times while reading this file (out of memory, crashed or killed); it is skipped until it changes (or Rebuild Index)`;
    this.store.setSkipped(marker.path, reason, 'error', { size: marker.size, mtimeMs: marker.mtimeMs, attempt: this.attemptKey });
    this.store.setMeta(readingMarkerKey, undefined);
  }

  /** Embeds every chunk text that has no vector for the current model, in batches, committing each batch. */
  private async embedPending(report: IndexRunReport, progress: IndexProgress): Promise<void> {
    const embedder = this.options.embedder;
    if (!embedder) {
      if (this.store.getMeta('modelKey') !== undefined) {
        this.store.setMeta('modelKey', undefined);
        this.store.collectGarbage(undefined);
      }
      report.lexicalOnly = 'no embedding model selected: the index is lexical (BM25) only';
      return;
    }
    if (this.store.getMeta('modelKey') !== embedder.modelKey) {
      this.store.setMeta('modelKey', embedder.modelKey);
      this.store.setMeta('dimensions', String(embedder.dimensions));
    }
    if (report.cancelled) return;
    progress.phase = 'embedding';
    progress.embedTotal = this.store.countPendingEmbeddings(embedder.modelKey);
    progress.embedded = 0;
    const batchSize = this.options.embedBatchSize ?? 16;
    const started = performance.now();
    while (!this.options.signal?.aborted) {
      await this.options.gate?.();
      const pending = this.store.pendingEmbeddings(embedder.modelKey, batchSize);
      if (pending.length === 0) break;
      const texts = pending.map((row) => embedText(JSON.parse(row.headingPath) as string[], row.text));
      const embedStarted = performance.now();
      const vectors = await embedder.embed(texts, 'document', this.options.signal);
      report.embeddingMs += performance.now() - embedStarted;
      if (vectors.length !== pending.length) throw new Error(`the embedding model returned ${vectors.length} vectors for ${pending.length} texts`);
      this.store.putEmbeddings(
        embedder.modelKey,
        pending.map((row, index) => ({ contentHash: row.contentHash, vector: vectors[index] ?? new Float32Array(embedder.dimensions) })),
      );
      report.embedded += pending.length;
      progress.embedded += pending.length;
      const elapsed = performance.now() - started;
      progress.etaMs = (elapsed / progress.embedded) * Math.max(0, progress.embedTotal - progress.embedded);
      this.options.onProgress?.({ ...progress });
    }
    if (this.options.signal?.aborted) report.cancelled = true;
    else this.store.collectGarbage(embedder.modelKey);
  }
}

/** The text embedded for a chunk: its heading path as context, then the passage (as the chunker builds it). */
export function embedText(headingPath: readonly string[], text: string): string {
  return headingPath.length > 0 ? `${headingPath.join(' > ')}\n${text}` : text;
}

type DocumentOutcome = { chunks: ReturnType<typeof chunkDocument>['chunks']; truncated?: string } | { skip: string; kind: 'skipped' | 'error' };

function emptyReport(): IndexRunReport {
  return { scanned: 0, indexed: 0, unchanged: 0, removed: 0, skipped: 0, errors: 0, chunksWritten: 0, embedded: 0, cancelled: false, pipelineMs: 0, embeddingMs: 0 };
}

function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
