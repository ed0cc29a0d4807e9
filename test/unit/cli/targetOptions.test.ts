import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { overrideTarget } from '../../../src/cli/commands/targetOptions';
import { UsageError } from '../../../src/cli/io';
import { resolveJobText, type ResolvedJobConfig } from '../../../src/core/jobs/jobFile';
import { defaultTarget, type ResolvedJobTarget } from '../../../src/core/jobs/jobTarget';
import { scratchDir } from '../../support/scratchDir';

const workspace = scratchDir('target-options');
mkdirSync(join(workspace, 'model'));
writeFileSync(join(workspace, 'train.jsonl'), '');

/** A resolved job with this target (the job file's own `target` resolution is the job file's tests' business). */
function jobWith(target: ResolvedJobTarget): ResolvedJobConfig {
  const resolved = resolveJobText('model:\n  path: ./model\ndata:\n  train: train.jsonl\n', join(workspace, 'job.yaml'));
  assert.ok(resolved.config, JSON.stringify(resolved.problems));
  return { ...resolved.config, target };
}

describe('--target and --gpus', () => {
  it('keeps the job file’s target without options, and says nothing', () => {
    const config = jobWith(defaultTarget);
    const { config: result, notes } = overrideTarget(config, {});
    assert.deepEqual(result.target, defaultTarget);
    assert.deepEqual(notes, []);
  });

  it('switches the type and the GPUs, keeping the rest of the section and saying what came from where', () => {
    const slurm = { ...defaultTarget.slurm, partition: 'gpu', nodes: 2, time: '08:00:00' };
    const { config, notes } = overrideTarget(jobWith({ ...defaultTarget, strategy: 'deepspeed_zero3', slurm }), { target: 'slurm', gpus: '4' });
    assert.deepEqual(config.target, { ...defaultTarget, type: 'slurm', gpus: 4, strategy: 'deepspeed_zero3', slurm });
    assert.deepEqual(notes, ['Target: slurm (from --target; the job file says local)', 'GPUs per node: 4 (from --gpus; the job file says 1)']);
  });

  it('says that a Slurm target without target.slurm settings gets the defaults', () => {
    const { notes } = overrideTarget(jobWith(defaultTarget), { target: 'slurm' });
    assert.match(notes.at(-1)!, /^The job file has no target\.slurm settings: the defaults apply \(the cluster's default partition, 1 node, time limit 04:00:00\)/);
  });

  it('does not repeat what the job file says already', () => {
    const { notes } = overrideTarget(jobWith({ ...defaultTarget, type: 'slurm', gpus: 2, slurm: { ...defaultTarget.slurm, partition: 'debug' } }), { target: 'slurm', gpus: '2' });
    assert.deepEqual(notes, []);
  });

  it('allows 0 GPUs on Slurm (a CPU job) and refuses it locally', () => {
    assert.equal(overrideTarget(jobWith(defaultTarget), { target: 'slurm', gpus: '0' }).config.target.gpus, 0);
    assert.throws(() => overrideTarget(jobWith(defaultTarget), { gpus: '0' }), UsageError);
    assert.throws(() => overrideTarget(jobWith({ ...defaultTarget, type: 'slurm', gpus: 0 }), { target: 'local' }), /--gpus 0 is for Slurm only/);
  });

  it('refuses an unknown target or a GPU count that is not a whole number', () => {
    for (const overrides of [{ target: 'kubernetes' }, { gpus: 'two' }, { gpus: '1.5' }, { gpus: '' }, { gpus: '-1' }])
      assert.throws(() => overrideTarget(jobWith(defaultTarget), overrides), UsageError, JSON.stringify(overrides));
  });

  it('takes --gpus within the bounds the job file has for target.gpus, and no more', () => {
    assert.equal(overrideTarget(jobWith(defaultTarget), { target: 'slurm', gpus: '1024' }).config.target.gpus, 1024);
    for (const gpus of ['1025', '9999', '99999999'])
      assert.throws(() => overrideTarget(jobWith(defaultTarget), { target: 'slurm', gpus }), /--gpus must be a whole number of GPUs per node from 0 to 1024/, gpus);
  });
});
