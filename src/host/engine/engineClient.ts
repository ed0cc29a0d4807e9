import { defaultRestartLimits, RestartPolicy, type CrashVerdict, type RestartLimits } from '../../core/process/restartPolicy';
import { ProcessCrashedError, ProcessLauncher, ProcessRestartRefusedError, ProcessStoppedError, type ProcessCrash } from '../../core/process/launcher';
import { newProgressToken } from '../../core/rpc/connection';
import {
  engineConfigureNotification,
  engineModelLoadedNotification,
  engineModelUnloadedNotification,
  engineRequests,
  engineTokenProgress,
  type EngineModelInfo,
  type EngineRequestKind,
  type EngineRequestMap,
  type EngineSettings,
} from '../../shared/engineProtocol';

/** A request failed inside the engine; `name` is the worker-side error's (ModelError, RangeError, CancelledError …). */
export class EngineError extends Error {
  constructor(
    error: { name: string; message: string },
    /** The model file a ModelError is about. */
    readonly file?: string,
  ) {
    super(error.message);
    this.name = error.name;
  }
}

export class EngineCrashedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EngineCrashedError';
  }
}

export interface EngineClientOptions {
  /** The worker's entry: dist/engineWorker.js, or the .ts source (run through tsx by the launcher) for tests. */
  workerPath: string;
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

const shutDownMessage = 'the inference engine was shut down';

/**
 * Owns the engine worker process through the process launcher: starts it on the first request, sends typed
 * requests and routes streamed tokens, cancels per request, and when the process dies fails every pending request
 * with a clear error and starts a fresh process on the next request (as the restart policy allows). Free of VS Code
 * so it can be tested directly.
 */
export class EngineClient {
  private readonly launcher: ProcessLauncher;
  private disposed = false;
  /** Models the running process has loaded: a crash while a request needs one not in here happened loading it. */
  private readonly loadedModels = new Set<string>();
  private readonly restartPolicy: RestartPolicy;

  constructor(private readonly options: EngineClientOptions) {
    this.restartPolicy = new RestartPolicy({ ...defaultRestartLimits, ...options.restartLimits });
    this.launcher = new ProcessLauncher({
      name: 'the inference engine process',
      target: { kind: 'fork', entry: options.workerPath, env: { ...(options.env ?? process.env), ORT_DISABLE_TELEMETRY: '1' } },
      restartPolicy: this.restartPolicy,
      blameOnCrash: (models) => models.filter((model) => !this.loadedModels.has(model)),
      onConnected: (connection) => {
        this.loadedModels.clear();
        connection.onNotification(engineModelLoadedNotification, ({ info, loadMs }) => {
          this.loadedModels.add(info.model);
          this.options.onModelLoaded?.(info, loadMs);
        });
        connection.onNotification(engineModelUnloadedNotification, ({ model }) => {
          this.loadedModels.delete(model);
          this.options.onModelUnloaded?.(model);
        });
        void connection.sendNotification(engineConfigureNotification, this.options.settings);
        this.options.log?.('info', `engine worker ${this.launcher.pid ?? '?'} started`);
      },
      onOutput: (stream, text) => this.options.log?.(stream === 'stdout' ? 'info' : 'warn', `engine: ${text.trimEnd()}`),
      onCrash: (crash) => this.onCrash(crash),
    });
  }

  get pid(): number | undefined {
    return this.launcher.pid;
  }

  get running(): boolean {
    return this.launcher.running;
  }

  /** Unexpected exits of the worker. */
  get restarts(): number {
    return this.launcher.crashes;
  }

  /** Processes started, the first included. */
  get starts(): number {
    return this.launcher.starts;
  }

  configure(settings: EngineSettings): void {
    this.options.settings = settings;
    this.launcher.notify(engineConfigureNotification, settings);
  }

  /**
   * Sends one request. `onToken` receives streamed text (generate); aborting `signal` asks the worker to stop
   * (generation then resolves with finishReason 'cancelled'; other requests reject with a CancelledError).
   */
  async request<K extends EngineRequestKind>(kind: K, params: EngineRequestMap[K][0], onToken?: (text: string) => void, signal?: AbortSignal): Promise<EngineRequestMap[K][1]> {
    if (this.disposed) throw new Error('the inference engine has been shut down');
    const model = modelOf(params);
    const progressToken = onToken ? newProgressToken() : undefined;
    try {
      return await this.launcher.request(engineRequests[kind], progressToken !== undefined ? Object.assign({}, params, { progressToken }) : params, {
        ...(signal ? { signal } : {}),
        ...(model !== undefined ? { subject: model } : {}),
        ...(onToken && progressToken !== undefined ? { progress: { type: engineTokenProgress, token: progressToken, onValue: onToken } } : {}),
      });
    } catch (error) {
      throw this.engineErrorOf(error, kind);
    }
  }

  /** The error a caller sees: the engine's own errors keep their name and file; the process's end is explained. */
  private engineErrorOf(error: unknown, kind: EngineRequestKind): Error {
    if (error instanceof ProcessCrashedError)
      return new EngineCrashedError(`${error.crash.reason}${loadingClause(error.crash.blamed)}. The ${kind} request was lost; ${whatNext(error.crash.verdict)}.`);
    if (error instanceof ProcessRestartRefusedError) return new EngineCrashedError(error.reason);
    if (error instanceof ProcessStoppedError) return new EngineCrashedError(shutDownMessage);
    if (error instanceof EngineError || !(error instanceof Error)) return error instanceof Error ? error : new EngineError({ name: 'Error', message: String(error) });
    if (error.name === 'CancelledError') return error;
    const file = (error as Error & { file?: unknown }).file;
    return new EngineError(error, typeof file === 'string' ? file : undefined);
  }

  private onCrash(crash: ProcessCrash): void {
    this.loadedModels.clear();
    const stderrTail = crash.stderrTail.split('\n').slice(-10).join('\n');
    const models = loadingClause(crash.blamed);
    this.options.log?.('error', `${crash.reason}${models}${stderrTail ? `\n${stderrTail}` : ''}`);
    const verdict = crash.verdict;
    if (verdict?.notify) {
      this.options.onCrash?.({
        reason: crash.reason,
        stderrTail,
        models: crash.blamed,
        gaveUp: verdict.gaveUp,
        restartDelayMs: verdict.restartDelayMs,
        message: `${crash.reason}${models}; ${whatNext(verdict)}.`,
      });
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
    this.loadedModels.clear();
    void this.launcher.stop();
  }

  dispose(): void {
    this.disposed = true;
    this.loadedModels.clear();
    void this.launcher.dispose();
  }
}

function modelOf(params: unknown): string | undefined {
  const model = (params as { model?: unknown } | null)?.model;
  return typeof model === 'string' ? model : undefined;
}

function loadingClause(models: readonly string[]): string {
  return models.length > 0 ? ` while loading ${models.join(', ')} (not loaded again until you run "Chatwright: Restart Inference Engine")` : '';
}

function whatNext(verdict: CrashVerdict | undefined): string {
  if (verdict?.gaveUp) return `after ${verdict.crashesInWindow} crashes it stays stopped until you run "Chatwright: Restart Inference Engine"`;
  const delayMs = verdict?.restartDelayMs ?? 0;
  return `the engine restarts on the next request${delayMs > 0 ? ` (after ${formatSeconds(delayMs)})` : ''}`;
}

function formatSeconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
