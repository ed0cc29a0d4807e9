import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { SlurmClient, SlurmCommandError } from '../../../../src/core/jobs/slurm/slurmClient';
import { scratchDir } from '../../../support/scratchDir';

const fixtures = join(__dirname, '../../../fixtures/slurm/22.05');

interface FakeCommand {
  stdout?: string;
  stderr?: string;
  code?: number;
  /** Seconds to wait before answering. */
  sleep?: number;
}

/**
 * Stand-ins for Slurm's commands on a PATH of their own: each prints what the test says and logs its arguments, so
 * the client's choices (which command after which failure) are tested without a cluster. The real cluster tests are
 * in test/slurm/.
 */
function fakeSlurm(t: TestContext, commands: Record<string, FakeCommand>): { client: SlurmClient; calls: () => string[] } {
  const dir = scratchDir('fake-slurm', t);
  const log = join(dir, 'calls.log');
  for (const [name, behaviour] of Object.entries(commands)) {
    writeFileSync(join(dir, `${name}.out`), behaviour.stdout ?? '');
    writeFileSync(join(dir, `${name}.err`), behaviour.stderr ?? '');
    const script = [
      '#!/bin/sh',
      `echo "${name} $*" >> '${log}'`,
      // exec: the time limit's SIGTERM then ends the sleep itself, not only the shell around it.
      behaviour.sleep !== undefined ? `exec /bin/sleep ${behaviour.sleep}` : '',
      `/bin/cat '${join(dir, `${name}.out`)}'`,
      `/bin/cat '${join(dir, `${name}.err`)}' >&2`,
      `exit ${behaviour.code ?? 0}`,
    ].join('\n');
    writeFileSync(join(dir, name), script + '\n', { mode: 0o755 });
  }
  // Only the stand-ins on PATH: the machine's own Slurm commands must not answer instead.
  const client = new SlurmClient({ env: { PATH: dir }, timeoutMs: 3_000 });
  return { client, calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []) };
}

const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
const invalidJob = { stderr: fixture('recorded-squeue-invalid-job.stderr.txt'), code: 1 };

describe('SlurmClient (stand-in commands)', () => {
  it('takes a queued job from squeue and an ended one from sacct, with its exit code', async (t) => {
    const { client, calls } = fakeSlurm(t, {
      squeue: { stdout: '2|PENDING|JobHeldUser|0:00|5:00|1|(JobHeldUser)\n6|COMPLETED|None|0:01|5:00|1|vm\n' },
      sacct: { stdout: fixture('recorded-sacct.txt') },
    });
    const states = await client.jobStates(['2', '6']);
    assert.deepEqual(
      [...states.values()].map((state) => [state.jobId, state.state, state.source, state.exitCode]),
      [
        ['2', 'PENDING', 'squeue', undefined],
        ['6', 'FAILED', 'sacct', 3],
      ],
    );
    assert.deepEqual(calls(), ['squeue -h -j 2,6 -o %i|%T|%r|%M|%l|%D|%R', 'sacct -n -P -X -j 6 --format=JobID,State,ExitCode,Reason,Elapsed,Timelimit,NodeList']);
  });

  it('asks once for the jobs of callers that ask at the same time, and gives each caller only its own jobs', async (t) => {
    const { client, calls } = fakeSlurm(t, { squeue: { stdout: '2|PENDING|Priority|0:00|5:00|1|(Priority)\n3|RUNNING|None|0:04|5:00|1|vm\n' } });
    const [first, second, both] = await Promise.all([client.jobStates(['2']), client.jobStates(['3']), client.jobStates(['3', '2'])]);
    assert.deepEqual([...first.keys()], ['2']);
    assert.equal(first.get('2')?.reason, 'Priority');
    assert.deepEqual([...second.keys()], ['3']);
    assert.equal(second.get('3')?.state, 'RUNNING');
    assert.deepEqual([...both.keys()], ['3', '2']);
    assert.deepEqual(calls(), ['squeue -h -j 2,3 -o %i|%T|%r|%M|%l|%D|%R']);
    // Without the wait each caller asks on its own.
    const single = new SlurmClient({ ...client.options, coalesceMs: 0 });
    await Promise.all([single.jobStates(['2']), single.jobStates(['3'])]);
    assert.equal(calls().length, 3);
  });

  it('gives every caller of a batch the error when the batch cannot be answered', async (t) => {
    const { client } = fakeSlurm(t, { squeue: { stderr: 'squeue: error: slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n', code: 1 } });
    const results = await Promise.allSettled([client.jobStates(['2']), client.jobStates(['3'])]);
    assert.deepEqual(
      results.map((result) => result.status),
      ['rejected', 'rejected'],
    );
    for (const result of results) if (result.status === 'rejected') assert.ok(result.reason instanceof SlurmCommandError);
  });

  it('falls back to scontrol without accounting, and calls a job nobody knows UNKNOWN', async (t) => {
    const { client, calls } = fakeSlurm(t, {
      squeue: invalidJob,
      sacct: { stderr: fixture('recorded-sacct-accounting-disabled.stderr.txt'), code: 1 },
      scontrol: { stdout: fixture('recorded-scontrol-job-failed.txt') },
    });
    const states = await client.jobStates(['6']);
    assert.deepEqual(states.get('6'), {
      jobId: '6',
      state: 'FAILED',
      reason: 'NonZeroExitCode',
      exitCode: 3,
      exitSignal: 0,
      elapsed: '00:00:01',
      timeLimit: '00:05:00',
      nodes: 'vm',
      source: 'scontrol',
    });
    assert.equal(calls().at(-1), 'scontrol show job -o 6');

    const lost = fakeSlurm(t, { squeue: invalidJob, sacct: { stdout: '' }, scontrol: { stderr: fixture('recorded-scontrol-job-invalid.stderr.txt'), code: 1 } });
    assert.deepEqual((await lost.client.jobStates(['41'])).get('41'), { jobId: '41', state: 'UNKNOWN', source: 'none' });
  });

  it('never calls a job lost when the controller cannot be reached or accounting fails', async (t) => {
    const down = fakeSlurm(t, { squeue: { stderr: 'slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n', code: 1 } });
    await assert.rejects(
      down.client.jobStates(['5']),
      (error: unknown) => error instanceof SlurmCommandError && error.command === 'squeue' && /Unable to contact slurm controller/.test(error.message),
    );

    const dbdDown = fakeSlurm(t, {
      squeue: invalidJob,
      sacct: { stderr: 'sacct: error: slurm_persist_conn_open_without_init: failed to open persistent connection\n', code: 1 },
      scontrol: { stderr: fixture('recorded-scontrol-job-invalid.stderr.txt'), code: 1 },
    });
    await assert.rejects(dbdDown.client.jobStates(['5']), (error: unknown) => error instanceof SlurmCommandError && error.command === 'sacct');
  });

  it('refuses a job id that is not one, before running anything', async (t) => {
    const { client, calls } = fakeSlurm(t, { squeue: {}, scancel: {} });
    await assert.rejects(client.jobStates(['12; rm -rf ~']), SlurmCommandError);
    await assert.rejects(client.cancel('-u root'), SlurmCommandError);
    assert.deepEqual(calls(), []);
  });

  it("reports sbatch's refusal with its reason, and a job id it cannot read", async (t) => {
    const refused = fakeSlurm(t, { sbatch: { stderr: fixture('recorded-sbatch-invalid-partition.stderr.txt'), code: 1 } });
    await assert.rejects(refused.client.submit('/run/job.sbatch', '/'), /sbatch refused the job: .*Invalid partition name specified/);
    const odd = fakeSlurm(t, { sbatch: { stdout: 'Submitted batch job 12\n' } });
    await assert.rejects(odd.client.submit('/run/job.sbatch', '/'), /printed no job id/);
  });

  it('passes the signal to scancel and reports its refusal', async (t) => {
    const { client, calls } = fakeSlurm(t, { scancel: { stderr: fixture('recorded-scancel-signal-pending.stderr.txt'), code: 228 } });
    await assert.rejects(client.cancel('2', 'INT'), /scancel failed: Kill job error on job id 2: Job can not be altered now/);
    assert.deepEqual(calls(), ['scancel --signal=INT 2']);
  });

  it('says why Slurm is not available, and kills a command that does not answer', async (t) => {
    const none = fakeSlurm(t, {});
    const unavailable = await none.client.available();
    assert.equal(unavailable.ok, false);
    assert.match(unavailable.ok ? '' : unavailable.reason, /sbatch not found/);
    const slow = fakeSlurm(t, { sinfo: { sleep: 20 }, scontrol: {} });
    await assert.rejects(slow.client.partitions(), /sinfo did not answer within 3 s/);
  });

  it('reads the version when sbatch and squeue run', async (t) => {
    const { client } = fakeSlurm(t, { sbatch: { stdout: fixture('recorded-sbatch-version.txt') }, squeue: { stdout: 'slurm-wlm 22.05.8\n' } });
    assert.deepEqual(await client.available(), { ok: true, version: 'slurm-wlm 22.05.8' });
  });
});
