import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SlurmClient, SlurmCommandError } from '../../src/core/jobs/slurm/slurmClient';
import { type SlurmJobState } from '../../src/core/jobs/slurm/slurmTypes';
import { scratchDir } from '../support/scratchDir';
import { slurmClusterUnavailable, startSlurmCluster, type SlurmCluster } from '../support/slurmCluster';

const skip = slurmClusterUnavailable();

/** A batch script file in `dir` (never --wrap: Chatwright submits script files). */
function batchScript(dir: string, name: string, body: string[], options: string[] = []): string {
  const path = join(dir, `${name}.sbatch`);
  const lines = [
    '#!/bin/bash',
    `#SBATCH --job-name=${name}`,
    `#SBATCH --output=${join(dir, `${name}.log`)}`,
    '#SBATCH --mem=50M',
    '#SBATCH --time=2',
    ...options.map((option) => `#SBATCH ${option}`),
    ...body,
  ];
  writeFileSync(path, lines.join('\n') + '\n', { mode: 0o755 });
  return path;
}

async function waitForState(client: SlurmClient, jobId: string, wanted: (state: SlurmJobState) => boolean, what: string, timeoutMs = 60_000): Promise<SlurmJobState> {
  const deadline = Date.now() + timeoutMs;
  let last: SlurmJobState | undefined;
  for (;;) {
    last = (await client.jobStates([jobId])).get(jobId);
    if (last && wanted(last)) return last;
    if (Date.now() > deadline) throw new Error(`job ${jobId}: timed out waiting for ${what}; last state ${JSON.stringify(last)}`);
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

async function waitForFile(path: string, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(existsSync(path) && readFileSync(path, 'utf8').includes(text))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for "${text}" in ${path}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const ended = (state: SlurmJobState): boolean => ['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT'].includes(state.state) && state.source !== 'squeue';

describe('SlurmClient against a real cluster with accounting', { skip }, () => {
  let cluster: SlurmCluster;
  let client: SlurmClient;
  let dir: string;
  before(async () => {
    cluster = await startSlurmCluster();
    client = new SlurmClient({ env: cluster.env, onParseProblem: (command, problem) => assert.fail(`${command} line ${problem.line} not understood: ${problem.reason}: ${problem.text}`) });
    dir = scratchDir('slurm-client-runs');
  });
  after(async () => {
    await cluster?.stop();
  });

  it('says Slurm is available and which version', async () => {
    const available = await client.available();
    assert.equal(available.ok, true, JSON.stringify(available));
    assert.match(available.ok ? available.version : '', /^slurm(-wlm)? \d+\.\d+/);
  });

  it('reads the partitions and their limits', async () => {
    const partitions = await client.partitions();
    assert.deepEqual(
      partitions.map((partition) => [partition.name, partition.isDefault, partition.up, partition.maxTimeMinutes, partition.maxNodes, partition.nodes, partition.gpusPerNode, partition.cpusPerNode]),
      [
        ['debug', true, true, 5, null, 1, 0, cluster.cpus],
        ['short', false, true, 1, 1, 1, 0, cluster.cpus],
      ],
    );
  });

  it('follows a job from pending (held) through running to completed, with its exit code', async () => {
    const script = batchScript(dir, 'held', ['echo started', 'sleep 2', 'echo finished'], ['--hold']);
    const submission = await client.submit(script, dir);
    assert.match(submission.jobId, /^\d+$/);
    const pending = (await client.jobStates([submission.jobId])).get(submission.jobId);
    assert.equal(pending?.state, 'PENDING');
    assert.equal(pending?.reason, 'JobHeldUser');
    assert.equal(pending?.source, 'squeue');

    await releaseHold(cluster, submission.jobId);
    const running = await waitForState(client, submission.jobId, (state) => state.state === 'RUNNING', 'RUNNING');
    assert.equal(running.nodes, cluster.nodeName);
    const done = await waitForState(client, submission.jobId, ended, 'the end');
    assert.deepEqual([done.state, done.exitCode, done.source], ['COMPLETED', 0, 'sacct']);
    assert.match(readFileSync(join(dir, 'held.log'), 'utf8'), /started\nfinished/);
  });

  it('reads a pending job waiting for its begin time, and cancels it', async () => {
    const { jobId } = await client.submit(batchScript(dir, 'later', ['true'], ['--begin=now+600']), dir);
    const pending = await waitForState(client, jobId, (state) => state.reason === 'BeginTime', 'reason BeginTime');
    assert.equal(pending.state, 'PENDING');
    await client.cancel(jobId);
    const cancelled = await waitForState(client, jobId, ended, 'the end');
    assert.equal(cancelled.state, 'CANCELLED');
  });

  it('reports a failed job with the exit code of its script', async () => {
    const { jobId } = await client.submit(batchScript(dir, 'fails', ['echo about to fail', 'exit 3']), dir);
    const failed = await waitForState(client, jobId, ended, 'the end');
    assert.deepEqual([failed.state, failed.exitCode, failed.exitSignal, failed.source], ['FAILED', 3, 0, 'sacct']);
  });

  it('cancels a running job', async () => {
    const { jobId } = await client.submit(batchScript(dir, 'cancel-me', ['echo running', 'sleep 100']), dir);
    await waitForFile(join(dir, 'cancel-me.log'), 'running');
    await client.cancel(jobId);
    const cancelled = await waitForState(client, jobId, ended, 'the end');
    assert.equal(cancelled.state, 'CANCELLED');
  });

  it('delivers scancel --signal=INT to a Python process under srun, which saves and exits 3', async () => {
    const program = join(dir, 'trainer.py');
    writeFileSync(
      program,
      [
        'import signal, sys, time',
        'def stop(signum, frame):',
        '    print("SIGINT received: saving", flush=True)',
        '    sys.exit(3)',
        'signal.signal(signal.SIGINT, stop)',
        'print("trainer ready", flush=True)',
        'while True:',
        '    time.sleep(0.2)',
      ].join('\n') + '\n',
    );
    const { jobId } = await client.submit(batchScript(dir, 'trainer', [`srun python3 -u ${program}`]), dir);
    await waitForFile(join(dir, 'trainer.log'), 'trainer ready');
    await client.cancel(jobId, 'INT');
    const stopped = await waitForState(client, jobId, ended, 'the end');
    assert.deepEqual([stopped.state, stopped.exitCode], ['FAILED', 3]);
    assert.match(readFileSync(join(dir, 'trainer.log'), 'utf8'), /SIGINT received: saving/);
  });

  it("reports sbatch's refusal with its message", async () => {
    await assert.rejects(client.submit(batchScript(dir, 'nowhere', ['true'], ['--partition=nosuch']), dir), (error: unknown) => {
      assert.ok(error instanceof SlurmCommandError);
      assert.match(error.message, /Invalid partition name specified/);
      return true;
    });
  });

  it('calls a job id no command knows UNKNOWN', async () => {
    assert.deepEqual((await client.jobStates(['987654'])).get('987654'), { jobId: '987654', state: 'UNKNOWN', source: 'none' });
  });
});

describe('SlurmClient against a real cluster without accounting', { skip }, () => {
  let cluster: SlurmCluster;
  let client: SlurmClient;
  let dir: string;
  before(async () => {
    cluster = await startSlurmCluster({ accounting: false });
    client = new SlurmClient({ env: cluster.env });
    dir = scratchDir('slurm-client-runs');
  });
  after(async () => {
    await cluster?.stop();
  });

  it('reads an ended job from scontrol when sacct has no accounting', async () => {
    const { jobId } = await client.submit(batchScript(dir, 'fails', ['exit 3']), dir);
    const failed = await waitForState(client, jobId, ended, 'the end');
    assert.deepEqual([failed.state, failed.exitCode, failed.source], ['FAILED', 3, 'scontrol']);
  });
});

/** `scontrol release`: the client has no command for it (Chatwright never holds jobs); the test needs one. */
async function releaseHold(cluster: SlurmCluster, jobId: string): Promise<void> {
  await new Promise<void>((resolve, reject) =>
    execFile('scontrol', ['release', jobId], { env: cluster.env, timeout: 30_000 }, (error, _stdout, stderr) =>
      error ? reject(new Error(`scontrol release ${jobId}: ${stderr || error.message}`)) : resolve(),
    ),
  );
}
