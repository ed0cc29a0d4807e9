import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { makeTrainCommand, type TrainLauncher } from '../../../src/cli/commands/train';
import { UsageError } from '../../../src/cli/io';
import { type ResolvedJobConfig } from '../../../src/core/jobs/jobFile';
import { type TrainerLaunch } from '../../../src/core/jobs/jobRunner';
import { planBatch, worldSizeOf } from '../../../src/core/jobs/jobTarget';
import { type PreflightFinding } from '../../../src/core/jobs/preflight';
import { runConfigFile, updateRunRecord } from '../../../src/core/jobs/runFolder';
import { type SlurmClient } from '../../../src/core/jobs/slurm/slurmClient';
import { type SlurmPartition } from '../../../src/core/jobs/slurm/slurmTypes';
import { type PreparedLaunch, type TargetRunOptions } from '../../../src/core/jobs/targetRunner';
import { capturedIo, FakeTargetRun } from '../../support/fakeTargetRun';
import { jobWorkspace, standinEnv } from '../../support/jobWorkspace';

const debugPartition: SlurmPartition = {
  name: 'debug',
  up: true,
  isDefault: true,
  maxTime: '5:00',
  maxTimeMinutes: 5,
  nodes: 1,
  gpusPerNode: 0,
  gpuTypes: [],
  cpusPerNode: 2,
  memoryMbPerNode: 2000,
  maxNodes: null,
  allowAccounts: null,
};

interface FakeLauncher extends TrainLauncher {
  prepared: { runDir: string; config: ResolvedJobConfig; trainer: TrainerLaunch }[];
  started: TargetRunOptions[];
  runs: FakeTargetRun[];
  partitionCalls: number;
}

/**
 * A launcher that writes a script and starts nothing: the Slurm job it "submits" goes pending (Priority), then runs on
 * node07, then ends done at step 3; `slurmFindings` are what the Slurm preflight says.
 */
function fakeLauncher(options: { slurmFindings?: PreflightFinding[]; partitions?: SlurmPartition[] | Error; endless?: boolean } = {}): FakeLauncher {
  const launcher: FakeLauncher = {
    prepared: [],
    started: [],
    runs: [],
    partitionCalls: 0,
    prepareLaunch(runDir, trainer) {
      const config = JSON.parse(readFileSync(join(runDir, runConfigFile), 'utf8')) as ResolvedJobConfig;
      launcher.prepared.push({ runDir, config, trainer });
      const batch = planBatch(config.training, worldSizeOf(config.target));
      const plan = {
        command: config.target.gpus > 1 ? 'python3' : trainer.python,
        args: config.target.gpus > 1 ? ['-m', 'accelerate.commands.launch', '--config_file', join(runDir, 'accelerate.yaml'), 'train'] : ['-m', 'chatwright_train', 'train', '--run-dir', runDir],
        env: {},
        files: config.target.gpus > 1 ? [{ name: 'accelerate.yaml', content: `num_processes: ${config.target.gpus}\n` }] : [],
        batch,
        worldSize: batch.worldSize,
        nodes: 1,
        processesPerNode: Math.max(1, config.target.gpus),
        description: `${batch.worldSize} process(es)`,
      };
      if (config.target.type !== 'slurm') return { target: config.target, plan } satisfies PreparedLaunch;
      const path = join(runDir, 'job.sbatch');
      const text = `#!/bin/bash\n#SBATCH --job-name=persona\n#SBATCH --output=${join(runDir, 'train.log')}\nsrun python3 -m chatwright_train train\n`;
      writeFileSync(path, text);
      return { target: config.target, plan, sbatch: { path, text } } satisfies PreparedLaunch;
    },
    startJobOnTarget(started) {
      launcher.started.push(started);
      const states = [
        { jobId: '41237', state: 'PENDING' as const, reason: 'Priority' },
        { jobId: '41237', state: 'PENDING' as const, reason: 'Priority' },
        { jobId: '41237', state: 'RUNNING' as const, nodes: 'node07' },
      ];
      const run = new FakeTargetRun(started.runDir, states, options.endless ? 'never' : { status: 'done', step: 3, finalLoss: 1.25, startedAt: 0, endedAt: 2000 });
      updateRunRecord(started.runDir, (record) => ({ ...record, slurm: { jobId: '41237', script: 'job.sbatch', submittedAt: new Date().toISOString(), submissions: [] } }));
      launcher.runs.push(run);
      return Promise.resolve(run);
    },
    slurmClient() {
      return {
        partitions: () => {
          launcher.partitionCalls += 1;
          const partitions = options.partitions ?? [debugPartition];
          return partitions instanceof Error ? Promise.reject(partitions) : Promise.resolve(partitions);
        },
      } as unknown as SlurmClient;
    },
    slurmPreflight(_target, partitions) {
      if (partitions instanceof Error) return [{ code: 'slurm-not-checked', severity: 'warning', message: `sinfo failed: ${partitions.message}`, action: 'Check that Slurm answers on this machine.' }];
      return options.slurmFindings ?? [];
    },
  };
  return launcher;
}

function runFolders(runsDir: string): string[] {
  return existsSync(runsDir) ? readdirSync(runsDir) : [];
}

describe('chatwright train --target', () => {
  it('prints the sbatch script and the batch plan with --dry-run, submits nothing and keeps no run folder', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const launcher = fakeLauncher();
    const io = capturedIo(workspace.dir, standinEnv(3, 0.01));
    const code = await makeTrainCommand(launcher).run(['--target', 'slurm', '--dry-run', 'persona.job.yaml'], io);
    assert.equal(code, 0, io.err());
    assert.equal(launcher.started.length, 0, 'nothing submitted');
    assert.equal(launcher.partitionCalls, 1, 'the partitions were checked');
    assert.match(io.out(), /^--- .*job\.sbatch$/m);
    assert.match(io.out(), /^#SBATCH --job-name=persona$/m);
    assert.match(io.out(), /^Target: Slurm, partition \(the cluster's default\), 1 node\(s\) × 1 GPU\(s\), time limit 04:00:00; batch \d+ per GPU × \d+ accumulation × 1 process = \d+ /m);
    assert.match(io.out(), /^Dry run: nothing was submitted/m);
    assert.deepEqual(runFolders(workspace.runsDir), []);
    assert.equal(existsSync(join(workspace.dir, '.chatwright')), false, 'the folders made for the run are gone too');
  });

  it('says that a job file without target.slurm gets the defaults, and passes the overridden target to the launch', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const launcher = fakeLauncher();
    const io = capturedIo(workspace.dir, standinEnv(3, 0.01));
    assert.equal(await makeTrainCommand(launcher).run(['--target', 'slurm', '--gpus', '0', '--dry-run', 'persona.job.yaml'], io), 0, io.err());
    assert.match(io.out(), /^Target: slurm \(from --target; the job file says local\)$/m);
    assert.match(io.out(), /^GPUs per node: 0 \(from --gpus; the job file says 1\)$/m);
    assert.match(io.out(), /the defaults apply \(the cluster's default partition, 1 node, time limit 04:00:00\)/);
    assert.equal(launcher.prepared[0]!.config.target.type, 'slurm');
    assert.equal(launcher.prepared[0]!.config.target.gpus, 0);
  });

  it('prints the local command line with --dry-run, without asking Slurm', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t, 'training:\n  per_device_batch_size: 2\n  gradient_accumulation_steps: 4\n');
    const launcher = fakeLauncher();
    const io = capturedIo(workspace.dir, standinEnv(3, 0.01));
    assert.equal(await makeTrainCommand(launcher).run(['--dry-run', 'persona.job.yaml'], io), 0, io.err());
    assert.equal(launcher.partitionCalls, 0);
    assert.match(io.out(), /^Command: \S*python3 -m chatwright_train train --run-dir \S+$/m);
    assert.match(io.out(), /^Target: this machine, 1 process\(es\); batch 2 per GPU × 4 accumulation × 1 process = 8 \(as the job file says\)$/m);
    assert.match(io.out(), /^Dry run: nothing was started/m);
    assert.deepEqual(runFolders(workspace.runsDir), []);
  });

  it('refuses several local GPUs on a machine whose Python sees none or lacks accelerate (preflight, exit 2, nothing prepared)', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t, 'training:\n  per_device_batch_size: 2\n  gradient_accumulation_steps: 4\n');
    const launcher = fakeLauncher();
    const io = capturedIo(workspace.dir, standinEnv(3, 0.01));
    assert.equal(await makeTrainCommand(launcher).run(['--gpus', '2', '--dry-run', 'persona.job.yaml'], io), 2);
    assert.match(io.out(), /^error target-(gpus-unavailable|package-missing): /m);
    assert.match(io.out(), /^Target: this machine, 2 process\(es\), ddp; batch 2 per GPU × 2 accumulation × 2 processes = 8 \(re-split from 2 × 4 on one device\)$/m);
    assert.equal(launcher.prepared.length, 0);
  });

  it('refuses to submit without --yes when stdin is not a terminal: exit 2, the hint, no run folder', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const launcher = fakeLauncher();
    const io = capturedIo(workspace.dir, standinEnv(3, 0.01));
    assert.equal(await makeTrainCommand(launcher).run(['--target', 'slurm', 'persona.job.yaml'], io), 2);
    assert.match(io.out(), /^#SBATCH --job-name=persona$/m, 'the script is shown all the same');
    assert.match(io.err(), /stdin is not a terminal[\s\S]*--yes/);
    assert.equal(launcher.started.length, 0);
    assert.deepEqual(runFolders(workspace.runsDir), []);
  });

  it('asks "Submit to Slurm? [y/N]" on a terminal: no (or nothing) submits nothing, y submits', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    for (const [answer, submitted] of [
      ['\n', false],
      ['n\n', false],
      ['y\n', true],
    ] as const) {
      const launcher = fakeLauncher();
      const io = capturedIo(workspace.dir, standinEnv(3, 0.01), { tty: true, text: answer });
      const code = await makeTrainCommand(launcher).run(['--target', 'slurm', 'persona.job.yaml'], io);
      assert.match(io.err(), /Submit to Slurm\? \[y\/N\] /);
      assert.equal(launcher.started.length, submitted ? 1 : 0, `answer ${JSON.stringify(answer)}`);
      assert.equal(code, submitted ? 0 : 2, io.err());
    }
    assert.equal(runFolders(workspace.runsDir).length, 1, 'only the submitted run keeps its folder');
  });

  it('submits a Slurm job that names the compute nodes’ Python even when this machine’s Python cannot be probed (a warning)', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t, 'target:\n  type: slurm\n  gpus: 0\n  slurm:\n    python: /cluster/venv/bin/python3\n');
    const launcher = fakeLauncher();
    const io = capturedIo(workspace.dir, standinEnv(3, 0.01));
    const missing = join(workspace.dir, 'no-such-python');
    assert.equal(await makeTrainCommand(launcher).run(['--python', missing, '--yes', '--detach', 'persona.job.yaml'], io), 0, io.err());
    assert.match(io.out(), /^warning: the Python environment could not be checked/m);
    assert.match(io.out(), /^warning: the job runs \/cluster\/venv\/bin\/python3 on the compute nodes \(target\.slurm\.python\)/m);
    assert.equal(launcher.started.length, 1, 'submitted');

    const local = jobWorkspace(t, 'target:\n  type: slurm\n  gpus: 0\n');
    const refused = capturedIo(local.dir, standinEnv(3, 0.01));
    assert.equal(await makeTrainCommand(launcher).run(['--python', join(local.dir, 'no-such-python'), '--yes', '--detach', 'persona.job.yaml'], refused), 1);
    assert.match(refused.err(), /^Cannot start the trainer: /m);
    assert.equal(launcher.started.length, 1, 'without target.slurm.python the job runs this Python: refused');
  });

  it('follows a submitted job with one line per scheduler change and the outcome', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const launcher = fakeLauncher();
    const io = capturedIo(workspace.dir, standinEnv(3, 0.01));
    assert.equal(await makeTrainCommand(launcher).run(['--target', 'slurm', '--yes', 'persona.job.yaml'], io), 0, io.err());
    assert.equal(launcher.started.length, 1);
    assert.ok(launcher.started[0]!.slurm, 'the Slurm client goes to the runner');
    assert.match(io.out(), /^Submitted Slurm job 41237$/m);
    const scheduler = io
      .out()
      .split('\n')
      .filter((line) => /^(pending|running)/.test(line));
    assert.deepEqual(scheduler, ['pending in Slurm (Priority)', 'running on node07'], 'a repeated state is not printed again');
    assert.match(io.out(), /^Done in 2s: 3 step\(s\), final loss 1\.250$/m);
  });

  it('returns at once with --detach, printing the Slurm job id and the run folder last', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const launcher = fakeLauncher({ endless: true });
    const io = capturedIo(workspace.dir, standinEnv(3, 0.01));
    assert.equal(await makeTrainCommand(launcher).run(['--target', 'slurm', '--yes', '--detach', 'persona.job.yaml'], io), 0, io.err());
    assert.deepEqual(launcher.runs[0]!.calls, ['detach']);
    assert.match(io.out(), /^Submitted Slurm job 41237$/m);
    assert.equal(io.out().trimEnd().split('\n').at(-1), launcher.prepared[0]!.runDir);
  });

  it('refuses at preflight when the Slurm checks find an error (exit 2, nothing prepared)', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const finding: PreflightFinding = {
      code: 'slurm-partition-unknown',
      severity: 'error',
      message: "partition 'gpu' does not exist",
      action: 'Use one of: debug',
      location: { file: workspace.jobFile, field: 'target.slurm.partition' },
    };
    const launcher = fakeLauncher({ slurmFindings: [finding] });
    const io = capturedIo(workspace.dir, standinEnv(3, 0.01));
    assert.equal(await makeTrainCommand(launcher).run(['--target', 'slurm', '--yes', 'persona.job.yaml'], io), 2);
    assert.match(io.out(), /^error slurm-partition-unknown: partition 'gpu' does not exist\n {2}→ Use one of: debug/m);
    assert.match(io.err(), /preflight refused the job/);
    assert.equal(launcher.prepared.length, 0);
  });

  it('passes a failing sinfo to the Slurm preflight, which warns instead of refusing', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const launcher = fakeLauncher({ partitions: new Error('sinfo: command not found') });
    const io = capturedIo(workspace.dir, standinEnv(3, 0.01));
    assert.equal(await makeTrainCommand(launcher).run(['--target', 'slurm', '--dry-run', 'persona.job.yaml'], io), 0, io.err());
    assert.match(io.out(), /^warning slurm-not-checked: sinfo failed: sinfo: command not found$/m);
  });

  it('rejects a bad --target or --gpus as a usage error before anything runs', async (t) => {
    const workspace = jobWorkspace(t);
    const launcher = fakeLauncher();
    for (const args of [
      ['--target', 'kubernetes'],
      ['--gpus', 'two'],
      ['--gpus', '1.5'],
      ['--target', 'local', '--gpus', '0'],
      ['--dry-run', '--detach'],
    ]) {
      const io = capturedIo(workspace.dir, standinEnv(3, 0.01));
      await assert.rejects(makeTrainCommand(launcher).run([...args, 'persona.job.yaml'], io), UsageError, args.join(' '));
    }
    assert.equal(launcher.prepared.length, 0);
  });
});
