/**
 * Follows a run whose process is a Slurm job: `SlurmJobHandle` is the `RunProcessHandle` a `JobRun` follows it
 * through. Its events and log are read from the run folder as for a local run (a filesystem the login and compute
 * nodes share); what only the scheduler knows (pending and why, which nodes, how it ended) comes from
 * `SlurmClient.jobStates` every `pollMs`, lands in the snapshot's `scheduler` and in run.json's `slurm.last`.
 *
 * The scheduler is asked, never trusted to answer: a failing `squeue` keeps the last state seen and, after a few
 * failures in a row, says so in a warning; the job is taken for gone only when no command knows it twice in a row.
 * Stop-and-save writes RUN/stop-now (the run folder is shared with the compute nodes; every training process polls it
 * after each optimizer step and the processes agree), then plain `scancel` after the stop timeout. No signal: under
 * `accelerate launch` a SIGINT reaches the launcher too, which ends its processes ~30 s later whatever they were
 * saving. Cancel is `scancel --signal=INT` twice 3 s apart (the signal reaches every process of the step and torch's
 * agent relays another, so the trainer takes two within 2 s for one), then `scancel`. A job still waiting in the queue
 * has nothing to ask: it is cancelled at once — waiting as the trainer's events tell it too, not only as the last
 * look at the scheduler did, which can be a poll behind. A job Slurm says ended settles once its terminal event is
 * read, or after `slurmSettleGraceMs` without one (the shared filesystem can show the last lines late).
 */
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readLastLines } from '../../files/fileTail';
import { fileSize, JobRun, JobStartError, newAttemptSnapshot, recordNewAttempt, severalProcessesInterruptGapMs, type JobRunOptions, type RunProcessHandle, type StopTiming } from '../jobRunner';
import { terminalPhases } from '../jobEvents';
import { emptySnapshot, snapshotOfRun, type JobSnapshot } from '../jobSnapshot';
import { sbatchScriptFile } from '../launch/sbatchScript';
import { checkpointNowFile, readRunRecord, runLogFile, stopNowFile, updateRunRecord, type RunRecord } from '../runFolder';
import { activeSlurmSnapshot, isTerminalSlurmState, schedulerFactsChanged, schedulerFactsOf, settleSlurmRun } from './slurmOutcome';
import { SlurmCommandError, type SlurmClient } from './slurmClient';
import { type SchedulerFacts, type SlurmJobState } from './slurmTypes';

/** Failed looks at the scheduler in a row before the run says it cannot see its job. */
export const schedulerFailuresBeforeWarning = 3;
/** Looks in a row in which no command knows the job before it counts as lost (a job can fall between squeue and sacct). */
const unknownLooksBeforeLost = 2;
/** How much of a re-attached run's log is read for its last lines. */
const seededLogBytes = 64 * 1024;
/** Default time between looks at the scheduler. */
export const defaultSlurmPollMs = 5_000;
/**
 * Default time an ended job's run waits for the trainer's terminal event to show on this node. The run folder is on
 * a shared filesystem whose attribute cache (NFS: up to ~60 s) can hide the last lines the compute node appended when
 * Slurm already says the job ended; most of that time they appear within seconds.
 */
export const defaultSettleGraceMs = 30_000;
/** How often the events are looked at again during that wait. */
const settleGracePollMs = 250;

export interface SlurmFollowOptions extends Pick<JobRunOptions, 'stopTimeoutMs' | 'killTimeoutMs' | 'cancelStepMs' | 'pollMs'> {
  client: SlurmClient;
  /** How often the job's state is asked for (default 5 s). */
  slurmPollMs?: number;
  /**
   * How long a job that Slurm says ended, whose events show no terminal phase yet, keeps being followed before the
   * Slurm state decides its outcome (default `defaultSettleGraceMs`); it settles as soon as the phase appears.
   */
  slurmSettleGraceMs?: number;
}

export class SlurmJobHandle implements RunProcessHandle {
  readonly pid = 0;
  readonly exited: Promise<undefined>;
  private resolveExit: () => void = () => undefined;
  private last: SchedulerFacts;
  private apply: ((change: (snapshot: JobSnapshot) => JobSnapshot) => void) | undefined;
  private current: (() => JobSnapshot) | undefined;
  private timer: NodeJS.Timeout | undefined;
  private looking = false;
  private failuresInARow = 0;
  private unknownInARow = 0;
  private ended = false;
  private released = false;
  /**
   * Cancelled: the outcome is `cancelled` whatever the trainer's last events say (unless it finished), so its
   * terminal event is not waited for; a job cancelled while queued wrote none at all.
   */
  private cancelling = false;

  constructor(
    private readonly runDir: string,
    private readonly client: SlurmClient,
    initial: SchedulerFacts,
    private readonly pollMs: number,
    readonly startedHere: boolean,
    private readonly settleGraceMs: number = defaultSettleGraceMs,
  ) {
    this.last = initial;
    this.exited = new Promise((resolveExit) => (this.resolveExit = () => resolveExit(undefined)));
    this.schedule(0);
  }

  /** The job's id and what was seen of it last. */
  get facts(): SchedulerFacts {
    return this.last;
  }

  watch(apply: (change: (snapshot: JobSnapshot) => JobSnapshot) => void, current: () => JobSnapshot): void {
    this.apply = apply;
    this.current = current;
    const facts = this.last;
    apply((snapshot) => activeSlurmSnapshot(snapshot, facts));
  }

  release(): void {
    this.released = true;
    clearTimeout(this.timer);
  }

  async stop(kind: 'save' | 'cancel', timing: StopTiming): Promise<void> {
    if (this.ended) return;
    if (kind === 'cancel') this.cancelling = true;
    if (!this.stillQueued()) {
      if (kind === 'save') {
        this.askToStop();
      } else {
        await this.scancel('INT');
        await this.untilEnded(severalProcessesInterruptGapMs);
        if (this.ended) return;
        await this.scancel('INT');
      }
      if (await this.untilEnded(kind === 'save' ? timing.stopTimeoutMs : timing.cancelStepMs)) return;
    }
    await this.scancel();
    await this.untilEnded(kind === 'save' ? timing.killTimeoutMs : timing.cancelStepMs);
  }

  async afterExit(): Promise<void> {
    // Slurm ends every process of the job with it.
  }

  settle(snapshot: JobSnapshot, record: RunRecord | undefined, lastLogLines: readonly string[]): JobSnapshot {
    return settleSlurmRun(snapshot, record, this.last, lastLogLines);
  }

  /**
   * Whether the job has not started yet, so there is no trainer to ask: the scheduler's last answer says it waits AND
   * the trainer has written no phase of this attempt that is not over. The scheduler's answer is up to a poll old:
   * a job it last saw PENDING may already be training, which its events show first.
   */
  private stillQueued(): boolean {
    const waiting = this.last.state === 'PENDING' || this.last.state.startsWith('REQUEUE');
    const phase = this.current?.().phase;
    return waiting && (phase === undefined || terminalPhases.includes(phase));
  }

  /** Writes RUN/stop-now, which the job's processes read from the shared run folder; a write that fails is told and `scancel` follows. */
  private askToStop(): void {
    try {
      writeFileSync(join(this.runDir, stopNowFile), '');
    } catch (error) {
      this.warn('STOP_FILE_FAILED', `could not write ${join(this.runDir, stopNowFile)} to ask Slurm job ${this.last.jobId} to save and stop: ${messageOf(error)}`);
    }
  }

  private async scancel(signal?: 'INT'): Promise<void> {
    try {
      await this.client.cancel(this.last.jobId, signal);
    } catch (error) {
      // A job that ended meanwhile cannot be signalled; anything else is worth telling, and the next step still runs.
      if (!this.ended) this.warn('SLURM_CANCEL_FAILED', `scancel${signal !== undefined ? ` --signal=${signal}` : ''} ${this.last.jobId} failed: ${messageOf(error)}`);
    }
    this.schedule(0);
  }

  /** Waits until the job has ended or `ms` have passed; whether it ended. */
  private async untilEnded(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const ended = await Promise.race([this.exited.then(() => true), new Promise<boolean>((resolveWait) => (timer = setTimeout(() => resolveWait(false), ms)))]);
    clearTimeout(timer);
    return ended;
  }

  private schedule(ms: number): void {
    if (this.ended || this.released) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.look(), ms);
    // The run's followers keep this process alive while it follows; after `release()` nothing of this must.
    this.timer.unref();
  }

  private async look(): Promise<void> {
    if (this.looking || this.ended || this.released) return;
    this.looking = true;
    try {
      const states = await this.client.jobStates([this.last.jobId]);
      this.failuresInARow = 0;
      this.observe(states.get(this.last.jobId) ?? { jobId: this.last.jobId, state: 'UNKNOWN', source: 'none' });
    } catch (error) {
      this.failuresInARow++;
      if (this.failuresInARow === schedulerFailuresBeforeWarning)
        this.warn(
          'SLURM_UNREACHABLE',
          `could not ask Slurm about job ${this.last.jobId} ${this.failuresInARow} times in a row (${messageOf(error)}); showing the last state seen (${this.last.state})`,
        );
    } finally {
      this.looking = false;
      this.schedule(this.pollMs);
    }
  }

  private observe(state: SlurmJobState): void {
    if (this.released) return;
    if (state.state === 'UNKNOWN' && ++this.unknownInARow < unknownLooksBeforeLost) return;
    if (state.state !== 'UNKNOWN') this.unknownInARow = 0;
    const facts = schedulerFactsOf(state, Date.now(), this.last.cluster);
    const changed = schedulerFactsChanged(this.last, facts);
    this.last = facts;
    const terminal = isTerminalSlurmState(facts.state);
    if (changed || terminal) {
      updateRunRecord(this.runDir, (record) => (record.slurm?.jobId === facts.jobId ? { ...record, slurm: { ...record.slurm, last: facts } } : record));
      if (!terminal) this.apply?.((snapshot) => activeSlurmSnapshot(snapshot, facts));
    }
    if (terminal) {
      this.ended = true;
      clearTimeout(this.timer);
      void this.exitOnceEventsShow();
    }
  }

  /**
   * Says the job has exited once the trainer's terminal phase is in the run's events (the JobRun keeps reading
   * events.jsonl meanwhile), or after the settle grace without one: then the Slurm state decides the outcome.
   */
  private async exitOnceEventsShow(): Promise<void> {
    const deadline = Date.now() + this.settleGraceMs;
    while (!this.released && !this.cancelling && !this.terminalPhaseShown() && Date.now() < deadline) {
      await new Promise<void>((resolveWait) => setTimeout(resolveWait, Math.min(settleGracePollMs, Math.max(0, deadline - Date.now()))).unref());
    }
    if (!this.released) this.resolveExit();
  }

  private terminalPhaseShown(): boolean {
    const phase = this.current?.().phase;
    return phase !== undefined && terminalPhases.includes(phase);
  }

  private warn(code: string, message: string): void {
    this.apply?.((snapshot) => ({ ...snapshot, warnings: [...snapshot.warnings, { code, message }] }));
  }
}

/**
 * Submits RUN/job.sbatch (`sbatch --parsable`, cwd RUN; `client` runs it with the environment the job needs) and
 * follows the job. A refused submission is recorded as the run's failure (`SLURM_SUBMIT_FAILED` with sbatch's
 * message) and thrown as `JobStartError`. `resuming`: the run folder ran before, its events and checkpoints continue.
 */
export async function submitSlurmJob(runDir: string, options: SlurmFollowOptions & { kind: 'train' | 'serve'; resuming: boolean }): Promise<JobRun> {
  const folder = resolve(runDir);
  const script = join(folder, sbatchScriptFile);
  const record = readRunRecord(folder);
  // A control file left from an earlier attempt would stop or checkpoint the new one at its first step.
  for (const file of [stopNowFile, checkpointNowFile]) rmSync(join(folder, file), { force: true });
  const logFile = join(folder, runLogFile);
  const logOffset = fileSize(logFile);
  const submittedAt = new Date().toISOString();
  const initial = options.resuming ? snapshotOfRun(folder) : emptySnapshot(folder, record?.name ?? folder, 'queued', options.kind);
  let submission;
  try {
    submission = await options.client.submit(script, folder);
  } catch (error) {
    const detail = error instanceof SlurmCommandError && error.stderr.trim() !== '' ? error.stderr.trim() : messageOf(error);
    const failure = {
      code: 'SLURM_SUBMIT_FAILED',
      message: `sbatch refused ${script}: ${detail}`,
      action: 'Check target.slurm in the job file (partition, account, time, GPUs) against what the cluster offers, then start the job again.',
    };
    appendFileSync(logFile, `${logOffset > 0 ? '\n' : ''}--- submission failed ${submittedAt}: ${failure.message}\n`);
    updateRunRecord(folder, (value) => ({ ...value, failure }));
    throw new JobStartError(failure.message);
  }
  appendFileSync(logFile, `${logOffset > 0 ? '\n' : ''}--- ${options.resuming ? 'resubmitted' : 'submitted'} ${submittedAt}: sbatch --parsable ${script} → Slurm job ${submission.jobId}\n`);
  const facts: SchedulerFacts = { kind: 'slurm', jobId: submission.jobId, ...(submission.cluster !== undefined ? { cluster: submission.cluster } : {}), state: 'PENDING', checkedAt: Date.now() };
  recordNewAttempt(folder, (previous) => ({
    startedAt: submittedAt,
    slurm: {
      jobId: submission.jobId,
      ...(submission.cluster !== undefined ? { cluster: submission.cluster } : {}),
      script: sbatchScriptFile,
      submittedAt,
      submissions: [...(previous.slurm?.submissions ?? []), { jobId: submission.jobId, submittedAt }],
      last: facts,
    },
  }));
  const handle = new SlurmJobHandle(folder, options.client, facts, options.slurmPollMs ?? defaultSlurmPollMs, true, options.slurmSettleGraceMs);
  return new JobRun(folder, handle, options, newAttemptSnapshot(initial, record, 'queued'), logOffset);
}

/**
 * Follows a Slurm run again from its folder (after a window reload): its job as run.json names it, the events and the
 * log from their current ends. Undefined when the run has no Slurm job or its last state seen was terminal; the first
 * look at the scheduler settles a job that ended while nobody followed it.
 */
export function attachSlurmJob(runDir: string, options: SlurmFollowOptions): JobRun | undefined {
  const folder = resolve(runDir);
  const record = readRunRecord(folder);
  const slurm = record?.slurm;
  if (slurm === undefined || typeof slurm.jobId !== 'string' || slurm.jobId === '') return undefined;
  const last = slurm.last?.jobId === slurm.jobId ? slurm.last : undefined;
  if (last !== undefined && isTerminalSlurmState(last.state)) return undefined;
  const facts: SchedulerFacts = last ?? { kind: 'slurm', jobId: slurm.jobId, ...(slurm.cluster !== undefined ? { cluster: slurm.cluster } : {}), state: 'PENDING', checkedAt: Date.now() };
  const logFile = join(folder, runLogFile);
  const logSize = fileSize(logFile);
  const handle = new SlurmJobHandle(folder, options.client, facts, options.slurmPollMs ?? defaultSlurmPollMs, false, options.slurmSettleGraceMs);
  return new JobRun(folder, handle, options, activeSlurmSnapshot(snapshotOfRun(folder), facts), logSize, readLastLines(logFile, seededLogBytes, logSize));
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
