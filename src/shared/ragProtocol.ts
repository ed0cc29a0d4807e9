/**
 * Messages between the extension host and an index worker (one worker thread per workspace folder; entry
 * `src/worker/indexWorker.ts`). Requests carry an id and get exactly one `response`; `progress` and `state` are pushed.
 */

export interface IndexSourceSettings {
  include: string[];
  exclude: string[];
  maxFileBytes: number;
  maxPdfBytes: number;
  respectGitignore: boolean;
}

export interface IndexWorkerInit {
  folder: string;
  dbFile: string;
  sources: IndexSourceSettings;
  chunking: { maxTokens: number; overlapTokens: number };
  /** Embedding model id or folder; undefined: lexical only. */
  embeddingModel?: string;
  /**
   * Set when this worker replaces one that died during a run ("ran out of memory (heap limit 1024 MB)"): the file that
   * worker was reading is skipped at once, with this reason, instead of being tried again.
   */
  previousWorkerFailure?: string;
}

export interface IndexProgressInfo {
  phase: 'scanning' | 'chunking' | 'embedding' | 'done';
  filesDone: number;
  filesTotal: number;
  chunksWritten: number;
  embedded: number;
  embedTotal: number;
  /** Estimated milliseconds left in the current phase, once there is enough to estimate from. */
  etaMs?: number;
  currentPath?: string;
}

export interface IndexedFileInfo {
  path: string;
  chunkCount: number;
  indexedAt: number;
  format: string;
}

export interface SkippedFileInfo {
  path: string;
  reason: string;
  /** `truncated`: indexed, but only in part (over a per-document budget); the reason says which part. */
  kind: 'skipped' | 'error' | 'truncated';
}

/** What the Index view shows for one folder. */
export interface IndexSnapshot {
  folder: string;
  dbFile: string;
  busy: boolean;
  paused: boolean;
  progress?: IndexProgressInfo;
  documents: number;
  chunks: number;
  embeddedChunks: number;
  modelKey?: string;
  /** Why the index is lexical only (no model, model failed to load). */
  lexicalOnly?: string;
  lastIndexedAt?: number;
  lastError?: string;
  /** Set once when the database was found corrupted and rebuilt. */
  rebuiltBecause?: string;
  skipped: SkippedFileInfo[];
  vectorBackend: string;
}

export interface SearchRequestOptions {
  k?: number;
  mode?: 'hybrid' | 'bm25' | 'vector';
  pathFilter?: string;
  mmrLambda?: number;
}

/** Where a chunk came from in its document: enough to cite it and to open the source at the range. */
export interface ChunkLocation {
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  /** 1-based page number for paged documents (PDF); undefined otherwise. */
  page?: number;
  /** Headings above the chunk, outermost first (Markdown, AsciiDoc, reStructuredText, HTML). */
  headingPath: string[];
}

export interface SearchHitInfo extends ChunkLocation {
  id: string;
  path: string;
  text: string;
  score: number;
  bm25?: { rank: number; score: number };
  vector?: { rank: number; score: number };
}

export interface SearchResultInfo {
  hits: SearchHitInfo[];
  mode: 'hybrid' | 'bm25' | 'vector';
  notice?: string;
  tookMs: number;
}

export interface IndexRunSummary {
  scanned: number;
  indexed: number;
  unchanged: number;
  removed: number;
  skipped: number;
  errors: number;
  chunksWritten: number;
  embedded: number;
  cancelled: boolean;
  /** Milliseconds spent outside the embedding model (scan, read, parse, chunk, write), and inside it. */
  pipelineMs: number;
  embeddingMs: number;
  lexicalOnly?: string;
}

/** Request name → [parameters, result]. */
export interface IndexWorkerRequests {
  indexAll: [Record<string, never>, IndexRunSummary];
  update: [{ paths: string[] }, IndexRunSummary];
  rebuild: [Record<string, never>, IndexRunSummary];
  search: [{ query: string; options: SearchRequestOptions }, SearchResultInfo];
  snapshot: [Record<string, never>, IndexSnapshot];
  files: [Record<string, never>, IndexedFileInfo[]];
  setEmbeddingModel: [{ model?: string }, IndexSnapshot];
  pause: [Record<string, never>, IndexSnapshot];
  resume: [Record<string, never>, IndexSnapshot];
  cancel: [Record<string, never>, IndexSnapshot];
  memory: [Record<string, never>, { rss: number; heapUsed: number; external: number }];
}

export type IndexWorkerRequestName = keyof IndexWorkerRequests;

export interface IndexWorkerRequest<N extends IndexWorkerRequestName = IndexWorkerRequestName> {
  kind: 'request';
  id: number;
  name: N;
  params: IndexWorkerRequests[N][0];
}

/**
 * Embedding runs in the inference engine's process, not in the index worker: the worker asks the host
 * (`embedRequest`, cancelled with `embedCancel`) and the host answers with the engine's vectors (`embedResponse`).
 */
export interface IndexEmbedRequest {
  kind: 'embedRequest';
  id: number;
  model: string;
  texts: string[];
  role: 'query' | 'document';
}

export interface IndexEmbedCancel {
  kind: 'embedCancel';
  id: number;
}

export type IndexEmbedResponse =
  | { kind: 'embedResponse'; id: number; ok: true; vectors: Float32Array[]; modelKey: string }
  | { kind: 'embedResponse'; id: number; ok: false; error: string; cancelled?: boolean };

/** What the host sends to an index worker. */
export type IndexWorkerInbound = IndexWorkerRequest | IndexEmbedResponse;

export type IndexWorkerMessage =
  | IndexEmbedRequest
  | IndexEmbedCancel
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string }
  | { kind: 'progress'; progress: IndexProgressInfo }
  | { kind: 'state'; snapshot: IndexSnapshot }
  | { kind: 'log'; level: 'info' | 'warn' | 'error'; message: string };
