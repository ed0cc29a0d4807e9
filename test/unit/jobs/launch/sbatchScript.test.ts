import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { defaultTarget, type ResolvedJobTarget } from '../../../../src/core/jobs/jobTarget';
import { SbatchScriptError, serverSbatchScript, trainingSbatchScript } from '../../../../src/core/jobs/launch/sbatchScript';
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

  it('runs the user’s setup lines with set -u lifted, before the trainer', () => {
    const text = script('/r', { ...slurmTarget, slurm: { ...slurmTarget.slurm, setup: ['module load cuda'] } });
    assert.match(text, /\nset \+u\nmodule load cuda\nset -u\n[\s\S]*\nsrun /);
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

  it('never writes the API key into the script', () => {
    assert.equal(serverSbatchScript({ name: 'serve', runDir: '/runs/s', target: slurmTarget, server }).text.includes('secret'), false);
  });
});
