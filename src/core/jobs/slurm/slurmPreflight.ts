/**
 * What can be checked of a Slurm target from the login node before submitting: the partition asked for against what
 * `sinfo` and `scontrol show partition` say (exists, up, nodes, GPUs per node and their type, time limit, accounts).
 * A job over a partition's limit is not always refused by `sbatch`: it may sit PENDING for ever (reason
 * `PartitionTimeLimit`), which is why these are errors here. What only the compute nodes know (their Python and
 * packages, GPU memory, the modules the setup lines load) is said as information.
 */
import { suggest } from '../../text/suggest';
import { type ResolvedJobTarget } from '../jobTarget';
import { computeNodePackages, gpuTypeMemory } from '../targetPreflight';
import { type PreflightCode, type PreflightFinding, type PreflightLocation, type PreflightSeverity } from '../preflight';
import { formatSlurmMinutes, parseSlurmMinutes } from './slurmParsers';
import { type SlurmPartition } from './slurmTypes';

/** A finding located at the job file's field, when the job file is known. */
type MakeFinding = (code: PreflightCode, severity: PreflightSeverity, message: string, action: string, field?: string) => PreflightFinding;

export interface SlurmPreflightOptions {
  /** The job file, so that each finding points at the field to change. */
  jobFile?: string;
}

/**
 * Findings for `target` against the cluster's partitions (from `SlurmClient.partitions()`), or the error that reading
 * them gave (the checks are then skipped with a warning that says why). Nothing for a non-Slurm target.
 */
export function slurmPreflight(target: ResolvedJobTarget, partitions: SlurmPartition[] | Error, options: SlurmPreflightOptions = {}): PreflightFinding[] {
  if (target.type !== 'slurm') return [];
  const findings: PreflightFinding[] = [];
  const slurm = target.slurm;
  const make: MakeFinding = (code, severity, message, action, field) => {
    const location: PreflightLocation | undefined = options.jobFile !== undefined ? { file: options.jobFile, ...(field !== undefined ? { field } : {}) } : undefined;
    return { code, severity, message, action, ...(location ? { location } : {}) };
  };
  const add = (...args: Parameters<MakeFinding>): void => {
    findings.push(make(...args));
  };

  // The format itself is the job file's check (jobTargetChecks.ts): a time it refused never reaches preflight.
  const requestedMinutes = parseSlurmMinutes(slurm.time);

  if (partitions instanceof Error) {
    add(
      'slurm-partitions-unreadable',
      'warning',
      `The partition, node, GPU, time and account checks were skipped: reading the partitions failed (${partitions.message}).`,
      'Check that `sinfo` works on this machine (the cluster login node); the job may still be refused or wait in the queue.',
      'target.slurm.partition',
    );
    addNotChecked(target, add);
    return findings;
  }

  const names = partitions.map((partition) => partition.name);
  if (slurm.partition === null) {
    const fallback = partitions.find((candidate) => candidate.isDefault);
    if (!fallback) {
      add(
        'slurm-partition-unknown',
        'error',
        `The cluster has no default partition${names.length > 0 ? ` (its partitions: ${names.join(', ')})` : ''}.`,
        names.length > 0 ? `Set target.slurm.partition, e.g. to ${suggest('', names)}.` : 'Ask the cluster administrators which partition to use.',
        'target.slurm.partition',
      );
    } else {
      for (const finding of partitionFindings(target, fallback, `The default partition "${fallback.name}"`, partitions, requestedMinutes, make)) findings.push(finding);
    }
    addNotChecked(target, add);
    return findings;
  }

  // `--partition=a,b`: Slurm starts the job in whichever of the listed partitions can run it first.
  const asked = slurm.partition
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  const known: SlurmPartition[] = [];
  for (const name of asked) {
    const partition = partitions.find((candidate) => candidate.name === name);
    if (partition) {
      known.push(partition);
      continue;
    }
    add(
      'slurm-partition-unknown',
      'error',
      `The cluster has no partition "${name}"${names.length > 0 ? ` (its partitions: ${names.join(', ')})` : ''}.`,
      names.length > 0 ? `Did you mean ${suggest(name, names)}?` : 'Ask the cluster administrators which partition to use.',
      'target.slurm.partition',
    );
  }
  if (known.length === asked.length) {
    const each = known.map((partition) => partitionFindings(target, partition, `Partition "${partition.name}"`, partitions, requestedMinutes, make));
    const fits = known.filter((_, index) => !each[index]!.some((finding) => finding.severity === 'error')).map((partition) => partition.name);
    for (const partitionFindingList of each) {
      for (const finding of partitionFindingList) {
        // A limit one listed partition sets does not refuse the job when another listed partition can run it.
        findings.push(
          finding.severity === 'error' && fits.length > 0
            ? { ...finding, severity: 'warning', message: `${finding.message} Slurm can still start it in ${fits.map((name) => `"${name}"`).join(', ')}.` }
            : finding,
        );
      }
    }
  }
  addNotChecked(target, add);
  return findings;
}

/** The checks of the job against one partition: what Slurm would refuse or keep pending for ever there. */
function partitionFindings(
  target: ResolvedJobTarget,
  partition: SlurmPartition,
  which: string,
  partitions: readonly SlurmPartition[],
  requestedMinutes: number | null | undefined,
  make: MakeFinding,
): PreflightFinding[] {
  const slurm = target.slurm;
  const findings: PreflightFinding[] = [];
  const add = (...args: Parameters<MakeFinding>): void => {
    findings.push(make(...args));
  };
  if (!partition.up) {
    add('slurm-partition-down', 'warning', `${which} is not up: the job will wait in the queue until it is.`, 'Choose another partition, or submit and wait.', 'target.slurm.partition');
  }

  if (slurm.nodes > partition.nodes) {
    add(
      'slurm-nodes-over-limit',
      'error',
      `The job asks for ${slurm.nodes} nodes; ${which.toLowerCase()} has ${partition.nodes}.`,
      `Set target.slurm.nodes to at most ${partition.nodes}.`,
      'target.slurm.nodes',
    );
  } else if (partition.maxNodes !== null && slurm.nodes > partition.maxNodes) {
    add(
      'slurm-nodes-over-limit',
      'error',
      `The job asks for ${slurm.nodes} nodes; ${which.toLowerCase()} allows at most ${partition.maxNodes} a job.`,
      `Set target.slurm.nodes to at most ${partition.maxNodes}.`,
      'target.slurm.nodes',
    );
  }

  if (target.gpus > 0) {
    const withGpus = partitions.filter((candidate) => candidate.gpusPerNode >= target.gpus).map((candidate) => candidate.name);
    const elsewhere = withGpus.length > 0 ? ` Partitions with ${target.gpus} GPUs a node: ${withGpus.join(', ')}.` : '';
    if (partition.gpusPerNode === 0) {
      add(
        'slurm-gpus-over-limit',
        'error',
        `The job asks for ${target.gpus} GPU${target.gpus === 1 ? '' : 's'} a node; ${which.toLowerCase()} has no GPUs (no gpu gres).`,
        `Choose a partition with GPUs, or set target.gpus to 0 for a CPU-only job.${elsewhere}`,
        'target.gpus',
      );
    } else if (target.gpus > partition.gpusPerNode) {
      add(
        'slurm-gpus-over-limit',
        'error',
        `The job asks for ${target.gpus} GPUs a node; the nodes of ${which.toLowerCase()} have at most ${partition.gpusPerNode}.`,
        `Set target.gpus to at most ${partition.gpusPerNode} (and add nodes instead).${elsewhere}`,
        'target.gpus',
      );
    }
    if (slurm.gpu_type !== null && partition.gpusPerNode > 0 && !partition.gpuTypes.includes(slurm.gpu_type)) {
      const offered = partition.gpuTypes.length > 0 ? `offers ${partition.gpuTypes.join(', ')}` : 'names no GPU types in its gres';
      add(
        'slurm-gpu-type-unknown',
        'error',
        `The job asks for GPU type "${slurm.gpu_type}"; ${which.toLowerCase()} ${offered}.`,
        partition.gpuTypes.length > 0 ? `Set target.slurm.gpu_type to ${suggest(slurm.gpu_type, partition.gpuTypes)}, or to null for any GPU.` : 'Set target.slurm.gpu_type to null (any GPU).',
        'target.slurm.gpu_type',
      );
    }
  }

  if (requestedMinutes !== undefined && requestedMinutes !== null && partition.maxTimeMinutes !== null && requestedMinutes > partition.maxTimeMinutes) {
    add(
      'slurm-time-over-limit',
      'error',
      `The job asks for ${slurm.time} (${formatSlurmMinutes(requestedMinutes)}); ${which.toLowerCase()} allows at most ${formatSlurmMinutes(partition.maxTimeMinutes)}: Slurm would keep it pending (PartitionTimeLimit).`,
      `Set target.slurm.time to at most "${formatSlurmMinutes(partition.maxTimeMinutes)}" (the trainer saves before the limit; resume continues from the checkpoint).`,
      'target.slurm.time',
    );
  }

  if (partition.allowAccounts !== null) {
    const allowed = partition.allowAccounts.join(', ');
    if (slurm.account === null) {
      add(
        'slurm-account-not-allowed',
        'warning',
        `${which} only takes jobs of the accounts ${allowed}; the job names no account, so your default account is used.`,
        `Set target.slurm.account to one of ${allowed} if your default account is not among them.`,
        'target.slurm.account',
      );
    } else if (!partition.allowAccounts.includes(slurm.account)) {
      add(
        'slurm-account-not-allowed',
        'error',
        `${which} only takes jobs of the accounts ${allowed}, not "${slurm.account}".`,
        `Set target.slurm.account to one of ${suggest(slurm.account, partition.allowAccounts)}, or choose another partition.`,
        'target.slurm.account',
      );
    }
  }

  return findings;
}

/**
 * What the login node cannot see: said once, so the user knows what the first minutes of the job will test. It stands
 * for the job preflight's `target-not-checked` too (`withClusterFindings` keeps only this one).
 */
function addNotChecked(target: ResolvedJobTarget, add: (...args: Parameters<MakeFinding>) => void): void {
  const python = target.slurm.python ?? 'the Python this job is started with';
  const parts = [`the compute nodes' Python (${python}) and its packages (${computeNodePackages(target).join(', ')})`];
  if (target.gpus > 0) {
    const memory = target.slurm.gpu_type !== null ? gpuTypeMemory(target.slurm.gpu_type) : undefined;
    parts.push(
      memory
        ? `the memory of their GPUs (the fit is judged for ${memory.name} with ${memory.gib} GiB per GPU, not measured)`
        : 'the memory of their GPUs (not judged: name target.slurm.gpu_type to have it judged)',
    );
  }
  if (target.slurm.setup.length > 0) parts.push('the setup lines (module names, environments they activate)');
  add(
    'slurm-not-checked',
    'information',
    `Not checked from this login node: ${parts.join(', ')}.`,
    'They are tested when the job starts (a short job first, training.max_steps: 5, tests them cheaply); a mistake there ends the job early with its message in train.log.',
    target.slurm.setup.length > 0 ? 'target.slurm.setup' : 'target.slurm.python',
  );
}

/**
 * The job's preflight findings with the cluster's added. The cluster's `slurm-not-checked` says what the job
 * preflight's `target-not-checked` says, with the partition checked: only the Slurm one is kept.
 */
export function withClusterFindings(findings: readonly PreflightFinding[], clusterFindings: readonly PreflightFinding[]): PreflightFinding[] {
  const replaced = clusterFindings.some((finding) => finding.code === 'slurm-not-checked');
  return [...findings.filter((finding) => !replaced || finding.code !== 'target-not-checked'), ...clusterFindings];
}
