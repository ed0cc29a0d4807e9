/**
 * How the trainer is started for a job's target: one `python -m chatwright_train train …` process, or `accelerate
 * launch` with one process per GPU (DDP by default; DeepSpeed ZeRO-2/3 or FSDP when the job says so), on this machine
 * or on each node of a Slurm job. Pure: the files it returns (accelerate.yaml, deepspeed.json) are written into the run
 * folder by whoever launches (`targetRunner.ts`), and held to reviewed expectations in `test/fixtures/launch/`.
 */
import { join } from 'node:path';
import { type ResolvedJobConfig } from '../jobFile';
import { trainerCommand, trainerEnvironment, type TrainerLaunch } from '../jobRunner';
import { defaultTarget, planBatch, worldSizeOf, type BatchPlan, type ResolvedJobTarget } from '../jobTarget';
import { accelerateConfigFile, accelerateConfigYaml } from './accelerateConfig';
import { deepspeedConfigFile, deepspeedConfigJson } from './deepspeedConfig';
import { strategyLabels } from '../jobWhere';

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

/**
 * Shell variables a Slurm job's per-node command refers to. They differ between nodes or are known only once the
 * job runs, so the plan holds them as `$NAME` words; the sbatch script (`sbatchScript.ts`) runs the command through
 * `srun … bash -c '…'`, one task per node, and writes these words double-quoted so that bash expands them on each
 * node: SLURM_NODEID is the node's index in the job (0 … nodes−1, set by srun for each task), MASTER_ADDR the first
 * node's host name and MASTER_PORT the rendezvous port derived from the job id (both exported by the script before
 * srun, which passes its environment on; a command that refers to these two only needs no `bash -c`).
 */
export const perNodeVariables = ['SLURM_NODEID', 'MASTER_ADDR', 'MASTER_PORT'] as const;
export type PerNodeVariable = (typeof perNodeVariables)[number];

/** The word that stands for a per-node variable in a plan's arguments. */
export function perNodeReference(variable: PerNodeVariable): string {
  return `$${variable}`;
}

/** The variable a plan's argument stands for, when it is exactly one of `perNodeVariables`' references. */
export function perNodeVariableOf(word: string): PerNodeVariable | undefined {
  return perNodeVariables.find((variable) => perNodeReference(variable) === word);
}

/** A target this launch cannot run, with what to write instead. */
export class LaunchPlanError extends Error {
  override readonly name = 'LaunchPlanError';
}

export function trainerLaunchPlan(args: {
  config: ResolvedJobConfig;
  /** Absolute. */
  runDir: string;
  trainer: TrainerLaunch;
}): TrainerLaunchPlan {
  const { config, runDir } = args;
  const target = config.target;
  const nodes = target.type === 'slurm' ? target.slurm.nodes : 1;
  if (target.type === 'slurm' && target.gpus === 0 && nodes > 1) {
    throw new LaunchPlanError('target.gpus: a CPU-only Slurm job (gpus: 0) runs one process on one node: set target.slurm.nodes to 1, or ask for GPUs');
  }
  // On a Slurm node the interpreter is the one named for the compute nodes, when there is one.
  const trainer: TrainerLaunch = target.type === 'slurm' && target.slurm.python !== null ? { ...args.trainer, python: target.slurm.python } : args.trainer;
  const worldSize = worldSizeOf(target);
  const processesPerNode = worldSize / nodes;
  const batch = planBatch(config.training, worldSize);
  const env = environmentAdditions(trainer);
  const where = target.type === 'slurm' ? `on ${nodes === 1 ? '1 Slurm node' : `${nodes} Slurm nodes`}` : 'on this machine';

  if (worldSize === 1) {
    // Exactly today's command line: one process needs no launcher.
    const { command, args: commandArgs } = trainerCommand(trainer, runDir);
    const device = target.type === 'slurm' && target.gpus === 0 ? 'on the CPU' : 'on one GPU';
    return { command, args: commandArgs, env, files: [], batch, worldSize, nodes, processesPerNode, description: `1 training process ${device} ${where}.` };
  }

  const files: LaunchFile[] = [];
  const deepspeedStage = target.strategy === 'deepspeed_zero2' ? 2 : target.strategy === 'deepspeed_zero3' ? 3 : undefined;
  if (deepspeedStage !== undefined) files.push({ name: deepspeedConfigFile, content: deepspeedConfigJson(deepspeedStage) });
  files.push({
    name: accelerateConfigFile,
    content: accelerateConfigYaml({
      strategy: target.strategy,
      numProcesses: worldSize,
      numMachines: nodes,
      ...(deepspeedStage !== undefined ? { deepspeedConfigPath: join(runDir, deepspeedConfigFile) } : {}),
    }),
  });
  const { command, args: trainerArgs } = trainerCommand(trainer, runDir);
  const launcherArgs = ['-m', 'accelerate.commands.launch', '--config_file', join(runDir, accelerateConfigFile), ...rendezvousArguments(target, nodes)];
  // accelerate launch takes the trainer as `-m chatwright_train …` (its --module flag) or as a script path, exactly
  // as python does, so the trainer's own words follow unchanged.
  return {
    command,
    args: [...launcherArgs, ...trainerArgs],
    env,
    files: files.sort((a, b) => a.name.localeCompare(b.name)),
    batch,
    worldSize,
    nodes,
    processesPerNode,
    description: `${worldSize} training processes (${strategyLabels[target.strategy]}) through accelerate launch ${where}${nodes > 1 ? `, ${processesPerNode} per node` : ''}${batchClause(batch)}.`,
  };
}

/** Where the processes meet: this machine's port, or for several nodes the first node's address and each node's rank. */
function rendezvousArguments(target: ResolvedJobTarget, nodes: number): string[] {
  // A Slurm job on the default port takes the port its script derives from the job id: two jobs sharing a node would
  // otherwise both bind 29500 and hang at the rendezvous. A port the job file sets is used as given.
  const port = ['--main_process_port', usesJobPort(target) ? perNodeReference('MASTER_PORT') : String(target.main_port)];
  if (nodes === 1) return port;
  return ['--machine_rank', perNodeReference('SLURM_NODEID'), '--main_process_ip', perNodeReference('MASTER_ADDR'), ...port];
}

/** Whether a Slurm job's rendezvous port is derived from its job id (`MASTER_PORT` in its script): `main_port` was left at the default. */
export function usesJobPort(target: ResolvedJobTarget): boolean {
  return target.type === 'slurm' && target.main_port === defaultTarget.main_port;
}

function batchClause(batch: BatchPlan): string {
  if (batch.problem !== undefined) return '';
  return `; each takes ${batch.perDeviceBatch} example${batch.perDeviceBatch === 1 ? '' : 's'} per step and accumulates ${batch.gradientAccumulation} step${batch.gradientAccumulation === 1 ? '' : 's'}, an effective batch of ${batch.effectiveBatch}`;
}

/**
 * What `trainerEnvironment` adds to or changes in this process's environment, and always PYTHONPATH and
 * PYTHONUNBUFFERED (a Slurm job's node may not have this process's environment: they must travel with the job).
 */
function environmentAdditions(trainer: TrainerLaunch): Record<string, string> {
  const environment = trainerEnvironment(trainer);
  const additions: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    if (value !== undefined && (process.env[name] !== value || name === 'PYTHONPATH' || name === 'PYTHONUNBUFFERED')) additions[name] = value;
  }
  return additions;
}
