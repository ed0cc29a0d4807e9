// The index worker: one worker thread per workspace folder. Walking, parsing, chunking and SQLite run here, never on
// the extension host's thread; passages' embeddings come from the inference engine's process, asked through the host,
// so onnxruntime never loads in the extension host process; questions arrive embedded. Runs are serialised; searches
// are answered between files. It talks to the host over the RPC layer (src/core/rpc), typed by src/shared/ragProtocol.
import { workerData } from 'node:worker_threads';
import { type TextEmbedder } from '../core/inference/embedding';
import { FolderIndexer, type IndexRunReport } from '../core/rag/indexer';
import { searchIndex } from '../core/rag/retriever';
import { defaultSourceOptions } from '../core/rag/sources';
import { IndexStore } from '../core/rag/store';
import { connectToParentPort, onRequest } from '../core/rpc/connection';
import {
  indexLogNotification,
  indexProgressNotification,
  indexStateNotification,
  indexWorkerRequests,
  type IndexProgressInfo,
  type IndexSnapshot,
  type IndexWorkerInit,
  type IndexWorkerRequestName,
  type IndexWorkerRequests,
} from '../shared/ragProtocol';
import { EngineTextEmbedder } from './engineEmbedder';

const host = connectToParentPort();
const init = workerData as IndexWorkerInit;

const opened = IndexStore.open(init.dbFile);
const store = opened.store;
let rebuiltBecause = opened.rebuiltBecause;
let embedder: TextEmbedder | undefined;
let engineEmbedder: EngineTextEmbedder | undefined;
let embedderProblem: string | undefined;
let modelRequest = init.embeddingModel;
/** The model last tried, loaded or not: a model that failed is not retried on every watcher event. */
let attemptedModel: string | undefined;
let busy = false;
let paused = false;
let resumeWaiters: (() => void)[] = [];
let controller: AbortController | undefined;
let progress: IndexProgressInfo | undefined;
let lastError: string | undefined;
let queue: Promise<unknown> = Promise.resolve();
let pendingPaths = new Set<string>();
let pendingUpdate: Promise<IndexRunReport> | undefined;
/** How the worker this one replaces died: handed to the first run only, which skips the file it died on. */
let previousWorkerFailure = init.previousWorkerFailure;

function log(level: 'info' | 'warn' | 'error', message: string): void {
  void host.sendNotification(indexLogNotification, { level, message });
}

if (rebuiltBecause) log('warn', `${init.folder}: ${rebuiltBecause}`);

async function loadEmbedder(): Promise<void> {
  if (!modelRequest) {
    attemptedModel = undefined;
    dropEmbedder();
    embedderProblem = 'no embedding model selected';
    return;
  }
  if (attemptedModel === modelRequest) return;
  attemptedModel = modelRequest;
  dropEmbedder();
  embedderProblem = `the embedding model '${modelRequest}' is still loading in the inference engine`;
  try {
    const candidate = EngineTextEmbedder.open(modelRequest, host);
    engineEmbedder = candidate;
    await candidate.probe();
    embedder = candidate;
    embedderProblem = undefined;
    log('info', `${init.folder}: embedding with ${candidate.modelKey} (${candidate.dimensions} dimensions) in the inference engine process`);
  } catch (error) {
    dropEmbedder();
    embedderProblem = `the embedding model '${modelRequest}' could not be loaded: ${(error as Error).message}`;
    log('warn', `${init.folder}: ${embedderProblem}; indexing lexically`);
  }
}

function dropEmbedder(): void {
  engineEmbedder?.dispose();
  engineEmbedder = undefined;
  embedder = undefined;
}

function snapshot(): IndexSnapshot {
  const stats = store.stats();
  const snap: IndexSnapshot = {
    folder: init.folder,
    dbFile: init.dbFile,
    busy,
    paused,
    documents: stats.documents,
    chunks: stats.chunks,
    embeddedChunks: stats.embeddedChunks,
    skipped: store.skipped(),
    vectorBackend: store.vectorBackend,
  };
  if (progress) snap.progress = progress;
  if (stats.modelKey) snap.modelKey = stats.modelKey;
  if (!embedder) snap.lexicalOnly = embedderProblem ?? 'no embedding model selected';
  if (stats.lastIndexedAt !== undefined) snap.lastIndexedAt = stats.lastIndexedAt;
  if (lastError) snap.lastError = lastError;
  if (rebuiltBecause) snap.rebuiltBecause = rebuiltBecause;
  return snap;
}

function pushState(): void {
  void host.sendNotification(indexStateNotification, snapshot());
}

function resumeRun(): void {
  paused = false;
  const waiters = resumeWaiters;
  resumeWaiters = [];
  for (const wake of waiters) wake();
}

function gate(): Promise<void> {
  return paused ? new Promise((resolve) => resumeWaiters.push(resolve)) : Promise.resolve();
}

function indexer(signal: AbortSignal): FolderIndexer {
  const failure = previousWorkerFailure;
  previousWorkerFailure = undefined;
  return new FolderIndexer({
    ...(failure !== undefined ? { previousRunFailure: failure } : {}),
    root: init.folder,
    store,
    sources: { ...defaultSourceOptions, ...init.sources, ignoreFileName: '.chatwrightignore' },
    chunking: init.chunking,
    signal,
    gate,
    ...(embedder ? { embedder } : {}),
    onProgress: (next) => {
      progress = next;
      void host.sendNotification(indexProgressNotification, next);
    },
  });
}

/** Runs one indexing job at a time, in order. */
function exclusive<T>(job: () => Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    busy = true;
    controller = new AbortController();
    pushState();
    try {
      await loadEmbedder();
      return await job();
    } catch (error) {
      lastError = (error as Error).message;
      log('error', `${init.folder}: ${(error as Error).stack ?? lastError}`);
      throw error;
    } finally {
      busy = false;
      progress = undefined;
      controller = undefined;
      pushState();
    }
  });
  queue = run.catch(() => undefined);
  return run;
}

/** Watcher events arriving while a run is active are merged and handled in one update afterwards. */
function update(paths: readonly string[]): Promise<IndexRunReport> {
  for (const path of paths) pendingPaths.add(path);
  pendingUpdate ??= exclusive(() => {
    const batch = [...pendingPaths];
    pendingPaths = new Set();
    pendingUpdate = undefined;
    return indexer((controller ?? new AbortController()).signal).updatePaths(batch);
  });
  return pendingUpdate;
}

const handlers: { [N in IndexWorkerRequestName]: (params: IndexWorkerRequests[N][0], signal: AbortSignal) => Promise<IndexWorkerRequests[N][1]> | IndexWorkerRequests[N][1] } = {
  indexAll: () => exclusive(() => indexer((controller ?? new AbortController()).signal).indexAll()),
  update: ({ paths }) => update(paths),
  rebuild: () =>
    exclusive(() => {
      store.clear();
      rebuiltBecause = undefined;
      lastError = undefined;
      return indexer((controller ?? new AbortController()).signal).indexAll();
    }),
  // The host embeds the question once for every folder: the worker searches with the vector it is given. A search
  // the host cancelled before it ran (the chat turn was stopped) ends at once with the signal's reason.
  search: ({ query, options, queryEmbedding, withoutEmbedding }, signal) =>
    searchIndex(store, query, { ...options, ...(queryEmbedding ? { queryEmbedding } : {}), ...(withoutEmbedding !== undefined ? { withoutEmbedding } : {}), signal }),
  snapshot: () => snapshot(),
  files: () => store.documents().map((doc) => ({ path: doc.path, chunkCount: doc.chunkCount, indexedAt: doc.indexedAt, format: doc.format })),
  setEmbeddingModel: async ({ model }) => {
    modelRequest = model;
    if (!busy) await loadEmbedder();
    return snapshot();
  },
  pause: () => {
    paused = true;
    pushState();
    return snapshot();
  },
  resume: () => {
    resumeRun();
    pushState();
    return snapshot();
  },
  cancel: () => {
    controller?.abort();
    resumeRun();
    return snapshot();
  },
  memory: () => {
    const usage = process.memoryUsage();
    return { rss: usage.rss, heapUsed: usage.heapUsed, external: usage.external };
  },
};

for (const name of Object.keys(handlers) as IndexWorkerRequestName[]) {
  onRequest(host, indexWorkerRequests[name] as (typeof indexWorkerRequests)['snapshot'], handlers[name] as (typeof handlers)['snapshot']);
}
host.listen();

process.on('exit', () => store.close());
pushState();
