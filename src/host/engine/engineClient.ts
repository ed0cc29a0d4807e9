import { fork, type ChildProcess } from 'node:child_process';
import { defaultRestartLimits, RestartPolicy, type RestartLimits } from '../../core/process/restartPolicy';
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
  /**
   * Called when the worker dies unexpectedly: at the first crash of a series, and again if the engine gives up (see
   * `RestartPolicy`); the crashes between are logged only.
   */
  onCrash?: (report: EngineCrashReport) => void;
  /** Back-off and give-up limits (tests shorten them). */
  restartLimits?: Partial<RestartLimits>;
}

export interface EngineCrashReport {
  /** How the process ended, with the last lines it wrote to stderr. */
  reason: string;
  /** The end of the process's stderr (what a native crash prints). */
  stderrTail: string;
  /** The models it was loading when it crashed: they are not loaded again until the user restarts the engine. */
  models: string[];
  /** The engine stays stopped until the user restarts it. */
  gaveUp: boolean;
  /** The wait before the engine starts again for the next request. */
  restartDelayMs: number;
  /** One message for the user, saying all of the above. */
  message: string;
}

interface Pending {
  kind: EngineRequestKind;
  model?: string;
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
  /** Models the running process has loaded: a crash while a request needs one not in here happened loading it. */
  private readonly loadedModels = new Set<string>();
  private readonly restartPolicy: RestartPolicy;
  restarts = 0;
  /** Processes started, the first included. */
  starts = 0;

  constructor(private readonly options: EngineClientOptions) {
    this.restartPolicy = new RestartPolicy({ ...defaultRestartLimits, ...options.restartLimits });
  }

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
  async request<K extends EngineRequestKind>(kind: K, params: EngineRequestMap[K][0], onToken?: (text: string) => void, signal?: AbortSignal): Promise<EngineRequestMap[K][1]> {
    if (this.disposed) throw new Error('the inference engine has been shut down');
    if (signal?.aborted) throw cancelledError();
    const model = modelOf(params);
    // After a crash, the engine starts again only as the restart policy allows: after a back-off, and never for a
    // model that crashed it while loading, nor after too many crashes, until the user restarts it.
    while (!this.child) {
      const decision = this.restartPolicy.beforeStart(Date.now(), model);
      if (decision.kind === 'refuse') throw new EngineCrashedError(decision.reason);
      if (decision.delayMs <= 0) break;
      await delay(decision.delayMs, signal);
      if (this.disposed) throw new Error('the inference engine has been shut down');
    }
    const refusal = this.restartPolicy.refusalFor(model);
    if (refusal) throw new EngineCrashedError(refusal);
    return this.send(kind, params, onToken, signal);
  }

  private send<K extends EngineRequestKind>(kind: K, params: EngineRequestMap[K][0], onToken: ((text: string) => void) | undefined, signal: AbortSignal | undefined): Promise<EngineRequestMap[K][1]> {
    const child = this.ensureStarted();
    const id = this.nextId++;
    return new Promise<EngineRequestMap[K][1]>((resolve, reject) => {
      const onAbort = (): void => {
        if (this.child === child && child.connected) child.send({ type: 'cancel', id } satisfies EngineToWorker);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const model = modelOf(params);
      this.pending.set(id, {
        kind,
        ...(model !== undefined ? { model } : {}),
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
    this.starts++;
    this.stderrTail = '';
    this.loadedModels.clear();
    child.stdout?.on('data', (chunk: Buffer) => this.options.log?.('info', `engine: ${chunk.toString().trimEnd()}`));
    child.stderr?.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (this.child === child) this.stderrTail = (this.stderrTail + text).slice(-2000);
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
        this.loadedModels.add(message.info.model);
        this.options.onModelLoaded?.(message.info, message.loadMs);
        return;
      case 'modelUnloaded':
        this.loadedModels.delete(message.model);
        this.options.onModelUnloaded?.(message.model);
        return;
    }
  }

  private onExit(child: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.disposed) {
      for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(new EngineCrashedError('the inference engine was shut down')));
      return;
    }
    this.restarts++;
    const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
    const stderrTail = this.stderrTail.trim().split('\n').slice(-10).join('\n');
    const lastError = stderrTail.split('\n').slice(-3).join(' | ');
    const reason = `the inference engine process ${how}${lastError ? `: ${lastError}` : ''}`;
    const loading = [...new Set([...this.pending.values()].flatMap((p) => (p.model !== undefined && !this.loadedModels.has(p.model) ? [p.model] : [])))];
    this.loadedModels.clear();
    const verdict = this.restartPolicy.recordCrash(Date.now(), reason, loading);
    const next = verdict.gaveUp
      ? `after ${verdict.crashesInWindow} crashes it stays stopped until you run "Chatwright: Restart Inference Engine"`
      : `the engine restarts on the next request${verdict.restartDelayMs > 0 ? ` (after ${formatSeconds(verdict.restartDelayMs)})` : ''}`;
    const models = loading.length > 0 ? ` while loading ${loading.join(', ')} (not loaded again until you run "Chatwright: Restart Inference Engine")` : '';
    this.options.log?.('error', `${reason}${models}${stderrTail ? `\n${stderrTail}` : ''}`);
    for (const [id, pending] of [...this.pending.entries()]) {
      this.settle(id, (p) => p.reject(new EngineCrashedError(`${reason}${models}. The ${pending.kind} request was lost; ${next}.`)));
    }
    if (verdict.notify) {
      this.options.onCrash?.({ reason, stderrTail, models: loading, gaveUp: verdict.gaveUp, restartDelayMs: verdict.restartDelayMs, message: `${reason}${models}; ${next}.` });
    }
  }

  /**
   * The user's restart: forgets past crashes (a stopped engine and refused models may start again) and stops the
   * worker; the next request starts a fresh one.
   */
  restart(): void {
    this.restartPolicy.reset();
    this.stop();
  }

  /** Stops the worker (it is started again by the next request). Pending requests fail. */
  stop(): void {
    const child = this.child;
    if (!child) return;
    // Detached at once, so that a request made before it has exited starts a fresh process instead of meeting it.
    this.child = undefined;
    this.loadedModels.clear();
    for (const id of [...this.pending.keys()]) this.settle(id, (p) => p.reject(new EngineCrashedError('the inference engine was shut down')));
    child.kill();
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
  }
}

function modelOf(params: unknown): string | undefined {
  const model = (params as { model?: unknown } | null)?.model;
  return typeof model === 'string' ? model : undefined;
}

/** Waits `ms`, or rejects with a CancelledError as soon as `signal` aborts. */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(cancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}

function cancelledError(): Error {
  const error = new Error('cancelled');
  error.name = 'CancelledError';
  return error;
}
