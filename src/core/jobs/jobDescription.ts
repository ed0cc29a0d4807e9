import { formatDuration } from '../text/relativeTime';
import { type JobSnapshot, type JobStatus } from './jobSnapshot';
import { describeWhere, whereRows } from './jobWhere';

/** Statuses whose trainer may still be working (or is about to). */
export const activeStatuses: readonly JobStatus[] = ['queued', 'preflight', 'starting', 'running', 'stopping'];

/** A loss as a list shows it: three significant digits. */
export function formatLoss(loss: number): string {
  return Math.abs(loss) >= 100 || loss === 0 ? loss.toFixed(0) : loss.toPrecision(3).replace(/\.?0+$/, '');
}

/** How long the job has run (to now while it runs), or undefined before it started. */
export function jobDurationMs(snapshot: JobSnapshot, now: number = Date.now()): number | undefined {
  if (snapshot.startedAt === undefined) return undefined;
  const end = snapshot.endedAt ?? (activeStatuses.includes(snapshot.status) ? now : undefined);
  return end === undefined ? undefined : Math.max(0, end - snapshot.startedAt);
}

/**
 * One line for a list of jobs, the part that matters most first, since a narrow sidebar cuts the end off: while a job
 * runs its progress, "lora · step 120/300 · loss 0.84 · 12m 03s"; once it has a final loss that loss, "lora · loss 0.62
 * · 300 steps · 1m 05s" (the status icon says it is final). A job elsewhere than one local process starts with where
 * and how ("Slurm 41237 · running on node07 · lora · step 120/900", "4 GPUs · DeepSpeed ZeRO-3 · lora · …"). Only the
 * parts known so far.
 */
export function describeJob(snapshot: JobSnapshot, now: number = Date.now()): string {
  if (snapshot.kind === 'serve') return describeServer(snapshot, now);
  const loss = snapshot.finalLoss ?? snapshot.lastLoss;
  const duration = formatDuration(jobDurationMs(snapshot, now));
  const lossPart = loss !== undefined ? `loss ${formatLoss(loss)}` : '';
  const allSteps = snapshot.totalSteps !== undefined && snapshot.step === snapshot.totalSteps;
  const stepPart =
    snapshot.step > 0 || snapshot.totalSteps !== undefined
      ? snapshot.finalLoss !== undefined && allSteps
        ? `${snapshot.step} ${snapshot.step === 1 ? 'step' : 'steps'}`
        : `step ${snapshot.step}${snapshot.totalSteps !== undefined ? `/${snapshot.totalSteps}` : ''}`
      : '';
  return [
    describeWhere(snapshot),
    snapshot.method ?? '',
    // A job Slurm holds says so in its scheduler part ("pending (Resources)"): "queued" would say the same twice.
    snapshot.status === 'queued' && !snapshot.scheduler ? 'queued' : '',
    ...(snapshot.finalLoss !== undefined ? [lossPart, stepPart] : [stepPart, lossPart]),
    duration ?? '',
    snapshot.status === 'failed' && snapshot.error ? snapshot.error.code : '',
  ]
    .filter(Boolean)
    .join(' · ');
}

/**
 * A server's line: "serving at http://127.0.0.1:8765/v1 · builtin · 12 requests" once it answers its health check,
 * "checking http://… (health)" before, and its status and duration once it has ended.
 */
function describeServer(snapshot: JobSnapshot, now: number): string {
  const serving = snapshot.serving;
  const ended = !activeStatuses.includes(snapshot.status);
  // A server in a Slurm job: its job and state first while it waits for a node or loads.
  const scheduled = snapshot.scheduler && (!serving || ended) ? describeWhere(snapshot) : '';
  if (!serving || ended) {
    return [
      scheduled,
      snapshot.status === 'starting' ? 'loading the model' : '',
      formatDuration(jobDurationMs(snapshot, now)) ?? '',
      snapshot.status === 'failed' && snapshot.error ? snapshot.error.code : '',
    ]
      .filter(Boolean)
      .join(' · ');
  }
  const requests = serving.stats ? `${serving.stats.requests} ${serving.stats.requests === 1 ? 'request' : 'requests'}` : '';
  const where = snapshot.status === 'stopping' ? `stopping ${serving.url}` : snapshot.ready ? `serving at ${serving.url}` : `checking ${serving.url} (health)`;
  return [where, serving.engine, requests].filter(Boolean).join(' · ');
}

/** The lines of a job's tooltip: run folder, where it runs (the scheduler's facts), started, duration, final loss, error and what to do. */
export function jobDetailLines(snapshot: JobSnapshot, now: number = Date.now()): string[] {
  const duration = formatDuration(jobDurationMs(snapshot, now));
  return [
    `${snapshot.name} — ${snapshot.status}${snapshot.phase && snapshot.phase !== snapshot.status ? ` (${snapshot.phase})` : ''}`,
    `Run folder: ${snapshot.runDir}`,
    ...(snapshot.jobFile ? [`Job file: ${snapshot.jobFile}`] : []),
    ...(snapshot.serving
      ? [
          `URL: ${snapshot.serving.url}${snapshot.serving.apiKeyRequired ? ' (API key required)' : ''}`,
          `Engine: ${snapshot.serving.engine}`,
          `Models: ${snapshot.serving.models.map((model) => (model.parent ? `${model.id} (on ${model.parent})` : model.id)).join(', ')}`,
        ]
      : []),
    ...whereRows(snapshot).map((row) => `${row.label}: ${row.value}`),
    ...(snapshot.startedAt !== undefined ? [`Started: ${new Date(snapshot.startedAt).toLocaleString()}`] : []),
    ...(duration ? [`Duration: ${duration}`] : []),
    ...(snapshot.finalLoss !== undefined ? [`Final loss: ${formatLoss(snapshot.finalLoss)}`] : []),
    ...(snapshot.lastEvalLoss !== undefined ? [`Eval loss: ${formatLoss(snapshot.lastEvalLoss)}`] : []),
    ...(snapshot.checkpoints.length > 0 ? [`Checkpoints: ${snapshot.checkpoints.length} (last at step ${snapshot.checkpoints[snapshot.checkpoints.length - 1]!.step})`] : []),
    ...(snapshot.error ? [`Error ${snapshot.error.code}: ${snapshot.error.message}`, ...(snapshot.error.action ? [`What to do: ${snapshot.error.action}`] : [])] : []),
  ];
}
