import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { defaultTarget, type ResolvedJobTarget, type ResolvedSlurmTarget } from '../../src/core/jobs/jobTarget';
import { SlurmClient } from '../../src/core/jobs/slurm/slurmClient';
import { slurmPreflight } from '../../src/core/jobs/slurm/slurmPreflight';
import { type SlurmPartition } from '../../src/core/jobs/slurm/slurmTypes';
import { scratchDir } from '../support/scratchDir';
import { slurmClusterUnavailable, startSlurmCluster, type SlurmCluster } from '../support/slurmCluster';

function slurmTarget(gpus: number, slurm: Partial<ResolvedSlurmTarget>): ResolvedJobTarget {
  return { ...defaultTarget, type: 'slurm', gpus, slurm: { ...defaultTarget.slurm, ...slurm } };
}

const problems = (findings: ReturnType<typeof slurmPreflight>): string[] => findings.filter((finding) => finding.severity !== 'information').map((finding) => `${finding.severity}:${finding.code}`);

describe("slurmPreflight against a real cluster's partitions", { skip: slurmClusterUnavailable() }, () => {
  let cluster: SlurmCluster;
  let client: SlurmClient;
  let partitions: SlurmPartition[];
  before(async () => {
    cluster = await startSlurmCluster({ accounting: false });
    client = new SlurmClient({ env: cluster.env });
    partitions = await client.partitions();
  });
  after(async () => {
    await cluster?.stop();
  });

  it('passes a CPU job that fits the default partition', () => {
    assert.deepEqual(problems(slurmPreflight(slurmTarget(0, { partition: null, time: '5' }), partitions)), []);
    assert.deepEqual(problems(slurmPreflight(slurmTarget(0, { partition: 'short', time: '00:01:00' }), partitions)), []);
  });

  it("refuses what the cluster's partitions cannot give: time, nodes, GPUs, a misspelt partition", () => {
    assert.deepEqual(problems(slurmPreflight(slurmTarget(0, { partition: 'short', time: '00:02:00' }), partitions)), ['error:slurm-time-over-limit']);
    assert.deepEqual(problems(slurmPreflight(slurmTarget(0, { partition: 'short', nodes: 2, time: '1' }), partitions)), ['error:slurm-nodes-over-limit']);
    assert.deepEqual(problems(slurmPreflight(slurmTarget(1, { partition: 'debug', time: '1' }), partitions)), ['error:slurm-gpus-over-limit']);
    const misspelt = slurmPreflight(slurmTarget(0, { partition: 'debg', time: '1' }), partitions);
    assert.deepEqual(problems(misspelt), ['error:slurm-partition-unknown']);
    assert.match(misspelt[0]!.action, /^Did you mean `debug`/);
  });

  it('is right to refuse a time over the limit: sbatch takes the job and Slurm leaves it pending', async () => {
    const dir = scratchDir('slurm-preflight-runs');
    const script = join(dir, 'too-long.sbatch');
    writeFileSync(script, `#!/bin/bash\n#SBATCH --partition=short\n#SBATCH --time=2\n#SBATCH --mem=50M\n#SBATCH --output=${join(dir, 'too-long.log')}\ntrue\n`, { mode: 0o755 });
    const { jobId } = await client.submit(script, dir);
    const deadline = Date.now() + 60_000;
    let reason: string | undefined;
    while (Date.now() < deadline) {
      const state = (await client.jobStates([jobId])).get(jobId);
      reason = state?.reason;
      if (state?.state === 'PENDING' && reason === 'PartitionTimeLimit') break;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    await client.cancel(jobId);
    assert.equal(reason, 'PartitionTimeLimit');
  });

  it('skips the checks with a warning when sinfo cannot reach a controller', async () => {
    const dir = scratchDir('slurm-preflight-noconf');
    const unreachable = new SlurmClient({ env: { ...cluster.env, SLURM_CONF: join(dir, 'missing-slurm.conf') }, timeoutMs: 20_000 });
    const error = await unreachable.partitions().then(
      () => undefined,
      (failure: unknown) => failure as Error,
    );
    assert.ok(error instanceof Error);
    const findings = slurmPreflight(slurmTarget(1, { partition: 'debug' }), error);
    assert.deepEqual(problems(findings), ['warning:slurm-partitions-unreadable']);
    assert.match(findings[0]!.message, /skipped/);
  });
});
