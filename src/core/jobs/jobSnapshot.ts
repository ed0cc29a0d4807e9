import { reachableUrl } from '../text/listenAddress';
import { basename, join } from 'node:path';
import { type GroupExit } from '../process/processGroup';
import {
  eventsFileName,
  terminalPhases,
  type CheckpointEvent,
  type ErrorEvent,
  type GpuInfo,
  type PhaseEvent,
  type ServedModelEntry,
  type DistributedInfo,
  type ServingEvent,
  type StepEvent,
  type TrainerEvent,
  type TrainerPhase,
  type WarningEvent,
} from './jobEvents';
import { UnsafeFileError } from '../files/boundedRead';
import { JobProtocolError, readEvents } from './jobEventReader';
import { isRunProcessAlive, readRunRecord, type RunRecord } from './runFolder';
import { activeSlurmSnapshot, isTerminalSlurmState, settleSlurmRun } from './slurm/slurmOutcome';
import { type SchedulerFacts } from './slurm/slurmTypes';

/**
 * What a viewer shows of one job, folded from its events (and, before the trainer runs, from the runner): the Jobs
 * view, the job page and the CLI all read this. Series are parallel arrays, ready for a chart.
 */
export type JobStatus = 'queued' | 'preflight' | 'starting' | 'running' | 'stopping' | 'stopped' | 'done' | 'failed' | 'cancelled';

export interface JobSeries {
  /** Optimizer steps of the step events. */
  step: number[];
  loss: (number | null)[];
  learningRate: (number | null)[];
  tokensPerSecond: (number | null)[];
  gpuMemoryBytes: (number | null)[];
  /** Steps of the eval events and their losses. */
  evalStep: number[];
  evalLoss: (number | null)[];
}

/** What a serving job announced (its `serving` event) and its running totals (the last `serving_stats`). */
export interface ServingFacts {
  /** Base URL ending in `/v1`. */
  url: string;
  host: string;
  port: number;
  engine: ServingEvent['engine'];
  models: ServedModelEntry[];
  apiKeyRequired: boolean;
  maxConcurrent?: number;
  maxQueue?: number;
  batching?: string;
  stats?: { requests: number; active: number; queued: number; rejected: number; promptTokens: number; completionTokens: number };
}

export interface JobSnapshot {
  /** The run folder (absolute); the job's identity. */
  runDir: string;
  name: string;
  /** A fine-tuning job or a server (run.json's `kind`; older runs are training runs). */
  kind: 'train' | 'serve';
  /** A server's address, engine and models once it said it listens. */
  serving?: ServingFacts;
  /**
   * Whether the server answers: set by whoever health-checked it (the host's `GET /health` after the `serving`
   * event), never by the event alone; false again once it ends.
   */
  ready: boolean;
  /** The job file it came from, when known. */
  jobFile?: string;
  status: JobStatus;
  /** The trainer's last phase. */
  phase?: TrainerPhase;
  method?: string;
  step: number;
  totalSteps?: number;
  epoch?: number;
  etaSeconds?: number;
  /** Unix milliseconds. */
  startedAt?: number;
  endedAt?: number;
  /** Last step's loss; the `done` phase's `train_loss` once finished. */
  lastLoss?: number;
  finalLoss?: number;
  lastEvalLoss?: number;
  series: JobSeries;
  checkpoints: Pick<CheckpointEvent, 'step' | 'path' | 'reason'>[];
  warnings: Pick<WarningEvent, 'code' | 'message'>[];
  error?: Pick<ErrorEvent, 'code' | 'message' | 'action' | 'install_command' | 'errors'>;
  adapter?: string;
  merged?: string;
  resumedFrom?: string | null;
  environment?: { precision?: string; attnImplementation?: string; packing?: string; cuda?: string | null; torch?: string | null; gpus?: GpuInfo[] };
  data?: { format?: string; trainExamples?: number; evalExamples?: number; evalSource?: string | null; trainTokens?: number; trainedTokens?: number; truncated?: number; dropped?: number };
  model?: { trainableParameters?: number; totalParameters?: number };
  /** The resolved config the trainer reported (the `run` event). */
  config?: Record<string, unknown>;
  gpuMemoryPeakBytes?: number;
  /** The last `seq` folded in. */
  lastSeq: number;
  /** The trainer's process, while it runs (a local target's). */
  pid?: number;
  /** A Slurm job's id, state and reason (pending, why), from the scheduler: set by the runner, never by an event. */
  scheduler?: SchedulerFacts;
  /** How the run's processes share the training: from the `run` event, or from the launch plan before the trainer says. */
  distributed?: DistributedFacts;
}

export interface DistributedFacts {
  target: 'local' | 'slurm';
  worldSize: number;
  nodes: number;
  processesPerNode: number;
  strategy: string;
  perDeviceBatch: number;
  gradientAccumulation: number;
  effectiveBatch: number;
  requestedEffectiveBatch: number;
}

/** The status each trainer phase means; the runner's own states (queued, stopping, cancelled) are set by the runner. */
export const statusOfPhase: Record<TrainerPhase, JobStatus> = {
  probing: 'starting',
  loading_model: 'starting',
  preparing_data: 'starting',
  training: 'running',
  saving: 'running',
  merging: 'running',
  serving: 'running',
  done: 'done',
  failed: 'failed',
  stopped: 'stopped',
};

/** Statuses after which nothing changes until the job is resumed. */
export const finalStatuses: readonly JobStatus[] = ['stopped', 'done', 'failed', 'cancelled'];

/** A snapshot before any event. */
export function emptySnapshot(runDir: string, name: string, status: JobStatus = 'queued', kind: JobSnapshot['kind'] = 'train'): JobSnapshot {
  return {
    runDir,
    name,
    kind,
    ready: false,
    status,
    step: 0,
    series: { step: [], loss: [], learningRate: [], tokensPerSecond: [], gpuMemoryBytes: [], evalStep: [], evalLoss: [] },
    checkpoints: [],
    warnings: [],
    lastSeq: 0,
  };
}

/**
 * Folds events into a snapshot and returns a new one (the given one is not changed). Events at or below the
 * snapshot's `lastSeq` were folded already and are skipped, so replaying a file and then following it is safe.
 * A resumed run continues the series: a step at or below the last one recorded replaces the series from there on
 * (the steps after the checkpoint it resumed from are trained again).
 */
export function foldEvents(snapshot: JobSnapshot, events: readonly TrainerEvent[]): JobSnapshot {
  const next: JobSnapshot = {
    ...snapshot,
    series: {
      step: [...snapshot.series.step],
      loss: [...snapshot.series.loss],
      learningRate: [...snapshot.series.learningRate],
      tokensPerSecond: [...snapshot.series.tokensPerSecond],
      gpuMemoryBytes: [...snapshot.series.gpuMemoryBytes],
      evalStep: [...snapshot.series.evalStep],
      evalLoss: [...snapshot.series.evalLoss],
    },
    checkpoints: [...snapshot.checkpoints],
    warnings: [...snapshot.warnings],
  };
  for (const event of events) {
    if (event.seq <= next.lastSeq) continue;
    next.lastSeq = event.seq;
    foldEvent(next, event);
  }
  return next;
}

function foldEvent(snapshot: JobSnapshot, event: TrainerEvent): void {
  switch (event.event) {
    case 'run':
      // A (re)start: whatever ended the previous attempt no longer describes the job.
      snapshot.config = event.config;
      snapshot.startedAt ??= event.time * 1000;
      delete snapshot.phase;
      delete snapshot.endedAt;
      delete snapshot.error;
      delete snapshot.finalLoss;
      delete snapshot.etaSeconds;
      snapshot.status = 'starting';
      if (event.distributed !== undefined) foldDistributed(snapshot, event.distributed);
      return;
    case 'phase':
      foldPhase(snapshot, event);
      return;
    case 'environment':
      snapshot.environment = definedFields({
        precision: event.precision,
        attnImplementation: event.attn_implementation,
        packing: event.packing,
        cuda: event.cuda,
        torch: event.torch,
        gpus: event.gpus,
      });
      return;
    case 'data':
      snapshot.data = definedFields({
        format: event.format,
        trainExamples: event.train_examples,
        evalExamples: event.eval_examples,
        evalSource: event.eval_source,
        trainTokens: event.train_tokens,
        trainedTokens: event.trained_tokens,
        truncated: event.truncated,
        dropped: event.dropped,
      });
      return;
    case 'model':
      if (event.method !== undefined) snapshot.method = event.method;
      snapshot.model = definedFields({ trainableParameters: event.trainable_parameters, totalParameters: event.total_parameters });
      return;
    case 'step':
      foldStep(snapshot, event);
      return;
    case 'eval': {
      const series = snapshot.series;
      const from = firstIndexAtOrAfter(series.evalStep, event.step);
      series.evalStep.splice(from);
      series.evalLoss.splice(from);
      series.evalStep.push(event.step);
      series.evalLoss.push(finiteOrNull(event.eval_loss));
      if (isFiniteNumber(event.eval_loss)) snapshot.lastEvalLoss = event.eval_loss;
      return;
    }
    case 'checkpoint':
      snapshot.checkpoints = snapshot.checkpoints.filter((checkpoint) => checkpoint.path !== event.path);
      snapshot.checkpoints.push({ step: event.step, path: event.path, reason: event.reason });
      return;
    case 'warning':
      snapshot.warnings.push({ code: event.code, message: event.message });
      return;
    case 'serving':
      // The URL is what the host health-checks and hands to the chat: an event without a usable one is not folded.
      if (typeof event.url !== 'string' || !/^https?:\/\//.test(event.url) || typeof event.host !== 'string' || !isFiniteNumber(event.port)) return;
      snapshot.serving = {
        // What this machine calls: a server listening on every interface announces 0.0.0.0, not an address; on a
        // Slurm node that address (or its loopback) means the node, which is what the login node must call.
        url: snapshot.scheduler !== undefined ? urlOnNode(event.url, servingNode(event, snapshot.scheduler)) : reachableUrl(event.url),
        host: event.host,
        port: event.port,
        engine: event.engine,
        models: Array.isArray(event.models) ? event.models : [],
        apiKeyRequired: event.api_key_required === true,
        ...(isFiniteNumber(event.max_concurrent) ? { maxConcurrent: event.max_concurrent } : {}),
        ...(isFiniteNumber(event.max_queue) ? { maxQueue: event.max_queue } : {}),
        ...(typeof event.batching === 'string' ? { batching: event.batching } : {}),
      };
      // The event is the server's phase too (it listens): whether it also writes `phase serving` or not.
      snapshot.phase = 'serving';
      snapshot.status = statusOfPhase.serving;
      // A server that announces itself again (a restart on the same folder) is not known to answer until checked again.
      snapshot.ready = false;
      return;
    case 'serving_stats':
      if (snapshot.serving === undefined) return;
      snapshot.serving = {
        ...snapshot.serving,
        stats: {
          requests: countOf(event.requests),
          active: countOf(event.active),
          queued: countOf(event.queued),
          rejected: countOf(event.rejected),
          promptTokens: countOf(event.prompt_tokens),
          completionTokens: countOf(event.completion_tokens),
        },
      };
      return;
    case 'error':
      snapshot.error = {
        code: event.code,
        message: event.message,
        ...(event.action !== undefined ? { action: event.action } : {}),
        ...(event.install_command !== undefined ? { install_command: event.install_command } : {}),
        ...(event.errors !== undefined ? { errors: event.errors } : {}),
      };
      return;
  }
}

/** The `run` event's `distributed` (what the trainer applied); where it runs is the launch plan's, kept from before. */
function foldDistributed(snapshot: JobSnapshot, info: DistributedInfo): void {
  const counts = [info.world_size, info.nodes, info.per_device_batch_size, info.gradient_accumulation_steps, info.effective_batch_size, info.requested_effective_batch_size];
  if (!counts.every((count) => Number.isInteger(count) && count > 0) || typeof info.strategy !== 'string') return;
  snapshot.distributed = {
    target: snapshot.distributed?.target ?? (snapshot.scheduler !== undefined ? 'slurm' : 'local'),
    worldSize: info.world_size,
    nodes: info.nodes,
    processesPerNode: Math.max(1, Math.round(info.world_size / info.nodes)),
    strategy: info.strategy,
    perDeviceBatch: info.per_device_batch_size,
    gradientAccumulation: info.gradient_accumulation_steps,
    effectiveBatch: info.effective_batch_size,
    requestedEffectiveBatch: info.requested_effective_batch_size,
  };
}

/** What the launch plan recorded in run.json (`target`), shown until the trainer reports what it applied. */
export function distributedOfRecord(target: NonNullable<RunRecord['target']>): DistributedFacts {
  return {
    target: target.type,
    worldSize: target.batch.worldSize,
    nodes: target.nodes,
    processesPerNode: target.processesPerNode,
    strategy: target.strategy,
    perDeviceBatch: target.batch.perDeviceBatch,
    gradientAccumulation: target.batch.gradientAccumulation,
    effectiveBatch: target.batch.effectiveBatch,
    requestedEffectiveBatch: target.batch.requestedEffectiveBatch,
  };
}

/** The node a server on Slurm runs on: the host its event names when that is a name, else the first node of the job. */
function servingNode(event: ServingEvent, scheduler: SchedulerFacts): string | undefined {
  const named = (event as { node?: unknown }).node;
  if (typeof named === 'string' && /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(named)) return named;
  if (typeof event.host === 'string' && /^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(event.host) && !isWildcardOrLoopback(event.host)) return event.host;
  return firstNodeOf(scheduler.nodes);
}

/** The first host of a Slurm node list: `node[01-02,05],gpu1` → `node01`. */
export function firstNodeOf(nodes: string | undefined): string | undefined {
  const match = /^([A-Za-z0-9.-]*)(?:\[(\d+))?/.exec(nodes?.trim() ?? '');
  if (!match || `${match[1] ?? ''}${match[2] ?? ''}` === '' || nodes?.startsWith('(')) return undefined;
  return `${match[1] ?? ''}${match[2] ?? ''}`;
}

function isWildcardOrLoopback(host: string): boolean {
  return /^(0\.0\.0\.0|::|\[::\]|localhost|127\.[0-9.]+|::1|\[::1\])$/i.test(host);
}

/** The URL with a wildcard or loopback host replaced by the node (unchanged when the node is unknown or the host is already a name). */
function urlOnNode(url: string, node: string | undefined): string {
  if (node === undefined) return reachableUrl(url);
  return url.replace(/^(https?:\/\/)(0\.0\.0\.0|\[::\]|localhost|127\.[0-9.]+|\[::1\])(?=[:/?#]|$)/i, (_match, scheme: string) => `${scheme}${node}`);
}

function foldPhase(snapshot: JobSnapshot, event: PhaseEvent): void {
  snapshot.phase = event.phase;
  snapshot.status = statusOfPhase[event.phase];
  if (event.phase === 'training' && event.resumed_from !== undefined) snapshot.resumedFrom = event.resumed_from;
  if (!terminalPhases.includes(event.phase)) return;
  snapshot.ready = false;
  snapshot.endedAt = event.time * 1000;
  delete snapshot.etaSeconds;
  if (event.adapter !== undefined) snapshot.adapter = event.adapter;
  if (event.merged !== undefined) snapshot.merged = event.merged;
  if (event.step !== undefined) snapshot.step = event.step;
  if (isFiniteNumber(event.train_loss)) snapshot.finalLoss = event.train_loss;
  if (isFiniteNumber(event.gpu_memory_peak_bytes)) snapshot.gpuMemoryPeakBytes = event.gpu_memory_peak_bytes;
  if (event.phase === 'failed' && snapshot.error === undefined) {
    const who = snapshot.kind === 'serve' ? 'server' : 'trainer';
    snapshot.error = {
      code: event.code ?? (snapshot.kind === 'serve' ? 'SERVING_FAILED' : 'TRAINING_FAILED'),
      message: `the ${who} failed (${event.code ?? 'no error code'}); see train.log in the run folder`,
    };
  }
}

function foldStep(snapshot: JobSnapshot, event: StepEvent): void {
  const series = snapshot.series;
  const from = firstIndexAtOrAfter(series.step, event.step);
  if (from < series.step.length) {
    series.step.splice(from);
    series.loss.splice(from);
    series.learningRate.splice(from);
    series.tokensPerSecond.splice(from);
    series.gpuMemoryBytes.splice(from);
    const evalFrom = firstIndexAtOrAfter(series.evalStep, event.step);
    series.evalStep.splice(evalFrom);
    series.evalLoss.splice(evalFrom);
  }
  series.step.push(event.step);
  series.loss.push(finiteOrNull(event.loss));
  series.learningRate.push(finiteOrNull(event.learning_rate));
  series.tokensPerSecond.push(finiteOrNull(event.tokens_per_second));
  series.gpuMemoryBytes.push(finiteOrNull(event.gpu_memory_bytes));
  snapshot.step = event.step;
  if (event.total_steps !== undefined && event.total_steps > 0) snapshot.totalSteps = event.total_steps;
  if (isFiniteNumber(event.epoch)) snapshot.epoch = event.epoch;
  if (isFiniteNumber(event.eta_seconds)) snapshot.etaSeconds = event.eta_seconds;
  else delete snapshot.etaSeconds;
  if (isFiniteNumber(event.loss)) snapshot.lastLoss = event.loss;
  if (isFiniteNumber(event.gpu_memory_peak_bytes)) snapshot.gpuMemoryPeakBytes = Math.max(snapshot.gpuMemoryPeakBytes ?? 0, event.gpu_memory_peak_bytes);
}

/** The first index whose step is ≥ `step` (the series' length when none is): where a resumed run's series continues. */
function firstIndexAtOrAfter(steps: readonly number[], step: number): number {
  let index = steps.length;
  while (index > 0 && steps[index - 1]! >= step) index--;
  return index;
}

/** A counter from an event: a finite number ≥ 0, else 0. */
function countOf(value: unknown): number {
  return isFiniteNumber(value) && value >= 0 ? value : 0;
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function finiteOrNull(value: number | null | undefined): number | null {
  return isFiniteNumber(value) ? value : null;
}

/** The object without its undefined fields (optional properties may not hold `undefined`). */
function definedFields<T extends Record<string, unknown>>(fields: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** The message of a run whose trainer is gone without saying how it ended. */
export const endedWithoutFinalEvent = 'the trainer ended without a final event';

/**
 * The snapshot of a run folder as it is on disk: run.json, the events so far and whether the trainer still runs.
 * A trainer that is gone without a terminal phase failed ("the trainer ended without a final event", with its exit
 * when the runner that started it saw it), unless it was asked to stop (then it is `stopped`, with a warning that
 * nothing was saved); a cancel that was asked for makes the run `cancelled` once the trainer has ended without
 * finishing.
 */
export function snapshotOfRun(runDir: string): JobSnapshot {
  const record = readRunRecord(runDir);
  const base = emptySnapshot(runDir, record?.name ?? basename(runDir), 'queued', record?.kind ?? 'train');
  if (record?.jobFile !== undefined) base.jobFile = record.jobFile;
  if (record?.target !== undefined) base.distributed = distributedOfRecord(record.target);
  const slurmJob = record?.slurm?.last?.jobId === record?.slurm?.jobId ? record?.slurm?.last : undefined;
  // Set before the events are folded: a server's `serving` event on a node is read with the node's name.
  if (slurmJob !== undefined) base.scheduler = slurmJob;
  let snapshot: JobSnapshot;
  try {
    snapshot = foldEvents(base, readEvents(join(runDir, eventsFileName)));
  } catch (error) {
    if (error instanceof UnsafeFileError)
      return { ...base, status: 'failed', error: { code: 'RUN_UNREADABLE', message: error.message, action: 'Check the run folder; a run is read from its events.jsonl.' } };
    if (!(error instanceof JobProtocolError)) throw error;
    return { ...base, status: 'failed', error: { code: 'PROTOCOL_VERSION', message: error.message, action: 'Update Chatwright to read this run.' } };
  }
  if (record?.slurm !== undefined && record.failure === undefined) {
    // A Slurm run as last seen: active (its events decide, its queue state shown) or settled by how the job ended.
    const facts = slurmJob ?? { kind: 'slurm' as const, jobId: record.slurm.jobId, state: 'PENDING' as const, checkedAt: Date.parse(record.slurm.submittedAt) };
    return isTerminalSlurmState(facts.state) ? settleSlurmRun(snapshot, record, facts) : activeSlurmSnapshot(snapshot, facts);
  }
  const running = record !== undefined && isRunProcessAlive(record);
  if (running) {
    snapshot.pid = record.pid!;
    if (snapshot.lastSeq === 0) snapshot.status = 'starting';
    return snapshot;
  }
  return settleEndedRun(snapshot, record);
}

/** The final state of a run whose trainer has ended: the terminal phase's, or cancelled, or a failure that says what is known. */
export function settleEndedRun(snapshot: JobSnapshot, record: RunRecord | undefined, lastLogLines: readonly string[] = []): JobSnapshot {
  const next: JobSnapshot = { ...snapshot, ready: false };
  delete next.pid;
  delete next.etaSeconds;
  const terminal = next.phase !== undefined && terminalPhases.includes(next.phase);
  if (record?.failure !== undefined) {
    next.status = 'failed';
    next.error = { ...record.failure };
    return next;
  }
  if (record?.cancelledAt !== undefined && next.phase !== 'done') {
    next.status = 'cancelled';
    next.endedAt ??= Date.parse(record.cancelledAt);
    return next;
  }
  if (terminal) return next;
  // Never started (prepared, or queued before a reload): nothing ran, nothing failed.
  if (record?.pid === undefined && next.lastSeq === 0) return next;
  const how = record?.exit ? describeGroupExit(record.exit) : 'its exit status is unknown';
  if (record?.stopRequestedAt !== undefined) {
    // Asked to stop, and it did, but before it said it had saved (it was still starting, or had to be killed).
    next.status = 'stopped';
    // A server has nothing to save: asked to stop, it stopped, however it ended.
    if (next.kind === 'serve') return next;
    next.warnings = [...next.warnings, { code: 'STOPPED_WITHOUT_SAVING', message: `the trainer was asked to stop and ended (${how}) before it reported a saved checkpoint` }];
    return next;
  }
  const log = lastLogLines.length > 0 ? `; last log lines: ${lastLogLines.join(' | ')}` : '';
  next.status = 'failed';
  next.error =
    next.kind === 'serve'
      ? { code: 'SERVER_ENDED', message: `the server ended without a final event (${how})${log}`, action: "See train.log in the run folder (the server's output), then serve the model again." }
      : { code: 'TRAINER_ENDED', message: `${endedWithoutFinalEvent} (${how})${log}`, action: 'See train.log in the run folder; resume the job to continue from its last checkpoint.' };
  return next;
}

/** "exit code 1", "signal SIGKILL". */
export function describeGroupExit(exit: GroupExit): string {
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return `exit code ${exit.code ?? 'unknown'}`;
}
