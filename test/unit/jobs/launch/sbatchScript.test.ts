import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveJobText } from '../../../../src/core/jobs/jobFile';
import { defaultTarget, type ResolvedJobTarget } from '../../../../src/core/jobs/jobTarget';
import { SbatchScriptError, serverSbatchScript, trainingSbatchScript } from '../../../../src/core/jobs/launch/sbatchScript';
import { scratchDir } from '../../../support/scratchDir';
import { waitFor } from '../../../support/waitFor';
import { caseTrainer, jobConfigOn } from './launchCases';

const slurmTarget: ResolvedJobTarget = { ...defaultTarget, type: 'slurm' };

function script(runDir: string, target: ResolvedJobTarget = slurmTarget, name = 'persona'): string {
  return trainingSbatchScript({ name, runDir, config: jobConfigOn(target), trainer: caseTrainer }).text;
}

function directives(text: string): string[] {
  return text.split('\n').filter((line) => line.startsWith('#SBATCH '));
}

describe('trainingSbatchScript', () => {
  it('is a bash script that bash can parse', () => {
    for (const target of [slurmTarget, { ...slurmTarget, gpus: 4, strategy: 'deepspeed_zero3' as const }, { ...slurmTarget, gpus: 2, slurm: { ...slurmTarget.slurm, nodes: 2 } }]) {
      execFileSync('bash', ['-n'], { input: script('/runs/it\'s a "run" 100% $HOME', target) });
    }
  });

  it('writes a literal % of the run folder as %% in --output (a filename pattern) but not in --chdir', () => {
    const lines = directives(script('/runs/50% off/run'));
    assert.ok(lines.includes('#SBATCH --output="/runs/50%% off/run/train.log"'), lines.join('\n'));
    assert.ok(lines.includes('#SBATCH --chdir="/runs/50% off/run"'), lines.join('\n'));
  });

  it('escapes double quotes and keeps $ literal in #SBATCH values (sbatch expands no variables there)', () => {
    const lines = directives(script('/runs/a "b" $HOME'));
    assert.ok(lines.includes('#SBATCH --chdir="/runs/a \\"b\\" $HOME"'), lines.join('\n'));
  });

  it('asks for no GPU for a CPU-only job, and for typed GPUs when the job names a type', () => {
    assert.equal(
      directives(script('/r', { ...slurmTarget, gpus: 0 })).some((line) => line.includes('--gpus-per-node')),
      false,
    );
    assert.ok(directives(script('/r', { ...slurmTarget, gpus: 2, slurm: { ...slurmTarget.slurm, gpu_type: 'a100' } })).includes('#SBATCH --gpus-per-node=a100:2'));
  });

  it('makes the job name safe for squeue', () => {
    assert.ok(directives(script('/r', slurmTarget, 'my job/v2 (test)')).includes('#SBATCH --job-name=chatwright-my-job-v2-test'));
  });

  it('refuses a run folder Slurm cannot name in --output', () => {
    assert.throws(() => script('/runs/back\\slash'), SbatchScriptError);
    assert.throws(() => script('/runs/line\nbreak'), SbatchScriptError);
  });

  it('refuses an extra #SBATCH line that is not one option on one line, naming the entry', () => {
    const withLines = (sbatch: string[]): ResolvedJobTarget => ({ ...slurmTarget, slurm: { ...slurmTarget.slurm, sbatch } });
    assert.throws(() => script('/r', withLines(['--mail-type=END', 'echo hi'])), /target\.slurm\.sbatch\[1\]/);
    assert.throws(() => script('/r', withLines(['--constraint=ib\nhostname'])), /target\.slurm\.sbatch\[0\]/);
  });

  it('before the time limit the batch shell (not the steps) is signalled, and its trap asks the trainer through RUN/stop-now', async (t) => {
    const runDir = join(scratchDir('sbatch-trap', t), 'it\'s a "run" 100% $HOME');
    mkdirSync(runDir);
    const text = script(runDir, { ...slurmTarget, slurm: { ...slurmTarget.slurm, save_before_limit_seconds: 120 } });
    assert.ok(directives(text).includes('#SBATCH --signal=B:USR2@120'), text);
    // Slurm's commands as the compute node has them: srun stands for the trainer (it saves and exits 3 once asked).
    const bin = scratchDir('sbatch-trap-bin', t);
    writeFileSync(join(bin, 'scontrol'), '#!/bin/sh\necho node1\n');
    writeFileSync(join(bin, 'srun'), `#!/bin/sh\ntouch "$STOP_FILE.started"\nwhile [ ! -e "$STOP_FILE" ]; do sleep 0.05; done\nexit 3\n`);
    for (const command of ['scontrol', 'srun']) chmodSync(join(bin, command), 0o755);
    const stopFile = join(runDir, 'stop-now');
    writeFileSync(join(runDir, 'job.sbatch'), text);
    const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}`, STOP_FILE: stopFile, SLURM_JOB_ID: '7', SLURM_JOB_NUM_NODES: '1', SLURM_JOB_NODELIST: 'node1' };
    const shell = spawn('bash', [join(runDir, 'job.sbatch')], { cwd: runDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    t.after(() => shell.kill('SIGKILL'));
    let output = '';
    shell.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    shell.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolveExit) => shell.on('exit', (code) => resolveExit(code)));
    await waitFor(() => (existsSync(`${stopFile}.started`) ? true : undefined), 'srun to start');
    assert.equal(existsSync(stopFile), false);
    shell.kill('SIGUSR2');
    // The trap's wait returns early; the script waits for srun again and exits with its status, not the signal's.
    assert.equal(await exited, 3, output);
    assert.equal(readFileSync(stopFile, 'utf8'), '');
    assert.match(output, /chatwright: the time limit is near .*: asking the trainer to save a checkpoint and stop/);
  });

  it('asks Slurm never to requeue the job, which would run again under the same id while its run looks ended', () => {
    assert.ok(directives(script('/runs/r')).includes('#SBATCH --no-requeue'));
  });

  it('derives the rendezvous port from the job id at the default main_port, and keeps a main_port the job file sets', () => {
    const several = { ...slurmTarget, gpus: 4 };
    const derived = script('/runs/r', several);
    assert.match(derived, /^export MASTER_PORT=\$\(\(20000 \+ SLURM_JOB_ID % 20000\)\)$/m);
    assert.match(derived, / --main_process_port "\$MASTER_PORT" /);
    // What bash makes of it for job 123456: a port in 20000–39999 that differs between neighbouring jobs.
    const port = (jobId: number): string => execFileSync('bash', ['-c', `SLURM_JOB_ID=${jobId}; ${/^export MASTER_PORT=.*$/m.exec(derived)![0]}; echo "$MASTER_PORT"`], { encoding: 'utf8' }).trim();
    assert.equal(port(123456), '23456');
    assert.notEqual(port(123457), port(123456));
    const fixed = script('/runs/r', { ...several, main_port: 29611 });
    assert.match(fixed, /^export MASTER_PORT=29611$/m);
    assert.match(fixed, / --main_process_port 29611 /);
    assert.doesNotMatch(fixed, /SLURM_JOB_ID %/);
  });

  it('runs the user’s setup lines with set -u lifted, before the trainer', () => {
    const text = script('/r', { ...slurmTarget, slurm: { ...slurmTarget.slurm, setup: ['module load cuda'] } });
    assert.match(text, /\nset \+u\nmodule load cuda\nset -u\n[\s\S]*\nsrun /);
  });
});

describe('a job file’s target section, through to the script', () => {
  it('turns the documented two-node DeepSpeed example into its #SBATCH lines and a per-node srun', () => {
    const dir = scratchDir('launch-yaml');
    writeFileSync(join(dir, 'train.jsonl'), '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n');
    const yaml = [
      'model: { path: Qwen/Qwen2.5-0.5B-Instruct }',
      'data: { train: train.jsonl }',
      'training: { per_device_batch_size: 2, gradient_accumulation_steps: 8 }',
      'target:',
      '  type: slurm',
      '  gpus: 4',
      '  strategy: deepspeed_zero3',
      '  slurm:',
      '    partition: gpu',
      '    nodes: 2',
      '    time: "08:00:00"',
      '    account: nlp-lab',
      '    gpu_type: a100',
      '    sbatch: ["--mail-type=END"]',
      '    setup: ["module load cuda/12.4"]',
    ].join('\n');
    const result = resolveJobText(yaml, join(dir, 'big.job.yaml'));
    assert.deepEqual(result.problems, []);
    const built = trainingSbatchScript({ name: 'big', runDir: '/runs/big', config: result.config!, trainer: caseTrainer });
    const lines = directives(built.text);
    for (const expected of ['--nodes=2', '--gpus-per-node=a100:4', '--time=08:00:00', '--partition=gpu', '--account=nlp-lab', '--signal=B:USR2@300', '--mail-type=END']) {
      assert.ok(lines.includes(`#SBATCH ${expected}`), `${expected} in\n${lines.join('\n')}`);
    }
    assert.match(
      built.text,
      /\nsrun --kill-on-bad-exit=1 bash -c 'exec \/opt\/venvs\/chatwright\/bin\/python -m accelerate\.commands\.launch --config_file \/runs\/big\/accelerate\.yaml --machine_rank "\$SLURM_NODEID" --main_process_ip "\$MASTER_ADDR" /,
    );
    assert.deepEqual(
      built.files.map((file) => file.name),
      ['accelerate.yaml', 'deepspeed.json'],
    );
    assert.deepEqual([built.plan!.batch.perDeviceBatch, built.plan!.batch.gradientAccumulation, built.plan!.batch.effectiveBatch], [2, 1, 16]);
  });
});

describe('serverSbatchScript', () => {
  const server = {
    command: '/opt/py/bin/python',
    args: ['-m', 'chatwright_serve', '--model', 'm', '--host', '127.0.0.1', '--port', '8766'],
    env: { PYTHONPATH: '/opt/chatwright/python', CHATWRIGHT_SERVE_API_KEY: 'secret' },
  };

  it('serves on every interface of one node, with the run folder, and without a signal before the limit', () => {
    const text = serverSbatchScript({ name: 'serve', runDir: '/runs/s', target: { ...slurmTarget, gpus: 2, slurm: { ...slurmTarget.slurm, nodes: 4 } }, server }).text;
    assert.match(text, /\nsrun --kill-on-bad-exit=1 \/opt\/py\/bin\/python -m chatwright_serve --model m --host 0\.0\.0\.0 --port 8766 --run-dir \/runs\/s\n$/);
    assert.ok(directives(text).includes('#SBATCH --nodes=1'));
    assert.ok(directives(text).includes('#SBATCH --gpus-per-node=2'));
    assert.equal(text.includes('--signal'), false);
  });

  it('asks Slurm never to requeue the server either', () => {
    assert.ok(directives(serverSbatchScript({ name: 'serve', runDir: '/runs/s', target: slurmTarget, server }).text).includes('#SBATCH --no-requeue'));
  });

  it('never writes the API key into the script', () => {
    assert.equal(serverSbatchScript({ name: 'serve', runDir: '/runs/s', target: slurmTarget, server }).text.includes('secret'), false);
  });
});
