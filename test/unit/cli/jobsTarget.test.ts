import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { makeJobsCommand, type JobsTargets } from '../../../src/cli/commands/jobs';
import { updateRunRecord } from '../../../src/core/jobs/runFolder';
import { type SlurmClient } from '../../../src/core/jobs/slurm/slurmClient';
import { type SlurmJobState } from '../../../src/core/jobs/slurm/slurmTypes';
import { type TargetRunOptions } from '../../../src/core/jobs/targetRunner';
import { capturedIo, FakeTargetRun } from '../../support/fakeTargetRun';
import { scratchDir } from '../../support/scratchDir';
import { prepareStandinRun } from '../../support/standinJobs';

/** A run folder as the Slurm runner leaves it: the plan (2 processes, batch 8 = 2 × 2 × 2) and job 41237, last seen pending. */
function slurmRunFolder(t: TestContext, submissions = 1): { workspace: string; runDir: string } {
  const workspace = scratchDir('jobs-slurm', t);
  const runDir = prepareStandinRun(workspace);
  const submittedAt = '2026-12-05T07:00:00.000Z';
  updateRunRecord(runDir, (record) => ({
    ...record,
    target: {
      type: 'slurm',
      nodes: 1,
      processesPerNode: 2,
      strategy: 'ddp',
      description: '2 processes (DDP) through accelerate launch',
      batch: { worldSize: 2, perDeviceBatch: 2, gradientAccumulation: 2, effectiveBatch: 8, requestedEffectiveBatch: 8, changed: true },
    },
    slurm: {
      jobId: submissions > 1 ? '41238' : '41237',
      script: 'job.sbatch',
      submittedAt,
      submissions: Array.from({ length: submissions }, (_, index) => ({ jobId: String(41237 + index), submittedAt })),
      last: { kind: 'slurm', jobId: submissions > 1 ? '41238' : '41237', state: 'PENDING', reason: 'Resources', checkedAt: Date.parse(submittedAt) },
    },
  }));
  return { workspace, runDir };
}

interface FakeTargets extends JobsTargets {
  attached: { runDir: string; options: Omit<TargetRunOptions, 'runDir' | 'trainer'> }[];
  resumed: TargetRunOptions[];
  asked: string[][];
  runs: FakeTargetRun[];
}

/** `active`: whether the run's job is still active (attach finds it); `states`: what squeue says, or an error. */
function fakeTargets(options: { active: boolean; states?: SlurmJobState[] | Error }): FakeTargets {
  const targets: FakeTargets = {
    attached: [],
    resumed: [],
    asked: [],
    runs: [],
    attachJobOnTarget(runDir, attachOptions) {
      targets.attached.push({ runDir, options: attachOptions });
      if (!options.active) return undefined;
      const run = new FakeTargetRun(runDir, [{ jobId: '41237', state: 'RUNNING', nodes: 'node07' }], 'never');
      targets.runs.push(run);
      return run;
    },
    resumeJobOnTarget(resumed) {
      targets.resumed.push(resumed);
      updateRunRecord(resumed.runDir, (record) => ({ ...record, slurm: { ...record.slurm!, jobId: '41238' } }));
      const run = new FakeTargetRun(
        resumed.runDir,
        [
          { jobId: '41238', state: 'PENDING', reason: 'Priority' },
          { jobId: '41238', state: 'RUNNING', nodes: 'node07' },
        ],
        {
          status: 'done',
          step: 6,
          finalLoss: 0.5,
        },
      );
      targets.runs.push(run);
      return Promise.resolve(run);
    },
    slurmClient() {
      return {
        jobStates: (ids: readonly string[]) => {
          targets.asked.push([...ids]);
          const states = options.states ?? [];
          return states instanceof Error ? Promise.reject(states) : Promise.resolve(new Map(states.map((state) => [state.jobId, state])));
        },
      } as unknown as SlurmClient;
    },
  };
  return targets;
}

describe('chatwright jobs on Slurm runs', () => {
  it('lists where a Slurm run is now (squeue asked for the jobs not yet ended) and its batch plan', async (t) => {
    const { workspace, runDir } = slurmRunFolder(t);
    const targets = fakeTargets({ active: true, states: [{ jobId: '41237', state: 'RUNNING', nodes: 'node07', source: 'squeue' }] });
    const io = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(targets).run(['ls'], io), 0, io.err());
    const [header, row] = io.out().trimEnd().split('\n');
    assert.match(header!, /^RUN +KIND +STATUS +WHERE +METHOD +STEP +LOSS +BATCH +DURATION +STARTED$/);
    assert.match(row!, new RegExp(`^${basename(runDir)} +train +\\S+ +slurm 41237 RUNNING +\\S+ +0 +— +8=2×2×2 +`));
    assert.deepEqual(targets.asked, [['41237']]);
  });

  it('derives the status from the state Slurm just gave: a job that timed out is failed, not queued beside TIMEOUT', async (t) => {
    const { workspace } = slurmRunFolder(t);
    const targets = fakeTargets({ active: false, states: [{ jobId: '41237', state: 'TIMEOUT', timeLimit: '00:05:00', source: 'sacct' }] });
    const io = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(targets).run(['ls', '--json'], io), 0, io.err());
    const [row] = JSON.parse(io.out()) as { status: string; where: string }[];
    assert.deepEqual([row!.status, row!.where], ['failed', 'slurm 41237 TIMEOUT']);
    const running = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(fakeTargets({ active: true, states: [{ jobId: '41237', state: 'RUNNING', nodes: 'node07', source: 'squeue' }] })).run(['ls', '--json'], running), 0);
    assert.equal((JSON.parse(running.out()) as { status: string }[])[0]!.status, 'starting', 'running in Slurm, before the trainer has spoken');
  });

  it('does not ask Slurm again for a job last seen UNKNOWN (lost, as the runner settles it)', async (t) => {
    const { workspace, runDir } = slurmRunFolder(t);
    updateRunRecord(runDir, (record) => ({ ...record, slurm: { ...record.slurm!, last: { kind: 'slurm', jobId: '41237', state: 'UNKNOWN', checkedAt: Date.now() } } }));
    const targets = fakeTargets({ active: false, states: [] });
    const io = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(targets).run(['ls', '--json'], io), 0, io.err());
    assert.deepEqual(targets.asked, []);
    assert.equal((JSON.parse(io.out()) as { status: string }[])[0]!.status, 'failed');
  });

  it('keeps the last state seen, with a warning, when Slurm cannot be asked', async (t) => {
    const { workspace } = slurmRunFolder(t);
    const io = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(fakeTargets({ active: true, states: new Error('squeue: command not found') })).run(['ls'], io), 0);
    assert.match(io.out(), /slurm 41237 PENDING \(Resources\)/);
    assert.match(io.err(), /^warning: Slurm could not be asked .*squeue: command not found$/m);
  });

  it('includes scheduler and distributed in ls --json and show --json', async (t) => {
    const { workspace, runDir } = slurmRunFolder(t);
    const targets = fakeTargets({ active: false, states: [{ jobId: '41237', state: 'PENDING', reason: 'Priority', source: 'squeue' }] });
    const listed = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(targets).run(['ls', '--json'], listed), 0);
    const [row] = JSON.parse(listed.out()) as { where: string; scheduler: { jobId: string; state: string; reason: string }; distributed: { worldSize: number; effectiveBatch: number } }[];
    assert.equal(row!.where, 'slurm 41237 PENDING (Priority)');
    assert.deepEqual([row!.scheduler.jobId, row!.scheduler.state, row!.scheduler.reason], ['41237', 'PENDING', 'Priority']);
    assert.deepEqual([row!.distributed.worldSize, row!.distributed.effectiveBatch], [2, 8]);
    const shown = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(targets).run(['show', '--json', runDir], shown), 0);
    const snapshot = JSON.parse(shown.out()) as { scheduler?: { jobId: string }; distributed?: { target: string } };
    assert.equal(snapshot.scheduler?.jobId, '41237');
    assert.equal(snapshot.distributed?.target, 'slurm');
  });

  it('shows the scheduler facts, the script and every submission', async (t) => {
    const { workspace, runDir } = slurmRunFolder(t, 2);
    const io = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(fakeTargets({ active: false })).run(['show', basename(runDir)], io), 0, io.err());
    assert.match(io.out(), /^Target: slurm, 2 processes \(DDP\) through accelerate launch$/m);
    assert.match(io.out(), /^Batch: 2 per GPU × 2 accumulation × 2 processes = 8 \(re-split over the processes\)$/m);
    assert.match(io.out(), /^Slurm job: 41238$/m);
    assert.match(io.out(), /^Slurm state: PENDING, pending in Slurm \(Resources\)/m);
    assert.match(io.out(), new RegExp(`^Script: ${runDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/job\\.sbatch$`, 'm'));
    assert.match(io.out(), /^Submissions:\n {2}1\. job 41237 at \d{4}-\d\d-\d\d \d\d:\d\d\n {2}2\. job 41238 at .* \(resumed\)$/m);
  });

  it('follows an active Slurm job through attachJobOnTarget with the Slurm client', async (t) => {
    const { workspace, runDir } = slurmRunFolder(t);
    const targets = fakeTargets({ active: true });
    const io = capturedIo(workspace, {});
    const following = makeJobsCommand(targets).run(['follow', runDir], io);
    // The fake never ends by itself: end it as the trainer would.
    await new Promise((resolve) => setTimeout(resolve, 50));
    targets.runs[0]!.end({ status: 'done', step: 4, finalLoss: 0.75 });
    assert.equal(await following, 0, io.err());
    assert.ok(targets.attached[0]!.options.slurm, 'the Slurm client went to the runner');
    assert.match(io.out(), /^Following .* \(Slurm job 41237\)/m);
    assert.match(io.out(), /^running on node07$/m);
    assert.match(io.out(), /^Done: 4 step\(s\), final loss 0\.7500$/m);
  });

  it('stops with a save (RUN/stop-now, then scancel) and cancels through the runner', async (t) => {
    const { workspace, runDir } = slurmRunFolder(t);
    const stopTargets = fakeTargets({ active: true });
    const stopped = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(stopTargets).run(['stop', runDir], stopped), 0, stopped.err());
    assert.deepEqual(stopTargets.runs[0]!.calls, ['stopAndSave']);
    assert.match(stopped.err(), /Slurm job 41237: RUN\/stop-now, then scancel after the stop timeout\)/);
    assert.match(stopped.out(), /: stopped at step 0; checkpoint: .*step-2$/m);

    const cancelTargets = fakeTargets({ active: true });
    const cancelled = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(cancelTargets).run(['cancel', runDir], cancelled), 0, cancelled.err());
    assert.deepEqual(cancelTargets.runs[0]!.calls, ['cancel']);
    assert.match(cancelled.out(), /: cancelled at step 0$/m);
  });

  it('says a run that is not active cannot be stopped', async (t) => {
    const { workspace, runDir } = slurmRunFolder(t);
    const io = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(fakeTargets({ active: false })).run(['cancel', runDir], io), 1);
    assert.match(io.err(), /is not running/);
  });

  it('refuses to resume while the Slurm job is still active, leaving it alone', async (t) => {
    const { workspace, runDir } = slurmRunFolder(t);
    const targets = fakeTargets({ active: true });
    const io = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(targets).run(['resume', runDir], io), 1);
    assert.match(io.err(), /is still active in Slurm \(job 41237\); follow it with: chatwright jobs follow /);
    assert.deepEqual(targets.runs[0]!.calls, ['detach'], 'only looked at, never stopped');
    assert.equal(targets.resumed.length, 0);
  });

  it('resumes an ended Slurm run by submitting again and follows the new job', async (t) => {
    const { workspace, runDir } = slurmRunFolder(t);
    const targets = fakeTargets({ active: false });
    const io = capturedIo(workspace, {});
    assert.equal(await makeJobsCommand(targets).run(['resume', '--python', 'python3', runDir], io), 0, io.err());
    assert.equal(targets.resumed.length, 1);
    assert.ok(targets.resumed[0]!.slurm, 'the Slurm client went to the runner');
    assert.match(io.out(), /^Resuming .* \(a new Slurm submission\)$/m);
    assert.match(io.out(), /^Submitted Slurm job 41238$/m);
    assert.match(io.out(), /^pending in Slurm \(Priority\)\nrunning on node07$/m);
    assert.match(io.out(), /^Done: 6 step\(s\)/m);
  });
});
