/**
 * Where a job runs and how its processes share the work, as people read it: the short part of a Jobs view line
 * ("Slurm 41237 · pending (Resources)", "4 GPUs · DeepSpeed ZeRO-3"), the rows of the job page's "Where" block and of
 * the tooltip (target, Slurm job, state and reason, nodes, elapsed / time limit, the batch plan), and the notice the
 * status bar and notifications give a job the scheduler holds back ("pending in Slurm (Resources)"). Pure: the host
 * and the CLI show what these return. What comes from Slurm (reasons, node lists) is returned as plain text; whoever
 * shows it must render it inert.
 */
import { type DistributedStrategy, type ResolvedJobTarget } from './jobTarget';
import { type DistributedFacts, type JobSnapshot } from './jobSnapshot';
import { type SchedulerFacts } from './slurm/slurmTypes';

/** How people name each strategy (the launch plan's description and the views say the same). */
export const strategyLabels: Record<DistributedStrategy, string> = {
  ddp: 'DDP',
  deepspeed_zero2: 'DeepSpeed ZeRO-2',
  deepspeed_zero3: 'DeepSpeed ZeRO-3',
  fsdp: 'FSDP',
};

/** "DeepSpeed ZeRO-3" for `deepspeed_zero3`; a strategy this version does not know is shown as written. */
export function strategyLabel(strategy: string): string {
  return (strategyLabels as Record<string, string | undefined>)[strategy] ?? strategy;
}

/** Slurm's words for a state, lower-cased for a sentence ("out of memory", "node fail"). */
export function slurmStateWords(state: SchedulerFacts['state']): string {
  return state.toLowerCase().replace(/_/g, ' ');
}

/** Slurm prints `None` and `(null)` for "no reason"; anything else is worth showing. */
function meaningfulReason(reason: string | undefined): string | undefined {
  const trimmed = reason?.trim();
  return trimmed && trimmed !== 'None' && trimmed !== '(null)' ? trimmed : undefined;
}

/** Statuses in which the trainer has spoken: its events prove the job left Slurm's queue. */
const trainerStarted: readonly JobSnapshot['status'][] = ['starting', 'running', 'stopping'];

/**
 * The scheduler's facts as of now: Slurm is asked every few seconds, the events arrive at once, so a job whose trainer
 * already reports is running even while the last answer still said PENDING (its node is not known yet).
 */
function currentScheduler(snapshot: Pick<JobSnapshot, 'scheduler' | 'status'>): SchedulerFacts | undefined {
  const scheduler = snapshot.scheduler;
  if (scheduler?.state !== 'PENDING' || !trainerStarted.includes(snapshot.status)) return scheduler;
  const { reason: _reason, nodes: _nodes, ...rest } = scheduler;
  return { ...rest, state: 'RUNNING' };
}

/** "pending (Resources)", "running on node07", "timeout": the scheduler's view of the job in a few words. */
export function schedulerStateText(scheduler: SchedulerFacts): string {
  const reason = meaningfulReason(scheduler.reason);
  if (scheduler.state === 'PENDING') return `pending${reason ? ` (${reason})` : ''}`;
  if (scheduler.state === 'RUNNING' || scheduler.state === 'COMPLETING') return `${slurmStateWords(scheduler.state)}${scheduler.nodes ? ` on ${scheduler.nodes}` : ''}`;
  return slurmStateWords(scheduler.state);
}

/**
 * What a notification or the status bar says of a job the scheduler holds: "pending in Slurm (Resources)"; undefined
 * when the scheduler is not what the job waits for (a local job, a Slurm job that runs or has ended).
 */
export function schedulerNotice(snapshot: Pick<JobSnapshot, 'scheduler' | 'status'>): string | undefined {
  const scheduler = currentScheduler(snapshot);
  if (!scheduler || scheduler.state !== 'PENDING') return undefined;
  const reason = meaningfulReason(scheduler.reason);
  return `pending in Slurm${reason ? ` (${reason})` : ''}`;
}

/** "4 GPUs", "2 nodes × 4 GPUs", "1 GPU": one training process per GPU on each node. */
function processesText(distributed: DistributedFacts): string {
  const gpus = `${distributed.processesPerNode} ${distributed.processesPerNode === 1 ? 'GPU' : 'GPUs'}`;
  return distributed.nodes > 1 ? `${distributed.nodes} nodes × ${gpus}` : gpus;
}

/**
 * The short "where and how" of a Jobs view line: "Slurm 41237 · pending (Resources)", "Slurm 41237 · running on node07",
 * "4 GPUs · DeepSpeed ZeRO-3". Empty for today's single local process (nothing to say).
 */
export function describeWhere(snapshot: Pick<JobSnapshot, 'scheduler' | 'distributed' | 'status'>): string {
  const { distributed } = snapshot;
  const scheduler = currentScheduler(snapshot);
  const several = distributed !== undefined && distributed.worldSize > 1;
  const how = several ? [processesText(distributed), strategyLabel(distributed.strategy)] : [];
  // COMPLETED says what the done icon says: the narrow sidebar keeps the room for the loss.
  if (scheduler) return [`Slurm ${scheduler.jobId}`, ...(scheduler.state === 'COMPLETED' ? [] : [schedulerStateText(scheduler)])].join(' · ');
  if (distributed?.target === 'slurm') return ['Slurm', ...how].join(' · ');
  return how.join(' · ');
}

/**
 * The batch plan in one line: "2 per GPU × 4 accumulation × 4 processes = 32", with what the job file asked for when the
 * split differs from it ("re-split from 8 × 4 on one device") and a warning when the effective batch is not the asked one.
 */
export function batchPlanText(
  distributed: Pick<DistributedFacts, 'worldSize' | 'perDeviceBatch' | 'gradientAccumulation' | 'effectiveBatch' | 'requestedEffectiveBatch'>,
  asWritten?: { perDeviceBatch: number; gradientAccumulation: number },
): string {
  const unit = distributed.worldSize === 1 ? 'process' : 'processes';
  const plan = `${distributed.perDeviceBatch} per GPU × ${distributed.gradientAccumulation} accumulation × ${distributed.worldSize} ${unit} = ${distributed.effectiveBatch}`;
  const resplit = asWritten ? asWritten.perDeviceBatch !== distributed.perDeviceBatch || asWritten.gradientAccumulation !== distributed.gradientAccumulation : distributed.worldSize > 1;
  const notes: string[] = [];
  if (resplit) notes.push(asWritten ? `re-split from ${asWritten.perDeviceBatch} × ${asWritten.gradientAccumulation} on one device` : 're-split over the processes');
  else notes.push('as the job file says');
  if (distributed.effectiveBatch !== distributed.requestedEffectiveBatch) notes.push(`not the ${distributed.requestedEffectiveBatch} the job file asks for`);
  return `${plan} (${notes.join('; ')})`;
}

/** The job file's per-device batch and accumulation, from the config the run reported (absent or malformed: undefined). */
export function batchAsWritten(config: Record<string, unknown> | undefined): { perDeviceBatch: number; gradientAccumulation: number } | undefined {
  const training = config?.training;
  if (typeof training !== 'object' || training === null) return undefined;
  const { per_device_batch_size: perDeviceBatch, gradient_accumulation_steps: gradientAccumulation } = training as Record<string, unknown>;
  return typeof perDeviceBatch === 'number' && typeof gradientAccumulation === 'number' ? { perDeviceBatch, gradientAccumulation } : undefined;
}

/** One row of the "Where" block: a label and its value (plain text). */
export interface WhereRow {
  label: string;
  value: string;
}

/**
 * The job page's "Where" block and the tooltip's lines: target, Slurm job id (and cluster), state and reason, nodes,
 * elapsed / time limit, processes and strategy, the batch plan. Empty for today's single local process.
 */
export function whereRows(snapshot: Pick<JobSnapshot, 'scheduler' | 'distributed' | 'config' | 'status'>): WhereRow[] {
  const { distributed } = snapshot;
  const scheduler = currentScheduler(snapshot);
  const slurm = scheduler !== undefined || distributed?.target === 'slurm';
  if (!slurm && (distributed === undefined || distributed.worldSize <= 1)) return [];
  const rows: WhereRow[] = [{ label: 'Target', value: slurm ? 'Slurm cluster' : 'This machine' }];
  if (scheduler) {
    rows.push({ label: 'Slurm job', value: `${scheduler.jobId}${scheduler.cluster ? ` on cluster ${scheduler.cluster}` : ''}` });
    const reason = meaningfulReason(scheduler.reason);
    rows.push({ label: 'State', value: `${scheduler.state}${reason ? ` (${reason})` : ''}${scheduler.exitCode !== undefined && scheduler.exitCode !== 0 ? `, exit code ${scheduler.exitCode}` : ''}` });
    if (scheduler.nodes && scheduler.state !== 'PENDING') rows.push({ label: 'Nodes', value: scheduler.nodes });
    if (scheduler.elapsed || scheduler.timeLimit) rows.push({ label: 'Elapsed / limit', value: `${scheduler.elapsed ?? '—'} / ${scheduler.timeLimit ?? '—'}` });
  }
  if (distributed) {
    rows.push({ label: 'Processes', value: `${distributed.worldSize} (${processesText(distributed)})${distributed.worldSize > 1 ? `, ${strategyLabel(distributed.strategy)}` : ''}` });
    rows.push({ label: 'Batch', value: batchPlanText(distributed, batchAsWritten(snapshot.config)) });
  }
  return rows;
}

/**
 * What a Slurm target asks the scheduler for, for the question before submitting: "partition gpu, 2 nodes × 4 GPUs
 * (a100), 08:00:00"; the cluster's default partition when none is named, "CPU only" for `gpus: 0`.
 */
export function slurmRequestText(target: ResolvedJobTarget): string {
  const slurm = target.slurm;
  const nodeCount = `${slurm.nodes} ${slurm.nodes === 1 ? 'node' : 'nodes'}`;
  const nodes = target.gpus === 0 ? `${nodeCount}, CPU only` : `${nodeCount} × ${target.gpus} ${target.gpus === 1 ? 'GPU' : 'GPUs'}${slurm.gpu_type ? ` (${slurm.gpu_type})` : ''}`;
  return [slurm.partition ? `partition ${slurm.partition}` : 'the default partition', nodes, slurm.time, ...(slurm.account ? [`account ${slurm.account}`] : [])].join(', ');
}
