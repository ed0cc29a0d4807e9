import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultTarget, type ResolvedJobTarget } from '../../../src/core/jobs/jobTarget';
import { gpuServeWhereChoices, gpuServeWhereText, gpuSplitText, requiresNetworkListen, serveTargetOf } from '../../../src/core/serving/gpuServeTarget';

const slurmTarget: ResolvedJobTarget = { ...defaultTarget, type: 'slurm', gpus: 2, slurm: { ...defaultTarget.slurm, partition: 'gpu', time: '04:00:00' } };

describe('Serve on GPU: the Where step', () => {
  it('offers all GPUs only when the probe sees more than one, and always a cluster', () => {
    assert.deepEqual(
      gpuServeWhereChoices({ visibleGpus: 1, engine: 'vllm', slurmJobFiles: 0 }).map((choice) => choice.where),
      ['oneGpu', 'slurm'],
    );
    const several = gpuServeWhereChoices({ visibleGpus: 4, engine: 'vllm', slurmJobFiles: 2 });
    assert.deepEqual(
      several.map((choice) => choice.label),
      ['This machine, one GPU', 'This machine, all 4 GPUs', 'A Slurm cluster…'],
    );
    assert.match(several[2]!.detail, /2 with type: slurm/);
  });

  it('says which engine splits the model: vLLM tensor parallel, or transformers splitting layers when vLLM is missing', () => {
    assert.equal(gpuSplitText('vllm', 4), 'vLLM tensor parallel over 4 GPUs');
    assert.equal(gpuSplitText('transformers', 2), 'transformers splitting the layers over 2 GPUs (vLLM is not installed)');
    assert.equal(gpuSplitText('vllm', 1), 'one GPU');
  });

  it('runs on this machine with the GPUs chosen, or with the job file target on Slurm', () => {
    assert.deepEqual(serveTargetOf({ kind: 'oneGpu' }), { ...defaultTarget, gpus: 1 });
    assert.deepEqual(serveTargetOf({ kind: 'allGpus', gpus: 4 }), { ...defaultTarget, gpus: 4 });
    assert.equal(serveTargetOf({ kind: 'slurm', jobFile: '/w/a.job.yaml', target: slurmTarget }), slurmTarget);
  });

  it('makes a server on a compute node listen on the network (with an API key), never one on this machine by itself', () => {
    assert.equal(requiresNetworkListen({ kind: 'slurm', jobFile: '/w/a.job.yaml', target: slurmTarget }), true);
    assert.equal(requiresNetworkListen({ kind: 'allGpus', gpus: 2 }), false);
  });

  it('describes where it will run for the question before starting', () => {
    assert.equal(gpuServeWhereText({ kind: 'allGpus', gpus: 2 }, 'transformers'), 'this machine, transformers splitting the layers over 2 GPUs (vLLM is not installed)');
    assert.equal(
      gpuServeWhereText({ kind: 'slurm', jobFile: '/w/a.job.yaml', target: slurmTarget }, 'vllm'),
      'Slurm (partition gpu, 1 node × 2 GPUs, 04:00:00), vLLM tensor parallel over 2 GPUs on its first node',
    );
  });
});
