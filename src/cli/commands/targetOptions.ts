import { jobRules } from '../../core/jobs/jobFields';
import { type ResolvedJobConfig } from '../../core/jobs/jobFile';
import { defaultTarget, targetTypes, type ResolvedJobTarget, type TargetType } from '../../core/jobs/jobTarget';
import { UsageError } from '../io';

/** The bounds of `target.gpus` in the field table, so that `--gpus` takes exactly what the job file would. */
function gpusBounds(): { minimum: number; maximum: number } {
  const target = jobRules.fields['target'];
  const rule = target?.kind === 'section' ? target.fields['gpus'] : undefined;
  if (rule?.kind !== 'integer' || rule.minimum === undefined || rule.maximum === undefined) throw new Error('the field table has no bounded integer target.gpus');
  return { minimum: rule.minimum, maximum: rule.maximum };
}

/** `chatwright train`'s `--target` and `--gpus`, as given (absent: the job file's). */
export interface TargetOverrides {
  target?: string;
  gpus?: string;
}

/** The job's config with the command line's target, and the sentences that say what came from where. */
export interface OverriddenTarget {
  config: ResolvedJobConfig;
  notes: string[];
}

/**
 * Applies `--target local|slurm` and `--gpus N` over the job file's `target` (the rest of the section stays as the
 * file says: a `target.slurm` section is kept when the type switches). Throws `UsageError` for a value the job file
 * would not accept either.
 */
export function overrideTarget(config: ResolvedJobConfig, overrides: TargetOverrides): OverriddenTarget {
  const fromFile = config.target;
  let type: TargetType = fromFile.type;
  if (overrides.target !== undefined) {
    if (!(targetTypes as readonly string[]).includes(overrides.target)) throw new UsageError(`--target must be ${targetTypes.join(' or ')}, got '${overrides.target}'`);
    type = overrides.target as TargetType;
  }
  let gpus = fromFile.gpus;
  if (overrides.gpus !== undefined) {
    const { minimum, maximum } = gpusBounds();
    if (!/^\d{1,9}$/.test(overrides.gpus) || Number(overrides.gpus) < minimum || Number(overrides.gpus) > maximum)
      throw new UsageError(`--gpus must be a whole number of GPUs per node from ${minimum} to ${maximum} (0 for a CPU-only Slurm job), got '${overrides.gpus}'`);
    gpus = Number(overrides.gpus);
  }
  if (type === 'local' && gpus < 1)
    throw new UsageError(`a local job needs at least one process: --gpus ${gpus} is for Slurm only (a CPU-only job on the cluster); on this machine a CPU run is --gpus 1`);
  const target: ResolvedJobTarget = { ...fromFile, type, gpus };
  const notes: string[] = [];
  if (overrides.target !== undefined && type !== fromFile.type) notes.push(`Target: ${type} (from --target; the job file says ${fromFile.type})`);
  if (overrides.gpus !== undefined && gpus !== fromFile.gpus) notes.push(`GPUs per node: ${gpus} (from --gpus; the job file says ${fromFile.gpus})`);
  if (type === 'slurm' && sameSlurmSettings(target.slurm, defaultTarget.slurm))
    notes.push(
      `The job file has no target.slurm settings: the defaults apply (the cluster's default partition, ${defaultTarget.slurm.nodes} node, time limit ${defaultTarget.slurm.time}); set target.slurm in the job file to choose`,
    );
  return { config: { ...config, target }, notes };
}

function sameSlurmSettings(a: ResolvedJobTarget['slurm'], b: ResolvedJobTarget['slurm']): boolean {
  return JSON.stringify(a, Object.keys(a).sort()) === JSON.stringify(b, Object.keys(b).sort());
}
