import { runtimeOverhead, type Hardware, type MemoryEstimate } from '../hub/memoryEstimate';
import { type ResolvedJobConfig } from './jobFile';
import { slurmTimeSeconds } from './jobTargetChecks';
import { planBatch, worldSizeOf, type BatchPlan, type DistributedStrategy, type ResolvedJobTarget } from './jobTarget';

/**
 * What preflight can say about where a job runs, before anything starts: whether the processes can share the
 * effective batch (and how they will), whether this machine has the GPUs and the packages a multi-process launch
 * needs, which method/strategy pairs the trainer cannot run, the per-GPU memory under sharding, and for Slurm what the
 * login node cannot see. The Slurm partition checks themselves (sinfo/scontrol) are `slurm/slurmPreflight.ts`'s.
 */

/** A package as the environment probe reports it (`chatwright_train.probe`): installed or not, and its version. */
export type ProbedPackages = Readonly<Record<string, { ok: boolean; version: string | null } | undefined>>;

export type TargetFindingCode =
  'batch-not-divisible' | 'batch-resplit' | 'target-gpus-unavailable' | 'target-package-missing' | 'target-strategy-unsupported' | 'target-not-checked' | 'slurm-save-signal-at-start';

/** How early Slurm may send the `--signal` before the time it was asked for (sbatch's manual: up to 60 seconds). */
export const slurmSignalEarlySeconds = 60;

export interface TargetFinding {
  code: TargetFindingCode;
  severity: 'error' | 'warning' | 'information';
  message: string;
  action: string;
  /** The job file's dotted field the fix is in. */
  field: string;
}

export interface TargetCheckOptions {
  hardware?: Hardware;
  packages?: ProbedPackages;
  /** The interpreter the job runs with, for the install command. */
  python?: string;
}

/** The batch plan of the job's target. */
export function batchPlanOf(config: ResolvedJobConfig): BatchPlan {
  return planBatch(config.training, worldSizeOf(config.target));
}

function processWord(config: ResolvedJobConfig, count: number): string {
  return config.target.gpus >= 1 ? `${count} GPU${count === 1 ? '' : 's'}` : `${count} process${count === 1 ? '' : 'es'}`;
}

/** The strategy that actually runs: a single process has nothing to share. */
export function effectiveStrategy(config: Pick<ResolvedJobConfig, 'target'>): DistributedStrategy | undefined {
  return worldSizeOf(config.target) > 1 ? config.target.strategy : undefined;
}

function strategyProblem(config: ResolvedJobConfig): string | undefined {
  const strategy = effectiveStrategy(config);
  const { method, target } = config;
  if (method.type === 'qlora' && target.type === 'slurm' && target.gpus === 0)
    return 'QLoRA quantizes the base model with bitsandbytes on a CUDA GPU; a CPU-only Slurm job (target.gpus: 0) cannot run it.';
  if (strategy === undefined) return undefined;
  if (method.type === 'qlora' && (strategy === 'deepspeed_zero3' || strategy === 'fsdp'))
    return `QLoRA with ${strategy} would shard a 4-bit base model. PEFT and bitsandbytes support that only when the model is loaded with bnb_4bit_quant_storage equal to the compute dtype and without a device map, so the sharding wrapper can flatten the packed weights; Chatwright's trainer places the whole 4-bit model on each process's GPU (device_map), which ${strategy === 'fsdp' ? 'FSDP' : 'ZeRO-3'} cannot shard.`;
  if (target.gpus === 0 && strategy !== 'ddp') return `${strategy} needs GPUs; a CPU-only Slurm job (target.gpus: 0) runs its processes with plain data parallelism (ddp, over gloo).`;
  return undefined;
}

function requiredPackages(config: Pick<ResolvedJobConfig, 'target'>): { name: string; why: string }[] {
  const strategy = effectiveStrategy(config);
  if (strategy === undefined) return [];
  const needs = [{ name: 'accelerate', why: `${worldSizeOf(config.target)} processes are started through accelerate launch` }];
  if (strategy === 'deepspeed_zero2' || strategy === 'deepspeed_zero3') needs.push({ name: 'deepspeed', why: `the ${strategy} strategy runs on DeepSpeed` });
  return needs;
}

/** The target's findings, independent of the model and the data. */
export function targetFindings(config: ResolvedJobConfig, options: TargetCheckOptions = {}): TargetFinding[] {
  const findings: TargetFinding[] = [];
  const { target } = config;
  const world = worldSizeOf(target);
  const plan = batchPlanOf(config);
  if (plan.problem !== undefined) {
    findings.push({
      code: 'batch-not-divisible',
      severity: 'error',
      message: `With ${processWord(config, world)} the effective batch the job asks for cannot be kept: ${plan.problem}.`,
      action: `Change training.per_device_batch_size or training.gradient_accumulation_steps as suggested, or set target.gpus${target.type === 'slurm' ? '/target.slurm.nodes' : ''} so that the processes divide the effective batch.`,
      field: 'training.per_device_batch_size',
    });
  } else if (plan.changed) {
    findings.push({
      code: 'batch-resplit',
      severity: 'information',
      message: `effective batch ${plan.effectiveBatch} kept: ${plan.perDeviceBatch} per ${config.target.gpus >= 1 ? 'GPU' : 'process'} × ${plan.gradientAccumulation} step${plan.gradientAccumulation === 1 ? '' : 's'} × ${processWord(config, world)} (the job file says ${config.training.per_device_batch_size} × ${config.training.gradient_accumulation_steps} on one device).`,
      action: 'Nothing to do: the launcher and the trainer apply this split.',
      field: 'training.per_device_batch_size',
    });
  }
  const visible = options.hardware?.gpus.length;
  if (target.type === 'local' && target.gpus > 1 && visible !== undefined && target.gpus > visible) {
    findings.push({
      code: 'target-gpus-unavailable',
      severity: 'error',
      message: `The job asks for ${target.gpus} GPUs and this machine shows ${visible === 0 ? 'no NVIDIA GPU' : `${visible}: ${options.hardware!.gpus.map((gpu) => gpu.name).join(', ')}`}.`,
      action:
        visible >= 1
          ? `Set target.gpus to ${visible} or less (the batch is split again), or run the job where the GPUs are (a Slurm target).`
          : 'Run the job on a machine with NVIDIA GPUs, or on a Slurm target.',
      field: 'target.gpus',
    });
  }
  const unsupported = strategyProblem(config);
  if (unsupported !== undefined) {
    findings.push({
      code: 'target-strategy-unsupported',
      severity: 'error',
      message: unsupported,
      action:
        config.method.type === 'qlora' && target.gpus >= 1
          ? 'Use target.strategy: ddp or deepspeed_zero2 with QLoRA (each GPU holds the 4-bit base, which is what QLoRA saves memory for), or method.type: lora with deepspeed_zero3 or fsdp to shard a bf16 base.'
          : config.method.type === 'qlora'
            ? 'Ask for GPUs (target.gpus: 1 or more), or use method.type: lora.'
            : 'Set target.strategy: ddp.',
      field: config.method.type === 'qlora' && target.gpus === 0 && target.type === 'slurm' ? 'target.gpus' : 'target.strategy',
    });
  }
  if (target.type === 'local' && options.packages) {
    const missing = requiredPackages(config).filter((needed) => !options.packages?.[needed.name]?.ok);
    if (missing.length > 0) {
      const python = options.python ?? 'python3';
      findings.push({
        code: 'target-package-missing',
        severity: 'error',
        message: `${python} lacks ${missing.map((needed) => `${needed.name} (${needed.why})`).join(' and ')}.`,
        action: `Install ${missing.length === 1 ? 'it' : 'them'}: "${python}" -m pip install ${missing.map((needed) => `"${needed.name}"`).join(' ')}`,
        field: missing.some((needed) => needed.name === 'deepspeed') ? 'target.strategy' : 'target.gpus',
      });
    }
  }
  if (target.type === 'slurm') {
    const limit = slurmTimeSeconds(target.slurm.time);
    const save = target.slurm.save_before_limit_seconds;
    if (limit !== undefined && limit > 0 && save + slurmSignalEarlySeconds >= limit) {
      findings.push({
        code: 'slurm-save-signal-at-start',
        severity: 'warning',
        message: `The trainer is told to save and stop ${save} s before the time limit of ${target.slurm.time} (${limit} s), and Slurm may send that signal up to ${slurmSignalEarlySeconds} s early: it would stop right after it starts.`,
        action: `Lower target.slurm.save_before_limit_seconds below ${Math.max(0, limit - slurmSignalEarlySeconds)} (a few minutes is enough to write an adapter checkpoint), or raise target.slurm.time.`,
        field: 'target.slurm.save_before_limit_seconds',
      });
    }
    const packages = computeNodePackages(target);
    const gpuMemory = target.slurm.gpu_type !== null ? gpuTypeMemory(target.slurm.gpu_type) : undefined;
    const environment = `the compute nodes' Python environment (${target.slurm.python ?? 'the interpreter the job starts with'}${target.slurm.setup.length > 0 ? ', after the setup lines,' : ''} needs ${packages.join(', ')})`;
    const memory =
      target.gpus === 0
        ? '.'
        : gpuMemory
          ? ` nor their GPU memory: the memory fit is judged for ${gpuMemory.name} with ${gpuMemory.gib} GiB per GPU (target.slurm.gpu_type), not measured.`
          : target.slurm.gpu_type !== null
            ? ` nor their GPU memory: '${target.slurm.gpu_type}' is not a GPU type whose memory Chatwright knows, so the memory fit is not judged.`
            : " nor their GPU memory: the login node's GPU says nothing about theirs, so the memory fit is not judged (name target.slurm.gpu_type to have it judged).";
    findings.push({
      code: 'target-not-checked',
      severity: 'information',
      message: `Preflight runs on the login node: it cannot check ${environment}${memory}`,
      action: 'Submit a short job first (training.max_steps: 5), or check the environment in an interactive srun on the partition.',
      field: 'target.slurm',
    });
  }
  return findings;
}

/** The packages the trainer needs on a Slurm job's compute nodes (accelerate and deepspeed when its strategy uses them). */
export function computeNodePackages(target: ResolvedJobTarget): string[] {
  return ['torch', 'transformers', 'peft', ...requiredPackages({ target }).map((needed) => needed.name)];
}

/**
 * GPU memory by Slurm GPU type name (`--gpus-per-node=<type>:n`, the gres type the cluster's admins chose): a size in
 * the name (`a100_80gb`, `h100-94gb`) wins; otherwise the family's smallest common size, so that the fit is never
 * judged on memory the card may not have.
 */
export function gpuTypeMemory(type: string): { name: string; gib: number } | undefined {
  const name = type.toLowerCase().replace(/[_-]/g, ' ');
  // A size is a word of its own (`a100_80gb`, `a100-40g`, `h100 80GB`): the digits of a model name (`a10g`) are not one.
  const sized = /(?:^|\s)(\d{2,3})\s*g(?:i?b)?\b/.exec(name);
  const size = sized ? Number(sized[1]) : undefined;
  const families: [RegExp, number][] = [
    [/gh200/, 96],
    [/h200/, 141],
    [/h100|h800|a800/, 80],
    [/a100/, 40],
    [/l40|a6000|rtx ?6000|a40\b/, 48],
    [/a30\b|a10g?\b|l4\b|4090|3090/, 24],
    [/v100|t4\b/, 16],
    [/mi300x/, 192],
    [/mi250/, 128],
  ];
  const family = families.find(([pattern]) => pattern.test(name));
  if (size !== undefined && size >= 8 && size <= 512) return { name: type, gib: size };
  return family ? { name: type, gib: family[1] } : undefined;
}

/**
 * The hardware the memory fit is judged on: this machine's GPUs for a local target (the smallest of those the
 * processes use), the GPU type's memory for a Slurm target that names one, none otherwise (no judgement).
 */
export function memoryFitHardware(config: ResolvedJobConfig, hardware: Hardware | undefined): Hardware | undefined {
  const { target } = config;
  if (target.type === 'slurm') {
    const memory = target.slurm.gpu_type !== null && target.gpus > 0 ? gpuTypeMemory(target.slurm.gpu_type) : undefined;
    if (!memory) return undefined;
    const bytes = memory.gib * 2 ** 30;
    return {
      ramBytes: hardware?.ramBytes ?? 0,
      freeRamBytes: hardware?.freeRamBytes ?? 0,
      cpuCount: hardware?.cpuCount ?? 1,
      gpus: [{ name: `${memory.name} (target.slurm.gpu_type)`, memoryBytes: bytes, freeBytes: undefined }],
    };
  }
  if (!hardware || target.gpus <= 1 || hardware.gpus.length === 0) return hardware;
  const used = hardware.gpus.slice(0, target.gpus);
  const smallest = [...used].sort((a, b) => a.memoryBytes - b.memoryBytes)[0]!;
  return { ...hardware, gpus: [smallest] };
}

/**
 * One GPU's share of a training estimate under the job's strategy: DDP replicates everything; ZeRO-2 shards the
 * gradients and optimizer state (14 of the 16 bytes per trainable parameter; the bf16 weights stay on every GPU);
 * ZeRO-3 and FSDP shard the base weights and the whole training state. Activations follow the per-device batch.
 * One process gets the estimate unchanged.
 */
export function shardEstimate(estimate: MemoryEstimate, strategy: DistributedStrategy | undefined, worldSize: number): MemoryEstimate {
  if (strategy === undefined || worldSize <= 1 || strategy === 'ddp') return estimate;
  const { breakdown } = estimate;
  const fullySharded = strategy === 'deepspeed_zero3' || strategy === 'fsdp';
  const weights = fullySharded ? Math.ceil(breakdown.weights / worldSize) : breakdown.weights;
  const trainingState = fullySharded ? Math.ceil(breakdown.trainingState / worldSize) : Math.ceil(breakdown.trainingState * (2 / 16 + 14 / 16 / worldSize));
  const base = weights + breakdown.kvCache + breakdown.activations + trainingState;
  const bytes = Math.round(base * runtimeOverhead);
  return { ...estimate, variant: `${estimate.variant}, ${strategy} over ${worldSize} GPUs`, bytes, breakdown: { ...breakdown, weights, trainingState, overhead: bytes - base } };
}
