/**
 * `chatwright train --target slurm` and `chatwright jobs` against a real one-node Slurm cluster (test/support/slurmCluster.ts)
 * with the stand-in trainer: submitted through the real sbatch, followed with squeue/sacct, stopped with scancel.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readRunRecord } from '../../src/core/jobs/runFolder';
import { runCliCaptured, spawnCli } from '../support/cli';
import { jobWorkspace, standinEnv, type JobWorkspace } from '../support/jobWorkspace';
import { slurmClusterUnavailable, startSlurmCluster, type SlurmCluster } from '../support/slurmCluster';
import { waitFor } from '../support/waitFor';

interface EventLine {
  seq: number;
  event: string;
  step?: number;
  phase?: string;
}

function events(runDir: string): EventLine[] {
  const file = join(runDir, 'events.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as EventLine);
}

function squeueIds(cluster: SlurmCluster): string[] {
  return execFileSync('squeue', ['--noheader', '--format=%i'], { env: cluster.env, encoding: 'utf8', timeout: 30_000 })
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/**
 * A workspace whose job file says `target.type: local` but carries a `target.slurm` section for this cluster: the
 * tests switch it with `--target slurm --gpus 0` (a CPU job), which keeps the section.
 */
function slurmWorkspace(t: Parameters<typeof jobWorkspace>[0], cluster: SlurmCluster): JobWorkspace {
  return jobWorkspace(t, `training:\n  save_steps: 100\ntarget:\n  type: local\n  slurm:\n    partition: ${cluster.partition}\n    time: "00:04:00"\n    save_before_limit_seconds: 30\n`);
}

const slurmTrain = ['train', '--target', 'slurm', '--gpus', '0'];

describe('chatwright train and jobs on a real Slurm cluster', { skip: slurmClusterUnavailable() }, () => {
  let cluster: SlurmCluster;
  before(async () => {
    cluster = await startSlurmCluster();
  });
  after(async () => {
    await cluster?.stop();
  });

  /** The CLI's environment: the cluster's commands and config, and the stand-in trainer (its STANDIN_* reach the job through sbatch). */
  const env = (steps: number, stepSeconds: number): NodeJS.ProcessEnv => standinEnv(steps, stepSeconds, cluster.env);

  /** `train --detach`: the run folder (the last line) once the job is submitted. */
  async function submitDetached(workspace: JobWorkspace, steps: number, stepSeconds: number): Promise<string> {
    const submitted = await runCliCaptured([...slurmTrain, '--yes', '--detach', 'persona.job.yaml'], { cwd: workspace.dir, env: env(steps, stepSeconds) });
    assert.equal(submitted.code, 0, submitted.stdout + submitted.stderr);
    assert.match(submitted.stdout, /^Submitted Slurm job \d+$/m);
    return submitted.stdout.trimEnd().split('\n').at(-1)!;
  }

  it('trains to done with --target slurm --yes, saying where the job runs', { timeout: 120_000 }, async (t) => {
    const workspace = slurmWorkspace(t, cluster);
    // Steps long enough that the runner's look at squeue (every 5 s) sees the job running at least once.
    const result = await runCliCaptured([...slurmTrain, '--yes', 'persona.job.yaml'], { cwd: workspace.dir, env: env(15, 1) });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^Target: slurm \(from --target; the job file says local\)$/m);
    assert.match(result.stdout, /^#SBATCH /m, 'the script is shown before it is submitted');
    const jobId = /^Submitted Slurm job (\d+)$/m.exec(result.stdout)?.[1];
    assert.ok(jobId, result.stdout);
    assert.match(result.stdout, new RegExp(`^running on ${cluster.nodeName}$`, 'm'));
    assert.match(result.stdout, /^Done in .*: 15 step\(s\)/m);
    const runDir = join(workspace.runsDir, readdirSync(workspace.runsDir)[0]!);
    assert.equal(readRunRecord(runDir)?.slurm?.jobId, jobId);
    assert.ok(existsSync(join(runDir, 'job.sbatch')), 'the script is kept in the run folder');
  });

  it('stops and saves on Ctrl-C while following a Slurm job (RUN/stop-now) and exits 3 with a checkpoint', { timeout: 120_000 }, async (t) => {
    const workspace = slurmWorkspace(t, cluster);
    const cli = spawnCli([...slurmTrain, '--yes', 'persona.job.yaml'], { cwd: workspace.dir, env: env(60, 0.5) });
    t.after(() => cli.child.kill('SIGKILL'));
    await cli.waitForOutput(/^step \d+/m, 90_000);
    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 3, cli.stdout() + cli.stderr());
    assert.match(cli.stdout(), /^Stopping \(Slurm job \d+: RUN\/stop-now\): the trainer saves a checkpoint/m);
    assert.match(cli.stdout(), /^Stopped at step \d+ in .*; checkpoint: /m);
    assert.match(cli.stdout(), /^Resume with: chatwright jobs resume /m);
  });

  it('shows the script with --dry-run and submits nothing', { timeout: 120_000 }, async (t) => {
    const workspace = slurmWorkspace(t, cluster);
    const before = squeueIds(cluster);
    const result = await runCliCaptured([...slurmTrain, '--dry-run', 'persona.job.yaml'], { cwd: workspace.dir, env: env(4, 0.05) });
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^--- .*job\.sbatch\n#!/m);
    assert.match(result.stdout, new RegExp(`^#SBATCH .*${cluster.partition}`, 'm'));
    assert.match(result.stdout, /^Dry run: nothing was submitted/m);
    assert.deepEqual(squeueIds(cluster), before, 'squeue shows no new job');
    assert.equal(existsSync(workspace.runsDir) ? readdirSync(workspace.runsDir).length : 0, 0);
  });

  it('submits with --detach, then jobs follow re-attaches and follows to the end', { timeout: 120_000 }, async (t) => {
    const workspace = slurmWorkspace(t, cluster);
    const runDir = await submitDetached(workspace, 12, 0.5);
    const listed = await runCliCaptured(['jobs', 'ls'], { cwd: workspace.dir, env: env(12, 0.5) });
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, new RegExp(`^${basename(runDir)} .* slurm \\d+ (PENDING|RUNNING|CONFIGURING)`, 'm'));
    const followed = await runCliCaptured(['jobs', 'follow', basename(runDir)], { cwd: workspace.dir, env: env(12, 0.5) });
    assert.equal(followed.code, 0, followed.stdout + followed.stderr);
    assert.match(followed.stdout, /^Following .* \(Slurm job \d+\)/m);
    assert.match(followed.stdout, /^Done in .*: 12 step\(s\)/m);
    assert.equal(events(runDir).at(-1)?.phase, 'done');
  });

  it('stops a Slurm job with a save (jobs stop), then jobs resume submits again and trains to done', { timeout: 150_000 }, async (t) => {
    const workspace = slurmWorkspace(t, cluster);
    const runDir = await submitDetached(workspace, 30, 0.4);
    await waitFor(() => events(runDir).find((event) => event.event === 'step' && (event.step ?? 0) >= 2), 'step 2 of the Slurm job', 60_000);

    const stopped = await runCliCaptured(['jobs', 'stop', runDir], { cwd: workspace.dir, env: env(30, 0.4) });
    assert.equal(stopped.code, 0, stopped.stdout + stopped.stderr);
    assert.match(stopped.stderr, /RUN\/stop-now, then scancel after the stop timeout/);
    assert.match(stopped.stdout, /: stopped at step \d+; checkpoint: /);
    const savedStep = events(runDir)
      .filter((event) => event.event === 'checkpoint')
      .at(-1)?.step;
    assert.ok(savedStep !== undefined, 'a checkpoint was saved');

    const resumed = await runCliCaptured(['jobs', 'resume', runDir], { cwd: workspace.dir, env: env(30, 0.05) });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, /^Submitted Slurm job \d+$/m);
    assert.match(resumed.stdout, /^phase training: resumed from /m);
    assert.match(resumed.stdout, /^Done in .*: 30 step\(s\)/m);
    const record = readRunRecord(runDir);
    assert.equal(record?.slurm?.submissions.length, 2, 'two submissions recorded');
    assert.notEqual(record?.slurm?.submissions[0]?.jobId, record?.slurm?.submissions[1]?.jobId);
    const shown = await runCliCaptured(['jobs', 'show', runDir], { cwd: workspace.dir, env: env(30, 0.05) });
    assert.match(shown.stdout, /^Submissions:\n {2}1\. job \d+ .*\n {2}2\. job \d+ .*\(resumed\)$/m);
    assert.match(shown.stdout, /^Script: .*job\.sbatch$/m);
  });

  it('cancels a Slurm job without saving (jobs cancel), and refuses to resume while one is active', { timeout: 120_000 }, async (t) => {
    const workspace = slurmWorkspace(t, cluster);
    // Long steps: both interrupts arrive within one step, so the trainer stops without reaching the save.
    const runDir = await submitDetached(workspace, 200, 5);
    await waitFor(() => events(runDir).find((event) => event.event === 'phase' && event.phase === 'training'), 'the Slurm job training', 60_000);

    const refused = await runCliCaptured(['jobs', 'resume', runDir], { cwd: workspace.dir, env: env(200, 5) });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /is still active in Slurm \(job \d+\)/);

    const cancelled = await runCliCaptured(['jobs', 'cancel', runDir], { cwd: workspace.dir, env: env(200, 5) });
    assert.equal(cancelled.code, 0, cancelled.stdout + cancelled.stderr);
    assert.match(cancelled.stdout, /: cancelled at step \d+\n$/);
    assert.equal(
      events(runDir).some((event) => event.event === 'checkpoint'),
      false,
      'nothing was saved',
    );
    const jobId = readRunRecord(runDir)?.slurm?.jobId;
    assert.ok(jobId !== undefined && !squeueIds(cluster).includes(jobId), 'the job is gone from the queue');
  });
});
