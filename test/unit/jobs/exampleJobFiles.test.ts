import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { resolveJobText } from '../../../src/core/jobs/jobFile';

/** The job files the examples ship: each must resolve without a problem, as the editor and `chatwright train` read it. */
const examples = join(__dirname, '..', '..', '..', 'examples');
const jobFiles = readdirSync(examples, { recursive: true, encoding: 'utf8' })
  .filter((name) => /\.job\.(ya?ml|json)$/.test(name))
  .map((name) => join(examples, name))
  .sort();

describe('the example job files', () => {
  it('include the single-GPU job and the Slurm job of the walkthroughs', () => {
    assert.deepEqual(
      jobFiles.map((file) => relative(examples, file)),
      ['support-bot/support-cluster.job.yaml', 'support-bot/support.job.yaml'],
    );
  });

  for (const file of jobFiles) {
    it(`${relative(examples, file)} resolves without problems`, () => {
      const result = resolveJobText(readFileSync(file, 'utf8'), file);
      assert.deepEqual(result.problems, []);
      assert.ok(result.config);
    });
  }

  it('the Slurm example asks for 2 nodes of 4 GPUs with the setup lines of docs/clusters.md', () => {
    const file = join(examples, 'support-bot', 'support-cluster.job.yaml');
    const target = resolveJobText(readFileSync(file, 'utf8'), file).config!.target;
    assert.deepEqual([target.type, target.gpus, target.strategy, target.slurm.nodes, target.slurm.partition, target.slurm.time], ['slurm', 4, 'ddp', 2, 'gpu', '02:00:00']);
    assert.deepEqual(target.slurm.setup, ['module load cuda/12.4', 'source $HOME/venvs/chatwright/bin/activate']);
  });
});
