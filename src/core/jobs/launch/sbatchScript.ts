/**
 * The `sbatch` script a Slurm job becomes: the `#SBATCH` lines from `target.slurm`, the user's setup lines, then `srun`
 * running the trainer's launch plan on every node, its output appended to the run folder's train.log. Pure text,
 * held to reviewed expectations in `test/fixtures/launch/` (single GPU, several GPUs, several nodes, DeepSpeed).
 */
import { type ResolvedJobConfig } from '../jobFile';
import { type ServerLaunch, type TrainerLaunch } from '../jobRunner';
import { type ResolvedJobTarget } from '../jobTarget';
import { type LaunchFile, type TrainerLaunchPlan } from './trainerLaunchPlan';

/** The script's name in the run folder. */
export const sbatchScriptFile = 'job.sbatch';

export interface SbatchScript {
  /** The whole script, shown to the user before it is submitted and saved as RUN/job.sbatch. */
  text: string;
  /** The launch files the script refers to (accelerate.yaml, deepspeed.json). */
  files: LaunchFile[];
  /** Absent for a server. */
  plan?: TrainerLaunchPlan;
}

/** A fine-tuning job's script. */
export function trainingSbatchScript(args: { name: string; runDir: string; config: ResolvedJobConfig; trainer: TrainerLaunch }): SbatchScript {
  void args;
  throw new Error('trainingSbatchScript: not yet implemented (issue 19, helper H2)');
}

/** A GPU server's script (`python -m chatwright_serve …` on the first node; the port it binds is in its `serving` event). */
export function serverSbatchScript(args: { name: string; runDir: string; target: ResolvedJobTarget; server: ServerLaunch }): SbatchScript {
  void args;
  throw new Error('serverSbatchScript: not yet implemented (issue 19, helper H2)');
}
