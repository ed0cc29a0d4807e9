import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trainerCommand, trainerEnvironment } from '../../../../src/core/jobs/jobRunner';
import { defaultTarget } from '../../../../src/core/jobs/jobTarget';
import { LaunchPlanError, trainerLaunchPlan } from '../../../../src/core/jobs/launch/trainerLaunchPlan';
import { caseRunDir, caseTrainer, jobConfigOn } from './launchCases';

const standIn = { ...caseTrainer, script: '/repo/test/fixtures/jobs/standin_trainer.py' };

describe('trainerLaunchPlan', () => {
  it('runs one local process with exactly the command line and environment additions of today', () => {
    const plan = trainerLaunchPlan({ config: jobConfigOn(defaultTarget), runDir: caseRunDir, trainer: caseTrainer });
    assert.deepEqual({ command: plan.command, args: plan.args }, trainerCommand(caseTrainer, caseRunDir));
    const environment = trainerEnvironment(caseTrainer);
    for (const [name, value] of Object.entries(plan.env)) assert.equal(value, environment[name], name);
    assert.deepEqual([plan.env.PYTHONPATH, plan.env.PYTHONUNBUFFERED], ['/opt/chatwright/python:/opt/site', '1']);
    assert.deepEqual([plan.files, plan.worldSize, plan.nodes, plan.processesPerNode], [[], 1, 1, 1]);
  });

  it('runs a one-GPU Slurm job as one process too, with the compute nodes’ Python when the job names one', () => {
    const target = { ...defaultTarget, type: 'slurm' as const, slurm: { ...defaultTarget.slurm, python: '/shared/py/bin/python' } };
    const plan = trainerLaunchPlan({ config: jobConfigOn(target), runDir: caseRunDir, trainer: caseTrainer });
    assert.deepEqual({ command: plan.command, args: plan.args }, trainerCommand({ ...caseTrainer, python: '/shared/py/bin/python' }, caseRunDir));
  });

  it('starts several processes through accelerate launch with the same interpreter and the trainer’s own words after it', () => {
    const plan = trainerLaunchPlan({ config: jobConfigOn({ ...defaultTarget, gpus: 2 }), runDir: '/runs/r', trainer: caseTrainer });
    assert.equal(plan.command, caseTrainer.python);
    assert.deepEqual(plan.args, ['-m', 'accelerate.commands.launch', '--config_file', '/runs/r/accelerate.yaml', '--main_process_port', '29500', ...trainerCommand(caseTrainer, '/runs/r').args]);
  });

  it('puts the stand-in trainer’s script where -m chatwright_train goes, for one process and for several', () => {
    const one = trainerLaunchPlan({ config: jobConfigOn(defaultTarget), runDir: '/runs/r', trainer: standIn });
    const four = trainerLaunchPlan({ config: jobConfigOn({ ...defaultTarget, gpus: 4, strategy: 'fsdp' }), runDir: '/runs/r', trainer: standIn });
    for (const plan of [one, four]) {
      assert.equal(plan.args.includes('chatwright_train'), false);
      assert.deepEqual(plan.args.slice(-7), [standIn.script, 'train', '--config', '/runs/r/config.json', '--run-dir', '/runs/r', '--quiet']);
    }
  });

  it('gives each node of a multi-node job its rank and the first node’s address as shell variables', () => {
    const target = { ...defaultTarget, type: 'slurm' as const, gpus: 2, main_port: 29777, slurm: { ...defaultTarget.slurm, nodes: 3 } };
    const plan = trainerLaunchPlan({ config: jobConfigOn(target), runDir: '/runs/r', trainer: caseTrainer });
    assert.deepEqual(plan.args.slice(4, 10), ['--machine_rank', '$SLURM_NODEID', '--main_process_ip', '$MASTER_ADDR', '--main_process_port', '29777']);
    assert.deepEqual([plan.worldSize, plan.nodes, plan.processesPerNode], [6, 3, 2]);
    assert.match(plan.files.find((file) => file.name === 'accelerate.yaml')!.content, /num_machines: 3\nnum_processes: 6\n/);
  });

  it('writes deepspeed.json only for the DeepSpeed strategies', () => {
    const names = (['ddp', 'deepspeed_zero2', 'deepspeed_zero3', 'fsdp'] as const).map((strategy) =>
      trainerLaunchPlan({ config: jobConfigOn({ ...defaultTarget, gpus: 2, strategy }), runDir: '/runs/r', trainer: caseTrainer }).files.map((file) => file.name),
    );
    assert.deepEqual(names, [['accelerate.yaml'], ['accelerate.yaml', 'deepspeed.json'], ['accelerate.yaml', 'deepspeed.json'], ['accelerate.yaml']]);
  });

  it('keeps the effective batch the job asked for and says how it is split', () => {
    const plan = trainerLaunchPlan({ config: jobConfigOn({ ...defaultTarget, gpus: 4 }), runDir: '/runs/r', trainer: caseTrainer });
    assert.deepEqual([plan.batch.perDeviceBatch, plan.batch.gradientAccumulation, plan.batch.effectiveBatch], [4, 2, 32]);
    assert.match(plan.description, /^4 training processes \(DDP\) through accelerate launch on this machine; .*effective batch of 32\.$/);
  });

  it('refuses a CPU-only Slurm job on several nodes, naming the fields', () => {
    const target = { ...defaultTarget, type: 'slurm' as const, gpus: 0, slurm: { ...defaultTarget.slurm, nodes: 2 } };
    assert.throws(
      () => trainerLaunchPlan({ config: jobConfigOn(target), runDir: '/runs/r', trainer: caseTrainer }),
      (error: unknown) => error instanceof LaunchPlanError && /target\.slurm\.nodes/.test(error.message),
    );
  });
});
