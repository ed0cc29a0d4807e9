import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type BetterSqlite3 from 'better-sqlite3';
import { type ChunkLocation } from '../../shared/ragProtocol';
import { type Chunk } from './chunk';
import { ftsQuery, ftsTerm, queryTerms, searchablePath, selectiveTerms } from './keywordQuery';
import { loadDriver, openCheckedDatabase, tryLoadSqliteVec, type Database } from './storeSchema';
import { VectorMatrix } from './vectorMatrix';

export interface DocumentRecord {
  id: number;
  path: string;
  contentHash: string;
  size: number;
  mtimeMs: number;
  format: string;
  /** The chunker version, tokenizer and budgets the chunks were cut with: another value means re-chunk. */
  chunking: string;
  chunkCount: number;
  indexedAt: number;
}

export interface StoredChunk extends ChunkLocation {
  rowid: number;
  id: string;
  path: string;
  text: string;
  contentHash: string;
  tokens: number;
}

/** Why a file is not (fully) in the index: left out, failed, or indexed only in part. */
export type SkippedKind = 'skipped' | 'error' | 'truncated';

export interface SkippedRecord {
  path: string;
  reason: string;
  kind: SkippedKind;
}

/**
 * The file as it was when its own content decided the outcome (too big for a budget, not text, crashed the indexer),
 * and the settings it was tried with: while both stay the same, trying again would end the same way.
 */
export interface ContentVerdict {
  size: number;
  mtimeMs: number;
  attempt: string;
}

export interface RankedRow {
  rowid: number;
  score: number;
}

export interface StoreOpenResult {
  store: IndexStore;
  /** Set when the file on disk was unusable and a fresh index was started in its place (the old file is kept aside). */
  rebuiltBecause?: string;
}

export interface IndexStats {
  documents: number;
  chunks: number;
  embeddedChunks: number;
  skipped: number;
  errors: number;
  modelKey?: string;
  lastIndexedAt?: number;
}

/**
 * How vector search runs. `memory` (default): the model's vectors in one in-memory float32 matrix, scanned exactly in
 * a JS loop. `sqlite-vec`: sqlite-vec's native distance function over the stored blobs, nothing held in memory (about
 * 3x slower per query: see bench/rag/README.md; kept for that comparison, not shipped). Both are exact.
 */
export type VectorBackend = 'memory' | 'sqlite-vec';

/**
 * The index of one folder: an SQLite database (WAL) with documents, chunks, an FTS5 table for BM25 and embeddings
 * stored as float32 blobs keyed by chunk content hash and model (so unchanged passages are never embedded twice, and a
 * model switch keeps nothing stale). Vector search is exact: see `VectorBackend`, and bench/rag/README.md for the
 * measurements behind the choice.
 */
export class IndexStore {
  readonly vectorBackend: VectorBackend = 'memory';
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private matrix: VectorMatrix | undefined;
  /** Passages containing each query word, cached until the index grows or shrinks by more than 2%. */
  private readonly documentFrequency = new Map<string, number>();
  private documentFrequencyBase = 0;

  private constructor(
    readonly db: Database,
    readonly file: string,
  ) {}

  /**
   * Opens (creating or migrating) the index at `file`. A file that is not a database, fails SQLite's quick check, or
   * was written by a newer schema is moved aside to `<file>.corrupt-<time>` and a fresh index starts.
   */
  static open(file: string, options: { vectorBackend?: VectorBackend } = {}): StoreOpenResult {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const Driver = loadDriver();
    let problem: string | undefined;
    try {
      const store = new IndexStore(openCheckedDatabase(Driver, file), file);
      store.useBackend(options.vectorBackend);
      return { store };
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error);
    }
    const aside = `${file}.corrupt-${Date.now()}`;
    if (existsSync(file)) renameSync(file, aside);
    for (const suffix of ['-wal', '-shm']) rmSync(`${file}${suffix}`, { force: true });
    const store = new IndexStore(openCheckedDatabase(Driver, file), file);
    store.useBackend(options.vectorBackend);
    return { store, rebuiltBecause: `the index database was unusable (${problem}); it was moved to ${aside} and is being rebuilt` };
  }

  private useBackend(backend: VectorBackend | undefined): void {
    if (backend === 'sqlite-vec' && !tryLoadSqliteVec(this.db)) throw new Error('sqlite-vec is not installed for this platform');
    if (backend) (this as { vectorBackend: VectorBackend }).vectorBackend = backend;
  }

  /** The in-memory matrix of `model`'s vectors, loaded from the database on first use and kept in step after. */
  private matrixFor(model: string): VectorMatrix | undefined {
    if (this.matrix?.model === model) return this.matrix;
    const count = (this.statement('SELECT count(*) AS n FROM embeddings WHERE model = ?').get(model) as { n: number }).n;
    if (count === 0) return undefined;
    let matrix: VectorMatrix | undefined;
    for (const row of this.statement('SELECT content_hash AS hash, vector FROM embeddings WHERE model = ?').iterate(model) as IterableIterator<{ hash: string; vector: Buffer }>) {
      const vector = new Float32Array(row.vector.buffer, row.vector.byteOffset, row.vector.byteLength / 4);
      matrix ??= new VectorMatrix(model, vector.length, count);
      matrix.upsert(row.hash, vector);
    }
    this.matrix = matrix;
    return matrix;
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let prepared = this.statements.get(sql);
    if (!prepared) {
      prepared = this.db.prepare(sql);
      this.statements.set(sql, prepared);
    }
    return prepared;
  }

  close(): void {
    this.statements.clear();
    if (this.db.open) this.db.close();
  }

  getMeta(key: string): string | undefined {
    return (this.statement('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string | undefined): void {
    if (value === undefined) this.statement('DELETE FROM meta WHERE key = ?').run(key);
    else this.statement('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  documents(): DocumentRecord[] {
    return this.statement(
      'SELECT id, path, content_hash AS contentHash, size, mtime_ms AS mtimeMs, format, chunking, chunk_count AS chunkCount, indexed_at AS indexedAt FROM documents ORDER BY path',
    ).all() as DocumentRecord[];
  }

  document(path: string): DocumentRecord | undefined {
    return this.statement(
      'SELECT id, path, content_hash AS contentHash, size, mtime_ms AS mtimeMs, format, chunking, chunk_count AS chunkCount, indexed_at AS indexedAt FROM documents WHERE path = ?',
    ).get(path) as DocumentRecord | undefined;
  }

  /** Replaces a document and its chunks in one transaction: a crash leaves either the old or the new version. */
  replaceDocument(doc: Omit<DocumentRecord, 'id' | 'chunkCount' | 'indexedAt'>, chunks: readonly Chunk[], truncated?: string): void {
    this.db.transaction(() => {
      this.deleteDocumentRows(doc.path);
      const info = this.statement('INSERT INTO documents (path, content_hash, size, mtime_ms, format, chunking, chunk_count, indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(
        doc.path,
        doc.contentHash,
        doc.size,
        doc.mtimeMs,
        doc.format,
        doc.chunking,
        chunks.length,
        Date.now(),
      );
      const documentId = Number(info.lastInsertRowid);
      const insertChunk = this.statement('INSERT INTO chunks (id, document_id, ordinal, start_line, end_line, page, heading_path, text, content_hash, tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
      const insertFts = this.statement('INSERT INTO chunks_fts (rowid, path, heading, body) VALUES (?, ?, ?, ?)');
      const pathText = searchablePath(doc.path);
      chunks.forEach((chunk, ordinal) => {
        const row = insertChunk.run(chunk.id, documentId, ordinal, chunk.startLine, chunk.endLine, chunk.page ?? null, JSON.stringify(chunk.headingPath), chunk.text, chunk.contentHash, chunk.tokens);
        insertFts.run(row.lastInsertRowid, pathText, chunk.headingPath.join(' > '), chunk.text);
      });
      if (truncated === undefined) this.statement('DELETE FROM skipped WHERE path = ?').run(doc.path);
      else this.upsertSkipped(doc.path, truncated, 'truncated');
    })();
  }

  /** Keeps the stat of a document whose content did not change (touched, or rewritten with the same bytes). */
  touchDocument(path: string, size: number, mtimeMs: number): void {
    this.statement('UPDATE documents SET size = ?, mtime_ms = ? WHERE path = ?').run(size, mtimeMs, path);
  }

  deleteDocument(path: string): void {
    this.db.transaction(() => this.deleteDocumentRows(path))();
  }

  private deleteDocumentRows(path: string): void {
    const existing = this.statement('SELECT id FROM documents WHERE path = ?').get(path) as { id: number } | undefined;
    if (!existing) return;
    this.statement('DELETE FROM chunks_fts WHERE rowid IN (SELECT rowid FROM chunks WHERE document_id = ?)').run(existing.id);
    this.statement('DELETE FROM chunks WHERE document_id = ?').run(existing.id);
    this.statement('DELETE FROM documents WHERE id = ?').run(existing.id);
  }

  /** Records why a file is not indexed (its chunks, if any, are dropped); `verdict` when its content decided it. */
  setSkipped(path: string, reason: string, kind: 'skipped' | 'error', verdict?: ContentVerdict): void {
    this.db.transaction(() => {
      this.deleteDocumentRows(path);
      this.upsertSkipped(path, reason, kind, verdict);
    })();
  }

  private upsertSkipped(path: string, reason: string, kind: SkippedKind, verdict?: ContentVerdict): void {
    this.statement(
      `INSERT INTO skipped (path, reason, kind, size, mtime_ms, attempt) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(path) DO UPDATE SET reason = excluded.reason, kind = excluded.kind, size = excluded.size, mtime_ms = excluded.mtime_ms, attempt = excluded.attempt`,
    ).run(path, reason, kind, verdict?.size ?? null, verdict?.mtimeMs ?? null, verdict?.attempt ?? null);
  }

  clearSkipped(path: string): void {
    this.statement('DELETE FROM skipped WHERE path = ?').run(path);
  }

  skipped(): SkippedRecord[] {
    return this.statement('SELECT path, reason, kind FROM skipped ORDER BY path').all() as SkippedRecord[];
  }

  /** The skip recorded for `path` with the verdict that caused it, if its content caused it. */
  skippedVerdict(path: string): (SkippedRecord & ContentVerdict) | undefined {
    const row = this.statement("SELECT path, reason, kind, size, mtime_ms AS mtimeMs, attempt FROM skipped WHERE path = ? AND kind <> 'truncated' AND attempt IS NOT NULL").get(path) as
      (SkippedRecord & ContentVerdict) | undefined;
    return row;
  }

  /** Distinct texts (by content hash) that still lack an embedding for `model`, oldest chunks first. */
  pendingEmbeddings(model: string, limit: number): { contentHash: string; text: string; headingPath: string }[] {
    return this.statement(
      `SELECT c.content_hash AS contentHash, c.text AS text, c.heading_path AS headingPath FROM chunks c
       WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash = c.content_hash AND e.model = ?)
       GROUP BY c.content_hash ORDER BY min(c.rowid) LIMIT ?`,
    ).all(model, limit) as { contentHash: string; text: string; headingPath: string }[];
  }

  countPendingEmbeddings(model: string): number {
    return (
      this.statement('SELECT count(DISTINCT c.content_hash) AS n FROM chunks c WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash = c.content_hash AND e.model = ?)').get(model) as {
        n: number;
      }
    ).n;
  }

  putEmbeddings(model: string, rows: readonly { contentHash: string; vector: Float32Array }[]): void {
    const insert = this.statement('INSERT OR REPLACE INTO embeddings (content_hash, model, vector) VALUES (?, ?, ?)');
    this.db.transaction(() => {
      for (const row of rows) insert.run(row.contentHash, model, Buffer.from(row.vector.buffer, row.vector.byteOffset, row.vector.byteLength));
    })();
    if (this.matrix?.model === model) for (const row of rows) this.matrix.upsert(row.contentHash, row.vector);
  }

  /** Drops embeddings of other models and of texts no chunk holds any more. */
  collectGarbage(model: string | undefined): void {
    if (model === undefined) {
      this.statement('DELETE FROM embeddings').run();
      this.matrix = undefined;
      return;
    }
    const stale = this.statement('SELECT content_hash AS hash, model FROM embeddings WHERE model <> ? OR content_hash NOT IN (SELECT content_hash FROM chunks)').all(model) as {
      hash: string;
      model: string;
    }[];
    if (stale.length === 0) return;
    this.statement('DELETE FROM embeddings WHERE model <> ? OR content_hash NOT IN (SELECT content_hash FROM chunks)').run(model);
    if (this.matrix && this.matrix.model !== model) this.matrix = undefined;
    for (const row of stale) if (row.model === this.matrix?.model) this.matrix.remove(row.hash);
  }

  private passagesWith(term: string, total: number): number {
    if (Math.abs(total - this.documentFrequencyBase) > total * 0.02) {
      this.documentFrequency.clear();
      this.documentFrequencyBase = total;
    }
    let count = this.documentFrequency.get(term);
    if (count === undefined) {
      count = (this.statement('SELECT count(*) AS n FROM chunks_fts WHERE chunks_fts MATCH ?').get(ftsTerm(term)) as { n: number }).n;
      this.documentFrequency.set(term, count);
    }
    return count;
  }

  /**
   * BM25 over path, heading path and text (weights 2, 2, 1); higher score is better. In large indexes, the words too
   * common to matter are left out of the match (`selectiveTerms`).
   */
  searchBm25(query: string, limit: number, documentIds?: readonly number[]): RankedRow[] {
    const allTerms = queryTerms(query);
    const total = allTerms.length > 1 ? (this.statement('SELECT count(*) AS n FROM chunks').get() as { n: number }).n : 0;
    const match = ftsQuery(selectiveTerms(allTerms, total, (term) => this.passagesWith(term, total)));
    if (!match) return [];
    const rows = documentIds
      ? this.statement(
          `SELECT f.rowid AS rowid, -bm25(chunks_fts, 2.0, 2.0, 1.0) AS score FROM chunks_fts f JOIN chunks c ON c.rowid = f.rowid
           WHERE chunks_fts MATCH ? AND c.document_id IN (SELECT value FROM json_each(?)) ORDER BY bm25(chunks_fts, 2.0, 2.0, 1.0) LIMIT ?`,
        ).all(match, JSON.stringify(documentIds), limit)
      : this.statement('SELECT rowid, -bm25(chunks_fts, 2.0, 2.0, 1.0) AS score FROM chunks_fts WHERE chunks_fts MATCH ? ORDER BY bm25(chunks_fts, 2.0, 2.0, 1.0) LIMIT ?').all(match, limit);
    return rows as RankedRow[];
  }

  /** Exact nearest neighbours by cosine similarity among chunks embedded with `model`; higher score is better. */
  searchVector(model: string, query: Float32Array, limit: number, documentIds?: readonly number[]): RankedRow[] {
    if (this.vectorBackend === 'sqlite-vec') {
      const filter = documentIds ? 'AND c.document_id IN (SELECT value FROM json_each(?))' : '';
      const blob = Buffer.from(query.buffer, query.byteOffset, query.byteLength);
      return this.statement(
        `SELECT c.rowid AS rowid, 1.0 - vec_distance_cosine(e.vector, ?) AS score FROM embeddings e JOIN chunks c ON c.content_hash = e.content_hash
         WHERE e.model = ? ${filter} ORDER BY score DESC LIMIT ?`,
      ).all(blob, model, ...(documentIds ? [JSON.stringify(documentIds)] : []), limit) as RankedRow[];
    }
    const matrix = this.matrixFor(model);
    if (!matrix) return [];
    if (!documentIds) return this.rowsForHashes(matrix.nearest(query, limit), limit);
    // With a path filter: most filters keep a good share of the index, so over-fetch and filter; only when that
    // leaves too few does the scan narrow to the filter's passages (building that set costs more than the scan).
    const overFetched = this.rowsForHashes(matrix.nearest(query, Math.min(matrix.size, limit * 20)), limit, documentIds);
    if (overFetched.length >= limit || matrix.size <= limit * 20) return overFetched;
    const only = new Set(
      (this.statement('SELECT DISTINCT content_hash AS hash FROM chunks WHERE document_id IN (SELECT value FROM json_each(?))').all(JSON.stringify(documentIds)) as { hash: string }[]).map(
        (row) => row.hash,
      ),
    );
    return this.rowsForHashes(matrix.nearest(query, limit, only), limit, documentIds);
  }

  /** Chunks holding the given texts (a text may appear in several chunks), best first. */
  private rowsForHashes(nearest: readonly { hash: string; score: number }[], limit: number, documentIds?: readonly number[]): RankedRow[] {
    if (nearest.length === 0) return [];
    const scores = new Map(nearest.map((entry) => [entry.hash, entry.score]));
    const rows = this.statement(
      `SELECT rowid, content_hash AS hash FROM chunks WHERE content_hash IN (SELECT value FROM json_each(?)) ${documentIds ? 'AND document_id IN (SELECT value FROM json_each(?))' : ''}`,
    ).all(JSON.stringify(nearest.map((entry) => entry.hash)), ...(documentIds ? [JSON.stringify(documentIds)] : [])) as { rowid: number; hash: string }[];
    return rows
      .map((row) => ({ rowid: row.rowid, score: scores.get(row.hash) ?? -1 }))
      .sort((a, b) => b.score - a.score || a.rowid - b.rowid)
      .slice(0, limit);
  }

  vectorsOf(rowids: readonly number[], model: string): Map<number, Float32Array> {
    const rows = this.statement(
      'SELECT c.rowid AS rowid, e.vector AS vector FROM chunks c JOIN embeddings e ON e.content_hash = c.content_hash AND e.model = ? WHERE c.rowid IN (SELECT value FROM json_each(?))',
    ).all(model, JSON.stringify(rowids)) as { rowid: number; vector: Buffer }[];
    return new Map(rows.map((row) => [row.rowid, new Float32Array(row.vector.buffer.slice(row.vector.byteOffset, row.vector.byteOffset + row.vector.byteLength))]));
  }

  chunksByRowid(rowids: readonly number[]): Map<number, StoredChunk> {
    const rows = this.statement(
      `SELECT c.rowid AS rowid, c.id AS id, d.path AS path, c.start_line AS startLine, c.end_line AS endLine, c.page AS page, c.heading_path AS headingPath, c.text AS text, c.content_hash AS contentHash, c.tokens AS tokens
       FROM chunks c JOIN documents d ON d.id = c.document_id WHERE c.rowid IN (SELECT value FROM json_each(?))`,
    ).all(JSON.stringify(rowids)) as (Omit<StoredChunk, 'headingPath' | 'page'> & { headingPath: string; page: number | null })[];
    return new Map(rows.map(({ headingPath, page, ...row }) => [row.rowid, { ...row, headingPath: JSON.parse(headingPath) as string[], ...(page !== null ? { page } : {}) }]));
  }

  chunksOfDocument(path: string): StoredChunk[] {
    const doc = this.document(path);
    if (!doc) return [];
    const rowids = (this.statement('SELECT rowid FROM chunks WHERE document_id = ? ORDER BY ordinal').all(doc.id) as { rowid: number }[]).map((row) => row.rowid);
    const byRowid = this.chunksByRowid(rowids);
    return rowids.map((rowid) => byRowid.get(rowid)).filter((chunk): chunk is StoredChunk => chunk !== undefined);
  }

  stats(): IndexStats {
    const model = this.getMeta('modelKey');
    const count = (sql: string, ...params: unknown[]): number => (this.statement(sql).get(...params) as { n: number }).n;
    const last = this.statement('SELECT max(indexed_at) AS t FROM documents').get() as { t: number | null };
    return {
      documents: count('SELECT count(*) AS n FROM documents'),
      chunks: count('SELECT count(*) AS n FROM chunks'),
      embeddedChunks: model ? count('SELECT count(*) AS n FROM chunks c WHERE EXISTS (SELECT 1 FROM embeddings e WHERE e.content_hash = c.content_hash AND e.model = ?)', model) : 0,
      skipped: count("SELECT count(*) AS n FROM skipped WHERE kind = 'skipped'"),
      errors: count("SELECT count(*) AS n FROM skipped WHERE kind = 'error'"),
      ...(model ? { modelKey: model } : {}),
      ...(last.t !== null ? { lastIndexedAt: last.t } : {}),
    };
  }

  /** Empties the index (used by "Rebuild Index"); the schema stays. */
  clear(): void {
    this.db.transaction(() => {
      for (const table of ['chunks_fts', 'chunks', 'documents', 'embeddings', 'skipped', 'meta']) this.db.exec(`DELETE FROM ${table}`);
    })();
    this.matrix = undefined;
  }
}
