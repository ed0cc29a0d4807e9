import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkedResolvedTarget } from '../../../src/core/jobs/jobTargetChecks';
import { defaultTarget } from '../../../src/core/jobs/jobTarget';

describe('a resolved target read back from a file (RUN/config.json)', () => {
  const slurmTarget = { ...defaultTarget, type: 'slurm', gpus: 4, slurm: { ...defaultTarget.slurm, partition: 'gpu,gpu-long', nodes: 2, sbatch: ['--mail-type=END'] } };

  it('is kept as written when the job file would accept it, and is the default when absent', () => {
    assert.deepEqual(checkedResolvedTarget(slurmTarget), { target: slurmTarget });
    assert.deepEqual(checkedResolvedTarget(undefined), { target: defaultTarget });
    assert.deepEqual(checkedResolvedTarget({ type: 'slurm' }), { target: { ...defaultTarget, type: 'slurm' } });
  });

  it('is refused, at the field, when anything would put unchecked text or numbers into the launch', () => {
    const cases: [string, unknown, string, RegExp][] = [
      ['a time with a shell command', { ...slurmTarget, slurm: { ...slurmTarget.slurm, time: '1:00:00\n#SBATCH --uid=0' } }, 'target.slurm.time', /not a Slurm time limit/],
      ['a partition with a separator', { ...slurmTarget, slurm: { ...slurmTarget.slurm, partition: 'gpu;reboot' } }, 'target.slurm.partition', /shell characters/],
      ['an #SBATCH option Chatwright sets', { ...slurmTarget, slurm: { ...slurmTarget.slurm, sbatch: ['--output=/etc/x'] } }, 'target.slurm.sbatch', /sets --output/],
      ['a setup line that is not text', { ...slurmTarget, slurm: { ...slurmTarget.slurm, setup: [42] } }, 'target.slurm.setup', /list of lines of text/],
      ['a port as text', { ...slurmTarget, main_port: '29500; rm -rf ~' }, 'target.main_port', /whole number from 1024 to 65535/],
      ['a privileged port', { ...slurmTarget, main_port: 80 }, 'target.main_port', /from 1024/],
      ['a fractional node count', { ...slurmTarget, slurm: { ...slurmTarget.slurm, nodes: 1.5 } }, 'target.slurm.nodes', /whole number/],
      ['more GPUs than the field allows', { ...slurmTarget, gpus: 5000 }, 'target.gpus', /from 0 to 1024/],
      ['CPUs as text', { ...slurmTarget, slurm: { ...slurmTarget.slurm, cpus_per_task: '8' } }, 'target.slurm.cpus_per_task', /or null/],
      ['a Python that is a number', { ...slurmTarget, slurm: { ...slurmTarget.slurm, python: 3 } }, 'target.slurm.python', /text or null/],
      ['a memory size with a shell character', { ...slurmTarget, slurm: { ...slurmTarget.slurm, mem: '64G`id`' } }, 'target.slurm.mem', /not a Slurm memory size/],
      ['a slurm section that is a list', { ...slurmTarget, slurm: [] }, 'target.slurm', /not a section/],
    ];
    for (const [what, value, path, message] of cases) {
      const checked = checkedResolvedTarget(value);
      assert.ok('problem' in checked, what);
      assert.equal(checked.problem.path, path, what);
      assert.match(checked.problem.message, message, what);
    }
  });
});
