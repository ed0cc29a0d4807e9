import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { defaultTarget, type ResolvedJobTarget, type ResolvedSlurmTarget } from '../../../../src/core/jobs/jobTarget';
import { parsePartitions } from '../../../../src/core/jobs/slurm/slurmParsers';
import { slurmPreflight, withClusterFindings } from '../../../../src/core/jobs/slurm/slurmPreflight';

const fixtures = join(__dirname, '../../../fixtures/slurm/22.05');
const gpuPartitions = parsePartitions(readFileSync(join(fixtures, 'handwritten-sinfo-gpu.txt'), 'utf8'), readFileSync(join(fixtures, 'handwritten-scontrol-partitions-gpu.txt'), 'utf8')).values;

function slurmTarget(gpus: number, slurm: Partial<ResolvedSlurmTarget>): ResolvedJobTarget {
  return { ...defaultTarget, type: 'slurm', gpus, slurm: { ...defaultTarget.slurm, ...slurm } };
}

function codes(target: ResolvedJobTarget, partitions = gpuPartitions): string[] {
  return slurmPreflight(target, partitions)
    .filter((finding) => finding.severity !== 'information')
    .map((finding) => `${finding.severity}:${finding.code}`);
}

describe('slurmPreflight', () => {
  it('finds nothing wrong with a job that fits its partition, and says what it could not check', () => {
    const findings = slurmPreflight(slurmTarget(8, { partition: 'gpu', nodes: 2, time: '12:00:00', gpu_type: 'a100', setup: ['module load cuda/12.4'] }), gpuPartitions, { jobFile: '/w/a.job.yaml' });
    assert.deepEqual(
      findings.map((finding) => [finding.code, finding.severity]),
      [['slurm-not-checked', 'information']],
    );
    assert.match(
      findings[0]!.message,
      /Python .* packages \(torch, transformers, peft, accelerate\), the memory of their GPUs \(the fit is judged for a100 with 40 GiB per GPU, not measured\), the setup lines/,
    );
    assert.deepEqual(findings[0]!.location, { file: '/w/a.job.yaml', field: 'target.slurm.setup' });
  });

  it('checks nothing for a local target', () => {
    assert.deepEqual(slurmPreflight(defaultTarget, gpuPartitions), []);
  });

  it('names the closest partition when the one asked for does not exist', () => {
    const findings = slurmPreflight(slurmTarget(1, { partition: 'gpus' }), gpuPartitions);
    const unknown = findings.find((finding) => finding.code === 'slurm-partition-unknown');
    assert.equal(unknown?.severity, 'error');
    assert.match(unknown.action, /^Did you mean `gpu`/);
    assert.match(unknown.message, /gpu, v100, cpu, lab/);
  });

  it('checks the default partition when none is named, and fails when there is none', () => {
    assert.deepEqual(codes(slurmTarget(16, { partition: null })), ['error:slurm-gpus-over-limit']);
    const noDefault = gpuPartitions.map((partition) => ({ ...partition, isDefault: false }));
    assert.deepEqual(codes(slurmTarget(1, { partition: null }), noDefault), ['error:slurm-partition-unknown']);
  });

  it('warns about a partition that is down', () => {
    assert.deepEqual(codes(slurmTarget(0, { partition: 'cpu', time: '01:00:00' })), ['warning:slurm-partition-down']);
  });

  it('refuses more nodes than the partition has or allows a job', () => {
    assert.deepEqual(codes(slurmTarget(8, { partition: 'gpu', nodes: 5 })), ['error:slurm-nodes-over-limit']);
    assert.deepEqual(codes(slurmTarget(2, { partition: 'v100', nodes: 3 })), ['error:slurm-nodes-over-limit']);
    assert.deepEqual(codes(slurmTarget(2, { partition: 'v100', nodes: 2 })), []);
  });

  it('refuses more GPUs than a node has, GPUs on a partition without any, and a GPU type it does not offer', () => {
    const tooMany = slurmPreflight(slurmTarget(4, { partition: 'v100' }), gpuPartitions).find((finding) => finding.code === 'slurm-gpus-over-limit');
    assert.match(tooMany!.action, /at most 2 .* Partitions with 4 GPUs a node: gpu, lab/);
    assert.deepEqual(codes(slurmTarget(1, { partition: 'cpu', time: '1:00:00' })), ['warning:slurm-partition-down', 'error:slurm-gpus-over-limit']);
    const wrongType = slurmPreflight(slurmTarget(2, { partition: 'gpu', gpu_type: 'a10' }), gpuPartitions).find((finding) => finding.code === 'slurm-gpu-type-unknown');
    assert.match(wrongType!.message, /offers a100/);
    assert.match(wrongType!.action, /`a100`/);
    assert.deepEqual(codes(slurmTarget(0, { partition: 'gpu', gpu_type: 'a10' })), []);
  });

  it('refuses a time over the partition limit, read with the one Slurm time parser (a day and hours: 2-12 is 60 hours)', () => {
    const over = slurmPreflight(slurmTarget(1, { partition: 'gpu', time: '1-00:00:01' }), gpuPartitions).find((finding) => finding.code === 'slurm-time-over-limit');
    assert.equal(over?.severity, 'error');
    assert.match(over.action, /"1-00:00:00"/);
    assert.deepEqual(codes(slurmTarget(1, { partition: 'gpu', time: '24:00:00' })), []);
    assert.deepEqual(codes(slurmTarget(1, { partition: 'v100', time: '30-00:00:00' })), []);
    assert.deepEqual(codes(slurmTarget(1, { partition: 'gpu', time: '1-00' })), []);
    assert.deepEqual(codes(slurmTarget(1, { partition: 'gpu', time: '0-23:59:59' })), []);
    assert.match(slurmPreflight(slurmTarget(1, { partition: 'gpu', time: '2-12' }), gpuPartitions).find((finding) => finding.code === 'slurm-time-over-limit')!.message, /\(2-12:00:00\)/);
    // The format is the job file's check: preflight says nothing of its own about a time it cannot read.
    assert.deepEqual(codes(slurmTarget(1, { partition: 'gpu', time: 'eight hours' })), []);
  });

  it('checks each partition of a list, and refuses only what none of them can run', () => {
    assert.deepEqual(codes(slurmTarget(8, { partition: 'gpu,lab', account: 'nlp-lab' })), []);
    const unknown = slurmPreflight(slurmTarget(1, { partition: 'gpu,gpu-long' }), gpuPartitions).filter((finding) => finding.code === 'slurm-partition-unknown');
    assert.deepEqual(
      unknown.map((finding) => [finding.severity, finding.message]),
      [['error', 'The cluster has no partition "gpu-long" (its partitions: gpu, v100, cpu, lab).']],
    );
    // Two days fit only lab: gpu's one-day limit is said, but Slurm can still start the job in lab.
    const either = slurmPreflight(slurmTarget(8, { partition: 'gpu,lab', time: '2-00:00:00', account: 'nlp-lab' }), gpuPartitions).filter((finding) => finding.severity !== 'information');
    assert.deepEqual(
      either.map((finding) => `${finding.severity}:${finding.code}`),
      ['warning:slurm-time-over-limit'],
    );
    assert.match(either[0]!.message, /partition "gpu" allows at most 1-00:00:00.* Slurm can still start it in "lab"\.$/);
    assert.deepEqual(codes(slurmTarget(8, { partition: 'gpu,lab', time: '8-00:00:00', account: 'nlp-lab' })), ['error:slurm-time-over-limit', 'error:slurm-time-over-limit']);
  });

  it('keeps one "not checked" finding for a Slurm job: the cluster\'s replaces the job preflight\'s', () => {
    const cluster = slurmPreflight(slurmTarget(1, { partition: 'gpu' }), gpuPartitions);
    const job = [
      { code: 'target-not-checked' as const, severity: 'information' as const, message: 'Preflight runs on the login node', action: '' },
      { code: 'batch-resplit' as const, severity: 'information' as const, message: 'kept', action: '' },
    ];
    assert.deepEqual(
      withClusterFindings(job, cluster).map((finding) => finding.code),
      ['batch-resplit', 'slurm-not-checked'],
    );
    assert.deepEqual(
      withClusterFindings(job, []).map((finding) => finding.code),
      ['target-not-checked', 'batch-resplit'],
    );
    assert.match(cluster.at(-1)!.message, /packages \(torch, transformers, peft\), the memory of their GPUs \(not judged: name target\.slurm\.gpu_type/);
  });

  it('checks the account against a partition that restricts accounts', () => {
    assert.deepEqual(codes(slurmTarget(8, { partition: 'lab', account: 'nlp-lab' })), []);
    assert.deepEqual(codes(slurmTarget(8, { partition: 'lab', account: 'nlp' })), ['error:slurm-account-not-allowed']);
    assert.deepEqual(codes(slurmTarget(8, { partition: 'lab', account: null })), ['warning:slurm-account-not-allowed']);
    assert.deepEqual(codes(slurmTarget(8, { partition: 'gpu', account: 'anyone' })), []);
  });

  it('skips the checks with a warning that says why when the partitions could not be read', () => {
    const findings = slurmPreflight(slurmTarget(1, { partition: 'gpu' }), new Error('sinfo failed: Unable to contact slurm controller'));
    assert.deepEqual(
      findings.map((finding) => [finding.code, finding.severity]),
      [
        ['slurm-partitions-unreadable', 'warning'],
        ['slurm-not-checked', 'information'],
      ],
    );
    assert.match(findings[0]!.message, /skipped.*Unable to contact slurm controller/);
  });
});
