/**
 * The one launcher for every process and thread Chatwright runs work in: a forked Node child (IPC), any program
 * spawned with JSON-RPC over its stdio (the Python jobs and model servers), or a worker thread (with resource
 * limits). It owns:
 * - starting: on first use, and again on the next use after the process ended (as a `RestartPolicy` allows);
 * - the development-mode TypeScript hook: an entry ending in `.ts` (tests, benchmarks) runs through tsx;
 * - the last lines of stderr, kept for crash reports;
 * - classifying how the process ended (`ProcessExit`), and failing the requests in flight with a
 *   `ProcessCrashedError` that says why;
 * - clean shutdown: the connection is ended (a forked child sees its IPC channel close, a spawned program its stdin
 *   close), and the process is killed if it has not exited after a grace period.
 * Requests go through the typed RPC layer (`src/core/rpc/connection.ts`); the launcher keeps no correlator of its own.
 */
import { fork, spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import { type MessageConnection, type NotificationType, type ProgressToken, type ProgressType, type RequestType } from 'vscode-jsonrpc/node';
import { type CrashVerdict, type RestartPolicy } from './restartPolicy';
import { connectToChild, connectToPort, connectToStreams, sendRequest } from '../rpc/connection';

/** What to start. */
export type LaunchTarget =
  | {
      kind: 'fork';
      /** A JavaScript bundle, or a TypeScript source (run through tsx). */
      entry: string;
      args?: string[];
      execArgv?: string[];
      env?: NodeJS.ProcessEnv;
      cwd?: string;
      /** 'advanced' (the default) structured-clones messages: typed arrays cross intact. */
      serialization?: 'json' | 'advanced';
    }
  | { kind: 'spawn'; command: string; args?: string[]; env?: NodeJS.ProcessEnv; cwd?: string }
  | {
      kind: 'worker';
      /** A script (a `.ts` one runs through tsx), or the worker's code itself as a string. */
      entry: string | { source: string };
      workerData?: unknown;
      resourceLimits?: ResourceLimits;
      /** The worker's `process.env` (default: a copy of this process's). */
      env?: NodeJS.ProcessEnv;
      execArgv?: string[];
      /** A worker that does not keep this process alive (a render or hash worker in the CLI). */
      unref?: boolean;
    };

/** How a process ended. */
export type ProcessExit =
  | { kind: 'clean' }
  | { kind: 'crashed'; code: number; error?: string }
  | { kind: 'killed'; signal: NodeJS.Signals }
  | { kind: 'outOfMemory'; detail: string }
  | { kind: 'failedToStart'; error: string };

/** An unexpected end of a process: how, its last stderr lines, and what the restart policy made of it. */
export interface ProcessCrash {
  exit: ProcessExit;
  /** One sentence: the process's name, how it ended and its last error lines. */
  reason: string;
  /** The end of its stderr (what a native crash or an uncaught exception prints), `stderrTailChars` long at most. */
  stderrTail: string;
  /** The subjects (e.g. models) of the requests in flight that the crash is blamed on (see `blameOnCrash`). */
  blamed: string[];
  /** The restart policy's verdict, when there is a policy. */
  verdict?: CrashVerdict;
}

/** A request was lost because the process ended unexpectedly. */
export class ProcessCrashedError extends Error {
  constructor(
    readonly crash: ProcessCrash,
    /** The request that was lost. */
    readonly method: string,
  ) {
    super(`${crash.reason}. The ${method} request was lost.`);
    this.name = 'ProcessCrashedError';
  }
}

/** A request was lost, or refused, because the process was stopped on purpose. */
export class ProcessStoppedError extends Error {
  constructor(processName: string) {
    super(`${processName} was shut down`);
    this.name = 'ProcessStoppedError';
  }
}

/** The restart policy refuses to start the process (too many crashes, or a subject that crashed it). */
export class ProcessRestartRefusedError extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'ProcessRestartRefusedError';
  }
}

/** A request cancelled while it waited for the process to start again. */
export class LaunchCancelledError extends Error {
  constructor() {
    super('cancelled');
    this.name = 'CancelledError';
  }
}

export interface LauncherOptions {
  /** How the process is named in messages, e.g. "the inference engine". */
  name: string;
  target: LaunchTarget;
  /** When a crashed process may start again; without one it starts again on the next use at once. */
  restartPolicy?: RestartPolicy;
  /** The subjects of the requests in flight to blame for a crash (default: none). */
  blameOnCrash?: (inFlightSubjects: readonly string[]) => string[];
  /** Called for every fresh connection before any request is sent: register notification handlers, send settings. */
  onConnected?: (connection: MessageConnection) => void;
  /** Called when the process ends unexpectedly, before the requests in flight fail. */
  onCrash?: (crash: ProcessCrash) => void;
  /** The process's stdout and stderr text (a worker's included). */
  onOutput?: (stream: 'stdout' | 'stderr', text: string) => void;
  /** How much of stderr is kept for crash reports (default 2000 characters). */
  stderrTailChars?: number;
  /** How long a stopped process may take to exit before it is killed (default 2 s). */
  shutdownGraceMs?: number;
}

export interface RequestOptions<V> {
  signal?: AbortSignal;
  /** What the request is about (a model), for the restart policy and for blame when the process crashes. */
  subject?: string;
  /** The values the handler streams to `token` (a token from `newProgressToken`, also put in the params). */
  progress?: { type: ProgressType<V>; token: ProgressToken; onValue: (value: V) => void };
}

interface InFlight {
  method: string;
  subject: string | undefined;
  /** Fails the request when the process ends before it is answered. */
  lose: (error: Error) => void;
}

/** One started process and its connection, until it ends. */
interface Run {
  handle: { kind: 'child'; child: ChildProcess } | { kind: 'worker'; worker: Worker };
  connection: MessageConnection;
  stderrTail: string;
  /** A worker's uncaught error, or a child's failure to start. */
  error?: { message: string; code?: string; beforeStart: boolean };
  inFlight: Set<InFlight>;
  /** Set when the process has ended (or was stopped): what every request still waiting fails with. */
  failure?: (method: string) => Error;
  /** Resolves when the process has ended. */
  ended: Promise<void>;
  markEnded: () => void;
  hasEnded: boolean;
  stopping: boolean;
}

export class ProcessLauncher {
  private run: Run | undefined;
  private disposed = false;
  /** Processes started, the first included. */
  starts = 0;
  /** Unexpected ends. */
  crashes = 0;

  constructor(private readonly options: LauncherOptions) {}

  get running(): boolean {
    return this.run !== undefined;
  }

  /** The running child's pid (worker threads have none). */
  get pid(): number | undefined {
    return this.run?.handle.kind === 'child' ? this.run.handle.child.pid : undefined;
  }

  /**
   * Sends a typed request, starting the process first when it is not running (after the restart policy's back-off).
   */
  async request<P, R, V = never>(type: RequestType<P, R, unknown>, params: P, options: RequestOptions<V> = {}): Promise<R> {
    const run = await this.ensureRunning(options.signal, options.subject);
    let lose!: (error: Error) => void;
    const lost = new Promise<never>((_, reject) => (lose = reject));
    const entry: InFlight = { method: type.method, subject: options.subject, lose };
    run.inFlight.add(entry);
    // Registered on the connection the request goes out on, so a restart in between cannot lose the stream.
    const progress = options.progress ? run.connection.onProgress(options.progress.type, options.progress.token, options.progress.onValue) : undefined;
    try {
      return await Promise.race([sendRequest(run.connection, type, params, options.signal), lost]);
    } catch (error) {
      // Once the process has ended, whatever rejected (the connection being disposed, a write that failed) is
      // reported as the end it is.
      throw run.failure ? run.failure(type.method) : error;
    } finally {
      progress?.dispose();
      run.inFlight.delete(entry);
    }
  }

  /** Sends a notification to the running process; nothing when none runs (`onConnected` sends what a new one needs). */
  notify<P>(type: NotificationType<P>, params: P): void {
    const run = this.run;
    if (run && !run.failure) void run.connection.sendNotification(type, params).catch(() => undefined);
  }

  /** The connection to the running process, started when it is not (for callers that serve requests from it). */
  async connection(signal?: AbortSignal): Promise<MessageConnection> {
    return (await this.ensureRunning(signal, undefined)).connection;
  }

  private async ensureRunning(signal: AbortSignal | undefined, subject: string | undefined): Promise<Run> {
    this.throwIfDisposed();
    if (signal?.aborted) throw new LaunchCancelledError();
    const policy = this.options.restartPolicy;
    // After a crash the process starts again only as the restart policy allows: after a back-off, and never for a
    // subject that crashed it, nor after too many crashes, until the policy is reset.
    while (!this.run && policy) {
      const decision = policy.beforeStart(Date.now(), subject);
      if (decision.kind === 'refuse') throw new ProcessRestartRefusedError(decision.reason);
      if (decision.delayMs <= 0) break;
      await delay(decision.delayMs, signal);
      this.throwIfDisposed();
    }
    const refusal = policy?.refusalFor(subject);
    if (refusal) throw new ProcessRestartRefusedError(refusal);
    return this.run ?? this.start();
  }

  private throwIfDisposed(): void {
    if (this.disposed) throw new ProcessStoppedError(this.options.name);
  }

  private start(): Run {
    const target = this.options.target;
    let markEnded!: () => void;
    const ended = new Promise<void>((resolve) => (markEnded = resolve));
    const handle = target.kind === 'worker' ? { kind: 'worker' as const, worker: startWorker(target) } : { kind: 'child' as const, child: startChild(target) };
    const connection = handle.kind === 'worker' ? connectToPort(handle.worker) : target.kind === 'spawn' ? connectToStreams(handle.child.stdout!, handle.child.stdin!) : connectToChild(handle.child);
    const run: Run = { handle, connection, stderrTail: '', inFlight: new Set(), ended, markEnded, hasEnded: false, stopping: false };
    this.run = run;
    this.starts++;
    const stderrLimit = this.options.stderrTailChars ?? 2000;
    const onStderr = (chunk: Buffer): void => {
      const text = chunk.toString();
      run.stderrTail = (run.stderrTail + text).slice(-stderrLimit);
      this.options.onOutput?.('stderr', text);
    };
    const onStdout = (chunk: Buffer): void => this.options.onOutput?.('stdout', chunk.toString());
    if (handle.kind === 'worker') {
      const worker = handle.worker;
      let online = false;
      worker.on('online', () => (online = true));
      worker.stdout.on('data', onStdout);
      worker.stderr.on('data', onStderr);
      worker.on('error', (error: Error & { code?: string }) => {
        run.error = { message: error.message, ...(error.code !== undefined ? { code: error.code } : {}), beforeStart: !online };
      });
      worker.on('exit', (code) => this.onEnded(run, code === 0 ? { kind: 'clean' } : this.classifyWorkerExit(run, code)));
    } else {
      const child = handle.child;
      if (target.kind !== 'spawn') child.stdout?.on('data', onStdout);
      child.stderr?.on('data', onStderr);
      let spawned = false;
      child.on('spawn', () => (spawned = true));
      child.on('error', (error) => {
        run.error = { message: error.message, beforeStart: !spawned };
        // A program that could not be started emits no 'exit'.
        if (!spawned) this.onEnded(run, { kind: 'failedToStart', error: error.message });
      });
      // 'close' comes once stderr is read to its end (the crash report needs its last lines); a grandchild holding
      // the stream open must not hold back the report, so 'exit' ends the run shortly after at the latest.
      const ended = (code: number | null, signal: NodeJS.Signals | null): void => this.onEnded(run, classifyChildExit(run, code, signal));
      child.on('close', ended);
      child.on('exit', (code, signal) => setTimeout(() => ended(code, signal), 200));
    }
    this.options.onConnected?.(connection);
    connection.listen();
    return run;
  }

  private classifyWorkerExit(run: Run, code: number): ProcessExit {
    const error = run.error;
    if (error?.code === 'ERR_WORKER_OUT_OF_MEMORY') return { kind: 'outOfMemory', detail: error.message };
    if (error?.beforeStart) return { kind: 'failedToStart', error: error.message };
    return { kind: 'crashed', code, ...(error ? { error: error.message } : {}) };
  }

  private onEnded(run: Run, exit: ProcessExit): void {
    if (run.hasEnded) return;
    run.hasEnded = true;
    if (this.run === run) this.run = undefined;
    if (!run.stopping) {
      const crash = this.crashOf(run, exit);
      run.failure = (method) => new ProcessCrashedError(crash, method);
    }
    this.loseInFlight(run);
    run.connection.dispose();
    run.markEnded();
  }

  private loseInFlight(run: Run): void {
    for (const entry of run.inFlight) entry.lose(run.failure!(entry.method));
    run.inFlight.clear();
  }

  private crashOf(run: Run, exit: ProcessExit): ProcessCrash {
    this.crashes++;
    const stderrTail = run.stderrTail.trim();
    const lastError = lastLines(stderrTail, 3).split('\n').join(' | ');
    const reason = `${this.options.name} ${describeExit(exit)}${lastError ? `: ${lastError}` : ''}`;
    const subjects = [...run.inFlight].flatMap((entry) => (entry.subject !== undefined ? [entry.subject] : []));
    const blamed = [...new Set(this.options.blameOnCrash?.(subjects) ?? [])];
    const verdict = this.options.restartPolicy?.recordCrash(Date.now(), reason, blamed);
    const crash: ProcessCrash = { exit, reason, stderrTail, blamed, ...(verdict ? { verdict } : {}) };
    this.options.onCrash?.(crash);
    return crash;
  }

  /**
   * Stops the process: requests in flight fail with a `ProcessStoppedError`, the connection ends (the process is
   * expected to exit when its IPC channel or stdin closes), and it is killed after the grace period. The next
   * request starts a fresh process; this one is detached at once, so that request never meets it.
   */
  async stop(): Promise<void> {
    const run = this.run;
    if (!run) return;
    this.run = undefined;
    run.stopping = true;
    run.failure = () => new ProcessStoppedError(this.options.name);
    this.loseInFlight(run);
    run.connection.dispose();
    const handle = run.handle;
    if (handle.kind === 'worker') {
      await handle.worker.terminate();
      await run.ended;
      return;
    }
    const child = handle.child;
    if (run.hasEnded) return;
    if (child.connected) child.disconnect();
    child.stdin?.end();
    const grace = setTimeout(() => child.kill('SIGKILL'), this.options.shutdownGraceMs ?? 2000);
    await run.ended;
    clearTimeout(grace);
  }

  /** Stops the process for good: later requests fail with a `ProcessStoppedError`. */
  async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
  }
}

/** How `spawnProcess` starts a program. */
export interface SpawnOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Default: three pipes. */
  stdio?: StdioOptions;
  /**
   * Starts the program as the leader of a new process group (POSIX `setsid`), so that a signal can reach it and
   * every process it starts at once, and so that it is not in the caller's group (a terminal's Ctrl-C or a window
   * reload does not reach it). On Windows there are no process groups: the program starts as a plain child (hidden
   * console) and its tree is ended with `taskkill /T` (see `processGroup.ts`).
   */
  processGroup?: boolean;
}

/** Every spawned program starts here: the RPC programs above and the process groups of `processGroup.ts`. */
export function spawnProcess(command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const ownGroup = options.processGroup === true && process.platform !== 'win32';
  return spawn(command, [...args], {
    stdio: options.stdio ?? ['pipe', 'pipe', 'pipe'],
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(ownGroup ? { detached: true } : {}),
    windowsHide: true,
  });
}

/** The development-mode TypeScript hook, in one place: sources run through tsx, bundles run as they are. */
function startChild(target: Extract<LaunchTarget, { kind: 'fork' | 'spawn' }>): ChildProcess {
  if (target.kind === 'spawn') {
    return spawnProcess(target.command, target.args ?? [], { ...(target.env ? { env: target.env } : {}), ...(target.cwd !== undefined ? { cwd: target.cwd } : {}) });
  }
  const typescriptHook = target.entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  return fork(target.entry, target.args ?? [], {
    execArgv: [...typescriptHook, ...(target.execArgv ?? [])],
    ...(target.env ? { env: target.env } : {}),
    ...(target.cwd !== undefined ? { cwd: target.cwd } : {}),
    serialization: target.serialization ?? 'advanced',
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
}

function startWorker(target: Extract<LaunchTarget, { kind: 'worker' }>): Worker {
  const typescript = typeof target.entry === 'string' && target.entry.endsWith('.ts');
  const code = typeof target.entry !== 'string' ? target.entry.source : typescript ? `require('tsx/cjs/api').register(); require(${JSON.stringify(target.entry)});` : undefined;
  const worker = new Worker(code ?? (target.entry as string), {
    eval: code !== undefined,
    stdout: true,
    stderr: true,
    ...(target.workerData !== undefined ? { workerData: target.workerData } : {}),
    ...(target.resourceLimits ? { resourceLimits: target.resourceLimits } : {}),
    ...(target.env ? { env: target.env } : {}),
    ...(target.execArgv ? { execArgv: target.execArgv } : {}),
  });
  if (target.unref) worker.unref();
  return worker;
}

function classifyChildExit(run: Run, code: number | null, signal: NodeJS.Signals | null): ProcessExit {
  // V8 prints this before aborting when a heap limit is reached; the kernel's OOM killer sends SIGKILL (no trace).
  if (/JavaScript heap out of memory|Allocation failed - process out of memory/.test(run.stderrTail)) return { kind: 'outOfMemory', detail: lastLines(run.stderrTail, 1) };
  if (signal) return { kind: 'killed', signal };
  if (code === 0) return { kind: 'clean' };
  return { kind: 'crashed', code: code ?? -1 };
}

/** How a process ended, as words that follow its name: "exited with code 3", "was killed (SIGKILL)". */
export function describeExit(exit: ProcessExit): string {
  switch (exit.kind) {
    case 'clean':
      return 'exited with code 0';
    case 'crashed':
      return exit.error !== undefined ? `stopped with an error (${exit.error})` : `exited with code ${exit.code}`;
    case 'killed':
      return `was killed (${exit.signal})`;
    case 'outOfMemory':
      return `ran out of memory (${exit.detail})`;
    case 'failedToStart':
      return `could not be started (${exit.error})`;
  }
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n');
}

/** Waits `ms`, or rejects as soon as `signal` aborts. */
function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new LaunchCancelledError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
