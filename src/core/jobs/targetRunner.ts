/**
 * Starts, resumes and re-attaches a job on its target: `local` through `jobRunner.ts` (one process, or `accelerate
 * launch` with one per GPU), `slurm` by submitting RUN/job.sbatch with `sbatch --parsable` and following the job with
 * `squeue`/`sacct`/`scontrol` while its events and log are read from the run folder (a shared filesystem). Either way
 * the result is a `JobRun`: the Jobs view, the job page and `chatwright jobs` need not know where it runs.
 *
 * One local process is today's `startJob`/`resumeJob` exactly (nothing written besides what they write). Several
 * local processes and every Slurm job get their launch files (accelerate.yaml, deepspeed.json; job.sbatch) written
 * into the run folder first and the plan recorded in run.json's `target`, so the snapshot shows the batch plan before
 * the trainer reports. A Slurm job is submitted with the trainer's environment (sbatch exports it to the job).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { readBoundedTextSync } from '../files/boundedRead';
import { type ResolvedJobConfig } from './jobFile';
import {
  attachJob,
  JobStartError,
  resumeJob,
  startJob,
  startServer,
  startTrainerWith,
  trainerEnvironment,
  type JobRun,
  type JobRunOptions,
  type ServerLaunch,
  type ServerRunOptions,
} from './jobRunner';
import { worldSizeOf, type ResolvedJobTarget } from './jobTarget';
import { checkedResolvedTarget } from './jobTargetChecks';
import { sbatchScriptFile, serverSbatchScript, trainingSbatchScript } from './launch/sbatchScript';
import { trainerLaunchPlan, type LaunchFile, type TrainerLaunchPlan } from './launch/trainerLaunchPlan';
import { readRunRecord, runConfigFile, updateRunRecord } from './runFolder';
import { SlurmClient, type SlurmClientOptions } from './slurm/slurmClient';
import { isTerminalSlurmState, schedulerFactsOf } from './slurm/slurmOutcome';
import { attachSlurmJob, submitSlurmJob } from './slurm/slurmRun';

export interface TargetRunOptions extends JobRunOptions {
  /** The Slurm commands (default: a client with this process's environment). */
  slurm?: SlurmClient;
  /** How often a Slurm job's state is asked for (default 5 s; squeue on a big cluster is not free). */
  slurmPollMs?: number;
  /** How long an ended Slurm job waits for its terminal event to show on the shared filesystem (default 30 s; `slurmRun.ts`). */
  slurmSettleGraceMs?: number;
}

/** What a run folder will run, written before anything starts: the launch files and, for Slurm, RUN/job.sbatch. */
export interface PreparedLaunch {
  target: ResolvedJobTarget;
  plan: TrainerLaunchPlan;
  /** For a Slurm target: the script as written to the run folder, to show before it is submitted. */
  sbatch?: { path: string; text: string };
}

/** The flag that tells `python -m chatwright_serve` over how many GPUs to split one model (vLLM's tensor parallelism). */
export const tensorParallelFlag = '--tensor-parallel-size';

/** Reads RUN/config.json's target and writes what its launch needs into the run folder; throws `JobStartError` when it cannot. */
export function prepareLaunch(runDir: string, trainer: JobRunOptions['trainer']): PreparedLaunch {
  const folder = resolve(runDir);
  const config = readRunConfig(folder);
  const target = config.target;
  const plan = planned(() => trainerLaunchPlan({ config, runDir: folder, trainer }));
  const files = new Map(plan.files.map((file) => [file.name, file]));
  let sbatch: PreparedLaunch['sbatch'];
  if (target.type === 'slurm') {
    const script = planned(() => trainingSbatchScript({ name: readRunRecord(folder)?.name ?? basename(folder), runDir: folder, config, trainer }));
    for (const file of script.files) files.set(file.name, file);
    sbatch = { path: join(folder, sbatchScriptFile), text: script.text };
  }
  writeLaunchFiles(folder, [...files.values()], sbatch);
  updateRunRecord(folder, (record) => ({
    ...record,
    target: { type: target.type, nodes: plan.nodes, processesPerNode: plan.processesPerNode, strategy: target.strategy, batch: plan.batch, description: plan.description },
  }));
  return { target, plan, ...(sbatch !== undefined ? { sbatch } : {}) };
}

/** Starts the job on its target (after `prepareLaunch`; prepares it when that was not done). */
export async function startJobOnTarget(options: TargetRunOptions): Promise<JobRun> {
  return startOrResume(options, false);
}

/** Resumes a stopped or failed run on its target: a Slurm job is submitted again and the trainer continues from its newest checkpoint. */
export async function resumeJobOnTarget(options: TargetRunOptions): Promise<JobRun> {
  return startOrResume(options, true);
}

/** Follows a run that is still running: a local pid that is alive, or a Slurm job that is not in a terminal state. */
export function attachJobOnTarget(runDir: string, options: Omit<TargetRunOptions, 'runDir' | 'trainer'> = {}): JobRun | undefined {
  const record = readRunRecord(resolve(runDir));
  if (record?.slurm !== undefined) return attachSlurmJob(runDir, { ...options, client: options.slurm ?? new SlurmClient() });
  return attachJob(runDir, options);
}

/** Starts a GPU server on a target: locally as today, or as a Slurm job whose `serving` event names the node and port. */
export async function startServerOnTarget(options: ServerRunOptions & { target: ResolvedJobTarget; slurm?: SlurmClient; slurmPollMs?: number; slurmSettleGraceMs?: number }): Promise<JobRun> {
  const { target } = options;
  const server = serverLaunchOnTarget(options.server, target);
  if (target.type === 'local') return startServer({ ...options, server });
  const folder = resolve(options.runDir);
  const record = readRunRecord(folder);
  if (!existsSync(join(folder, runConfigFile))) throw new JobStartError(`${folder} holds no ${runConfigFile}: prepare the run folder first`);
  const base = options.slurm ?? new SlurmClient();
  await refuseWhileActive(folder, base);
  const script = planned(() => serverSbatchScript({ name: record?.name ?? basename(folder), runDir: folder, target, server }));
  writeLaunchFiles(folder, script.files, { path: join(folder, sbatchScriptFile), text: script.text });
  const env = { ...(base.options.env ?? process.env), ...server.env };
  return submitSlurmJob(folder, {
    ...options,
    stopTimeoutMs: options.stopTimeoutMs ?? defaultServerStopTimeoutMs,
    client: clientWithEnvironment(base, env),
    kind: 'serve',
    resuming: false,
  });
}

/** A server closes at once: `scancel` follows RUN/stop-now after this long (unless told otherwise), as SIGTERM follows SIGINT locally. */
const defaultServerStopTimeoutMs = 10_000;

/** The server's command line for the target: told how many GPUs share the model when the target has several. */
export function serverLaunchOnTarget(server: ServerLaunch, target: ResolvedJobTarget): ServerLaunch {
  if (target.gpus <= 1 || server.args.includes(tensorParallelFlag)) return server;
  return { ...server, args: [...server.args, tensorParallelFlag, String(target.gpus)] };
}

async function startOrResume(options: TargetRunOptions, resuming: boolean): Promise<JobRun> {
  const folder = resolve(options.runDir);
  const config = readRunConfig(folder);
  const target = config.target;
  if (target.type === 'local') {
    if (worldSizeOf(target) === 1) return resuming ? resumeJob(options) : startJob(options);
    const prepared = prepareLaunch(folder, options.trainer);
    return startTrainerWith(options, prepared.plan, resuming);
  }
  const base = options.slurm ?? new SlurmClient();
  await refuseWhileActive(folder, base);
  // The script shown before submission is the one submitted: written once, by `prepareLaunch`. A resumed run's script
  // is written again from config.json with the current trainer launch: the old one names this extension's python/
  // folder as it was then, which an update removes.
  if (resuming) regenerateScript(folder, options.trainer);
  else if (!existsSync(join(folder, sbatchScriptFile)) || readRunRecord(folder)?.target === undefined) prepareLaunch(folder, options.trainer);
  const env = trainerEnvironment({ ...options.trainer, env: { ...(base.options.env ?? {}), ...(options.trainer.env ?? {}) } });
  return submitSlurmJob(folder, { ...options, client: clientWithEnvironment(base, env), kind: 'train', resuming });
}

/**
 * Writes RUN/job.sbatch again for a resubmission (`prepareLaunch`, the same generator as a first start). The previous
 * script, when it differs, is kept as job.sbatch.<n> (the first free n), so what ran before stays visible.
 */
function regenerateScript(folder: string, trainer: JobRunOptions['trainer']): void {
  const scriptPath = join(folder, sbatchScriptFile);
  let previous: string | undefined;
  try {
    previous = existsSync(scriptPath) ? readBoundedTextSync(scriptPath, { kind: 'runRecord', maxBytes: 1 << 20 }) : undefined;
  } catch {
    previous = undefined;
  }
  const prepared = prepareLaunch(folder, trainer);
  if (previous === undefined || previous === prepared.sbatch?.text) return;
  let generation = 1;
  while (existsSync(`${scriptPath}.${generation}`)) generation++;
  writeFileSync(`${scriptPath}.${generation}`, previous);
}

/**
 * Refuses to submit while the run's current Slurm job may still be queued or running. The scheduler is always asked,
 * even when run.json's last state seen is terminal: that record can be stale (another window or the CLI resubmitted
 * the run, or requeued it), and a second submission would train twice into one folder. Its answer is recorded as the
 * last state seen.
 */
async function refuseWhileActive(folder: string, client: SlurmClient): Promise<void> {
  const slurm = readRunRecord(folder)?.slurm;
  if (slurm === undefined || typeof slurm.jobId !== 'string' || slurm.jobId === '') return;
  let state;
  try {
    state = (await client.jobStates([slurm.jobId])).get(slurm.jobId);
  } catch (error) {
    throw new JobStartError(`could not ask Slurm whether job ${slurm.jobId} of ${folder} still runs (${(error as Error).message}); try again, or cancel it first`);
  }
  if (state !== undefined) {
    const facts = schedulerFactsOf(state, Date.now(), slurm.cluster);
    updateRunRecord(folder, (record) => (record.slurm?.jobId === facts.jobId ? { ...record, slurm: { ...record.slurm, last: facts } } : record));
  }
  if (state !== undefined && state.state !== 'UNKNOWN' && !isTerminalSlurmState(state.state))
    throw new JobStartError(`Slurm job ${slurm.jobId} of ${folder} is still ${state.state}${state.reason !== undefined ? ` (${state.reason})` : ''}: stop or cancel it before starting it again`);
}

/**
 * A client like `base` (its class and options) whose commands run in `env`: `sbatch` exports its environment to the
 * job, so this is how the trainer's variables reach the compute node.
 */
function clientWithEnvironment(base: SlurmClient, env: NodeJS.ProcessEnv): SlurmClient {
  const SameKind = base.constructor as new (options: SlurmClientOptions) => SlurmClient;
  return new SameKind({ ...base.options, env });
}

/** RUN/config.json as the runner needs it: the resolved config with a checked target (`defaultTarget` when it has none). */
function readRunConfig(folder: string): ResolvedJobConfig {
  const file = join(folder, runConfigFile);
  if (!existsSync(file)) throw new JobStartError(`${folder} holds no ${runConfigFile}: prepare the run folder first`);
  let value: unknown;
  try {
    // A resolved config is small; the cap only keeps a hostile file from being read whole.
    value = JSON.parse(readBoundedTextSync(file, { kind: 'runRecord', maxBytes: 4 << 20 }));
  } catch (error) {
    throw new JobStartError(`${file} cannot be read: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new JobStartError(`${file} is not a job config`);
  const config = value as ResolvedJobConfig & { target?: unknown };
  return { ...config, target: checkedTarget(config.target, file) };
}

/**
 * The target from config.json, checked as the job file's target is (types, the field table's bounds, `targetProblems`):
 * a hand-edited file gets a located error, never a launch of something else or unchecked text in the sbatch script.
 */
function checkedTarget(value: unknown, file: string): ResolvedJobTarget {
  const checked = checkedResolvedTarget(value);
  if ('problem' in checked) throw new JobStartError(`${file}: ${checked.problem.path}${checked.problem.index !== undefined ? `[${checked.problem.index}]` : ''} ${checked.problem.message}`);
  return checked.target;
}

/** Runs a planner (the launch plan, an sbatch script), turning what it refuses into a `JobStartError`. */
function planned<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof JobStartError) throw error;
    throw new JobStartError(`the launch cannot be planned: ${(error as Error).message}`);
  }
}

/** Writes the launch files and the script into the run folder; a file name that is not a plain name is refused. */
function writeLaunchFiles(folder: string, files: readonly LaunchFile[], sbatch: PreparedLaunch['sbatch']): void {
  for (const file of files) {
    if (basename(file.name) !== file.name || file.name === '.' || file.name === '..') throw new JobStartError(`the launch plan names a file outside the run folder: ${file.name}`);
    writeFileSync(join(folder, file.name), file.content);
  }
  if (sbatch !== undefined) writeFileSync(sbatch.path, sbatch.text);
}
