/**
 * `<outputDir>/run.json`: the state of a comparison's last run, so that a run that stopped before it finished (killed,
 * crashed, cancelled) is noticed by the next one, which then either continues it (`--resume`) or starts over
 * (`--fresh`) — never silently mixes the two. A run records its pid and process start time while it answers; a run
 * found `running` whose process is gone was interrupted.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMissingFileError, readBoundedJsonSync } from '../files/boundedRead';
import { isRunProcessAlive } from '../jobs/runFolder';
import { processStartTime } from '../process/processGroup';

export const runStateFileName = 'run.json';

export type EvalRunStatus = 'running' | 'finished' | 'cancelled' | 'failed';

export interface EvalRunState {
  version: 1;
  state: EvalRunStatus;
  /** The answering process while it runs (or ran last), and its start time (to tell it from a reused pid). */
  pid: number;
  processStartedAt?: number;
  /** Unix milliseconds. */
  startedAt: number;
  endedAt?: number;
  /** The strategies this run answers with. */
  strategies: string[];
  /** Answers finished of all asked for, as last recorded (at most a second old after a kill). */
  done: number;
  total: number;
  /** Why a failed run failed. */
  error?: string;
}

/** What the next run finds: nothing to decide, an interrupted run to continue or discard, or a run still answering. */
export type PreviousRun = { kind: 'none' } | { kind: 'interrupted'; state: EvalRunState } | { kind: 'running'; state: EvalRunState };

export function readRunState(outputDir: string): EvalRunState | undefined {
  let raw: unknown;
  try {
    raw = readBoundedJsonSync(join(outputDir, runStateFileName), { kind: 'runRecord' });
  } catch (error) {
    // A missing file is no earlier run; an unreadable one (torn, not JSON) is treated the same: its answers are still cached.
    if (isMissingFileError(error)) return undefined;
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const record = raw as Partial<EvalRunState>;
  const states: readonly EvalRunStatus[] = ['running', 'finished', 'cancelled', 'failed'];
  if (!states.includes(record.state as EvalRunStatus) || typeof record.pid !== 'number' || typeof record.startedAt !== 'number') return undefined;
  return {
    version: 1,
    state: record.state as EvalRunStatus,
    pid: record.pid,
    ...(typeof record.processStartedAt === 'number' ? { processStartedAt: record.processStartedAt } : {}),
    startedAt: record.startedAt,
    ...(typeof record.endedAt === 'number' ? { endedAt: record.endedAt } : {}),
    strategies: Array.isArray(record.strategies) ? record.strategies.filter((name): name is string => typeof name === 'string') : [],
    done: typeof record.done === 'number' ? record.done : 0,
    total: typeof record.total === 'number' ? record.total : 0,
    ...(typeof record.error === 'string' ? { error: record.error } : {}),
  };
}

/** Replaces run.json atomically (a temporary file renamed over it), so a kill never leaves half a record. */
export function writeRunState(outputDir: string, state: EvalRunState): void {
  mkdirSync(outputDir, { recursive: true });
  const file = join(outputDir, runStateFileName);
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, file);
}

/** The state a run starts with: this process, answering. */
export function runningState(strategies: readonly string[], total: number, now = Date.now()): EvalRunState {
  const processStartedAt = processStartTime(process.pid);
  return { version: 1, state: 'running', pid: process.pid, ...(processStartedAt !== undefined ? { processStartedAt } : {}), startedAt: now, strategies: [...strategies], done: 0, total };
}

/**
 * Whether the last run stopped before it finished: it was cancelled, or it is recorded `running` but its process is
 * gone (killed, crashed, the machine restarted). A `running` record of a live process is a run still answering.
 */
export function previousRun(outputDir: string): PreviousRun {
  const state = readRunState(outputDir);
  if (!state) return { kind: 'none' };
  if (state.state === 'cancelled') return { kind: 'interrupted', state };
  if (state.state !== 'running') return { kind: 'none' };
  if (state.pid !== process.pid && isRunProcessAlive(state)) return { kind: 'running', state };
  return { kind: 'interrupted', state };
}

/** Thrown when an earlier run stopped part-way and neither `resume` nor `fresh` says what to do with it. */
export class InterruptedRunError extends Error {
  constructor(readonly state: EvalRunState) {
    super(`an earlier run stopped at ${state.done}/${state.total} answers; continue it with --resume or start over with --fresh`);
    this.name = 'InterruptedRunError';
  }
}

/** Thrown when another process is answering the same comparison now. */
export class RunInProgressError extends Error {
  constructor(readonly state: EvalRunState) {
    super(`another run (process ${state.pid}, started ${new Date(state.startedAt).toISOString()}) is answering this comparison now; wait for it or stop it first`);
    this.name = 'RunInProgressError';
  }
}
