/**
 * Fine-tuning jobs on a real one-node Slurm cluster (`startSlurmCluster`: slurmctld, slurmd, munged, slurmdbd on
 * localhost), submitted through the real `sbatch` with the stand-in trainer and followed through every state: pending
 * with its reason, running, done, failed, a trainer that crashed, cancelled, stopped with a checkpoint and resumed,
 * timed out (saving first, or not), re-attached from the run folder, refused by sbatch. One cluster for the file.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { readEvents } from '../../src/core/jobs/jobEventReader';
import { JobStartError, type JobRun } from '../../src/core/jobs/jobRunner';
import { snapshotOfRun, type JobSnapshot } from '../../src/core/jobs/jobSnapshot';
import { type ResolvedSlurmTarget } from '../../src/core/jobs/jobTarget';
import { prepareServeRun, readRunRecord } from '../../src/core/jobs/runFolder';
import { SlurmClient } from '../../src/core/jobs/slurm/slurmClient';
import { attachJobOnTarget, resumeJobOnTarget, startJobOnTarget, startServerOnTarget, type TargetRunOptions } from '../../src/core/jobs/targetRunner';
import { defaultTarget } from '../../src/core/jobs/jobTarget';
import { setRunTarget } from '../support/runTarget';
import { scratchDir } from '../support/scratchDir';
import { slurmClusterUnavailable, startSlurmCluster, type SlurmCluster } from '../support/slurmCluster';
import { prepareStandinRun, standinLaunch } from '../support/standinJobs';
import { standinServerLaunch } from '../support/standinServer';
import { waitFor } from '../support/waitFor';

let cluster: SlurmCluster;
let client: SlurmClient;

/** A run folder of the stand-in job targeting the cluster (CPU only), with these `target.slurm` fields. */
function clusterRun(t: TestContext, name: string, slurm: Partial<ResolvedSlurmTarget> = {}, training = 'save_steps: 3'): string {
  const runDir = prepareStandinRun(scratchDir(`slurm-${name}`, t), name, training);
  // The save signal comes 10 s before the limit, not the default 300 s: that is the whole 5 minutes the partition allows.
  setRunTarget(runDir, { slurm: { partition: cluster.partition, time: '5', save_before_limit_seconds: 10, ...slurm } });
  return runDir;
}

function options(runDir: string, env: Record<string, string>): TargetRunOptions {
  return { runDir, trainer: standinLaunch(env), slurm: client, slurmPollMs: 300, slurmSettleGraceMs: 2_000, pollMs: 100, stopTimeoutMs: 60_000, killTimeoutMs: 10_000, cancelStepMs: 3_000 };
}

/** Every snapshot the run publishes; the run is cancelled if it is still going when the test ends. */
function watch(t: TestContext, run: JobRun): JobSnapshot[] {
  const seen: JobSnapshot[] = [run.snapshot];
  const subscription = run.onDidChange((snapshot) => seen.push(snapshot));
  t.after(async () => {
    subscription.dispose();
    const jobId = run.snapshot.scheduler?.jobId;
    if (jobId !== undefined && !['done', 'failed', 'stopped', 'cancelled'].includes(run.snapshot.status)) await client.cancel(jobId).catch(() => undefined);
    run.detach();
  });
  return seen;
}

const untilStep = (run: JobRun, step: number): Promise<true> => waitFor(() => (run.snapshot.step >= step ? true : undefined), `step ${step}`, 90_000);

function trainLog(runDir: string): string {
  return readFileSync(join(runDir, 'train.log'), 'utf8');
}

describe('fine-tuning jobs on a real Slurm cluster', { skip: slurmClusterUnavailable(), timeout: 420_000 }, () => {
  before(async () => {
    cluster = await startSlurmCluster();
    client = new SlurmClient({ env: cluster.env });
  });
  after(async () => {
    await cluster?.stop();
  });

  it('follows a job through pending (its reason shown), running and done, recording the states in run.json', async (t) => {
    const runDir = clusterRun(t, 'pending', { sbatch: ['--begin=now+5'] });
    const run = await startJobOnTarget(options(runDir, { STANDIN_STEPS: '4' }));
    const seen = watch(t, run);
    const final = await run.finished;
    assert.equal(final.status, 'done', trainLog(runDir));
    assert.ok(
      seen.some((snapshot) => snapshot.status === 'queued' && snapshot.scheduler?.state === 'PENDING' && snapshot.scheduler.reason === 'BeginTime'),
      'pending with its reason',
    );
    assert.ok(seen.some((snapshot) => snapshot.scheduler?.state === 'RUNNING'));
    assert.equal(final.step, 4);
    assert.equal(final.scheduler?.state, 'COMPLETED');
    const record = readRunRecord(runDir)!;
    assert.equal(record.slurm?.last?.state, 'COMPLETED');
    assert.equal(record.slurm?.submissions.length, 1);
    assert.equal(record.target?.type, 'slurm');
    assert.match(readFileSync(join(runDir, 'job.sbatch'), 'utf8'), /#SBATCH --begin=now\+5/);
    assert.match(trainLog(runDir), new RegExp(`Slurm job ${record.slurm?.jobId}`));
    assert.equal(snapshotOfRun(runDir).status, 'done');
  });

  it('ends failed with the trainer’s error when it fails, and TRAINER_ENDED with the exit code when it crashes without a final event', async (t) => {
    const failing = await startJobOnTarget(options(clusterRun(t, 'fail'), { STANDIN_FAIL_AT: '2' }));
    const crashing = await startJobOnTarget(options(clusterRun(t, 'crash'), { STANDIN_CRASH_AT: '2' }));
    watch(t, failing);
    watch(t, crashing);
    const [failed, crashed] = await Promise.all([failing.finished, crashing.finished]);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error?.code, 'TRAINING_FAILED');
    assert.equal(failed.scheduler?.state, 'FAILED');
    assert.equal(crashed.status, 'failed');
    assert.equal(crashed.error?.code, 'TRAINER_ENDED');
    assert.match(crashed.error?.message ?? '', /FAILED, exit code 1/);
    assert.match(crashed.error?.message ?? '', /stand-in crashed/);
  });

  it('cancels a running job: the run is cancelled and so is the Slurm job', async (t) => {
    const runDir = clusterRun(t, 'cancel');
    const run = await startJobOnTarget(options(runDir, { STANDIN_STEPS: '400', STANDIN_STEP_SECONDS: '0.2' }));
    watch(t, run);
    await untilStep(run, 1);
    await run.cancel();
    const final = await run.finished;
    assert.equal(final.status, 'cancelled');
    assert.ok(readRunRecord(runDir)?.cancelledAt);
    assert.ok(final.scheduler !== undefined && ['CANCELLED', 'FAILED', 'COMPLETED'].includes(final.scheduler.state), final.scheduler?.state);
  });

  it('stops with a checkpoint, then resumes as a second submission that continues seq and step to done', async (t) => {
    const runDir = clusterRun(t, 'resume', {}, 'save_steps: 100');
    const env = { STANDIN_STEPS: '12', STANDIN_STEP_SECONDS: '0.3' };
    const run = await startJobOnTarget(options(runDir, env));
    watch(t, run);
    await untilStep(run, 2);
    await run.stopAndSave();
    const stopped = await run.finished;
    assert.equal(stopped.status, 'stopped', trainLog(runDir));
    const checkpoint = stopped.checkpoints.at(-1);
    assert.equal(checkpoint?.reason, 'stop');
    const firstJob = readRunRecord(runDir)!.slurm!.jobId;
    const seqBefore = stopped.lastSeq;

    const resumed = await resumeJobOnTarget(options(runDir, env));
    watch(t, resumed);
    const done = await resumed.finished;
    assert.equal(done.status, 'done', trainLog(runDir));
    assert.equal(done.step, 12);
    assert.equal(done.resumedFrom, checkpoint?.path);
    const record = readRunRecord(runDir)!;
    assert.equal(record.slurm?.submissions.length, 2);
    assert.notEqual(record.slurm?.jobId, firstJob);
    const seqs = readEvents(join(runDir, 'events.jsonl')).map((event) => event.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_seq, index) => index + 1),
      'seq continues across the submissions',
    );
    assert.ok(done.lastSeq > seqBefore);
  });

  it('at the time limit: the batch shell’s trap asks through RUN/stop-now and the trainer ends stopped with a checkpoint; one that ignores the file and the signals ends SLURM_TIMEOUT', async (t) => {
    const limit = { time: '1', save_before_limit_seconds: 50 };
    const slow = { STANDIN_STEPS: '1000', STANDIN_STEP_SECONDS: '1' };
    const saving = await startJobOnTarget(options(clusterRun(t, 'limit-save', limit, 'save_steps: 1000'), slow));
    const ignoring = await startJobOnTarget(options(clusterRun(t, 'limit-ignore', limit, 'save_steps: 1000'), { ...slow, STANDIN_IGNORE_SIGINT: 'all', STANDIN_IGNORE_STOP_FILE: '1' }));
    watch(t, saving);
    watch(t, ignoring);
    const [saved, timedOut] = await Promise.all([saving.finished, ignoring.finished]);
    assert.equal(saved.status, 'stopped', trainLog(saving.runDir));
    assert.equal(saved.checkpoints.at(-1)?.reason, 'stop');
    assert.match(trainLog(saving.runDir), /chatwright: the time limit is near .*: asking the trainer to save a checkpoint and stop/);
    assert.equal(timedOut.status, 'failed');
    assert.equal(timedOut.error?.code, 'SLURM_TIMEOUT');
    assert.equal(timedOut.scheduler?.state, 'TIMEOUT');
    assert.match(timedOut.error?.action ?? '', /Resume the job/);
  });

  it('is followed again from its run folder after the runner detached, to the end', async (t) => {
    const runDir = clusterRun(t, 'reattach');
    const run = await startJobOnTarget(options(runDir, { STANDIN_STEPS: '15', STANDIN_STEP_SECONDS: '0.2' }));
    await untilStep(run, 2);
    run.detach();
    const again = attachJobOnTarget(runDir, { slurm: client, slurmPollMs: 300, slurmSettleGraceMs: 2_000, pollMs: 100 });
    assert.ok(again, 'a running Slurm job is found again');
    watch(t, again);
    assert.equal(again.attached, true);
    assert.ok(again.snapshot.step >= 2);
    const final = await again.finished;
    assert.equal(final.status, 'done');
    assert.equal(final.step, 15);
    assert.equal(attachJobOnTarget(runDir, { slurm: client }), undefined, 'an ended job is not followed again');
  });

  it('serves as a Slurm job: the URL names the node it runs on, and a stop (RUN/stop-now) ends it', async (t) => {
    const runDir = prepareServeRun({ workspaceRoot: scratchDir('slurm-serve', t), name: 'serve', request: { models: ['standin-model'] } });
    const target = { ...defaultTarget, type: 'slurm' as const, gpus: 0, slurm: { ...defaultTarget.slurm, partition: cluster.partition, time: '5' } };
    const run = await startServerOnTarget({ runDir, server: standinServerLaunch(), target, slurm: client, slurmPollMs: 300, slurmSettleGraceMs: 2_000, pollMs: 100 });
    watch(t, run);
    assert.match(readFileSync(join(runDir, 'job.sbatch'), 'utf8'), /--host 0\.0\.0\.0/);
    // Once the scheduler has said where the job runs (a serving event read before that is corrected on the next look).
    const node = cluster.nodeName.toLowerCase();
    const serving = await waitFor(
      () => (run.snapshot.serving !== undefined && new URL(run.snapshot.serving.url).hostname === node ? run.snapshot.serving : undefined),
      `a serving URL at ${node}`,
      90_000,
    );
    assert.equal(serving.host, '0.0.0.0');
    assert.equal(run.snapshot.kind, 'serve');
    await run.stopAndSave();
    const final = await run.finished;
    assert.equal(final.status, 'stopped', trainLog(runDir));
    assert.equal(final.scheduler?.jobId, readRunRecord(runDir)?.slurm?.jobId);
    // Asked through RUN/stop-now, the server closed and exited 0 before any scancel.
    assert.equal(final.scheduler?.state, 'COMPLETED', trainLog(runDir));
  });

  it('a submission sbatch refuses fails the run with SLURM_SUBMIT_FAILED and sbatch’s message', async (t) => {
    const runDir = clusterRun(t, 'refused', { partition: 'no-such-partition' });
    await assert.rejects(startJobOnTarget(options(runDir, {})), (error: unknown) => error instanceof JobStartError && /invalid partition/i.test(error.message));
    const snapshot = snapshotOfRun(runDir);
    assert.equal(snapshot.status, 'failed');
    assert.equal(snapshot.error?.code, 'SLURM_SUBMIT_FAILED');
    assert.match(snapshot.error?.message ?? '', /invalid partition/i);
  });
});
