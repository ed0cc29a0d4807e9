import { Worker } from 'node:worker_threads';
import * as vscode from 'vscode';
import {
  type IndexProgressInfo,
  type IndexSnapshot,
  type IndexWorkerInit,
  type IndexWorkerMessage,
  type IndexWorkerRequest,
  type IndexWorkerRequestName,
  type IndexWorkerRequests,
} from '../../shared/ragProtocol';

/** One workspace folder's index worker, seen from the host: typed requests, progress and state events. */
export class IndexClient implements vscode.Disposable {
  private worker: Worker | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
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
  ) {}

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.workerFile, { workerData: this.init, env: { ...process.env, ORT_DISABLE_TELEMETRY: '1' } });
    worker.on('message', (message: IndexWorkerMessage) => this.receive(message));
    worker.on('error', (error) => this.log.error(`index worker (${this.folder.name}) failed: ${error.stack ?? error.message}`));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      for (const waiter of this.pending.values()) waiter.reject(new Error(`the index worker for ${this.folder.name} stopped (exit code ${code})`));
      this.pending.clear();
    });
    this.worker = worker;
    return worker;
  }

  private receive(message: IndexWorkerMessage): void {
    switch (message.kind) {
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

  request<N extends IndexWorkerRequestName>(name: N, params: IndexWorkerRequests[N][0]): Promise<IndexWorkerRequests[N][1]> {
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
    if (worker) await worker.terminate();
  }

  dispose(): void {
    void this.stop();
    this.progressEmitter.dispose();
    this.stateEmitter.dispose();
  }
}
