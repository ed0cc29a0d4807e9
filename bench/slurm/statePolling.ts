// What following N Slurm jobs costs per poll: each run asks for its own job's state every few seconds. Against a real
// single-node cluster (test/support/slurmCluster.ts: munged, mariadb + slurmdbd, slurmctld, slurmd on localhost), N
// held jobs are followed by N concurrent `jobStates([id])` calls, as N followed runs make them:
//   ours: the client coalesces the calls of one poll tick into one `squeue` (SlurmClient's default coalesceMs);
//   peer: one `squeue` per job (coalesceMs 0), what a follower per run does without it.
// Reports the median wall time of a poll tick over --rounds and the ratio peer / ours. Never asserts.
//   node --import tsx bench/slurm/statePolling.ts [--jobs 16] [--rounds 7]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SlurmClient } from '../../src/core/jobs/slurm/slurmClient';
import { startSlurmCluster } from '../../test/support/slurmCluster';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '16' }, rounds: { type: 'string', default: '7' } } });
const jobs = Number(values.jobs);
const rounds = Number(values.rounds);

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function tick(client: SlurmClient, ids: readonly string[]): Promise<number> {
  const started = performance.now();
  const answers = await Promise.all(ids.map((id) => client.jobStates([id])));
  const elapsed = performance.now() - started;
  if (answers.some((states, index) => states.get(ids[index]!)?.state !== 'PENDING')) throw new Error('a held job was not PENDING');
  return elapsed;
}

async function main(): Promise<void> {
  const cluster = await startSlurmCluster({ accounting: true });
  const folder = mkdtempSync(join(tmpdir(), 'chatwright-bench-slurm-'));
  try {
    const script = join(folder, 'held.sbatch');
    writeFileSync(script, `#!/bin/bash\n#SBATCH --output=${folder}/%j.out\n#SBATCH --hold\n#SBATCH --time=1\nsleep 1\n`);
    const submitter = new SlurmClient({ env: cluster.env });
    const ids: string[] = [];
    for (let index = 0; index < jobs; index++) ids.push((await submitter.submit(script, folder)).jobId);
    const ours = new SlurmClient({ env: cluster.env });
    const peer = new SlurmClient({ env: cluster.env, coalesceMs: 0 });
    await tick(ours, ids);
    await tick(peer, ids);
    const oursMs: number[] = [];
    const peerMs: number[] = [];
    for (let round = 0; round < rounds; round++) {
      oursMs.push(await tick(ours, ids));
      peerMs.push(await tick(peer, ids));
    }
    const result = {
      jobs,
      rounds,
      oursMedianMs: Math.round(median(oursMs)),
      peerMedianMs: Math.round(median(peerMs)),
      ratio: Number((median(peerMs) / median(oursMs)).toFixed(2)),
      loadAverage: loadavg()[0],
    };
    console.log(
      `one poll tick for ${jobs} followed jobs (median of ${rounds}): ours ${result.oursMedianMs} ms (one squeue), peer ${result.peerMedianMs} ms (one squeue per job): ours takes 1/${result.ratio} of the peer's time`,
    );
    console.log(JSON.stringify(result));
    for (const id of ids) await submitter.cancel(id);
  } finally {
    rmSync(folder, { recursive: true, force: true });
    await cluster.stop();
  }
}

void main();
