/**
 * Where a fine-tuning job (or a GPU server) runs: `local` (this machine: one process, or one per GPU through
 * `accelerate launch`) or `slurm` (a generated `sbatch` script on the cluster whose login node this is). The job file's
 * `target` section (`jobFields.ts`) resolves to `ResolvedJobTarget`; `python/chatwright_train/config.py` checks it
 * again. The batch arithmetic that keeps the effective batch equal to what the user asked for lives here too
 * (`planBatch`), mirrored by `chatwright_train.distributed.plan_batch`; both are held to `test/fixtures/batch-plans.json`.
 */

export const targetTypes = ['local', 'slurm'] as const;
export type TargetType = (typeof targetTypes)[number];

/** How several processes share the training: data parallel (DDP), DeepSpeed ZeRO stage 2 or 3, or PyTorch FSDP. */
export const distributedStrategies = ['ddp', 'deepspeed_zero2', 'deepspeed_zero3', 'fsdp'] as const;
export type DistributedStrategy = (typeof distributedStrategies)[number];

/** `target.slurm`: what the generated `sbatch` script asks the scheduler for. */
export interface ResolvedSlurmTarget {
  /** `--partition`; null: the cluster's default partition. */
  partition: string | null;
  /** `--account`; null: the user's default account. */
  account: string | null;
  /** `--qos`; null: the default. */
  qos: string | null;
  /** `--nodes`. Default 1. */
  nodes: number;
  /** `--time`, in a format Slurm accepts (`minutes`, `hh:mm:ss`, `d-hh:mm:ss` …). Default "04:00:00". */
  time: string;
  /** `--cpus-per-task` (one task per node); null: Slurm's default. */
  cpus_per_task: number | null;
  /** `--mem` (per node, e.g. `64G`); null: Slurm's default. */
  mem: string | null;
  /** The GPU type in `--gpus-per-node=<type>:<n>` (`a100`); null: any GPU. */
  gpu_type: string | null;
  /** Extra `#SBATCH` options, each without the `#SBATCH` prefix (`--mail-type=END`, `--constraint=a100`). */
  sbatch: string[];
  /** Shell lines run before the trainer on the compute node (`module load cuda/12.4`, `source ~/venv/bin/activate`). */
  setup: string[];
  /** The Python on the compute nodes; null: the interpreter the job was started with (a shared filesystem). */
  python: string | null;
  /** Seconds before the time limit at which Slurm signals the job script (`--signal=B:USR2@N`), which asks the trainer to save through RUN/stop-now. Default 300. */
  save_before_limit_seconds: number;
}

export interface ResolvedJobTarget {
  type: TargetType;
  /** GPUs (processes) per node: on this machine for `local`, on each node for `slurm`. Default 1; 0 = a CPU job (Slurm only, no `--gpus-per-node`). */
  gpus: number;
  /** How several processes share the work. Default `ddp`; ignored by a single process. */
  strategy: DistributedStrategy;
  /** The rendezvous port of the first node (`--main_process_port`). Default 29500 (torch's). */
  main_port: number;
  slurm: ResolvedSlurmTarget;
}

/** The target of a job file without a `target` section: today's single local process. */
export const defaultTarget: ResolvedJobTarget = {
  type: 'local',
  gpus: 1,
  strategy: 'ddp',
  main_port: 29500,
  slurm: { partition: null, account: null, qos: null, nodes: 1, time: '04:00:00', cpus_per_task: null, mem: null, gpu_type: null, sbatch: [], setup: [], python: null, save_before_limit_seconds: 300 },
};

/** How many training processes the target starts in all: nodes × GPUs per node (at least 1). */
export function worldSizeOf(target: ResolvedJobTarget): number {
  const nodes = target.type === 'slurm' ? target.slurm.nodes : 1;
  return Math.max(1, nodes * Math.max(1, target.gpus));
}

/**
 * The batch each process takes and how many steps it accumulates, so that the effective batch (per-device batch ×
 * accumulation × processes) equals what the job asked for on one device (`per_device_batch_size ×
 * gradient_accumulation_steps`).
 */
export interface BatchPlan {
  worldSize: number;
  perDeviceBatch: number;
  gradientAccumulation: number;
  /** perDeviceBatch × gradientAccumulation × worldSize. */
  effectiveBatch: number;
  /** per_device_batch_size × gradient_accumulation_steps as written. */
  requestedEffectiveBatch: number;
  /** Whether per-device batch or accumulation differ from what the job file says. */
  changed: boolean;
  /** Set when no split keeps the effective batch: why, and what to write instead (a preflight error). */
  problem?: string;
}

/**
 * Keeps the effective batch over `worldSize` processes: the largest per-device batch not above the one asked for
 * such that `requested / (perDevice × worldSize)` is a whole accumulation count. A smaller per-device batch never
 * needs more memory than the one asked for, and the largest one keeps each step's GPU work as large as the job allowed.
 * When `worldSize` does not divide the requested effective batch no split keeps it; the plan then says so in
 * `problem`, with the nearest effective batches that do divide and job file values that give them (preflight refuses
 * the job with it). `chatwright_train.distributed.plan_batch` is the same arithmetic with the same words.
 */
export function planBatch(training: { per_device_batch_size: number; gradient_accumulation_steps: number }, worldSize: number): BatchPlan {
  const perDevice = training.per_device_batch_size;
  const accumulation = training.gradient_accumulation_steps;
  const requested = perDevice * accumulation;
  const world = Math.max(1, Math.floor(worldSize));
  if (world === 1) return { worldSize: 1, perDeviceBatch: perDevice, gradientAccumulation: accumulation, effectiveBatch: requested, requestedEffectiveBatch: requested, changed: false };
  for (let candidate = perDevice; candidate >= 1; candidate--) {
    if (requested % (candidate * world) !== 0) continue;
    const steps = requested / (candidate * world);
    return {
      worldSize: world,
      perDeviceBatch: candidate,
      gradientAccumulation: steps,
      effectiveBatch: requested,
      requestedEffectiveBatch: requested,
      changed: candidate !== perDevice || steps !== accumulation,
    };
  }
  return {
    worldSize: world,
    perDeviceBatch: perDevice,
    gradientAccumulation: accumulation,
    effectiveBatch: perDevice * accumulation * world,
    requestedEffectiveBatch: requested,
    changed: false,
    problem: unsplittableBatchProblem(perDevice, accumulation, world),
  };
}

/** Job file values whose effective batch is `effective`: the per-device batch asked for when it divides, else the largest one below it that does. */
function settingsFor(effective: number, perDevice: number): string {
  let batch = Math.min(perDevice, effective);
  while (effective % batch !== 0) batch--;
  return `per_device_batch_size: ${batch}, gradient_accumulation_steps: ${effective / batch}`;
}

function unsplittableBatchProblem(perDevice: number, accumulation: number, world: number): string {
  const requested = perDevice * accumulation;
  const below = Math.floor(requested / world) * world;
  const above = below + world;
  const options = [...(below >= world ? [below] : []), above].map((effective) => `${effective} (${settingsFor(effective, perDevice)})`);
  return (
    `the effective batch ${requested} (per_device_batch_size ${perDevice} × gradient_accumulation_steps ${accumulation}) cannot be shared by ${world} processes: ` +
    `it must be a multiple of ${world}. Write an effective batch of ${options.join(' or ')}, or use a number of GPUs that divides ${requested}`
  );
}
