/**
 * How the trainer is started for a job's target: one `python -m chatwright_train train …` process, or `accelerate
 * launch` with one process per GPU (DDP by default; DeepSpeed ZeRO-2/3 or FSDP when the job says so), on this machine
 * or on each node of a Slurm job. Pure: the files it returns (accelerate.yaml, deepspeed.json) are written into the run
 * folder by whoever launches (`targetRunner.ts`), and held to reviewed expectations in `test/fixtures/launch/`.
 */
import { type ResolvedJobConfig } from '../jobFile';
import { type TrainerLaunch } from '../jobRunner';
import { type BatchPlan } from '../jobTarget';

/** A file the launch needs, written into the run folder under `name`. */
export interface LaunchFile {
  name: string;
  content: string;
}

export interface TrainerLaunchPlan {
  /** The program and its arguments: what the local runner starts, or what each Slurm node runs (bash expands `$SLURM_…` there). */
  command: string;
  args: string[];
  /** Added to the trainer's environment (PYTHONPATH with `python/` first, PYTHONUNBUFFERED …). */
  env: Record<string, string>;
  files: LaunchFile[];
  batch: BatchPlan;
  worldSize: number;
  nodes: number;
  processesPerNode: number;
  /** One sentence for the preflight and the job page: "4 processes (DeepSpeed ZeRO-3) through accelerate launch". */
  description: string;
}

export function trainerLaunchPlan(args: {
  config: ResolvedJobConfig;
  /** Absolute. */
  runDir: string;
  trainer: TrainerLaunch;
}): TrainerLaunchPlan {
  void args;
  throw new Error('trainerLaunchPlan: not yet implemented (issue 19, helper H2)');
}
