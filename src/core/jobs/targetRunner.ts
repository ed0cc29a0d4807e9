/**
 * Starts, resumes and re-attaches a job on its target: `local` through `jobRunner.ts` (one process, or `accelerate
 * launch` with one per GPU), `slurm` by submitting RUN/job.sbatch with `sbatch --parsable` and following the job with
 * `squeue`/`sacct`/`scontrol` while its events and log are read from the run folder (a shared filesystem). Either way
 * the result is a `JobRun`: the Jobs view, the job page and `chatwright jobs` need not know where it runs.
 */
import { type JobRun, type JobRunOptions, type ServerRunOptions } from './jobRunner';
import { type ResolvedJobTarget } from './jobTarget';
import { type TrainerLaunchPlan } from './launch/trainerLaunchPlan';
import { type SlurmClient } from './slurm/slurmClient';

export interface TargetRunOptions extends JobRunOptions {
  /** The Slurm commands (default: a client with this process's environment). */
  slurm?: SlurmClient;
  /** How often a Slurm job's state is asked for (default 5 s; squeue on a big cluster is not free). */
  slurmPollMs?: number;
}

/** What a run folder will run, written before anything starts: the launch files and, for Slurm, RUN/job.sbatch. */
export interface PreparedLaunch {
  target: ResolvedJobTarget;
  plan: TrainerLaunchPlan;
  /** For a Slurm target: the script as written to the run folder, to show before it is submitted. */
  sbatch?: { path: string; text: string };
}

/** Reads RUN/config.json's target and writes what its launch needs into the run folder; throws `JobStartError` when it cannot. */
export function prepareLaunch(runDir: string, trainer: JobRunOptions['trainer']): PreparedLaunch {
  void runDir;
  void trainer;
  throw new Error('prepareLaunch: not yet implemented (issue 19, helper H4)');
}

/** Starts the job on its target (after `prepareLaunch`; prepares it when that was not done). */
export function startJobOnTarget(options: TargetRunOptions): Promise<JobRun> {
  void options;
  throw new Error('startJobOnTarget: not yet implemented (issue 19, helper H4)');
}

/** Resumes a stopped or failed run on its target: a Slurm job is submitted again and the trainer continues from its newest checkpoint. */
export function resumeJobOnTarget(options: TargetRunOptions): Promise<JobRun> {
  void options;
  throw new Error('resumeJobOnTarget: not yet implemented (issue 19, helper H4)');
}

/** Follows a run that is still running: a local pid that is alive, or a Slurm job that is not in a terminal state. */
export function attachJobOnTarget(runDir: string, options: Omit<TargetRunOptions, 'runDir' | 'trainer'> = {}): JobRun | undefined {
  void runDir;
  void options;
  throw new Error('attachJobOnTarget: not yet implemented (issue 19, helper H4)');
}

/** Starts a GPU server on a target: locally as today, or as a Slurm job whose `serving` event names the node and port. */
export function startServerOnTarget(options: ServerRunOptions & { target: ResolvedJobTarget; slurm?: SlurmClient; slurmPollMs?: number }): Promise<JobRun> {
  void options;
  throw new Error('startServerOnTarget: not yet implemented (issue 19, helper H4)');
}
