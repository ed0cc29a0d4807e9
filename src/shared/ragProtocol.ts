/**
 * Messages between the extension host and an index worker (one worker thread per workspace folder; entry
 * `src/worker/indexWorker.ts`), carried by the RPC layer (`src/core/rpc`). The host sends the requests of
 * `indexWorkerRequests`; the worker asks the host for document embeddings (`indexEmbedRequest`) and pushes progress,
 * state and log lines as notifications.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';

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

/** A question's vector, embedded once on the host by the inference engine and searched in every folder's index. */
export interface QueryEmbedding {
  /** The embedding model's key: only an index holding vectors of the same key is searched by vector. */
  modelKey: string;
  vector: Float32Array;
}

/** One folder's search: the question, and its vector when the host could embed it. */
export interface SearchRequest {
  query: string;
  options: SearchRequestOptions;
  queryEmbedding?: QueryEmbedding;
  /** Why there is no vector (no model selected, the engine failed): the notice of a lexical fallback says it. */
  withoutEmbedding?: string;
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
  search: [SearchRequest, SearchResultInfo];
  snapshot: [Record<string, never>, IndexSnapshot];
  files: [Record<string, never>, IndexedFileInfo[]];
  setEmbeddingModel: [{ model?: string }, IndexSnapshot];
  pause: [Record<string, never>, IndexSnapshot];
  resume: [Record<string, never>, IndexSnapshot];
  cancel: [Record<string, never>, IndexSnapshot];
  memory: [Record<string, never>, { rss: number; heapUsed: number; external: number }];
}

export type IndexWorkerRequestName = keyof IndexWorkerRequests;

/** Each request of `IndexWorkerRequests` as the typed message the RPC layer sends. */
export const indexWorkerRequests: { readonly [N in IndexWorkerRequestName]: RequestType<IndexWorkerRequests[N][0], IndexWorkerRequests[N][1], void> } = {
  indexAll: new RequestType('index/indexAll'),
  update: new RequestType('index/update'),
  rebuild: new RequestType('index/rebuild'),
  search: new RequestType('index/search'),
  snapshot: new RequestType('index/snapshot'),
  files: new RequestType('index/files'),
  setEmbeddingModel: new RequestType('index/setEmbeddingModel'),
  pause: new RequestType('index/pause'),
  resume: new RequestType('index/resume'),
  cancel: new RequestType('index/cancel'),
  memory: new RequestType('index/memory'),
};

export interface IndexEmbedParams {
  model: string;
  texts: string[];
  role: 'query' | 'document';
}

export interface IndexEmbedResult {
  vectors: Float32Array[];
  /** The key of the model that ran, which the index stores its vectors under. */
  modelKey: string;
}

/**
 * Embedding runs in the inference engine's process, not in the index worker: while indexing, the worker asks the
 * host for its passages' vectors, and the host asks the engine. (Questions are embedded by the host itself, once for
 * every folder: see `SearchRequest.queryEmbedding`.)
 */
export const indexEmbedRequest = new RequestType<IndexEmbedParams, IndexEmbedResult, void>('index/embed');

/** Pushed by the worker while a run goes on. */
export const indexProgressNotification = new NotificationType<IndexProgressInfo>('index/progress');

/** Pushed by the worker whenever what the Index view shows changes. */
export const indexStateNotification = new NotificationType<IndexSnapshot>('index/state');

/** A line for the extension's log. */
export const indexLogNotification = new NotificationType<{ level: 'info' | 'warn' | 'error'; message: string }>('index/log');
