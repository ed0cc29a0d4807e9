/**
 * Runs a fine-tuning job's trainer and follows it: `startJob`, `resumeJob` (the same run folder again) and
 * `attachJob` (a trainer that is still running, found again from its run folder after a window reload). A server
 * (`chatwright serve`, `python -m chatwright_serve`) runs the same way through `startServer`: it speaks the same events
 * (`serving`, `serving_stats`, `phase stopped`), and Stop sends it SIGINT, on which it closes and exits 0.
 *
 * The trainer runs in its own process group (`processGroup.ts`) with its output appended to RUN/train.log, so it
 * does not depend on the process that started it. A `JobRun` follows the trainer's events file and its log, never
 * its stdout: a started run and a re-attached one are the same code. `finished` resolves with the final snapshot once
 * the process has ended AND its last events were read; a trainer that died without a terminal event gets a failure
 * that names its exit and its last log lines.
 *
 * Stopping: stop-and-save sends SIGINT (the trainer saves a checkpoint and the adapter, exits 3), then SIGTERM after
 * `stopTimeoutMs`, then SIGKILL; cancel sends SIGINT twice (the trainer stops without saving; 300 ms apart for one
 * process, 3 s for several, whose trainer takes two within 2 s for one relayed twice), then SIGTERM and
 * SIGKILL. Signals go to the whole group, so nothing the trainer started survives it. On Windows the trainer is asked
 * through its `stop-now` file and the tree ends with `taskkill /T`. Several processes under `accelerate launch` are
 * asked through the `stop-now` file too (every rank polls it after each optimizer step and the ranks agree): a SIGINT
 * would reach the launcher, which ends its processes with SIGTERM and SIGKILLs them ~30 s later, whatever they were
 * saving; SIGTERM and SIGKILL follow only after `stopTimeoutMs`.
 *
 * Where the process runs is a `RunProcessHandle`: `localProcessHandle` (the above) or a Slurm job
 * (`slurm/slurmRun.ts`: the `stop-now` file, then `scancel`); `targetRunner.ts` picks one from the job's target.
 */
import { closeSync, existsSync, fstatSync, openSync, writeFileSync, appendFileSync, rmSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { AppendedLinesFollower } from '../files/appendedLines';
import { readLastLines } from '../files/fileTail';
import { isProcessGroupAlive, startProcessGroup, stopProcessGroup, type EscalationStep, type GroupExit } from '../process/processGroup';
import { eventsFileName, type TrainerEvent } from './jobEvents';
import { EventFollower, type JobProtocolError } from './jobEventReader';
import { distributedOfRecord, emptySnapshot, finalStatuses, foldEvents, settleEndedRun, snapshotOfRun, type JobSnapshot } from './jobSnapshot';
import { checkpointNowFile, isRunProcessAlive, readRunRecord, runConfigFile, runLogFile, stopNowFile, updateRunRecord, type RunRecord } from './runFolder';

/** How much of a re-attached run's log is read for its last lines. */
const seededLogBytes = 64 * 1024;

export { prepareRun } from './runFolder';

export interface TrainerLaunch {
  /** The Python interpreter. */
  python: string;
  /** The `python/` folder that holds `chatwright_train` (prepended to PYTHONPATH). */
  pythonPath: string;
  /** Runs `python <script> train …` instead of `python -m chatwright_train train …` (the stand-in trainer in tests). */
  script?: string;
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
}

/** The environment variable that makes jobs run that script instead of `python -m chatwright_train` (a test hook: the stand-in trainer in test/fixtures speaks the same protocol without torch). */
export const trainerScriptVariable = 'CHATWRIGHT_TRAINER_SCRIPT';

/** How a trainer is started with this interpreter: the package, or the script the test hook names (relative to `cwd`). */
export function trainerLaunchFor(python: string, pythonPath: string, env: NodeJS.ProcessEnv, cwd: string): TrainerLaunch {
  const script = env[trainerScriptVariable];
  return { python, pythonPath, ...(script ? { script: resolve(cwd, script) } : {}), env };
}

/** A server's command line; the runner adds `--run-dir RUN`. The API key travels in `env`, never in `args`. */
export interface ServerLaunch {
  command: string;
  args: string[];
  /** Added to this process's environment. */
  env?: NodeJS.ProcessEnv;
}

export interface ServerRunOptions extends Omit<JobRunOptions, 'trainer'> {
  server: ServerLaunch;
}

/** A server closes at once: SIGTERM follows SIGINT after this long (unless told otherwise). */
const defaultServerStopTimeoutMs = 10_000;

export interface JobRunOptions {
  runDir: string;
  trainer: TrainerLaunch;
  /** How long stop-and-save waits for the trainer to save and exit before SIGTERM (default 120 s). */
  stopTimeoutMs?: number;
  /** How long each later step of an escalation waits: SIGTERM → SIGKILL when stopping (default 10 s), each of cancel's steps (default 5 s). */
  killTimeoutMs?: number;
  cancelStepMs?: number;
  /** How often the events file, the log and (for a re-attached run) the pid are looked at without a change notice (default 250 ms). */
  pollMs?: number;
}

export interface Disposable {
  dispose(): void;
}

/** The run folder is not ready to run (no config.json), or the trainer could not be started. */
export class JobStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JobStartError';
  }
}

const defaultStopTimeoutMs = 120_000;
const defaultKillTimeoutMs = 10_000;
const defaultCancelStepMs = 5_000;
/** Lines of train.log a JobRun keeps for `recentLog` and for the failure message of a trainer that died. */
const keptLogLines = 500;
/** The pause between cancel's two SIGINTs to one process: Python runs one handler for signals that arrive before it gets to run. */
const secondInterruptDelayMs = 300;
/**
 * The pause between cancel's two interrupts when several processes get them (`accelerate launch`, every Slurm job):
 * torch's agent relays each SIGINT, so with WORLD_SIZE > 1 the trainer takes a second SIGINT within 2 s of the first
 * for the same request (chatwright_train/control.py, DUPLICATE_SIGINT_SECONDS); cancel's second must come later.
 */
export const severalProcessesInterruptGapMs = 3_000;

/** How long each step of a stop waits (the `JobRunOptions` of the same names, defaults applied). */
export interface StopTiming {
  stopTimeoutMs: number;
  killTimeoutMs: number;
  cancelStepMs: number;
}

/**
 * Where a run's process runs, as a `JobRun` sees it: a process group on this machine (`localProcessHandle`) or a
 * Slurm job (`slurm/slurmRun.ts`). The run folder (events, log, run.json) is the same either way; the handle says when
 * the process has ended, how to stop it, and how an ended run settles.
 */
export interface RunProcessHandle {
  /** The local process group's leader; 0 when the run is not a process of this machine (a Slurm job). */
  readonly pid: number;
  /** Resolves once the process has ended: the leader's exit when this process started it, else undefined (unknowable). */
  readonly exited: Promise<GroupExit | undefined>;
  readonly startedHere: boolean;
  /** Stops watching the process without touching it. */
  release(): void;
  /** Stop-and-save (`save`) or cancel: the escalation of signals; resolves when it has ended or every step was taken. */
  stop(kind: 'save' | 'cancel', timing: StopTiming): Promise<void>;
  /** After `exited`: ends what the process left behind (the rest of a local group). */
  afterExit(): Promise<void>;
  /** The final snapshot of the run once its process has ended and its last events were read. */
  settle(snapshot: JobSnapshot, record: RunRecord | undefined, lastLogLines: readonly string[]): JobSnapshot;
  /**
   * Facts from where it runs that change the snapshot while it runs (a Slurm job's state); given once, by the JobRun,
   * with a way to read the run's snapshot as it stands (what the trainer's events say).
   */
  watch?(apply: (change: (snapshot: JobSnapshot) => JobSnapshot) => void, current: () => JobSnapshot): void;
}

/**
 * The handle of a process group on this machine: signals to the whole group, leftovers ended after the leader.
 * `stopFile` (several processes under `accelerate launch`): stop-and-save writes it and waits `stopTimeoutMs` before
 * SIGTERM, sending no SIGINT, which would reach the launcher too; cancel's two SIGINTs come `severalProcessesInterruptGapMs`
 * apart, so the trainer does not take the second for the launcher's relay of the first.
 */
export function localProcessHandle(pid: number, exited: Promise<GroupExit | undefined>, startedHere: boolean, release: () => void, stopFile?: string): RunProcessHandle {
  return {
    pid,
    exited,
    startedHere,
    release,
    async stop(kind, timing) {
      if (kind === 'save' && stopFile !== undefined) {
        // A run folder that cannot take the file (gone, read-only) leaves nothing to wait for: the group is ended at once.
        if (writeStopFile(stopFile)) await untilExited(exited, timing.stopTimeoutMs);
        await stopProcessGroup(
          pid,
          [
            { signal: 'SIGTERM', waitMs: timing.killTimeoutMs },
            { signal: 'SIGKILL', waitMs: timing.killTimeoutMs },
          ],
          exited,
        );
        return;
      }
      const steps: EscalationStep[] =
        kind === 'save'
          ? [
              { signal: 'SIGINT', waitMs: timing.stopTimeoutMs },
              { signal: 'SIGTERM', waitMs: timing.killTimeoutMs },
              { signal: 'SIGKILL', waitMs: timing.killTimeoutMs },
            ]
          : [
              { signal: 'SIGINT', waitMs: stopFile !== undefined ? severalProcessesInterruptGapMs : secondInterruptDelayMs },
              { signal: 'SIGINT', waitMs: timing.cancelStepMs },
              { signal: 'SIGTERM', waitMs: timing.cancelStepMs },
              { signal: 'SIGKILL', waitMs: timing.cancelStepMs },
            ];
      await stopProcessGroup(pid, steps, exited);
    },
    async afterExit() {
      // Members of the group that outlive the trainer (a data loader worker it did not reap) are ended too.
      if (isProcessGroupAlive(pid)) {
        await stopProcessGroup(pid, [
          { signal: 'SIGTERM', waitMs: 2_000 },
          { signal: 'SIGKILL', waitMs: 2_000 },
        ]);
      }
    },
    settle: (snapshot, record, lastLogLines) => settleEndedRun(snapshot, record, lastLogLines),
  };
}

/** Creates the `stop-now` file; whether it could. */
function writeStopFile(file: string): boolean {
  try {
    writeFileSync(file, '');
    return true;
  } catch {
    return false;
  }
}

/** Waits until `exited` resolves or `ms` have passed. */
async function untilExited(exited: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited, new Promise<void>((resolveWait) => (timer = setTimeout(resolveWait, ms)))]);
  clearTimeout(timer);
}

/** Whether run.json's launch plan has several processes (`accelerate launch`), which are asked to stop through the `stop-now` file. */
function launchedSeveral(record: RunRecord | undefined): boolean {
  return record?.target !== undefined && record.target.type === 'local' && record.target.nodes * record.target.processesPerNode > 1;
}

/**
 * Begins a new attempt of a run in run.json: what the previous one left (its exit, stop or cancel request, failure,
 * process) is cleared, then `fresh(previous)` is added. The same for a local process and a Slurm submission.
 */
export function recordNewAttempt(runDir: string, fresh: (previous: RunRecord) => Partial<RunRecord>): RunRecord | undefined {
  return updateRunRecord(runDir, (value) => {
    const next: RunRecord = { ...value };
    delete next.exit;
    delete next.cancelledAt;
    delete next.stopRequestedAt;
    delete next.failure;
    delete next.pid;
    delete next.processStartedAt;
    return { ...next, ...fresh(value) };
  });
}

/**
 * The snapshot a new attempt begins with: `initial` without the previous attempt's error, end, phase, server or pid,
 * not ready, with the job file and (several processes, Slurm) the launch plan from run.json until the trainer reports
 * what it applied.
 */
export function newAttemptSnapshot(initial: JobSnapshot, record: RunRecord | undefined, status: 'starting' | 'queued'): JobSnapshot {
  const snapshot: JobSnapshot = {
    ...initial,
    status,
    ...(record?.jobFile !== undefined ? { jobFile: record.jobFile } : {}),
    ...(record?.target !== undefined ? { distributed: distributedOfRecord(record.target) } : {}),
  };
  delete snapshot.error;
  delete snapshot.endedAt;
  delete snapshot.phase;
  delete snapshot.serving;
  delete snapshot.pid;
  snapshot.ready = false;
  return snapshot;
}

export class JobRun {
  private current: JobSnapshot;
  private readonly changeListeners = new Set<(snapshot: JobSnapshot) => void>();
  private readonly logListeners = new Set<(lines: string[]) => void>();
  private readonly events: EventFollower;
  private readonly log: AppendedLinesFollower;
  private readonly logTail: string[] = [];
  private stopRequested = false;
  private cancelRequested = false;
  private escalation: Promise<void> | undefined;
  private hasEnded = false;
  readonly finished: Promise<JobSnapshot>;
  readonly pid: number;

  /** Use `startJob`, `resumeJob` or `attachJob` (or `targetRunner.ts` for any target). */
  constructor(
    readonly runDir: string,
    private readonly trainer: RunProcessHandle,
    private readonly options: Pick<JobRunOptions, 'stopTimeoutMs' | 'killTimeoutMs' | 'cancelStepMs' | 'pollMs'>,
    initial: JobSnapshot,
    logOffset: number,
    /** The end of the log before `logOffset` (a re-attached run's), for `recentLog`. */
    earlierLog: readonly string[] = [],
  ) {
    this.keepLogLines(earlierLog);
    this.pid = trainer.pid;
    this.current = this.withPid(initial);
    const pollMs = options.pollMs ?? 250;
    this.events = new EventFollower(join(runDir, eventsFileName), (events) => this.onEvents(events), {
      afterSeq: initial.lastSeq,
      pollMs,
      onError: (error) => this.onProtocolError(error),
    });
    this.log = new AppendedLinesFollower(join(runDir, runLogFile), (lines) => this.onLogLines(lines), { fromOffset: logOffset, pollMs });
    this.finished = this.follow();
    trainer.watch?.(
      (change) => {
        if (!this.hasEnded) this.publish(this.whileStopping(change(this.current)));
      },
      () => this.current,
    );
  }

  get snapshot(): JobSnapshot {
    return this.current;
  }

  /** Whether this run was found again by `attachJob` (its exit code cannot be known then) rather than started here. */
  get attached(): boolean {
    return !this.trainer.startedHere;
  }

  /** The last lines of train.log seen by this run (up to 500). */
  recentLog(): string[] {
    return [...this.logTail];
  }

  onDidChange(listener: (snapshot: JobSnapshot) => void): Disposable {
    this.changeListeners.add(listener);
    return { dispose: () => this.changeListeners.delete(listener) };
  }

  onLog(listener: (lines: string[]) => void): Disposable {
    this.logListeners.add(listener);
    return { dispose: () => this.logListeners.delete(listener) };
  }

  /**
   * Asks the trainer to save a checkpoint and the adapter and exit (SIGINT; the `stop-now` file on Windows, for
   * several processes and on Slurm), then ends it after `stopTimeoutMs` (SIGTERM, then SIGKILL; on Slurm `scancel`).
   * Resolves when the trainer has ended.
   */
  stopAndSave(): Promise<void> {
    if (this.hasEnded) return Promise.resolve();
    if (this.escalation) return this.escalation;
    this.stopRequested = true;
    const stopRequestedAt = new Date().toISOString();
    updateRunRecord(this.runDir, (record) => ({ ...record, stopRequestedAt }));
    this.setStatusWhileRunning('stopping');
    if (process.platform === 'win32') writeFileSync(join(this.runDir, stopNowFile), '');
    return (this.escalation = this.escalate('save'));
  }

  /**
   * Stops the process as `stopAndSave` does and records why it failed (a server that never got healthy): the run
   * ends `failed` with this error instead of `stopped`.
   */
  stopAsFailed(failure: { code: string; message: string; action?: string }): Promise<void> {
    if (this.hasEnded) return Promise.resolve();
    updateRunRecord(this.runDir, (record) => ({ ...record, failure }));
    return this.stopAndSave();
  }

  /** Stops the trainer without saving: SIGINT twice, then SIGTERM, then SIGKILL. The run ends `cancelled`. */
  cancel(): Promise<void> {
    if (this.hasEnded) return Promise.resolve();
    this.cancelRequested = true;
    const cancelledAt = new Date().toISOString();
    updateRunRecord(this.runDir, (record) => ({ ...record, cancelledAt }));
    this.setStatusWhileRunning('stopping');
    if (process.platform === 'win32') writeFileSync(join(this.runDir, stopNowFile), '');
    // A cancel during a stop-and-save takes over: it does not wait for the save.
    return (this.escalation = this.escalate('cancel'));
  }

  /**
   * Stops following the trainer without touching it (the extension host is going away): it runs on in its own
   * process group and `attachJob` finds it again. `finished` does not settle after this.
   */
  detach(): void {
    this.events.stop();
    this.log.stop();
    this.trainer.release();
  }

  /**
   * Records whether the server answers (the host's health check after the `serving` event); a run that has ended is
   * never ready.
   */
  markReady(ready: boolean): void {
    if (this.hasEnded || finalStatuses.includes(this.current.status) || this.current.ready === ready) return;
    this.publish({ ...this.current, ready });
  }

  /** Asks the trainer for a checkpoint after its current step (the `checkpoint-now` file); training continues. */
  checkpointNow(): void {
    if (!this.hasEnded) writeFileSync(join(this.runDir, checkpointNowFile), '');
  }

  private async escalate(kind: 'save' | 'cancel'): Promise<void> {
    await this.trainer.stop(kind, {
      stopTimeoutMs: this.options.stopTimeoutMs ?? defaultStopTimeoutMs,
      killTimeoutMs: this.options.killTimeoutMs ?? defaultKillTimeoutMs,
      cancelStepMs: this.options.cancelStepMs ?? defaultCancelStepMs,
    });
    await this.finished;
  }

  /** Waits for the leader to end, reads its last events, ends whatever of its group is left, and settles the snapshot. */
  private async follow(): Promise<JobSnapshot> {
    const exit = await this.trainer.exited;
    await this.trainer.afterExit();
    this.events.readNow();
    this.log.readNow();
    this.events.stop();
    this.log.stop();
    this.hasEnded = true;
    const record = exit ? updateRunRecord(this.runDir, (value) => ({ ...value, exit })) : readRunRecord(this.runDir);
    const settled = this.trainer.settle(this.current, record, this.logTail.slice(-5));
    settled.endedAt ??= Date.now();
    this.publish(settled);
    return settled;
  }

  private onEvents(events: TrainerEvent[]): void {
    this.publish(this.whileStopping(foldEvents(this.current, events)));
  }

  /** A run asked to stop shows `stopping` until it has ended, whatever its process says meanwhile. */
  private whileStopping(next: JobSnapshot): JobSnapshot {
    return (this.stopRequested || this.cancelRequested) && !finalStatuses.includes(next.status) ? { ...next, status: 'stopping' } : next;
  }

  private onProtocolError(error: JobProtocolError): void {
    this.publish({ ...this.current, error: { code: 'PROTOCOL_VERSION', message: error.message, action: 'Update Chatwright to follow this run.' } });
  }

  private onLogLines(lines: string[]): void {
    this.keepLogLines(lines);
    for (const listener of [...this.logListeners]) listener(lines);
  }

  private keepLogLines(lines: readonly string[]): void {
    for (const line of lines.slice(-keptLogLines)) this.logTail.push(line);
    if (this.logTail.length > keptLogLines) this.logTail.splice(0, this.logTail.length - keptLogLines);
  }

  private setStatusWhileRunning(status: 'stopping'): void {
    if (!finalStatuses.includes(this.current.status)) this.publish({ ...this.current, status });
  }

  /** The snapshot with the local process's pid while it runs (a run elsewhere has none). */
  private withPid(snapshot: JobSnapshot): JobSnapshot {
    return this.pid > 0 ? { ...snapshot, pid: this.pid } : snapshot;
  }

  private publish(snapshot: JobSnapshot): void {
    this.current = this.hasEnded ? snapshot : this.withPid(snapshot);
    for (const listener of [...this.changeListeners]) listener(this.current);
  }
}

/** Starts the trainer on a prepared run folder (it must hold config.json); its output is appended to train.log. */
export function startJob(options: JobRunOptions): JobRun {
  const { command, args } = trainerCommand(options.trainer, resolve(options.runDir));
  return launch(options, { command, args, env: trainerEnvironment(options.trainer), kind: 'train' }, false);
}

/**
 * Starts a server on a run folder made by `prepareServeRun`: `command args --run-dir RUN` in its own process group,
 * its output appended to train.log. `stopAndSave` (or `stop`) sends SIGINT, then SIGTERM after `stopTimeoutMs`
 * (default 10 s), then SIGKILL.
 */
export function startServer(options: ServerRunOptions): JobRun {
  const runDir = resolve(options.runDir);
  const env = { ...process.env, ...options.server.env };
  return launch(
    { ...options, stopTimeoutMs: options.stopTimeoutMs ?? defaultServerStopTimeoutMs },
    { command: options.server.command, args: [...options.server.args, '--run-dir', runDir], env, kind: 'serve' },
    false,
  );
}

/** Starts the trainer again on a run folder it ran in before: it resumes from its newest checkpoint, continuing seq and step. */
export function resumeJob(options: JobRunOptions): JobRun {
  const { command, args } = trainerCommand(options.trainer, resolve(options.runDir));
  return launch(options, { command, args, env: trainerEnvironment(options.trainer), kind: 'train' }, true);
}

/**
 * Starts the trainer with another command line than `trainerCommand`'s (a launch plan's: `accelerate launch` with one
 * process per GPU), in its own process group like `startJob`; `env` is added to `trainerEnvironment`'s. Stop-and-save
 * asks it through the `stop-now` file, not SIGINT (see the top of this file).
 */
export function startTrainerWith(options: JobRunOptions, command: { command: string; args: string[]; env: Record<string, string> }, resuming: boolean): JobRun {
  return launch(options, { command: command.command, args: command.args, env: { ...trainerEnvironment(options.trainer), ...command.env }, kind: 'train', severalProcesses: true }, resuming);
}

/**
 * Follows a trainer that is still running (its pid is alive and, where it can be checked, is the same process that
 * was started); undefined when the run's trainer is not running.
 */
export function attachJob(runDir: string, options: Pick<JobRunOptions, 'stopTimeoutMs' | 'killTimeoutMs' | 'cancelStepMs' | 'pollMs'> = {}): JobRun | undefined {
  const folder = resolve(runDir);
  const record = readRunRecord(folder);
  if (!record || record.pid === undefined || !isRunProcessAlive(record)) return undefined;
  const pid = record.pid;
  const pollMs = options.pollMs ?? 250;
  let timer: NodeJS.Timeout | undefined;
  const exited = new Promise<undefined>((resolveExit) => {
    timer = setInterval(() => {
      if (isRunProcessAlive(record)) return;
      clearInterval(timer);
      resolveExit(undefined);
    }, pollMs);
    // The followers keep this process alive while it follows; after `detach()` this poll alone must not.
    timer.unref();
  });
  const logFile = join(folder, runLogFile);
  const logSize = fileSize(logFile);
  // The end of the log so far, so a viewer that attaches sees what the trainer said last.
  return new JobRun(
    folder,
    localProcessHandle(pid, exited, false, () => clearInterval(timer), launchedSeveral(record) ? join(folder, stopNowFile) : undefined),
    options,
    snapshotOfRun(folder),
    logSize,
    readLastLines(logFile, seededLogBytes, logSize),
  );
}

/** The command line that runs the trainer on a run folder. */
export function trainerCommand(trainer: TrainerLaunch, runDir: string): { command: string; args: string[] } {
  const entry = trainer.script !== undefined ? [resolve(trainer.script)] : ['-m', 'chatwright_train'];
  // --quiet: the events are read from events.jsonl; train.log keeps what the trainer and its libraries print.
  return { command: trainer.python, args: [...entry, 'train', '--config', join(runDir, runConfigFile), '--run-dir', runDir, '--quiet'] };
}

/** The trainer's environment: this process's, the launch's additions, `python/` first on PYTHONPATH, unbuffered output. */
export function trainerEnvironment(trainer: TrainerLaunch): NodeJS.ProcessEnv {
  const base = { ...process.env, ...trainer.env };
  const existing = base.PYTHONPATH;
  return { ...base, PYTHONPATH: existing ? `${trainer.pythonPath}${delimiter}${existing}` : trainer.pythonPath, PYTHONUNBUFFERED: '1' };
}

interface ProcessLaunch {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  kind: 'train' | 'serve';
  /** `accelerate launch` with several processes: stop-and-save goes through the `stop-now` file. */
  severalProcesses?: boolean;
}

function launch(options: Omit<JobRunOptions, 'trainer'>, target: ProcessLaunch, resuming: boolean): JobRun {
  const runDir = resolve(options.runDir);
  if (!existsSync(join(runDir, runConfigFile))) throw new JobStartError(`${runDir} holds no ${runConfigFile}: prepare the run folder first`);
  const record = readRunRecord(runDir);
  if (record && isRunProcessAlive(record)) throw new JobStartError(`the ${target.kind === 'serve' ? 'server' : 'trainer'} of ${runDir} is still running (pid ${record.pid})`);
  // A control file left from an earlier attempt would stop or checkpoint the new one at its first step.
  for (const file of [stopNowFile, checkpointNowFile]) rmSync(join(runDir, file), { force: true });
  const { command, args, kind } = target;
  const logFile = join(runDir, runLogFile);
  const logOffset = fileSize(logFile);
  const startedAt = new Date();
  appendFileSync(logFile, `${logOffset > 0 ? '\n' : ''}--- ${resuming ? 'resumed' : 'started'} ${startedAt.toISOString()}: ${[command, ...args].join(' ')}\n`);
  const initial = resuming ? snapshotOfRun(runDir) : emptySnapshot(runDir, record?.name ?? runDir, 'starting', kind);
  let group;
  try {
    group = startProcessGroup({ command, args, env: target.env, cwd: runDir, logFile });
  } catch (error) {
    appendFileSync(logFile, `${(error as Error).message}\n`);
    throw new JobStartError((error as Error).message);
  }
  recordNewAttempt(runDir, () => ({
    ...(kind === 'serve' ? { kind, command: [command, ...args] } : { python: command, trainer: args }),
    pid: group.pid,
    startedAt: startedAt.toISOString(),
    ...(group.startTime !== undefined ? { processStartedAt: group.startTime } : {}),
  }));
  const stopFile = target.severalProcesses === true ? join(runDir, stopNowFile) : undefined;
  return new JobRun(
    runDir,
    localProcessHandle(group.pid, group.exited, true, () => group.unref(), stopFile),
    options,
    newAttemptSnapshot(initial, record, 'starting'),
    logOffset,
  );
}

/** The file's size in bytes; 0 when it cannot be read (a log not yet written). */
export function fileSize(file: string): number {
  try {
    const fd = openSync(file, 'r');
    try {
      return fstatSync(fd).size;
    } finally {
      closeSync(fd);
    }
  } catch {
    return 0;
  }
}
