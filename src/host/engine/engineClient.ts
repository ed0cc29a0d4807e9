import { fork, type ChildProcess } from 'node:child_process';
import {
  type EngineErrorPayload,
  type EngineFromWorker,
  type EngineModelInfo,
  type EngineRequestKind,
  type EngineRequestMap,
  type EngineSettings,
  type EngineToWorker,
} from '../../shared/engineProtocol';

/** A request failed inside the engine; `name` is the worker-side error's (ModelError, RangeError, CancelledError …). */
export class EngineError extends Error {
  constructor(
    payload: EngineErrorPayload,
    readonly file?: string,
  ) {
    super(payload.message);
    this.name = payload.name;
  }
}

export class EngineCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineCrashedError';
  }
}

export interface EngineClientOptions {
  /** The worker's entry: dist/engineWorker.js, or the .ts source with tsx in execArgv for tests. */
  workerPath: string;
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  settings: EngineSettings;
  log?: (level: 'info' | 'warn' | 'error', message: string) => void;
  onModelLoaded?: (info: EngineModelInfo, loadMs: number) => void;
  onModelUnloaded?: (model: string) => void;
  /** Called when the worker dies unexpectedly (it restarts on the next request). */
  onCrash?: (reason: string) => void;
}

interface Pending {
  kind: EngineRequestKind;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  onToken?: (text: string) => void;
  cleanup: () => void;
}

/**
 * Owns the engine worker process: starts it on the first request, sends typed requests and routes streamed tokens,
 * cancels per request, and when the process dies fails every pending request with a clear error and starts a fresh
 * process on the next request. Free of VS Code so it can be tested directly.
 */
export class EngineClient {
  private child: ChildProcess | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private disposed = false;
  private stderrTail = '';
  private expectedExit = false;
  restarts = 0;

  constructor(private readonly options: EngineClientOptions) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  configure(settings: EngineSettings): void {
    this.options.settings = settings;
    this.child?.send({ type: 'configure', settings } satisfies EngineToWorker);
  }

  /**
   * Sends one request. `onToken` receives streamed text (generate); aborting `signal` asks the worker to stop
   * (generation then resolves with finishReason 'cancelled'; other requests reject with a CancelledError).
   */
  request<K extends EngineRequestKind>(kind: K, params: EngineRequestMap[K][0], onToken?: (text: string) => void, signal?: AbortSignal): Promise<EngineRequestMap[K][1]> {
    if (this.disposed) return Promise.reject(new Error('the inference engine has been shut down'));
    if (signal?.aborted) return Promise.reject(cancelledError());
    const child = this.ensureStarted();
    const id = this.nextId++;
    return new Promise<EngineRequestMap[K][1]>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.child === child && child.connected) child.send({ type: 'cancel', id } satisfies EngineToWorker);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(id, {
        kind,
        resolve: resolve as (value: unknown) => void,
        reject,
        ...(onToken ? { onToken } : {}),
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      });
      child.send({ type: 'request', id, kind, params }, (error) => {
        if (error) this.settle(id, (p) => p.reject(new EngineCrashedError(`cannot reach the inference engine: ${error.message}`)));
      });
    });
  }

  private settle(id: number, action: (pending: Pending) => void): void {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    pending.cleanup();
    action(pending);
  }

  private ensureStarted(): ChildProcess {
    if (this.child) return this.child;
    const child = fork(this.options.workerPath, [], {
      execArgv: this.options.execArgv ?? [],
      env: { ...(this.options.env ?? process.env), ORT_DISABLE_TELEMETRY: '1' },
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    this.child = child;
    this.stderrTail = '';
    this.expectedExit = false;
    child.stdout?.on('data', (chunk: Buffer) => this.options.log?.('info', `engine: ${chunk.toString().trimEnd()}`));
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      this.stderrTail = (this.stderrTail + text).slice(-2000);
      this.options.log?.('warn', `engine: ${text.trimEnd()}`);
    });
    child.on('message', (message: EngineFromWorker) => this.onMessage(message));
    child.on('error', (error) => this.options.log?.('error', `engine process error: ${error.message}`));
    child.on('exit', (code, signal) => this.onExit(child, code, signal));
    child.send({ type: 'configure', settings: this.options.settings } satisfies EngineToWorker);
    return child;
  }

  private onMessage(message: EngineFromWorker): void {
    switch (message.type) {
      case 'ready':
        this.options.log?.('info', `engine worker ${message.pid} started`);
        return;
      case 'token':
        this.pending.get(message.id)?.onToken?.(message.text);
        return;
      case 'result':
        this.settle(message.id, (p) => p.resolve(message.result));
        return;
      case 'error':
        this.settle(message.id, (p) => p.reject(new EngineError(message.error, message.error.file)));
        return;
      case 'modelLoaded':
        this.options.onModelLoaded?.(message.info, message.loadMs);
        return;
      case 'modelUnloaded':
        this.options.onModelUnloaded?.(message.model);
        return;
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.expectedExit || this.disposed) {
      for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(new EngineCrashedError('the inference engine was shut down')));
      return;
    }
    this.restarts++;
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
    const lastError = this.stderrTail.trim().split('\n').slice(-3).join(' | ');
    const reason = `the inference engine process ${how}${lastError ? `: ${lastError}` : ''}`;
    this.options.log?.('error', reason);
    for (const [id, pending] of [...this.pending.entries()]) {
      this.settle(id, (p) => p.reject(new EngineCrashedError(`${reason}. The ${pending.kind} request was lost; the engine restarts on the next request.`)));
    }
    this.options.onCrash?.(reason);
  }

  /** Stops the worker (it is started again by the next request). Pending requests fail. */
  stop(): void {
    if (!this.child) return;
    this.expectedExit = true;
    this.child.kill();
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
  }
}

function cancelledError(): Error {
  const error = new Error('cancelled');
  error.name = 'CancelledError';
  return error;
}
