import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { type TrainerEvent } from '../../../src/core/jobs/jobEvents';
import { trainerCommand } from '../../../src/core/jobs/jobRunner';
import { emptySnapshot, foldEvents, snapshotOfRun } from '../../../src/core/jobs/jobSnapshot';
import { defaultTarget } from '../../../src/core/jobs/jobTarget';
import { readRunRecord } from '../../../src/core/jobs/runFolder';
import { attachJobOnTarget, prepareLaunch, serverLaunchOnTarget, startJobOnTarget } from '../../../src/core/jobs/targetRunner';
import { setRunTarget } from '../../support/runTarget';
import { scratchDir } from '../../support/scratchDir';
import { prepareStandinRun, pythonFolder, quickTimeouts, standinLaunch } from '../../support/standinJobs';
import { waitFor } from '../../support/waitFor';

describe('prepareLaunch', () => {
  it('writes a Slurm job’s script into the run folder and records the plan, which the snapshot shows before the trainer reports', (t) => {
    const runDir = prepareStandinRun(scratchDir('prepare-slurm', t), 'persona', 'per_device_batch_size: 2\n  gradient_accumulation_steps: 4');
    setRunTarget(runDir, { slurm: { partition: 'debug', time: '10', sbatch: ['--begin=now+5'] } });
    const prepared = prepareLaunch(runDir, standinLaunch());
    assert.equal(prepared.target.type, 'slurm');
    assert.equal(prepared.sbatch?.path, join(runDir, 'job.sbatch'));
    assert.equal(readFileSync(join(runDir, 'job.sbatch'), 'utf8'), prepared.sbatch?.text);
    assert.match(prepared.sbatch?.text ?? '', /#SBATCH --partition=debug/);
    assert.match(prepared.sbatch?.text ?? '', /#SBATCH --begin=now\+5/);
    const target = readRunRecord(runDir)?.target;
    assert.equal(target?.type, 'slurm');
    assert.equal(target?.nodes, 1);
    assert.equal(target?.processesPerNode, 1);
    assert.equal(target?.batch.effectiveBatch, 8);
    assert.equal(target?.description, prepared.plan.description);
    const snapshot = snapshotOfRun(runDir);
    assert.deepEqual(snapshot.distributed, {
      target: 'slurm',
      worldSize: 1,
      nodes: 1,
      processesPerNode: 1,
      strategy: 'ddp',
      perDeviceBatch: 2,
      gradientAccumulation: 4,
      effectiveBatch: 8,
      requestedEffectiveBatch: 8,
    });
    assert.equal(snapshot.status, 'queued');
  });

  it('writes accelerate.yaml and deepspeed.json for several local GPUs, keeping the effective batch', (t) => {
    const runDir = prepareStandinRun(scratchDir('prepare-local', t), 'persona', 'per_device_batch_size: 4\n  gradient_accumulation_steps: 2');
    setRunTarget(runDir, { type: 'local', gpus: 2, strategy: 'deepspeed_zero2' });
    const prepared = prepareLaunch(runDir, standinLaunch());
    assert.equal(prepared.sbatch, undefined);
    assert.equal(existsSync(join(runDir, 'job.sbatch')), false);
    for (const file of prepared.plan.files) assert.equal(readFileSync(join(runDir, file.name), 'utf8'), file.content);
    assert.deepEqual(prepared.plan.files.map((file) => file.name).sort(), ['accelerate.yaml', 'deepspeed.json']);
    const target = readRunRecord(runDir)?.target;
    assert.ok(target);
    assert.equal(target.processesPerNode, 2);
    assert.equal(target.strategy, 'deepspeed_zero2');
    assert.equal(target.batch.worldSize * target.batch.perDeviceBatch * target.batch.gradientAccumulation, 8);
  });

  it('refuses a config.json whose target is not one, naming the field', (t) => {
    const runDir = prepareStandinRun(scratchDir('prepare-bad', t));
    setRunTarget(runDir, { type: 'kubernetes' as 'local' });
    assert.throws(() => prepareLaunch(runDir, standinLaunch()), /config\.json: target\.type must be one of local, slurm/);
  });

  it('refuses a config.json whose target would put unchecked text into the sbatch script, as the job file would', (t) => {
    const runDir = prepareStandinRun(scratchDir('prepare-tampered', t));
    setRunTarget(runDir, { type: 'slurm', gpus: 0, slurm: { ...defaultTarget.slurm, time: '1:00:00\nrm -rf ~' } });
    assert.throws(() => prepareLaunch(runDir, standinLaunch()), /config\.json: target\.slurm\.time [\s\S]* is not a Slurm time limit/);
    setRunTarget(runDir, { type: 'local', main_port: '29500 ; id' as unknown as number });
    assert.throws(() => prepareLaunch(runDir, standinLaunch()), /config\.json: target\.main_port must be a whole number from 1024 to 65535/);
  });
});

describe('startJobOnTarget on this machine', () => {
  it('one process is today’s command line, with no launch files and no plan recorded', async (t) => {
    const runDir = prepareStandinRun(scratchDir('target-one', t));
    const trainer = standinLaunch({ STANDIN_STEPS: '2' });
    const run = await startJobOnTarget({ runDir, trainer, ...quickTimeouts });
    const final = await run.finished;
    assert.equal(final.status, 'done');
    const record = readRunRecord(runDir)!;
    assert.deepEqual(record.trainer, trainerCommand(trainer, runDir).args);
    assert.equal(record.target, undefined);
    assert.equal(existsSync(join(runDir, 'accelerate.yaml')), false);
  });

  it('several GPUs run through accelerate launch with the same interpreter; stop-and-save asks through RUN/stop-now, never SIGINT, then ends the group', async (t) => {
    const runDir = prepareStandinRun(scratchDir('target-multi', t));
    setRunTarget(runDir, { type: 'local', gpus: 2, strategy: 'ddp', main_port: 29611 });
    const python = recordingLauncher(t);
    const run = await startJobOnTarget({ runDir, trainer: { python, pythonPath: pythonFolder }, ...quickTimeouts, stopTimeoutMs: 300 });
    t.after(() => run.detach());
    const argv = await waitFor(() => (existsSync(join(runDir, 'argv.txt')) ? readFileSync(join(runDir, 'argv.txt'), 'utf8') : undefined), 'the launcher to start');
    assert.deepEqual(argv.trimEnd().split('\n'), [
      '-m',
      'accelerate.commands.launch',
      '--config_file',
      join(runDir, 'accelerate.yaml'),
      '--main_process_port',
      '29611',
      '-m',
      'chatwright_train',
      'train',
      '--config',
      join(runDir, 'config.json'),
      '--run-dir',
      runDir,
      '--quiet',
    ]);
    assert.ok(readFileSync(join(runDir, 'pythonpath.txt'), 'utf8').startsWith(pythonFolder));
    assert.match(readFileSync(join(runDir, 'accelerate.yaml'), 'utf8'), /num_processes: 2/);
    assert.equal(run.snapshot.distributed?.worldSize, 2);
    assert.equal(readRunRecord(runDir)?.python, python);
    await run.stopAndSave();
    const final = await run.finished;
    assert.equal(final.status, 'stopped');
    // The launcher saw the file, got no SIGINT (which would make accelerate end its processes), and SIGTERM only after the stop timeout.
    assert.deepEqual(readFileSync(join(runDir, 'signals.txt'), 'utf8').trimEnd().split('\n'), ['stop-now', 'TERM']);
    assert.ok(readRunRecord(runDir)?.stopRequestedAt);
  });

  it('a re-attached run of several processes is asked through RUN/stop-now too', async (t) => {
    const runDir = prepareStandinRun(scratchDir('target-multi-attach', t));
    setRunTarget(runDir, { type: 'local', gpus: 2, strategy: 'ddp', main_port: 29612 });
    const run = await startJobOnTarget({ runDir, trainer: { python: recordingLauncher(t), pythonPath: pythonFolder }, ...quickTimeouts });
    await waitFor(() => (existsSync(join(runDir, 'argv.txt')) ? true : undefined), 'the launcher to start');
    run.detach();
    const again = attachJobOnTarget(runDir, { ...quickTimeouts, stopTimeoutMs: 300 });
    assert.ok(again, 'the launcher is found again');
    t.after(() => again.detach());
    await again.stopAndSave();
    assert.equal((await again.finished).status, 'stopped');
    assert.deepEqual(readFileSync(join(runDir, 'signals.txt'), 'utf8').trimEnd().split('\n'), ['stop-now', 'TERM']);
  });

  it('cancel of several processes spaces its two SIGINTs so the trainer takes them as two requests, not one relayed twice', async (t) => {
    const runDir = prepareStandinRun(scratchDir('target-multi-cancel', t));
    setRunTarget(runDir, { type: 'local', gpus: 2, strategy: 'ddp', main_port: 29613 });
    const run = await startJobOnTarget({ runDir, trainer: { python: mergingLauncher(t), pythonPath: pythonFolder }, ...quickTimeouts, cancelStepMs: 10_000 });
    t.after(() => run.detach());
    await waitFor(() => (existsSync(join(runDir, 'started')) ? true : undefined), 'the launcher to start');
    await run.cancel();
    assert.equal((await run.finished).status, 'cancelled');
    // INT: the first; DUP: one within 2 s of it, taken for the same; the trainer ends on a second request, before any SIGTERM.
    assert.deepEqual(readFileSync(join(runDir, 'signals.txt'), 'utf8').trimEnd().split('\n'), ['INT', 'INT']);
  });
});

/**
 * A python that acts as the trainer of several processes does with SIGINT: a second one within 2 s of the first is the
 * same request relayed by torch's agent (DUP); a later one ends it at once (exit 130). Each signal goes to RUN/signals.txt.
 */
function mergingLauncher(t: TestContext): string {
  const python = join(scratchDir('fake-python', t), 'python');
  writeFileSync(
    python,
    [
      '#!/bin/sh',
      'first=""',
      'on_int() {',
      '  now=$(date +%s%N)',
      '  if [ -z "$first" ]; then first=$now; echo INT >> "$PWD/signals.txt"; return; fi',
      '  if [ $((now - first)) -lt 2000000000 ]; then echo DUP >> "$PWD/signals.txt"; return; fi',
      '  echo INT >> "$PWD/signals.txt"; exit 130',
      '}',
      'trap on_int INT',
      'trap \'echo TERM >> "$PWD/signals.txt"; exit 143\' TERM',
      ': > "$PWD/started"',
      'while :; do sleep 0.05; done',
      '',
    ].join('\n'),
  );
  chmodSync(python, 0o755);
  return python;
}

/**
 * A python that records its arguments and environment, then runs as a slow launcher would: it writes each signal it
 * gets and the moment it sees RUN/stop-now to RUN/signals.txt, keeps running after the file, and ends on SIGTERM.
 */
function recordingLauncher(t: TestContext): string {
  const python = join(scratchDir('fake-python', t), 'python');
  writeFileSync(
    python,
    [
      '#!/bin/sh',
      'printf "%s\\n" "$@" > "$PWD/argv.txt"',
      'printf "%s" "$PYTHONPATH" > "$PWD/pythonpath.txt"',
      'trap \'echo INT >> "$PWD/signals.txt"\' INT',
      'trap \'echo TERM >> "$PWD/signals.txt"; exit 143\' TERM',
      'while [ ! -e "$PWD/stop-now" ]; do sleep 0.05; done',
      'echo stop-now >> "$PWD/signals.txt"',
      'while :; do sleep 0.05; done',
      '',
    ].join('\n'),
  );
  chmodSync(python, 0o755);
  return python;
}

describe('servers on a target', () => {
  it('tells the server over how many GPUs to split the model, once', () => {
    const server = { command: 'python3', args: ['-m', 'chatwright_serve', '--port', '0'] };
    assert.deepEqual(serverLaunchOnTarget(server, { ...defaultTarget, gpus: 1 }), server);
    const split = serverLaunchOnTarget(server, { ...defaultTarget, gpus: 4 });
    assert.deepEqual(split.args, ['-m', 'chatwright_serve', '--port', '0', '--tensor-parallel-size', '4']);
    assert.deepEqual(serverLaunchOnTarget(split, { ...defaultTarget, gpus: 4 }), split);
  });

  const serving = (url: string, host: string, extra: Record<string, unknown> = {}): TrainerEvent => ({
    v: 1,
    seq: 1,
    time: 1,
    event: 'serving',
    url,
    host,
    port: 8000,
    engine: 'vllm',
    models: [],
    api_key_required: true,
    ...extra,
  });
  const onSlurm = { ...emptySnapshot('/runs/s', 'serve', 'running', 'serve'), scheduler: { kind: 'slurm' as const, jobId: '9', state: 'RUNNING' as const, nodes: 'gpu[03-04]', checkedAt: 1 } };

  it('a server on a Slurm node is called at the node, not at 0.0.0.0 or loopback', () => {
    assert.equal(foldEvents(onSlurm, [serving('http://0.0.0.0:8000/v1', '0.0.0.0')]).serving?.url, 'http://gpu03:8000/v1');
    assert.equal(foldEvents(onSlurm, [serving('http://127.0.0.1:8000/v1', '127.0.0.1')]).serving?.url, 'http://gpu03:8000/v1');
    assert.equal(foldEvents(onSlurm, [serving('http://0.0.0.0:8000/v1', '0.0.0.0', { node: 'gpu07' })]).serving?.url, 'http://gpu07:8000/v1');
    assert.equal(foldEvents(onSlurm, [serving('http://gpu04.cluster:8000/v1', 'gpu04.cluster')]).serving?.url, 'http://gpu04.cluster:8000/v1');
  });

  it('a local server bound to every interface is still called at loopback', () => {
    assert.equal(foldEvents(emptySnapshot('/runs/l', 'serve', 'running', 'serve'), [serving('http://0.0.0.0:8000/v1', '0.0.0.0')]).serving?.url, 'http://127.0.0.1:8000/v1');
  });

  it('the run event’s distributed replaces the plan with what the trainer applied', () => {
    const planned = {
      ...emptySnapshot('/runs/d', 'persona'),
      distributed: {
        target: 'slurm' as const,
        worldSize: 4,
        nodes: 2,
        processesPerNode: 2,
        strategy: 'ddp',
        perDeviceBatch: 4,
        gradientAccumulation: 1,
        effectiveBatch: 16,
        requestedEffectiveBatch: 16,
      },
    };
    const distributed = {
      world_size: 4,
      nodes: 2,
      strategy: 'ddp',
      per_device_batch_size: 2,
      gradient_accumulation_steps: 2,
      effective_batch_size: 16,
      requested_effective_batch_size: 16,
      backend: 'nccl',
    };
    const folded = foldEvents(planned, [{ v: 1, seq: 1, time: 1, event: 'run', config: {}, run_dir: '/runs/d', distributed }]);
    assert.deepEqual(folded.distributed, {
      target: 'slurm',
      worldSize: 4,
      nodes: 2,
      processesPerNode: 2,
      strategy: 'ddp',
      perDeviceBatch: 2,
      gradientAccumulation: 2,
      effectiveBatch: 16,
      requestedEffectiveBatch: 16,
    });
  });
});
