import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type TextEmbedder } from '../inference/embedding';
import { type Block } from './blocks';
import { approximateTokenCounter, type ChunkBudget, type TokenCounter } from './chunk';
import { chunkBlocks, formatOf, textBlocks } from './chunker';
import { pdfBlocks } from './pdfBlocks';
import { decodeSourceText, defaultSourceOptions, SourceFilter, scanSources, type SourceOptions } from './sources';
import { type IndexStore } from './store';
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
}

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
  private readonly sources: SourceOptions;
  private readonly filter: SourceFilter;
  private readonly chunkingKey: string;

  constructor(private readonly options: IndexerOptions) {
    this.sources = options.sources ?? defaultSourceOptions;
    this.filter = new SourceFilter(this.sources);
    const chunking = options.chunking ?? defaultChunking;
    const embedder = options.embedder;
    const counter: TokenCounter = embedder ? { exact: true, description: `${embedder.modelKey} tokenizer`, count: (text) => embedder.countTokens(text) } : approximateTokenCounter;
    const maxTokens = embedder ? Math.min(chunking.maxTokens, embedder.maxTokens - modelReservedTokens) : chunking.maxTokens;
    this.budget = { maxTokens, overlapTokens: Math.min(chunking.overlapTokens, Math.floor(maxTokens / 4)), counter };
    this.chunkingKey = JSON.stringify({ v: chunkerVersion, counter: counter.description, max: this.budget.maxTokens, overlap: this.budget.overlapTokens });
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
    report.pipelineMs = performance.now() - started;
    await this.embedPending(report, { phase: 'embedding', filesDone: 0, filesTotal: 0, chunksWritten: report.chunksWritten, embedded: 0, embedTotal: 0 });
    return report;
  }

  /** Reads, checks, parses and chunks one file and writes it; any problem is recorded against the file, never thrown. */
  private async indexFile(path: string, report: IndexRunReport): Promise<void> {
    const absolute = join(this.options.root, path);
    let bytes: Buffer;
    let size: number;
    let mtimeMs: number;
    try {
      const stats = statSync(absolute);
      if (!stats.isFile()) throw Object.assign(new Error('not a file'), { code: 'ENOENT' });
      size = stats.size;
      mtimeMs = stats.mtimeMs;
      const format = formatOf(path);
      const cap = format === 'pdf' ? this.sources.maxPdfBytes : this.sources.maxFileBytes;
      if (size > cap) {
        this.store.setSkipped(path, `too large: ${size} bytes (limit ${cap})`, 'skipped');
        report.skipped++;
        return;
      }
      bytes = readFileSync(absolute);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') {
        if (this.store.document(path)) {
          this.store.deleteDocument(path);
          report.removed++;
        }
        this.store.clearSkipped(path);
        return;
      }
      this.store.setSkipped(path, `cannot be read: ${(error as Error).message}`, 'error');
      report.errors++;
      return;
    }
    const contentHash = createHash('sha256').update(bytes).digest('hex');
    const existing = this.store.document(path);
    if (existing && existing.contentHash === contentHash && existing.chunking === this.chunkingKey) {
      this.store.touchDocument(path, size, mtimeMs);
      report.unchanged++;
      return;
    }
    const format = formatOf(path);
    let blocks: Block[];
    try {
      if (format === 'pdf') {
        blocks = await pdfBlocks(bytes, this.options.signal);
      } else {
        const decoded = decodeSourceText(bytes, format);
        if (!decoded.ok) {
          this.store.setSkipped(path, decoded.reason, 'skipped');
          report.skipped++;
          return;
        }
        blocks = textBlocks(format, decoded.text);
      }
    } catch (error) {
      if (this.options.signal?.aborted) return;
      this.store.setSkipped(path, `cannot be parsed as ${format}: ${(error as Error).message}`, 'error');
      report.errors++;
      return;
    }
    const chunks = chunkBlocks(path, blocks, this.budget);
    if (chunks.length === 0 && format === 'pdf') {
      this.store.setSkipped(path, 'no text layer (scanned PDF?): nothing to index', 'skipped');
      report.skipped++;
      return;
    }
    this.store.replaceDocument({ path, contentHash, size, mtimeMs, format, chunking: this.chunkingKey }, chunks);
    report.indexed++;
    report.chunksWritten += chunks.length;
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

function emptyReport(): IndexRunReport {
  return { scanned: 0, indexed: 0, unchanged: 0, removed: 0, skipped: 0, errors: 0, chunksWritten: 0, embedded: 0, cancelled: false, pipelineMs: 0, embeddingMs: 0 };
}

function yieldToEvents(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
