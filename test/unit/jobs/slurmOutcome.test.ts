import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type TrainerEvent } from '../../../src/core/jobs/jobEvents';
import { emptySnapshot, foldEvents, type JobSnapshot } from '../../../src/core/jobs/jobSnapshot';
import { type RunRecord } from '../../../src/core/jobs/runFolder';
import { activeSlurmSnapshot, isTerminalSlurmState, schedulerFactsChanged, schedulerFactsOf, settleSlurmRun } from '../../../src/core/jobs/slurm/slurmOutcome';
import { slurmStateNames, terminalSlurmStates, type SchedulerFacts, type SlurmStateName } from '../../../src/core/jobs/slurm/slurmTypes';

const checkedAt = 1_700_000_100_000;

function facts(state: SlurmStateName, extra: Partial<SchedulerFacts> = {}): SchedulerFacts {
  return { kind: 'slurm', jobId: '42', state, checkedAt, ...extra };
}

function record(extra: Partial<RunRecord> = {}): RunRecord {
  return {
    version: 1,
    name: 'persona',
    createdAt: '2026-12-05T07:00:00.000Z',
    hostname: 'login1',
    slurm: { jobId: '42', script: 'job.sbatch', submittedAt: '2026-12-05T07:00:01.000Z', submissions: [{ jobId: '42', submittedAt: '2026-12-05T07:00:01.000Z' }] },
    ...extra,
  };
}

let seq = 0;
function event(name: string, fields: Record<string, unknown> = {}): TrainerEvent {
  seq++;
  return { v: 1, seq, time: 1_700_000_000 + seq, event: name, ...fields } as TrainerEvent;
}

/** A run whose trainer got to training step 3 (no terminal phase). */
function midRun(): JobSnapshot {
  seq = 0;
  return foldEvents(emptySnapshot('/runs/a', 'persona'), [
    event('run', { config: {}, run_dir: '/runs/a' }),
    event('phase', { phase: 'training' }),
    event('step', { step: 3, loss: 1.5 }),
    event('checkpoint', { step: 3, path: '/runs/a/checkpoints/step-3', reason: 'save_steps' }),
  ]);
}

/** A run whose trainer ended with this terminal phase. */
function endedRun(phase: 'done' | 'failed' | 'stopped'): JobSnapshot {
  return foldEvents(midRun(), [event('phase', { phase, ...(phase === 'failed' ? { code: 'CUDA_OOM' } : {}) })]);
}

const failureCodes: Partial<Record<SlurmStateName, string>> = {
  TIMEOUT: 'SLURM_TIMEOUT',
  OUT_OF_MEMORY: 'SLURM_OUT_OF_MEMORY',
  NODE_FAIL: 'SLURM_NODE_FAIL',
  PREEMPTED: 'SLURM_PREEMPTED',
  BOOT_FAIL: 'SLURM_BOOT_FAIL',
  DEADLINE: 'SLURM_DEADLINE',
  UNKNOWN: 'SLURM_JOB_LOST',
  FAILED: 'TRAINER_ENDED',
  COMPLETED: 'TRAINER_ENDED',
  SPECIAL_EXIT: 'TRAINER_ENDED',
  REVOKED: 'TRAINER_ENDED',
};

const endedStates = slurmStateNames.filter((state) => isTerminalSlurmState(state));
const activeStates = slurmStateNames.filter((state) => !isTerminalSlurmState(state));

describe('settleSlurmRun: an ended job without a terminal event', () => {
  it('counts every terminal Slurm state and UNKNOWN as ended, and nothing else', () => {
    assert.deepEqual(
      endedStates,
      [...terminalSlurmStates, 'UNKNOWN' as const].sort((a, b) => slurmStateNames.indexOf(a) - slurmStateNames.indexOf(b)),
    );
    assert.ok(activeStates.includes('PENDING') && activeStates.includes('RUNNING') && activeStates.includes('COMPLETING'));
  });

  for (const state of endedStates) {
    if (state === 'CANCELLED') continue;
    it(`${state} → failed ${failureCodes[state]} with an action, the job named`, () => {
      const settled = settleSlurmRun(midRun(), record(), facts(state, { exitCode: 1, timeLimit: '00:01:00', nodes: 'node1' }), ['Traceback', 'KeyError: x']);
      assert.equal(settled.status, 'failed');
      assert.equal(settled.error?.code, failureCodes[state]);
      assert.match(settled.error?.message ?? '', /Slurm job 42/);
      assert.match(settled.error?.message ?? '', /last log lines: Traceback \| KeyError: x/);
      assert.ok((settled.error?.action ?? '').length > 0);
      if (state !== 'OUT_OF_MEMORY' && state !== 'UNKNOWN') assert.match(settled.error?.action ?? '', /Resume the job: it continues from its last checkpoint/);
      assert.equal(settled.scheduler?.state, state);
      assert.equal(settled.ready, false);
      assert.equal(settled.endedAt, checkedAt);
    });
  }

  it('a job that ended FAILED says its exit code', () => {
    const settled = settleSlurmRun(midRun(), record(), facts('FAILED', { exitCode: 7, reason: 'NonZeroExitCode' }));
    assert.match(settled.error?.message ?? '', /the trainer ended without a final event \(Slurm job 42 FAILED, exit code 7, NonZeroExitCode\)/);
  });

  it('a server that ended without a final event is SERVER_ENDED, not a trainer failure', () => {
    const server: JobSnapshot = { ...emptySnapshot('/runs/s', 'serve', 'running', 'serve'), lastSeq: 2 };
    assert.equal(settleSlurmRun(server, record({ kind: 'serve' }), facts('COMPLETED', { exitCode: 1 })).error?.code, 'SERVER_ENDED');
  });

  it('CANCELLED → cancelled; stopped (with a warning that nothing was saved) when a stop was asked for', () => {
    assert.equal(settleSlurmRun(midRun(), record(), facts('CANCELLED')).status, 'cancelled');
    const stopped = settleSlurmRun(midRun(), record({ stopRequestedAt: '2026-12-05T07:01:00.000Z' }), facts('CANCELLED'));
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.error, undefined);
    assert.deepEqual(
      stopped.warnings.map((warning) => warning.code),
      ['STOPPED_WITHOUT_SAVING'],
    );
  });

  for (const state of endedStates.filter((name) => name !== 'CANCELLED')) {
    it(`${state} after a stop was asked for, without the trainer's stopped phase: stopped only where the job ended by itself or was cancelled`, () => {
      const settled = settleSlurmRun(midRun(), record({ stopRequestedAt: '2026-12-05T07:01:00.000Z' }), facts(state));
      if (['FAILED', 'COMPLETED', 'SPECIAL_EXIT', 'REVOKED'].includes(state)) assert.equal(settled.status, 'stopped');
      else assert.equal(settled.error?.code, failureCodes[state]);
    });
  }

  for (const state of endedStates) {
    it(`${state} after a cancel was asked for → cancelled`, () => {
      const settled = settleSlurmRun(midRun(), record({ cancelledAt: '2026-12-05T07:01:00.000Z' }), facts(state));
      assert.equal(settled.status, 'cancelled');
      assert.equal(settled.endedAt, Date.parse('2026-12-05T07:01:00.000Z'));
    });
  }
});

describe('settleSlurmRun: a terminal event wins over the Slurm state', () => {
  for (const phase of ['done', 'failed', 'stopped'] as const) {
    for (const state of endedStates) {
      it(`phase ${phase}, job ${state} → ${phase}`, () => {
        const settled = settleSlurmRun(endedRun(phase), record(), facts(state));
        assert.equal(settled.status, phase);
        if (phase !== 'failed') assert.equal(settled.error, undefined);
        else assert.equal(settled.error?.code, 'CUDA_OOM');
      });
    }
  }

  it('a cancel asked for does not undo a run that said done', () => {
    assert.equal(settleSlurmRun(endedRun('done'), record({ cancelledAt: '2026-12-05T07:01:00.000Z' }), facts('COMPLETED')).status, 'done');
    assert.equal(settleSlurmRun(endedRun('stopped'), record({ cancelledAt: '2026-12-05T07:01:00.000Z' }), facts('CANCELLED')).status, 'cancelled');
  });

  it('a failure recorded by whoever ran it (a refused submission) wins over everything', () => {
    const failure = { code: 'SLURM_SUBMIT_FAILED', message: 'sbatch refused: invalid partition', action: 'Check target.slurm' };
    const settled = settleSlurmRun(endedRun('done'), record({ failure }), facts('COMPLETED'));
    assert.equal(settled.status, 'failed');
    assert.deepEqual(settled.error, failure);
  });
});

describe('activeSlurmSnapshot: a job that is still queued or running', () => {
  for (const state of activeStates) {
    it(`${state}: the facts are shown; ${['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED'].includes(state) ? 'queued' : 'the events decide'}`, () => {
      const waiting = ['PENDING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED'].includes(state);
      const fresh = activeSlurmSnapshot(emptySnapshot('/runs/a', 'persona', 'queued'), facts(state, { reason: 'Resources' }));
      assert.equal(fresh.scheduler?.state, state);
      assert.equal(fresh.scheduler?.reason, 'Resources');
      assert.equal(fresh.status, waiting ? 'queued' : 'starting');
      const training = activeSlurmSnapshot(midRun(), facts(state));
      assert.equal(training.status, waiting ? 'queued' : 'running');
    });
  }

  it('a resumed run waiting in the queue is queued, not what its previous submission ended as', () => {
    const waiting = activeSlurmSnapshot(endedRun('failed'), facts('PENDING', { reason: 'Priority' }));
    assert.equal(waiting.status, 'queued');
    assert.equal(waiting.phase, undefined);
    assert.equal(waiting.error, undefined);
    assert.equal(waiting.step, 3, 'the steps so far stay');
  });

  it('a run asked to stop stays stopping whatever the state', () => {
    for (const state of activeStates) assert.equal(activeSlurmSnapshot({ ...midRun(), status: 'stopping' }, facts(state)).status, 'stopping');
  });
});

describe('scheduler facts', () => {
  it('keep what squeue said and only that', () => {
    const made = schedulerFactsOf({ jobId: '7', state: 'PENDING', reason: 'BeginTime', nodes: '(BeginTime)', timeLimit: '1:00', source: 'squeue' }, 5, 'c1');
    assert.deepEqual(made, { kind: 'slurm', jobId: '7', cluster: 'c1', state: 'PENDING', reason: 'BeginTime', nodes: '(BeginTime)', timeLimit: '1:00', checkedAt: 5 });
  });

  it('change with the state, reason, nodes or exit code, not with the elapsed time or the time of the look', () => {
    const before = facts('RUNNING', { elapsed: '0:05', nodes: 'n1' });
    assert.equal(schedulerFactsChanged(before, { ...before, elapsed: '0:10', checkedAt: checkedAt + 5000 }), false);
    assert.equal(schedulerFactsChanged(before, { ...before, state: 'COMPLETING' }), true);
    assert.equal(schedulerFactsChanged(before, { ...before, reason: 'Resources' }), true);
    assert.equal(schedulerFactsChanged(before, { ...before, nodes: 'n2' }), true);
    assert.equal(schedulerFactsChanged(before, { ...before, exitCode: 1 }), true);
    assert.equal(schedulerFactsChanged(undefined, before), true);
  });
});
