/**
 * What a Slurm job's state means for its run's snapshot. Pure: the runner (`slurmRun.ts`) and `snapshotOfRun` both
 * use it, so a followed run and a run read back from its folder say the same.
 *
 * While the job is active: PENDING (and a requeued job) is `queued` with the scheduler's reason; once it runs, the
 * events decide as for a local run. Once it has ended: a terminal phase in the events wins (the trainer said how it
 * ended); otherwise the Slurm state decides — CANCELLED is `cancelled` (`stopped` when a stop was asked for), TIMEOUT,
 * OUT_OF_MEMORY, NODE_FAIL, PREEMPTED, BOOT_FAIL and DEADLINE are failures with their own codes, a job that ended
 * FAILED or COMPLETED without a terminal event is `TRAINER_ENDED` with its exit code, and a job no command knows any
 * more is `SLURM_JOB_LOST`.
 */
import { terminalPhases } from '../jobEvents';
import { type JobSnapshot } from '../jobSnapshot';
import { type RunRecord } from '../runFolder';
import { terminalSlurmStates, type SchedulerFacts, type SlurmJobState, type SlurmStateName } from './slurmTypes';

/** What most Slurm failures ask of the user: the trainer saves checkpoints, and a resumed job continues from the newest. */
export const resumeAction = 'Resume the job: it continues from its last checkpoint.';

/** States in which the job waits for the scheduler (nothing of it runs yet). */
const waitingStates: readonly SlurmStateName[] = ['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED'];

export function isTerminalSlurmState(state: SlurmStateName): boolean {
  return terminalSlurmStates.includes(state) || state === 'UNKNOWN';
}

/** The facts a snapshot shows of one look at the job. */
export function schedulerFactsOf(state: SlurmJobState, checkedAt: number, cluster?: string): SchedulerFacts {
  return {
    kind: 'slurm',
    jobId: state.jobId,
    ...(cluster !== undefined ? { cluster } : {}),
    state: state.state,
    ...(state.reason !== undefined ? { reason: state.reason } : {}),
    ...(state.nodes !== undefined ? { nodes: state.nodes } : {}),
    ...(state.elapsed !== undefined ? { elapsed: state.elapsed } : {}),
    ...(state.timeLimit !== undefined ? { timeLimit: state.timeLimit } : {}),
    ...(state.exitCode !== undefined ? { exitCode: state.exitCode } : {}),
    checkedAt,
  };
}

/** Whether two looks differ in what a viewer shows (the state, its reason, the nodes, the exit code); elapsed time alone does not count. */
export function schedulerFactsChanged(before: SchedulerFacts | undefined, after: SchedulerFacts): boolean {
  return before === undefined || before.jobId !== after.jobId || before.state !== after.state || before.reason !== after.reason || before.nodes !== after.nodes || before.exitCode !== after.exitCode;
}

/**
 * The snapshot of a run whose job is still active, with these facts: waiting in the queue is `queued`; a job that
 * runs but whose trainer has not said anything since (still `queued`) is `starting`; otherwise the events decide. A
 * run asked to stop stays `stopping`.
 */
export function activeSlurmSnapshot(snapshot: JobSnapshot, facts: SchedulerFacts): JobSnapshot {
  const next: JobSnapshot = { ...snapshot, scheduler: facts };
  if (next.status === 'stopping') return next;
  if (waitingStates.includes(facts.state)) {
    // Nothing of this submission has run: how an earlier one ended (a resumed run's last phase) is not its state.
    delete next.phase;
    delete next.error;
    delete next.endedAt;
    next.status = 'queued';
  } else if (next.status === 'queued') next.status = 'starting';
  return next;
}

/** What was asked of the run, from its record. */
interface RunRequests {
  stopRequested: boolean;
  cancelRequested: boolean;
}

/**
 * The final snapshot of a run whose Slurm job has ended (`facts.state` terminal, or UNKNOWN when no command knows the
 * job any more), after its last events were read.
 */
export function settleSlurmRun(snapshot: JobSnapshot, record: RunRecord | undefined, facts: SchedulerFacts, lastLogLines: readonly string[] = []): JobSnapshot {
  const next: JobSnapshot = { ...snapshot, ready: false, scheduler: facts };
  delete next.pid;
  delete next.etaSeconds;
  const asked: RunRequests = { stopRequested: record?.stopRequestedAt !== undefined, cancelRequested: record?.cancelledAt !== undefined };
  if (record?.failure !== undefined) {
    next.status = 'failed';
    next.error = { ...record.failure };
    return next;
  }
  if (asked.cancelRequested && next.phase !== 'done') {
    next.status = 'cancelled';
    next.endedAt ??= Date.parse(record!.cancelledAt!);
    return next;
  }
  if (next.phase !== undefined && terminalPhases.includes(next.phase)) return next;
  next.endedAt ??= facts.checkedAt;
  const job = `Slurm job ${facts.jobId}`;
  const log = lastLogLines.length > 0 ? `; last log lines: ${lastLogLines.join(' | ')}` : '';
  const fail = (code: string, message: string, action = resumeAction): JobSnapshot => ({ ...next, status: 'failed', error: { code, message, action } });
  switch (facts.state) {
    case 'CANCELLED':
      if (asked.stopRequested) return stoppedWithoutSaving(next, `${job} was cancelled`);
      next.status = 'cancelled';
      return next;
    case 'TIMEOUT':
      return fail(
        'SLURM_TIMEOUT',
        `${job} reached its time limit${facts.timeLimit !== undefined ? ` (${facts.timeLimit})` : ''} before the trainer saved and stopped${log}`,
        `${resumeAction} Ask for more time (target.slurm.time), or a larger save_before_limit_seconds so that it saves before the limit.`,
      );
    case 'OUT_OF_MEMORY':
      return fail(
        'SLURM_OUT_OF_MEMORY',
        `${job} ran out of memory${log}`,
        `Ask for more memory (target.slurm.mem) or use less (a smaller batch, packing off, a lower max_seq_length), then resume the job: it continues from its last checkpoint.`,
      );
    case 'NODE_FAIL':
      return fail('SLURM_NODE_FAIL', `${job} ended because a node it ran on failed (${facts.nodes ?? 'node unknown'})${log}`);
    case 'PREEMPTED':
      return fail('SLURM_PREEMPTED', `${job} was preempted by the scheduler${log}`);
    case 'BOOT_FAIL':
      return fail('SLURM_BOOT_FAIL', `${job} could not start: its node failed to boot${log}`);
    case 'DEADLINE':
      return fail('SLURM_DEADLINE', `${job} passed its deadline before it could run to the end${log}`);
    case 'UNKNOWN':
      return fail('SLURM_JOB_LOST', `${job} is known to none of squeue, sacct and scontrol any more; how it ended cannot be told${log}`, `See train.log in the run folder. ${resumeAction}`);
    default: {
      // FAILED, COMPLETED, SPECIAL_EXIT, REVOKED (or a state that is not terminal: the runner never settles on one).
      const how = `${job} ${facts.state}${facts.exitCode !== undefined ? `, exit code ${facts.exitCode}` : ''}${facts.reason !== undefined ? `, ${facts.reason}` : ''}`;
      if (asked.stopRequested) return stoppedWithoutSaving(next, how);
      if (next.kind === 'serve')
        return fail('SERVER_ENDED', `the server ended without a final event (${how})${log}`, "See train.log in the run folder (the server's output), then serve the model again.");
      return fail('TRAINER_ENDED', `the trainer ended without a final event (${how})${log}`, `See train.log in the run folder. ${resumeAction}`);
    }
  }
}

/** Asked to stop, it ended, but before the trainer said it had saved (it was still queued or starting, or had to be killed). */
function stoppedWithoutSaving(snapshot: JobSnapshot, how: string): JobSnapshot {
  if (snapshot.kind === 'serve') return { ...snapshot, status: 'stopped' };
  return {
    ...snapshot,
    status: 'stopped',
    warnings: [...snapshot.warnings, { code: 'STOPPED_WITHOUT_SAVING', message: `the trainer was asked to stop and ended (${how}) before it reported a saved checkpoint` }],
  };
}
