import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { defaultTarget, type ResolvedJobTarget } from '../../src/core/jobs/jobTarget';

/** Gives a prepared run folder's config.json this target (a CPU-only Slurm job unless told otherwise). */
export function setRunTarget(runDir: string, target: Omit<Partial<ResolvedJobTarget>, 'slurm'> & { slurm?: Partial<ResolvedJobTarget['slurm']> } = {}): void {
  const file = join(runDir, 'config.json');
  const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  config.target = { ...defaultTarget, type: 'slurm', gpus: 0, ...target, slurm: { ...defaultTarget.slurm, partition: 'debug', time: '5', ...target.slurm } };
  writeFileSync(file, JSON.stringify(config, null, 2));
}
