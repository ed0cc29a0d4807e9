import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeJob, jobDetailLines } from '../../../src/core/jobs/jobDescription';
import { emptySnapshot, type DistributedFacts, type JobSnapshot } from '../../../src/core/jobs/jobSnapshot';
import { defaultTarget } from '../../../src/core/jobs/jobTarget';
import { batchPlanText, describeWhere, schedulerNotice, slurmRequestText, strategyLabel, whereRows } from '../../../src/core/jobs/jobWhere';
import { type SchedulerFacts } from '../../../src/core/jobs/slurm/slurmTypes';

function snapshot(fields: Partial<JobSnapshot>): JobSnapshot {
  return { ...emptySnapshot('/w/.chatwright/runs/20260101-120000-persona', 'persona', 'running'), ...fields };
}

function scheduler(fields: Partial<SchedulerFacts>): SchedulerFacts {
  return { kind: 'slurm', jobId: '41237', state: 'RUNNING', checkedAt: 0, ...fields };
}

function distributed(fields: Partial<DistributedFacts>): DistributedFacts {
  return {
    target: 'local',
    worldSize: 4,
    nodes: 1,
    processesPerNode: 4,
    strategy: 'deepspeed_zero3',
    perDeviceBatch: 2,
    gradientAccumulation: 1,
    effectiveBatch: 8,
    requestedEffectiveBatch: 8,
    ...fields,
  };
}

describe('describeWhere: where and how, for the Jobs view line', () => {
  it('says nothing for one local process', () => {
    assert.equal(describeWhere(snapshot({})), '');
    assert.equal(describeWhere(snapshot({ distributed: distributed({ worldSize: 1, processesPerNode: 1 }) })), '');
  });

  it('names the GPUs and the strategy of a local multi-GPU job', () => {
    assert.equal(describeWhere(snapshot({ distributed: distributed({}) })), '4 GPUs · DeepSpeed ZeRO-3');
    assert.equal(describeWhere(snapshot({ distributed: distributed({ target: 'slurm', nodes: 2, worldSize: 8, strategy: 'fsdp' }) })), 'Slurm · 2 nodes × 4 GPUs · FSDP');
  });

  it('gives a pending Slurm job its id and the reason it waits', () => {
    assert.equal(describeWhere(snapshot({ status: 'queued', scheduler: scheduler({ state: 'PENDING', reason: 'Resources' }) })), 'Slurm 41237 · pending (Resources)');
    assert.equal(describeWhere(snapshot({ status: 'queued', scheduler: scheduler({ state: 'PENDING', reason: 'None' }) })), 'Slurm 41237 · pending');
  });

  it('says running once the trainer reports, even while the last answer from Slurm still said pending', () => {
    const stale = snapshot({ status: 'running', step: 2, scheduler: scheduler({ state: 'PENDING', reason: 'BeginTime' }) });
    assert.equal(describeWhere(stale), 'Slurm 41237 · running');
    assert.equal(schedulerNotice(stale), undefined);
    assert.equal(whereRows(stale)[2]!.value, 'RUNNING');
  });

  it('names the node a Slurm job runs on, and an ended one in Slurm words', () => {
    assert.equal(describeWhere(snapshot({ scheduler: scheduler({ nodes: 'node07' }) })), 'Slurm 41237 · running on node07');
    assert.equal(describeWhere(snapshot({ scheduler: scheduler({ state: 'OUT_OF_MEMORY' }) })), 'Slurm 41237 · out of memory');
    assert.equal(describeWhere(snapshot({ status: 'done', scheduler: scheduler({ state: 'COMPLETED' }) })), 'Slurm 41237', 'the done icon already says it completed');
  });
});

describe('describeJob with a target', () => {
  it('puts the Slurm job and its state before the progress, and does not say queued twice', () => {
    assert.equal(describeJob(snapshot({ scheduler: scheduler({ nodes: 'node07' }), step: 120, totalSteps: 900 })), 'Slurm 41237 · running on node07 · step 120/900');
    assert.equal(describeJob(snapshot({ status: 'queued', method: 'lora', scheduler: scheduler({ state: 'PENDING', reason: 'Priority' }) })), 'Slurm 41237 · pending (Priority) · lora');
  });

  it('starts a local multi-GPU job with its GPUs and strategy', () => {
    assert.equal(describeJob(snapshot({ method: 'lora', distributed: distributed({}) })), '4 GPUs · DeepSpeed ZeRO-3 · lora');
  });

  it('shows a failed Slurm job with its error code', () => {
    const text = describeJob(snapshot({ status: 'failed', scheduler: scheduler({ state: 'TIMEOUT' }), error: { code: 'SLURM_TIMEOUT', message: 'The time limit was reached.' } }));
    assert.equal(text, 'Slurm 41237 · timeout · SLURM_TIMEOUT');
  });
});

describe('schedulerNotice: what notifications and the status bar say', () => {
  it('says a pending job waits in Slurm and why', () => {
    assert.equal(schedulerNotice({ status: 'queued', scheduler: scheduler({ state: 'PENDING', reason: 'Resources' }) }), 'pending in Slurm (Resources)');
  });

  it('says nothing of a running or local job', () => {
    assert.equal(schedulerNotice({ status: 'running', scheduler: scheduler({}) }), undefined);
    assert.equal(schedulerNotice({ status: 'queued' }), undefined);
  });
});

describe('the batch plan', () => {
  it('shows per GPU × accumulation × processes = effective, and that it was re-split from the job file', () => {
    assert.equal(
      batchPlanText(distributed({ perDeviceBatch: 2, gradientAccumulation: 1 }), { perDeviceBatch: 2, gradientAccumulation: 4 }),
      '2 per GPU × 1 accumulation × 4 processes = 8 (re-split from 2 × 4 on one device)',
    );
  });

  it('says the plan is as written when one process runs it unchanged', () => {
    const one = distributed({ worldSize: 1, processesPerNode: 1, perDeviceBatch: 2, gradientAccumulation: 4 });
    assert.equal(batchPlanText(one, { perDeviceBatch: 2, gradientAccumulation: 4 }), '2 per GPU × 4 accumulation × 1 process = 8 (as the job file says)');
  });

  it('warns when the effective batch is not the one asked for', () => {
    assert.match(batchPlanText(distributed({ effectiveBatch: 12, requestedEffectiveBatch: 10 })), /not the 10 the job file asks for/);
  });
});

describe('whereRows: the job page Where block and the tooltip', () => {
  it('has no rows for one local process', () => {
    assert.deepEqual(whereRows(snapshot({})), []);
  });

  it('lists target, job, state with reason, elapsed / limit, processes and batch of a Slurm job', () => {
    const rows = whereRows(
      snapshot({
        scheduler: scheduler({ state: 'RUNNING', nodes: 'node[01-02]', elapsed: '00:12:03', timeLimit: '08:00:00', cluster: 'hpc' }),
        distributed: distributed({ target: 'slurm', nodes: 2, worldSize: 8, perDeviceBatch: 1, gradientAccumulation: 1, effectiveBatch: 8, requestedEffectiveBatch: 8 }),
        config: { training: { per_device_batch_size: 2, gradient_accumulation_steps: 4 } },
      }),
    );
    assert.deepEqual(rows, [
      { label: 'Target', value: 'Slurm cluster' },
      { label: 'Slurm job', value: '41237 on cluster hpc' },
      { label: 'State', value: 'RUNNING' },
      { label: 'Nodes', value: 'node[01-02]' },
      { label: 'Elapsed / limit', value: '00:12:03 / 08:00:00' },
      { label: 'Processes', value: '8 (2 nodes × 4 GPUs), DeepSpeed ZeRO-3' },
      { label: 'Batch', value: '1 per GPU × 1 accumulation × 8 processes = 8 (re-split from 2 × 4 on one device)' },
    ]);
  });

  it('shows the pending reason and no nodes while the job waits', () => {
    const rows = whereRows(snapshot({ status: 'queued', scheduler: scheduler({ state: 'PENDING', reason: 'Resources', nodes: '(Resources)' }) }));
    assert.deepEqual(
      rows.map((row) => row.label),
      ['Target', 'Slurm job', 'State'],
    );
    assert.equal(rows[2]!.value, 'PENDING (Resources)');
  });

  it('puts the same facts in the tooltip', () => {
    const lines = jobDetailLines(snapshot({ scheduler: scheduler({ state: 'FAILED', exitCode: 2 }) }));
    assert.ok(lines.includes('Slurm job: 41237'));
    assert.ok(lines.includes('State: FAILED, exit code 2'));
  });

  it('labels every strategy and keeps an unknown one as written', () => {
    assert.deepEqual(['ddp', 'deepspeed_zero2', 'deepspeed_zero3', 'fsdp', 'horovod'].map(strategyLabel), ['DDP', 'DeepSpeed ZeRO-2', 'DeepSpeed ZeRO-3', 'FSDP', 'horovod']);
  });
});

describe('slurmRequestText: what the question before submitting names', () => {
  const slurm = { ...defaultTarget.slurm };
  it('names the partition, nodes × GPUs with their type, the time limit and the account', () => {
    const target = { ...defaultTarget, type: 'slurm' as const, gpus: 4, slurm: { ...slurm, partition: 'gpu', nodes: 2, time: '08:00:00', gpu_type: 'a100', account: 'nlp-lab' } };
    assert.equal(slurmRequestText(target), 'partition gpu, 2 nodes × 4 GPUs (a100), 08:00:00, account nlp-lab');
  });

  it('says when the cluster picks the partition and when the job needs no GPU', () => {
    assert.equal(slurmRequestText({ ...defaultTarget, type: 'slurm', gpus: 0, slurm: { ...slurm, time: '5' } }), 'the default partition, 1 node, CPU only, 5');
  });
});
