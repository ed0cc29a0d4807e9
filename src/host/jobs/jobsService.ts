import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { activeStatuses } from '../../core/jobs/jobDescription';
import { eventsFileName } from '../../core/jobs/jobEvents';
import { JobQueue, type QueuedJob } from '../../core/jobs/jobQueue';
import { type JobRun, type ServerLaunch, type TrainerLaunch } from '../../core/jobs/jobRunner';
import { emptySnapshot, snapshotOfRun, type JobSnapshot } from '../../core/jobs/jobSnapshot';
import { defaultTarget, type ResolvedJobTarget } from '../../core/jobs/jobTarget';
import { schedulerNotice } from '../../core/jobs/jobWhere';
import { SlurmClient } from '../../core/jobs/slurm/slurmClient';
import { attachJobOnTarget, resumeJobOnTarget, startJobOnTarget, startServerOnTarget, type TargetRunOptions } from '../../core/jobs/targetRunner';
import { listRunFolders, readRunRecord, runLogFile, updateRunRecord } from '../../core/jobs/runFolder';
import { readLastLines } from '../../core/files/fileTail';
import { type JobPreflightView } from '../../shared/jobPageProtocol';
import { type JobSource } from './jobSource';

/** How often change events go out at most, per run folder: a trainer logging every step must not flood the views. */
const changeThrottleMs = 250;
/** How much of the end of `train.log` a tail reads. */
const logTailBytes = 256 * 1024;

export interface JobsServiceOptions {
  /** The workspace folder whose `.chatwright/runs` holds the runs; none: no jobs. */
  workspaceRoot: string | undefined;
  /** How many jobs train at once (the others wait in the queue). */
  concurrency: number;
  /** The saving grace of Stop and Save before the trainer is terminated. */
  stopTimeoutMs: () => number;
  /** False in an untrusted workspace: no process is started, signalled or followed; runs on disk are only listed. */
  mayRunProcesses: () => boolean;
  log: (message: string) => void;
  /** A queued job whose trainer could not be started (no interpreter, a broken run folder, a submission Slurm refused). */
  onStartFailed: (runDir: string, error: Error) => void;
  /** Slurm's commands, made when first needed (default: a client with the extension host's environment, which finds them on the PATH). */
  slurmClient?: () => SlurmClient;
  /** How often a Slurm job's state is asked for (default: the runner's). */
  slurmPollMs?: number;
  /** A job this window followed has ended (after its log line). */
  onFinished?: (snapshot: JobSnapshot) => void;
}

/**
 * The jobs this window knows: the queue, the trainers it started or re-attached to (a window reload does not stop a
 * trainer: its run folder's pid and events are followed again), and finished runs read from the workspace's
 * `.chatwright/runs`. The Jobs view, the job page and the commands read it through `JobSource`.
 *
 * Where a job runs is the run folder's target (`targetRunner.ts`): a local job (one process, or one per GPU through
 * `accelerate launch`) takes one place in the window's queue; a Slurm job is submitted at once and waits in the
 * cluster's queue, not in this window's; after a reload both are found again from their run folders (a live pid, or a
 * Slurm job that has not ended).
 */
export class JobsService implements JobSource, vscode.Disposable {
  private readonly runs = new Map<string, JobRun>();
  private readonly runSubscriptions = new Map<string, { dispose(): void }[]>();
  /** How to start the trainer of each queued job. */
  private readonly pending = new Map<string, TrainerLaunch>();
  private readonly preflights = new Map<string, JobPreflightView>();
  /** Job files whose preflight the job page shows before they run: path → job name. */
  private readonly preflightOnly = new Map<string, string>();
  /** Snapshots of runs no trainer of this window follows, with the file sizes they were read at. */
  private readonly diskSnapshots = new Map<string, { key: string; snapshot: JobSnapshot }>();
  private readonly changed = new vscode.EventEmitter<string>();
  private readonly logged = new vscode.EventEmitter<{ runDir: string; lines: string[] }>();
  private readonly dirty = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly queue: JobQueue;
  private slurm: SlurmClient | undefined;
  /** Run folders whose submission, resubmission or server start is under way: a second one is refused until it settles. */
  private readonly starting = new Set<string>();
  private disposed = false;

  constructor(private readonly options: JobsServiceOptions) {
    this.queue = new JobQueue({ concurrency: options.concurrency, start: (item) => this.startQueued(item) });
    this.queue.onDidChange((change) => {
      if (change.kind === 'failedToStart') {
        this.pending.delete(change.job.runDir);
        this.options.log(`${change.job.name} could not start: ${change.error.message}`);
        this.options.onStartFailed(change.job.runDir, change.error);
      }
      this.changedLater(change.job.runDir);
    });
  }

  get workspaceRoot(): string | undefined {
    return this.options.workspaceRoot;
  }

  /** Follows again every trainer a previous window started that is still running (pid alive, same process). */
  reattach(): string[] {
    if (!this.options.mayRunProcesses() || !this.options.workspaceRoot) return [];
    const attached: string[] = [];
    for (const runDir of listRunFolders(this.options.workspaceRoot)) {
      if (this.runs.has(runDir) || this.queue.queued().some((item) => item.runDir === runDir)) continue;
      let run: JobRun | undefined;
      try {
        run = attachJobOnTarget(runDir, this.targetOptions());
      } catch (error) {
        this.options.log(`Could not re-attach to ${runDir}: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      if (!run) continue;
      this.track(run);
      const slurm = isSlurmRun(runDir);
      // A re-attached local trainer holds a place in the queue like one this window started; a server does not train,
      // and a Slurm job waits in the cluster's queue.
      if (run.snapshot.kind !== 'serve' && !slurm) this.queue.adopt(run);
      attached.push(runDir);
      const jobId = run.snapshot.scheduler?.jobId ?? readRunRecord(runDir)?.slurm?.jobId;
      this.options.log(`Re-attached to the running job in ${runDir} (${slurm ? `Slurm job ${jobId ?? '?'}` : `pid ${run.snapshot.pid ?? '?'}`}).`);
    }
    return attached;
  }

  /** Puts a prepared run folder (config.json written) of a local job in the queue; it starts when a place is free. */
  enqueue(runDir: string, name: string, trainer: TrainerLaunch, preflight?: JobPreflightView): void {
    this.requireProcesses();
    if (preflight) this.preflights.set(runDir, preflight);
    this.pending.set(runDir, trainer);
    this.diskSnapshots.delete(runDir);
    this.queue.enqueue({ runDir, name });
    this.changedLater(runDir);
  }

  /**
   * Submits a prepared Slurm run folder (`prepareLaunch` wrote RUN/job.sbatch and the user confirmed it) at once: it
   * waits in the cluster's queue, not in this window's. Resolves once sbatch took it; rejects with why it refused.
   */
  submit(runDir: string, name: string, trainer: TrainerLaunch, preflight?: JobPreflightView): Promise<void> {
    this.requireProcesses();
    this.refuseWhileStarting(runDir);
    if (preflight) this.preflights.set(runDir, preflight);
    this.diskSnapshots.delete(runDir);
    return this.whileStarting(runDir, () => this.startOnCluster(runDir, name, () => startJobOnTarget({ runDir, trainer, ...this.targetOptions() }), 'Submitted'));
  }

  /** Continues a stopped or failed run from its newest checkpoint: through the queue like a new job, or submitted to Slurm again. */
  resume(runDir: string, trainer: TrainerLaunch): Promise<void> {
    this.requireProcesses();
    // A second Resume while Slurm has not answered the first would submit a second job into the same run folder.
    this.refuseWhileStarting(runDir);
    const snapshot = this.snapshot(runDir);
    if (!snapshot) throw new Error(`${runDir} is not a run folder.`);
    if (activeStatuses.includes(snapshot.status)) throw new Error(`${snapshot.name} is ${snapshot.status}; only a stopped or failed job can be resumed.`);
    this.untrack(runDir);
    if (isSlurmRun(runDir)) {
      this.diskSnapshots.delete(runDir);
      return this.whileStarting(runDir, () => this.startOnCluster(runDir, snapshot.name, () => resumeJobOnTarget({ runDir, trainer, ...this.targetOptions() }), 'Resubmitted'));
    }
    this.pending.set(runDir, trainer);
    this.diskSnapshots.delete(runDir);
    this.queue.enqueue({ runDir, name: snapshot.name, resume: true });
    this.changedLater(runDir);
    return Promise.resolve();
  }

  /**
   * Starts a server on a run folder made by `prepareServeRun`, at once (servers do not wait in the training queue):
   * on this machine, or as a Slurm job when the target says so. `--run-dir` is added to its command line.
   */
  startServer(runDir: string, launch: ServerLaunch, target?: ResolvedJobTarget): Promise<JobRun> {
    this.requireProcesses();
    this.refuseWhileStarting(runDir);
    return this.whileStarting(runDir, () => this.startServerNow(runDir, launch, target));
  }

  private async startServerNow(runDir: string, launch: ServerLaunch, target: ResolvedJobTarget | undefined): Promise<JobRun> {
    const run = await startServerOnTarget({ runDir, server: launch, target: target ?? localServerTarget, ...this.targetOptions() });
    const where = run.snapshot.scheduler ? ` as Slurm job ${run.snapshot.scheduler.jobId}` : '';
    this.options.log(`Started the server ${run.snapshot.name} in ${runDir}${where}: ${[launch.command, ...launch.args].join(' ')}.`);
    this.track(run);
    return run;
  }

  /** The run this window follows for a folder (started, resumed or re-attached), if any. */
  run(runDir: string): JobRun | undefined {
    return this.runs.get(runDir);
  }

  isQueued(runDir: string): boolean {
    return this.queue.queued().some((item) => item.runDir === runDir);
  }

  /** Removes a job that has not started from the queue. */
  cancelQueued(runDir: string): boolean {
    const removed = this.queue.cancelQueued(runDir);
    if (removed) {
      this.pending.delete(runDir);
      // The run folder stays (it records what was asked); its record says it was cancelled before it started.
      const cancelledAt = new Date().toISOString();
      updateRunRecord(runDir, (record) => ({ ...record, cancelledAt }));
      this.diskSnapshots.delete(runDir);
      this.changedLater(runDir);
    }
    return removed;
  }

  async stopAndSave(runDir: string): Promise<void> {
    this.requireProcesses();
    const run = this.runs.get(runDir);
    if (!run || !activeStatuses.includes(run.snapshot.status)) throw new Error(`${this.nameOf(runDir)} is not running.`);
    await run.stopAndSave();
  }

  async cancel(runDir: string): Promise<void> {
    this.requireProcesses();
    if (this.cancelQueued(runDir)) return;
    const run = this.runs.get(runDir);
    if (!run || !activeStatuses.includes(run.snapshot.status)) throw new Error(`${this.nameOf(runDir)} is neither queued nor running.`);
    await run.cancel();
  }

  checkpointNow(runDir: string): void {
    this.requireProcesses();
    const run = this.runs.get(runDir);
    if (!run || run.snapshot.status !== 'running') throw new Error(`${this.nameOf(runDir)} is not training: a checkpoint can be asked for only while it trains.`);
    run.checkpointNow();
  }

  // JobSource

  snapshot(runDir: string): JobSnapshot | undefined {
    const run = this.runs.get(runDir);
    if (run) return run.snapshot;
    const queued = this.queue.queued().find((item) => item.runDir === runDir);
    if (queued) return { ...this.diskSnapshot(runDir), status: 'queued' };
    const preflightName = this.preflightOnly.get(runDir);
    if (preflightName !== undefined) return { ...emptySnapshot(runDir, preflightName, 'preflight'), jobFile: runDir };
    if (!existsSync(runDir) || !readRunRecord(runDir)) return undefined;
    return this.diskSnapshot(runDir);
  }

  all(): JobSnapshot[] {
    const seen = new Set<string>();
    const snapshots: JobSnapshot[] = [];
    const add = (runDir: string): void => {
      if (seen.has(runDir)) return;
      seen.add(runDir);
      const snapshot = this.snapshot(runDir);
      if (snapshot) snapshots.push(snapshot);
    };
    for (const item of this.queue.queued()) add(item.runDir);
    for (const runDir of this.runs.keys()) if (activeStatuses.includes(this.runs.get(runDir)!.snapshot.status)) add(runDir);
    if (this.options.workspaceRoot) for (const runDir of listRunFolders(this.options.workspaceRoot)) add(runDir);
    for (const runDir of this.runs.keys()) add(runDir);
    return snapshots;
  }

  onDidChange(listener: (runDir: string) => void): vscode.Disposable {
    return this.changed.event(listener);
  }

  preflight(runDir: string): JobPreflightView | undefined {
    return this.preflights.get(runDir);
  }

  /**
   * Keeps the preflight of a job file that has not run (Preflight Job, or a refused Run Job) as a job in the
   * `preflight` status keyed by the job file's path, so the job page can show it; it is not listed among the jobs.
   */
  showPreflight(jobFile: string, name: string, view: JobPreflightView): void {
    this.preflights.set(jobFile, view);
    this.preflightOnly.set(jobFile, name);
    this.changedLater(jobFile);
  }

  logTail(runDir: string, lines: number): string[] {
    return readLastLines(join(runDir, runLogFile), logTailBytes).slice(-lines);
  }

  onLog(listener: (runDir: string, lines: string[]) => void): vscode.Disposable {
    return this.logged.event(({ runDir, lines }) => listener(runDir, lines));
  }

  /** Reads every run folder again (the Refresh command; files changed by the CLI). */
  refresh(): void {
    this.diskSnapshots.clear();
    this.changedAll();
  }

  /** Resolves when the run has finished (started or re-attached in this window); undefined when none is followed. */
  finished(runDir: string): Promise<JobSnapshot> | undefined {
    return this.runs.get(runDir)?.finished;
  }

  dispose(): void {
    this.disposed = true;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    // The trainers keep running, followed no more: a window reload re-attaches to them from their run folders.
    for (const [runDir, run] of [...this.runs]) {
      this.untrack(runDir);
      run.detach();
    }
    this.queue.dispose();
    this.changed.dispose();
    this.logged.dispose();
  }

  private startQueued(item: QueuedJob): Promise<JobRun> {
    const trainer = this.pending.get(item.runDir);
    if (!trainer) throw new Error(`No trainer was chosen for ${item.runDir}.`);
    this.pending.delete(item.runDir);
    const options = { runDir: item.runDir, trainer, ...this.targetOptions() };
    return (item.resume ? resumeJobOnTarget(options) : startJobOnTarget(options)).then((run) => {
      this.options.log(`${item.resume ? 'Resumed' : 'Started'} ${item.name} in ${item.runDir} with ${trainer.python}${trainer.script ? ` ${trainer.script}` : ' -m chatwright_train'}.`);
      this.track(run);
      return run;
    });
  }

  /** Refuses a start, submission or resume of a run folder whose previous one has not settled (a double click). */
  private refuseWhileStarting(runDir: string): void {
    if (this.starting.has(runDir)) throw new Error(`${this.nameOf(runDir)} is being started already: wait until it has started (or Slurm has answered) before asking again.`);
  }

  /** Runs a start with its run folder marked as starting until it has settled, either way. */
  private whileStarting<T>(runDir: string, start: () => Promise<T>): Promise<T> {
    this.starting.add(runDir);
    try {
      return start().finally(() => this.starting.delete(runDir));
    } catch (error) {
      this.starting.delete(runDir);
      throw error;
    }
  }

  /** Submits (or resubmits) a Slurm job and follows it; a refused submission is logged, reported and rethrown. */
  private async startOnCluster(runDir: string, name: string, submit: () => Promise<JobRun>, verb: string): Promise<void> {
    this.changedLater(runDir);
    let run: JobRun;
    try {
      run = await submit();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      this.diskSnapshots.delete(runDir);
      this.options.log(`${name} could not be submitted to Slurm: ${failure.message}`);
      this.changedLater(runDir);
      throw failure;
    }
    const jobId = run.snapshot.scheduler?.jobId ?? readRunRecord(runDir)?.slurm?.jobId ?? '?';
    const notice = schedulerNotice(run.snapshot);
    this.options.log(`${verb} ${name} to Slurm as job ${jobId}${notice ? `: ${notice}` : ''} (${runDir}).`);
    this.track(run);
  }

  /** What every start, resume and re-attach is given: the stop timeout and the Slurm commands. */
  private targetOptions(): Omit<TargetRunOptions, 'runDir' | 'trainer'> {
    this.slurm ??= this.options.slurmClient ? this.options.slurmClient() : new SlurmClient();
    return { stopTimeoutMs: this.options.stopTimeoutMs(), slurm: this.slurm, ...(this.options.slurmPollMs !== undefined ? { slurmPollMs: this.options.slurmPollMs } : {}) };
  }

  private track(run: JobRun): void {
    this.untrack(run.runDir);
    this.runs.set(run.runDir, run);
    this.diskSnapshots.delete(run.runDir);
    this.runSubscriptions.set(run.runDir, [
      run.onDidChange(() => this.changedLater(run.runDir)),
      run.onLog((lines) => {
        if (!this.disposed) this.logged.fire({ runDir: run.runDir, lines });
      }),
    ]);
    void run.finished.then(
      (snapshot) => {
        this.options.log(`${snapshot.name} ended: ${snapshot.status}${snapshot.error ? ` (${snapshot.error.code}: ${snapshot.error.message})` : ''}.`);
        this.changedLater(run.runDir);
        if (!this.disposed) this.options.onFinished?.(snapshot);
      },
      (error: unknown) => this.options.log(`${run.runDir}: ${error instanceof Error ? error.message : String(error)}`),
    );
    this.changedLater(run.runDir);
  }

  private untrack(runDir: string): void {
    for (const subscription of this.runSubscriptions.get(runDir) ?? []) subscription.dispose();
    this.runSubscriptions.delete(runDir);
    this.runs.delete(runDir);
  }

  private diskSnapshot(runDir: string): JobSnapshot {
    const key = ['run.json', eventsFileName].map((file) => fileKey(join(runDir, file))).join('|');
    const cached = this.diskSnapshots.get(runDir);
    // A run that looks active on disk depends on its pid's liveness too: read it again every time.
    if (cached && cached.key === key && !activeStatuses.includes(cached.snapshot.status)) return cached.snapshot;
    let snapshot: JobSnapshot;
    try {
      snapshot = snapshotOfRun(runDir);
    } catch (error) {
      snapshot = { ...emptySnapshot(runDir, runDir.split(/[\\/]/).pop() ?? runDir, 'failed'), error: { code: 'RUN_UNREADABLE', message: error instanceof Error ? error.message : String(error) } };
    }
    this.diskSnapshots.set(runDir, { key, snapshot });
    return snapshot;
  }

  private nameOf(runDir: string): string {
    return this.snapshot(runDir)?.name ?? runDir;
  }

  private requireProcesses(): void {
    if (!this.options.mayRunProcesses()) throw new UntrustedWorkspaceError();
  }

  private changedAll(): void {
    for (const snapshot of this.all()) this.dirty.add(snapshot.runDir);
    this.schedule();
  }

  private changedLater(runDir: string): void {
    this.dirty.add(runDir);
    this.schedule();
  }

  private schedule(): void {
    if (this.flushTimer || this.disposed) return;
    this.flushTimer = setTimeout(() => {
      this.flushTimer = undefined;
      const runDirs = [...this.dirty];
      this.dirty.clear();
      if (!this.disposed) for (const runDir of runDirs) this.changed.fire(runDir);
    }, changeThrottleMs);
  }
}

/** A server the user did not send elsewhere runs as today: one process on this machine. */
const localServerTarget: ResolvedJobTarget = { ...defaultTarget };

/** Whether a run folder's job runs on Slurm (its record names the target, or a submission). */
export function isSlurmRun(runDir: string): boolean {
  const record = readRunRecord(runDir);
  return record?.slurm !== undefined || record?.target?.type === 'slurm';
}

/** Raised by anything that would start or signal a process in an untrusted workspace. */
export class UntrustedWorkspaceError extends Error {
  constructor() {
    super('This workspace is not trusted, so Chatwright starts no training process in it. Trust the workspace to run fine-tuning jobs.');
    this.name = 'UntrustedWorkspaceError';
  }
}

function fileKey(file: string): string {
  try {
    const stat = statSync(file);
    return `${stat.size}:${stat.mtimeMs}`;
  } catch {
    return '-';
  }
}
