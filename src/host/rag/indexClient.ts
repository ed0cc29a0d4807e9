import * as vscode from 'vscode';
import { describeExit, ProcessCrashedError, ProcessLauncher } from '../../core/process/launcher';
import { onRequest, type MessageConnection } from '../../core/rpc/connection';
import {
  indexEmbedRequest,
  indexLogNotification,
  indexProgressNotification,
  indexStateNotification,
  indexWorkerRequests,
  type IndexEmbedParams,
  type IndexEmbedResult,
  type IndexProgressInfo,
  type IndexSnapshot,
  type IndexWorkerInit,
  type IndexWorkerRequestName,
  type IndexWorkerRequests,
} from '../../shared/ragProtocol';
import type { EngineHost } from '../engine/engineHost';

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

/** The inference engine as the index workers need it: passages' embeddings (the engine runs in its own process). */
export type EngineEmbedder = Pick<EngineHost, 'embed'>;

/**
 * One workspace folder's index worker, seen from the host: a worker thread started by the process launcher on first
 * use, typed requests over the RPC layer, progress and state events, and the worker's embedding requests answered by
 * the inference engine (so onnxruntime never loads in this process).
 */
export class IndexClient implements vscode.Disposable {
  private launcher: ProcessLauncher;
  private readonly progressEmitter = new vscode.EventEmitter<IndexProgressInfo>();
  private readonly stateEmitter = new vscode.EventEmitter<IndexSnapshot>();
  readonly onProgress = this.progressEmitter.event;
  readonly onState = this.stateEmitter.event;
  lastSnapshot: IndexSnapshot | undefined;

  constructor(
    readonly folder: vscode.WorkspaceFolder,
    /** `dist/indexWorker.js`, or `src/worker/indexWorker.ts` under tests (the launcher runs it through tsx). */
    private readonly workerFile: string,
    private init: IndexWorkerInit,
    private readonly log: Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error'>,
    private readonly engine?: EngineEmbedder,
  ) {
    this.launcher = this.launcherFor(init);
  }

  /**
   * A launcher for workers started with `init`. After a worker dies, the next one starts from a new launcher that
   * tells it why (`previousWorkerFailure`), so that it skips the file its predecessor was reading.
   */
  private launcherFor(init: IndexWorkerInit): ProcessLauncher {
    const launcher: ProcessLauncher = new ProcessLauncher({
      name: `the index worker for ${this.folder.name}`,
      target: {
        kind: 'worker',
        entry: this.workerFile,
        workerData: init,
        env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' },
        resourceLimits: { maxOldGenerationSizeMb: indexWorkerHeapLimitMb },
      },
      onConnected: (connection) => this.serve(connection),
      onCrash: (crash) => {
        const failure = crash.exit.kind === 'outOfMemory' ? `ran out of memory (heap limit ${indexWorkerHeapLimitMb} MB)` : describeExit(crash.exit);
        this.log.error(`${crash.reason}${crash.stderrTail ? `\n${crash.stderrTail}` : ''}`);
        if (this.launcher === launcher) this.launcher = this.launcherFor({ ...this.init, previousWorkerFailure: failure });
      },
    });
    return launcher;
  }

  /** What a fresh worker's connection needs from the host: its pushed events, and embeddings from the engine. */
  private serve(connection: MessageConnection): void {
    connection.onNotification(indexProgressNotification, (progress) => this.progressEmitter.fire(progress));
    connection.onNotification(indexStateNotification, (snapshot) => {
      this.lastSnapshot = snapshot;
      this.stateEmitter.fire(snapshot);
    });
    connection.onNotification(indexLogNotification, ({ level, message }) => this.log[level](message));
    // A worker that ends leaves nobody to answer: its embeddings in the engine are cancelled with it.
    const gone = new AbortController();
    connection.onClose(() => gone.abort());
    connection.onDispose(() => gone.abort());
    onRequest(connection, indexEmbedRequest, (params, signal) => this.embed(params, AbortSignal.any([signal, gone.signal])));
  }

  private async embed({ model, texts, role }: IndexEmbedParams, signal: AbortSignal): Promise<IndexEmbedResult> {
    if (!this.engine) throw new Error('the inference engine is not available in this window');
    const { vectors, modelKey } = await this.engine.embed(model, texts, role, signal);
    return { vectors, modelKey };
  }

  /**
   * Sends a request to the worker, starting it if needed; aborting `signal` cancels it in the worker. A run (index
   * all, update, rebuild) whose worker dies (out of memory on a hostile file, a crash) is reported and run again by a
   * fresh worker, which skips the file the dead one was reading; a rebuild is resumed as an index-all, so the skip it
   * recorded stays.
   */
  async request<N extends IndexWorkerRequestName>(name: N, params: IndexWorkerRequests[N][0], signal?: AbortSignal): Promise<IndexWorkerRequests[N][1]> {
    if (!runRequests.has(name)) return this.send(name, params, signal);
    for (let restarts = 0; ; restarts++) {
      try {
        return restarts === 0 || name !== 'rebuild' ? await this.send(name, params, signal) : await this.send('indexAll', {}, signal);
      } catch (error) {
        if (!(error instanceof ProcessCrashedError) || restarts >= maxRestartsPerRun) throw error;
        this.log.warn(`${error.crash.reason}; restarting it to go on with the run (the file it was reading is skipped)`);
      }
    }
  }

  private send<N extends IndexWorkerRequestName>(name: N, params: IndexWorkerRequests[N][0], signal: AbortSignal | undefined): Promise<IndexWorkerRequests[N][1]> {
    return this.launcher.request(indexWorkerRequests[name], params, signal ? { signal } : {});
  }

  get running(): boolean {
    return this.launcher.running;
  }

  /** Settings changed in a way the worker reads at start (globs, budgets): restart it with the new ones. */
  async restart(init: IndexWorkerInit): Promise<void> {
    this.init = init;
    const previous = this.launcher;
    this.launcher = this.launcherFor(init);
    await previous.dispose();
  }

  async stop(): Promise<void> {
    await this.launcher.stop();
  }

  dispose(): void {
    void this.launcher.dispose();
    this.progressEmitter.dispose();
    this.stateEmitter.dispose();
  }
}
