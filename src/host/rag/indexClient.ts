import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import {
  type IndexEmbedRequest,
  type IndexEmbedResponse,
  type IndexProgressInfo,
  type IndexSnapshot,
  type IndexWorkerInit,
  type IndexWorkerMessage,
  type IndexWorkerRequest,
  type IndexWorkerRequestName,
  type IndexWorkerRequests,
} from '../../shared/ragProtocol';

/**
 * The index worker's heap cap. Per-document budgets keep a run to a few hundred MB at worst (3 million characters of
 * one-character paragraphs peak at about 250 MB of heap as blocks and chunks); a worker past this is reported and
 * replaced instead of taking the extension host's memory with it. SQLite's own memory is outside the V8 heap.
 */
export const indexWorkerHeapLimitMb = 1536;

/** Replacements of a worker that died during one run (each skips the file its predecessor died on). */
const maxRestartsPerRun = 3;

/** Requests that run an index pass: after a worker dies in one, the pass is run again by a fresh worker. */
const runRequests = new Set<IndexWorkerRequestName>(['indexAll', 'update', 'rebuild']);

/** The worker stopped while a request was pending, not because it was asked to. */
class WorkerDiedError extends Error {
  constructor(
    message: string,
    readonly failure: string,
  ) {
    super(message);
  }
}

/** Embeds texts in the inference engine's process for a worker; undefined: no engine, the index stays lexical. */
export type EngineEmbed = (model: string, texts: string[], role: 'query' | 'document', token: vscode.CancellationToken) => Promise<{ vectors: Float32Array[]; modelKey: string }>;

/**
 * One workspace folder's index worker, seen from the host: typed requests, progress and state events, and the
 * worker's embedding requests answered by the inference engine (so onnxruntime never loads in this process).
 */
export class IndexClient implements vscode.Disposable {
  private worker: Worker | undefined;
  /** Workers being stopped on purpose: their exit is not a failure. */
  private readonly stopping = new WeakSet<Worker>();
  /** Why the last worker died (out of memory, crashed), until a replacement takes it over. */
  private lastFailure: string | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  /** Embedding requests in the engine, per worker (ids are the worker's own; a restarted worker counts from 1 again). */
  private readonly embeddings = new Map<Worker, Map<number, vscode.CancellationTokenSource>>();
  private readonly progressEmitter = new vscode.EventEmitter<IndexProgressInfo>();
  private readonly stateEmitter = new vscode.EventEmitter<IndexSnapshot>();
  readonly onProgress = this.progressEmitter.event;
  readonly onState = this.stateEmitter.event;
  lastSnapshot: IndexSnapshot | undefined;

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    private readonly workerFile: string,
    private init: IndexWorkerInit,
    private readonly log: vscode.LogOutputChannel,
    private readonly engineEmbed?: EngineEmbed,
  ) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const init: IndexWorkerInit = this.lastFailure !== undefined ? { ...this.init, previousWorkerFailure: this.lastFailure } : this.init;
    this.lastFailure = undefined;
    const worker = new Worker(this.workerFile, {
      workerData: init,
      env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
      resourceLimits: { maxOldGenerationSizeMb: indexWorkerHeapLimitMb },
    });
    let failure: string | undefined;
    worker.on('message', (message: IndexWorkerMessage) => this.receive(worker, message));
    worker.on('error', (error: Error & { code?: string }) => {
      failure = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? `ran out of memory (heap limit ${indexWorkerHeapLimitMb} MB)` : `crashed (${error.message})`;
      this.log.error(`index worker (${this.folder.name}) ${failure}: ${error.stack ?? error.message}`);
    });
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      const died = !this.stopping.has(worker);
      const reason = failure ?? `stopped unexpectedly (exit code ${code})`;
      if (died) this.lastFailure = reason;
      for (const waiter of this.pending.values()) waiter.reject(died ? new WorkerDiedError(`the index worker for ${this.folder.name} ${reason}`, reason) : new Error(`the index worker for ${this.folder.name} stopped (exit code ${code})`));
      this.pending.clear();
      for (const source of this.embeddings.get(worker)?.values() ?? []) source.cancel();
      this.embeddings.delete(worker);
    });
    this.worker = worker;
    return worker;
  }

  private receive(worker: Worker, message: IndexWorkerMessage): void {
    switch (message.kind) {
      case 'embedRequest':
        void this.embed(worker, message);
        break;
      case 'embedCancel':
        this.embeddings.get(worker)?.get(message.id)?.cancel();
        break;
      case 'response': {
        const waiter = this.pending.get(message.id);
        this.pending.delete(message.id);
        if (message.ok) waiter?.resolve(message.result);
        else waiter?.reject(new Error(message.error));
        break;
      }
      case 'progress':
        this.progressEmitter.fire(message.progress);
        break;
      case 'state':
        this.lastSnapshot = message.snapshot;
        this.stateEmitter.fire(message.snapshot);
        break;
      case 'log':
        this.log[message.level](message.message);
        break;
    }
  }

  private async embed(worker: Worker, request: IndexEmbedRequest): Promise<void> {
    const source = new vscode.CancellationTokenSource();
    let inFlight = this.embeddings.get(worker);
    if (!inFlight) this.embeddings.set(worker, (inFlight = new Map<number, vscode.CancellationTokenSource>()));
    inFlight.set(request.id, source);
    let response: IndexEmbedResponse;
    try {
      if (!this.engineEmbed) throw new Error('the inference engine is not available in this window');
      const result = await this.engineEmbed(request.model, request.texts, request.role, source.token);
      response = { kind: 'embedResponse', id: request.id, ok: true, vectors: result.vectors, modelKey: result.modelKey };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      response = { kind: 'embedResponse', id: request.id, ok: false, error: message, ...(source.token.isCancellationRequested ? { cancelled: true } : {}) };
    } finally {
      inFlight.delete(request.id);
      source.dispose();
    }
    // The worker may have stopped meanwhile: the answer goes only to the worker that asked, while it runs.
    if (this.worker === worker) worker.postMessage(response);
  }

  /**
   * Sends a request to the worker, starting it if needed. A run (index all, update, rebuild) whose worker dies (out
   * of memory on a hostile file, a crash) is reported and run again by a fresh worker, which skips the file the dead
   * one was reading; a rebuild is resumed as an index-all, so the skip it recorded stays.
   */
  async request<N extends IndexWorkerRequestName>(name: N, params: IndexWorkerRequests[N][0]): Promise<IndexWorkerRequests[N][1]> {
    if (!runRequests.has(name)) return this.send(name, params);
    for (let restarts = 0; ; restarts++) {
      try {
        return restarts === 0 || name !== 'rebuild' ? await this.send(name, params) : await this.send('indexAll', {});
      } catch (error) {
        if (!(error instanceof WorkerDiedError) || restarts >= maxRestartsPerRun) throw error;
        this.log.warn(`${error.message}; restarting it to go on with the run (the file it was reading is skipped)`);
      }
    }
  }

  private send<N extends IndexWorkerRequestName>(name: N, params: IndexWorkerRequests[N][0]): Promise<IndexWorkerRequests[N][1]> {
    const worker = this.start();
    const id = this.nextId++;
    const message: IndexWorkerRequest<N> = { kind: 'request', id, name, params };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      worker.postMessage(message);
    });
  }

  get running(): boolean {
    return this.worker !== undefined;
  }

  /** Settings changed in a way the worker reads at start (globs, budgets): restart it with the new ones. */
  async restart(init: IndexWorkerInit): Promise<void> {
    this.init = init;
    await this.stop();
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    this.worker = undefined;
    if (!worker) return;
    this.stopping.add(worker);
    await worker.terminate();
  }

  dispose(): void {
    void this.stop();
    this.progressEmitter.dispose();
    this.stateEmitter.dispose();
  }
}
