import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { JobStartError, type JobRun } from '../../../src/core/jobs/jobRunner';
import { snapshotOfRun, type JobSnapshot } from '../../../src/core/jobs/jobSnapshot';
import { readRunRecord, updateRunRecord } from '../../../src/core/jobs/runFolder';
import { SlurmCommandError } from '../../../src/core/jobs/slurm/slurmClient';
import { attachSlurmJob, schedulerFailuresBeforeWarning, submitSlurmJob } from '../../../src/core/jobs/slurm/slurmRun';
import { attachJobOnTarget, resumeJobOnTarget, startJobOnTarget } from '../../../src/core/jobs/targetRunner';
import { EventWriter, fakeSlurm, type FakeSlurmClient } from '../../support/fakeSlurm';
import { setRunTarget } from '../../support/runTarget';
import { scratchDir } from '../../support/scratchDir';
import { prepareStandinRun, standinLaunch } from '../../support/standinJobs';
import { waitFor } from '../../support/waitFor';

const timing = { stopTimeoutMs: 400, killTimeoutMs: 300, cancelStepMs: 300, pollMs: 20, slurmPollMs: 20, slurmSettleGraceMs: 300 };

function slurmRun(t: TestContext): { runDir: string; client: FakeSlurmClient; events: EventWriter } {
  const runDir = prepareStandinRun(scratchDir('slurm-run', t));
  setRunTarget(runDir);
  return { runDir, client: fakeSlurm(), events: new EventWriter(runDir) };
}

function follow(t: TestContext, run: JobRun): JobSnapshot[] {
  const seen: JobSnapshot[] = [];
  const subscription = run.onDidChange((snapshot) => seen.push(snapshot));
  t.after(() => {
    subscription.dispose();
    run.detach();
  });
  return seen;
}

const scancels = (client: FakeSlurmClient): string[] => client.world.calls.filter((call) => call.startsWith('scancel'));

describe('following a Slurm job', () => {
  it('shows a pending job as queued with its reason, then follows its events to done, recording each state in run.json', async (t) => {
    const { runDir, client, events } = slurmRun(t);
    client.world.state = { state: 'PENDING', reason: 'BeginTime', nodes: '(BeginTime)' };
    const run = await submitSlurmJob(runDir, { ...timing, client, kind: 'train', resuming: false });
    const seen = follow(t, run);
    assert.equal(run.snapshot.status, 'queued');
    assert.equal(run.snapshot.scheduler?.jobId, '101');
    assert.equal(run.snapshot.pid, undefined);
    await waitFor(() => (run.snapshot.scheduler?.reason === 'BeginTime' ? true : undefined), 'the pending reason');
    assert.equal(readRunRecord(runDir)?.slurm?.last?.reason, 'BeginTime');
    client.world.state = { state: 'RUNNING', nodes: 'node1', elapsed: '0:01' };
    await waitFor(() => (run.snapshot.scheduler?.state === 'RUNNING' ? true : undefined), 'the running state');
    assert.equal(run.snapshot.status, 'starting');
    assert.equal(readRunRecord(runDir)?.slurm?.last?.state, 'RUNNING');
    events.write('run', { config: {}, run_dir: runDir });
    events.write('phase', { phase: 'training' });
    events.write('step', { step: 1, loss: 2 });
    await waitFor(() => (run.snapshot.step === 1 ? true : undefined), 'step 1');
    assert.equal(run.snapshot.status, 'running');
    events.write('phase', { phase: 'done', step: 1, train_loss: 2 });
    client.world.state = { state: 'COMPLETED', exitCode: 0 };
    const final = await run.finished;
    assert.equal(final.status, 'done');
    assert.equal(final.scheduler?.state, 'COMPLETED');
    assert.equal(readRunRecord(runDir)?.slurm?.last?.state, 'COMPLETED');
    assert.ok(seen.some((snapshot) => snapshot.status === 'queued' && snapshot.scheduler?.reason === 'BeginTime'));
    const record = readRunRecord(runDir)!;
    assert.deepEqual(
      record.slurm?.submissions.map((submission) => submission.jobId),
      ['101'],
    );
    assert.equal(record.slurm?.script, 'job.sbatch');
    assert.match(readFileSync(join(runDir, 'train.log'), 'utf8'), /--- submitted .*sbatch --parsable .*job\.sbatch → Slurm job 101/);
    assert.deepEqual(client.world.calls[0], `sbatch ${join(runDir, 'job.sbatch')} (${runDir})`);
  });

  it('keeps the last state while squeue fails, warns once after several failures, and settles when it answers again', async (t) => {
    const { runDir, client } = slurmRun(t);
    client.world.state = { state: 'RUNNING', nodes: 'node1' };
    const run = await submitSlurmJob(runDir, { ...timing, client, kind: 'train', resuming: false });
    follow(t, run);
    await waitFor(() => (run.snapshot.scheduler?.state === 'RUNNING' ? true : undefined), 'the running state');
    client.world.state = new SlurmCommandError('squeue timed out after 30 s', 'squeue', '');
    const warned = await waitFor(() => run.snapshot.warnings.find((warning) => warning.code === 'SLURM_UNREACHABLE'), 'the unreachable warning');
    assert.match(warned.message, new RegExp(`job 101 ${schedulerFailuresBeforeWarning} times in a row \\(squeue timed out after 30 s\\); showing the last state seen \\(RUNNING\\)`));
    const looksBefore = client.world.calls.length;
    await waitFor(() => (client.world.calls.length > looksBefore + 3 ? true : undefined), 'more looks at squeue');
    assert.equal(run.snapshot.warnings.filter((warning) => warning.code === 'SLURM_UNREACHABLE').length, 1);
    assert.equal(run.snapshot.scheduler?.state, 'RUNNING');
    assert.equal(run.snapshot.status, 'starting');
    client.world.state = { state: 'FAILED', exitCode: 2, reason: 'NonZeroExitCode' };
    const final = await run.finished;
    assert.equal(final.status, 'failed');
    assert.equal(final.error?.code, 'TRAINER_ENDED');
    assert.match(final.error?.message ?? '', /Slurm job 101 FAILED, exit code 2/);
  });

  it('a job Slurm says ended before its terminal event shows (a shared filesystem’s cache) settles on that event once it appears', async (t) => {
    const { runDir, client, events } = slurmRun(t);
    client.world.state = { state: 'RUNNING', nodes: 'node1' };
    const run = await submitSlurmJob(runDir, { ...timing, slurmSettleGraceMs: 60_000, client, kind: 'train', resuming: false });
    follow(t, run);
    events.write('run', { config: {}, run_dir: runDir });
    events.write('phase', { phase: 'training' });
    events.write('step', { step: 1, loss: 2 });
    await waitFor(() => (run.snapshot.step === 1 ? true : undefined), 'step 1');
    client.world.state = { state: 'COMPLETED', exitCode: 0 };
    await waitFor(() => (readRunRecord(runDir)?.slurm?.last?.state === 'COMPLETED' ? true : undefined), 'Slurm to say the job ended');
    // Only now does the trainer's last event become visible on this node.
    events.write('phase', { phase: 'done', step: 1, train_loss: 2 });
    const final = await run.finished;
    assert.equal(final.status, 'done');
    assert.equal(final.error, undefined);
  });

  it('without a terminal event within the settle grace, the Slurm state decides', async (t) => {
    const { runDir, client, events } = slurmRun(t);
    client.world.state = { state: 'RUNNING', nodes: 'node1' };
    const run = await submitSlurmJob(runDir, { ...timing, client, kind: 'train', resuming: false });
    follow(t, run);
    events.write('run', { config: {}, run_dir: runDir });
    events.write('phase', { phase: 'training' });
    await waitFor(() => (run.snapshot.phase === 'training' ? true : undefined), 'the training phase');
    client.world.state = { state: 'OUT_OF_MEMORY', exitCode: 0 };
    const final = await run.finished;
    assert.equal(final.status, 'failed');
    assert.equal(final.error?.code, 'SLURM_OUT_OF_MEMORY');
  });

  it('takes a job that no command knows for lost only when that is said twice in a row', async (t) => {
    const { runDir, client } = slurmRun(t);
    client.world.state = { state: 'UNKNOWN' };
    const run = await submitSlurmJob(runDir, { ...timing, client, kind: 'train', resuming: false });
    follow(t, run);
    const final = await run.finished;
    assert.equal(final.error?.code, 'SLURM_JOB_LOST');
    assert.ok(client.world.calls.filter((call) => call.startsWith('squeue')).length >= 2);
  });

  it('stop-and-save writes RUN/stop-now (no signal to the job’s steps), then plain scancel after the stop timeout; the run is stopped', async (t) => {
    const { runDir, client } = slurmRun(t);
    client.world.state = { state: 'RUNNING', nodes: 'node1' };
    let askedBeforeScancel = false;
    client.world.onCancel = (signal) => {
      askedBeforeScancel = existsSync(join(runDir, 'stop-now'));
      if (signal === undefined) client.world.state = { state: 'CANCELLED' };
    };
    const run = await submitSlurmJob(runDir, { ...timing, client, kind: 'train', resuming: false });
    follow(t, run);
    await waitFor(() => (run.snapshot.scheduler?.state === 'RUNNING' ? true : undefined), 'the running state');
    await run.stopAndSave();
    assert.deepEqual(scancels(client), ['scancel 101']);
    assert.equal(askedBeforeScancel, true, 'RUN/stop-now was written before the scancel');
    const final = await run.finished;
    assert.equal(final.status, 'stopped');
    assert.ok(final.warnings.some((warning) => warning.code === 'STOPPED_WITHOUT_SAVING'));
    assert.ok(readRunRecord(runDir)?.stopRequestedAt);
  });

  it('stop-and-save needs no scancel at all when the trainer takes RUN/stop-now, saves and ends in time', async (t) => {
    const { runDir, client, events } = slurmRun(t);
    client.world.state = { state: 'RUNNING', nodes: 'node1' };
    const run = await submitSlurmJob(runDir, { ...timing, stopTimeoutMs: 60_000, client, kind: 'train', resuming: false });
    follow(t, run);
    await waitFor(() => (run.snapshot.scheduler?.state === 'RUNNING' ? true : undefined), 'the running state');
    const stopping = run.stopAndSave();
    // The trainer on the compute node: it reads the file after its step, saves and exits 3.
    await waitFor(() => (existsSync(join(runDir, 'stop-now')) ? true : undefined), 'RUN/stop-now');
    events.write('checkpoint', { step: 2, path: join(runDir, 'checkpoints', 'step-2'), reason: 'stop' });
    events.write('phase', { phase: 'stopped', step: 2 });
    client.world.state = { state: 'COMPLETED', exitCode: 3 };
    await stopping;
    assert.deepEqual(scancels(client), []);
    const final = await run.finished;
    assert.equal(final.status, 'stopped');
    assert.deepEqual(final.warnings, []);
    assert.equal(final.checkpoints.at(-1)?.reason, 'stop');
    assert.ok(readRunRecord(runDir)?.stopRequestedAt);
  });

  it('cancel sends scancel --signal=INT twice, then plain scancel; the run is cancelled', async (t) => {
    const { runDir, client } = slurmRun(t);
    client.world.state = { state: 'RUNNING', nodes: 'node1' };
    client.world.onCancel = (signal) => {
      if (signal === undefined) client.world.state = { state: 'CANCELLED' };
    };
    const run = await submitSlurmJob(runDir, { ...timing, client, kind: 'train', resuming: false });
    follow(t, run);
    await waitFor(() => (run.snapshot.scheduler?.state === 'RUNNING' ? true : undefined), 'the running state');
    await run.cancel();
    assert.deepEqual(scancels(client), ['scancel --signal=INT 101', 'scancel --signal=INT 101', 'scancel 101']);
    assert.equal((await run.finished).status, 'cancelled');
    assert.ok(readRunRecord(runDir)?.cancelledAt);
  });

  it('cancel spaces its two interrupts so a trainer of several processes takes them as two requests, not one relayed twice', async (t) => {
    const { runDir, client } = slurmRun(t);
    client.world.state = { state: 'RUNNING', nodes: 'node1' };
    // The trainer under torch's agent (WORLD_SIZE > 1): a second SIGINT within 2 s of the first is the same request.
    let firstInterruptAt: number | undefined;
    client.world.onCancel = (signal) => {
      if (signal === undefined) client.world.state = { state: 'CANCELLED' };
      else if (firstInterruptAt === undefined) firstInterruptAt = Date.now();
      else if (Date.now() - firstInterruptAt >= 2_000) client.world.state = { state: 'CANCELLED' };
    };
    const run = await submitSlurmJob(runDir, { ...timing, cancelStepMs: 10_000, client, kind: 'train', resuming: false });
    follow(t, run);
    await waitFor(() => (run.snapshot.scheduler?.state === 'RUNNING' ? true : undefined), 'the running state');
    await run.cancel();
    assert.deepEqual(scancels(client), ['scancel --signal=INT 101', 'scancel --signal=INT 101'], 'the trainer ended on the second interrupt; no plain scancel was needed');
    assert.equal((await run.finished).status, 'cancelled');
  });

  it('a job the scheduler last saw pending but whose trainer already reports is interrupted, not cancelled as if queued', async (t) => {
    const { runDir, client, events } = slurmRun(t);
    client.world.state = { state: 'PENDING', reason: 'Resources' };
    client.world.onCancel = () => (client.world.state = { state: 'CANCELLED' });
    const run = await submitSlurmJob(runDir, { ...timing, client, kind: 'train', resuming: false });
    follow(t, run);
    await waitFor(() => (run.snapshot.scheduler?.reason === 'Resources' ? true : undefined), 'the pending reason');
    // The scheduler's answer lags: the trainer on the node has started and says so in its events.
    events.write('run', { config: {}, run_dir: runDir });
    events.write('phase', { phase: 'training' });
    await waitFor(() => (run.snapshot.phase === 'training' ? true : undefined), 'the training phase');
    assert.equal(run.snapshot.scheduler?.state, 'PENDING');
    await run.cancel();
    assert.equal(scancels(client)[0], 'scancel --signal=INT 101');
    assert.equal((await run.finished).status, 'cancelled');
  });

  it('a job still pending has nothing to signal: stop and cancel end it with a plain scancel', async (t) => {
    const { runDir, client } = slurmRun(t);
    client.world.state = { state: 'PENDING', reason: 'Resources' };
    client.world.onCancel = () => (client.world.state = { state: 'CANCELLED' });
    const run = await submitSlurmJob(runDir, { ...timing, client, kind: 'train', resuming: false });
    follow(t, run);
    await waitFor(() => (run.snapshot.scheduler?.reason === 'Resources' ? true : undefined), 'the pending reason');
    await run.cancel();
    assert.deepEqual(scancels(client), ['scancel 101']);
    assert.equal((await run.finished).status, 'cancelled');
  });

  it('a refused submission fails the run with SLURM_SUBMIT_FAILED and sbatch’s message', async (t) => {
    const { runDir, client } = slurmRun(t);
    client.world.submission = new SlurmCommandError('sbatch exited 1', 'sbatch', 'sbatch: error: invalid partition specified: nope\n');
    await assert.rejects(
      submitSlurmJob(runDir, { ...timing, client, kind: 'train', resuming: false }),
      (error: unknown) => error instanceof JobStartError && /invalid partition specified: nope/.test(error.message),
    );
    const snapshot = snapshotOfRun(runDir);
    assert.equal(snapshot.status, 'failed');
    assert.equal(snapshot.error?.code, 'SLURM_SUBMIT_FAILED');
    assert.match(snapshot.error?.message ?? '', /sbatch: error: invalid partition specified: nope/);
    assert.equal(readRunRecord(runDir)?.slurm, undefined);
  });

  it('is found again from its run folder after a detach, with the events and log from where they are', async (t) => {
    const { runDir, client, events } = slurmRun(t);
    client.world.state = { state: 'RUNNING', nodes: 'node1' };
    const first = await submitSlurmJob(runDir, { ...timing, client, kind: 'train', resuming: false });
    await waitFor(() => (first.snapshot.scheduler?.state === 'RUNNING' ? true : undefined), 'the running state');
    events.write('run', { config: {}, run_dir: runDir });
    events.write('phase', { phase: 'training' });
    events.write('step', { step: 1, loss: 2 });
    await waitFor(() => (first.snapshot.step === 1 ? true : undefined), 'step 1');
    first.detach();
    const fromDisk = snapshotOfRun(runDir);
    assert.equal(fromDisk.status, 'running');
    assert.equal(fromDisk.scheduler?.state, 'RUNNING');
    const again = attachJobOnTarget(runDir, { ...timing, slurm: client });
    assert.ok(again);
    follow(t, again);
    assert.equal(again.attached, true);
    assert.equal(again.snapshot.step, 1);
    assert.equal(again.snapshot.status, 'running');
    events.write('step', { step: 2, loss: 1 });
    events.write('phase', { phase: 'done', step: 2 });
    client.world.state = { state: 'COMPLETED', exitCode: 0 };
    const final = await again.finished;
    assert.equal(final.status, 'done');
    assert.equal(final.step, 2);
    assert.equal(attachSlurmJob(runDir, { ...timing, client }), undefined, 'an ended job is not followed again');
    assert.equal(snapshotOfRun(runDir).status, 'done');
  });
});

describe('startJobOnTarget and resumeJobOnTarget on Slurm', () => {
  /** A run folder whose launch was prepared (as prepareLaunch leaves it): a script and the plan in run.json. */
  function prepared(t: TestContext): { runDir: string; client: FakeSlurmClient; events: EventWriter } {
    const made = slurmRun(t);
    writeFileSync(join(made.runDir, 'job.sbatch'), '#!/bin/bash\n#SBATCH --partition=debug\nsrun python3 trainer.py\n');
    const batch = { worldSize: 1, perDeviceBatch: 1, gradientAccumulation: 1, effectiveBatch: 1, requestedEffectiveBatch: 1, changed: false };
    updateRunRecord(made.runDir, (record) => ({
      ...record,
      target: { type: 'slurm', nodes: 1, processesPerNode: 1, strategy: 'ddp', batch, description: '1 training process on the CPU on 1 Slurm node.' },
    }));
    return made;
  }

  it('submits the script as shown, in the trainer’s environment over the client’s, and shows the plan before the trainer reports', async (t) => {
    const { runDir, client } = prepared(t);
    const script = readFileSync(join(runDir, 'job.sbatch'), 'utf8');
    const run = await startJobOnTarget({ runDir, trainer: standinLaunch({ STANDIN_STEPS: '3' }), ...timing, slurm: client });
    follow(t, run);
    assert.equal(readFileSync(join(runDir, 'job.sbatch'), 'utf8'), script, 'the script shown is the one submitted');
    const env = client.world.submitEnvironments[0]!;
    assert.equal(env.STANDIN_STEPS, '3');
    assert.equal(env.SLURM_CONF, '/fake/slurm.conf');
    assert.equal(env.PYTHONUNBUFFERED, '1');
    assert.equal(run.snapshot.distributed?.target, 'slurm');
    assert.equal(run.snapshot.distributed?.worldSize, 1);
  });

  it('resume writes RUN/job.sbatch again with the current trainer launch, keeping the previous script as job.sbatch.1', async (t) => {
    const { runDir, client } = prepared(t);
    // The script of the first submission names the python/ folder of the extension version that wrote it.
    const old = '#!/bin/bash\n#SBATCH --partition=debug\nexport PYTHONPATH=/home/ada/.vscode-server/extensions/chatwright-0.1.0/python\nsrun python3 -m chatwright_train train\n';
    writeFileSync(join(runDir, 'job.sbatch'), old);
    updateRunRecord(runDir, (record) => ({
      ...record,
      slurm: { jobId: '100', script: 'job.sbatch', submittedAt: '2026-12-05T08:00:00.000Z', submissions: [{ jobId: '100', submittedAt: '2026-12-05T08:00:00.000Z' }] },
    }));
    client.world.byJob = { '100': { state: 'TIMEOUT' } };
    const trainer = standinLaunch();
    const resumed = await resumeJobOnTarget({ runDir, trainer, ...timing, slurm: client });
    follow(t, resumed);
    const script = readFileSync(join(runDir, 'job.sbatch'), 'utf8');
    assert.ok(script.includes(trainer.pythonPath), 'the new script names the current python/ folder');
    assert.ok(!script.includes('chatwright-0.1.0'));
    assert.equal(readFileSync(join(runDir, 'job.sbatch.1'), 'utf8'), old, 'what ran before stays visible');
    assert.equal(readRunRecord(runDir)?.slurm?.jobId, '101');
  });

  it('asks Slurm before resubmitting even when run.json last saw the job end, and refuses while it is active, naming the job and its state', async (t) => {
    const { runDir, client } = prepared(t);
    // Another window (or the CLI) resubmitted this run as job 107; this folder's record still shows the old job's end.
    updateRunRecord(runDir, (record) => ({
      ...record,
      slurm: {
        jobId: '107',
        script: 'job.sbatch',
        submittedAt: '2026-12-05T08:00:00.000Z',
        submissions: [{ jobId: '107', submittedAt: '2026-12-05T08:00:00.000Z' }],
        last: { kind: 'slurm', jobId: '107', state: 'COMPLETED', checkedAt: 1 },
      },
    }));
    client.world.byJob = { '107': { state: 'PENDING', reason: 'Priority' } };
    await assert.rejects(
      resumeJobOnTarget({ runDir, trainer: standinLaunch(), ...timing, slurm: client }),
      (error: unknown) => error instanceof JobStartError && /Slurm job 107 .* is still PENDING \(Priority\)/.test(error.message),
    );
    assert.ok(client.world.calls.includes('squeue 107'));
    assert.equal(client.world.calls.filter((call) => call.startsWith('sbatch')).length, 0, 'nothing was submitted');
    assert.equal(readRunRecord(runDir)?.slurm?.last?.state, 'PENDING', 'the answer is recorded');
  });

  it('refuses to resume while the previous job is still active, and resubmits once it has ended, continuing the series', async (t) => {
    const { runDir, client, events } = prepared(t);
    client.world.state = { state: 'RUNNING', nodes: 'node1' };
    const run = await startJobOnTarget({ runDir, trainer: standinLaunch(), ...timing, slurm: client });
    await waitFor(() => (run.snapshot.scheduler?.state === 'RUNNING' ? true : undefined), 'the running state');
    events.write('run', { config: {}, run_dir: runDir });
    events.write('phase', { phase: 'training' });
    events.write('step', { step: 1, loss: 2 });
    run.detach();
    await assert.rejects(
      resumeJobOnTarget({ runDir, trainer: standinLaunch(), ...timing, slurm: client }),
      (error: unknown) => error instanceof JobStartError && /Slurm job 101 .* is still RUNNING/.test(error.message),
    );
    client.world.byJob = { '101': { state: 'TIMEOUT' } };
    assert.equal(snapshotOfRun(runDir).status, 'running', 'not looked at since: still running as far as the folder knows');
    client.world.submission = { jobId: '102' };
    client.world.state = { state: 'PENDING', reason: 'Priority' };
    const resumed = await resumeJobOnTarget({ runDir, trainer: standinLaunch(), ...timing, slurm: client });
    follow(t, resumed);
    assert.equal(resumed.snapshot.status, 'queued');
    assert.equal(resumed.snapshot.step, 1);
    const record = readRunRecord(runDir)!;
    assert.equal(record.slurm?.jobId, '102');
    assert.deepEqual(
      record.slurm?.submissions.map((submission) => submission.jobId),
      ['101', '102'],
    );
  });
});
