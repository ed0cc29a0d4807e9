import '../../support/vscodeStub';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import * as vscode from 'vscode';
import { slurmTargetsOf } from '../../../src/host/serving/serveGpuCommand';
import { scratchDir } from '../../support/scratchDir';

const slurmJob = 'model: { path: ./model }\ndata: { train: train.jsonl, eval: null }\ntarget: { type: slurm, gpus: 2, slurm: { partition: gpu } }\n';
const localJob = 'model: { path: ./model }\ndata: { train: train.jsonl, eval: null }\n';

describe('Serve on GPU: the job files with a Slurm target', () => {
  it('keeps only the files whose target is slurm (a file with problems is left out), reading them one at a time off the thread', async (t) => {
    const dir = scratchDir('serve-gpu-job-files', t);
    mkdirSync(join(dir, 'model'));
    writeFileSync(join(dir, 'model', 'config.json'), '{"model_type":"llama"}');
    writeFileSync(join(dir, 'train.jsonl'), '{"messages":[{"role":"user","content":"hi"},{"role":"assistant","content":"hello"}]}\n');
    const files = ['a.job.yaml', 'b.job.yaml', 'broken.job.yaml'].map((name) => join(dir, name));
    writeFileSync(files[0]!, slurmJob);
    writeFileSync(files[1]!, localJob);
    writeFileSync(files[2]!, 'target: { type: slurm, gpus: -1 }\n');
    // Written while the first file is resolved: a synchronous pass over every file (the thread held) would not see it.
    setImmediate(() => writeFileSync(files[1]!, slurmJob));
    const found = await slurmTargetsOf(files.map((file) => vscode.Uri.file(file)));
    assert.deepEqual(
      found.map((entry) => entry.path),
      [files[0], files[1]],
    );
    assert.equal(found[0]!.target.target.gpus, 2);
    assert.equal(found[0]!.target.target.slurm.partition, 'gpu');
  });
});
