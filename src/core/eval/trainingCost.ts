/**
 * What a fine-tuned strategy cost to train, read from its run folder (the same snapshot the Jobs view shows): the time
 * its attempts trained, the GPUs the trainer reported, GPU hours, and the training examples.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readEvents } from '../jobs/jobEventReader';
import { eventsFileName, terminalPhases, type TrainerEvent } from '../jobs/jobEvents';
import { finalStatuses, snapshotOfRun, type JobSnapshot } from '../jobs/jobSnapshot';
import { type StrategyRow } from './evalTypes';

export type TrainingCost = NonNullable<StrategyRow['training']>;

export interface TrainingCostOptions {
  /** How the run is named in the report (the comparison's workspace-relative `fineTuned.run`); default `runDir`. */
  run?: string;
  /** Unix milliseconds: the end of a run still training. */
  now?: number;
}

/**
 * The training cost of the run in `runDir`. `status` is the job's (`done`, `running`, `failed`…), or `missing` when
 * the folder is not there. Seconds are the sum of the attempts' own durations (see `attemptsSeconds`), to `now` for an
 * attempt still training: a run stopped on Friday and resumed on Monday counts its two attempts, not the weekend.
 * GPUs are those the trainer's environment event listed (at least one when it reported CUDA), none on a CPU run, which
 * then has no GPU hours; a figure the run never reported is left out rather than guessed.
 */
export function trainingCost(runDir: string, options: TrainingCostOptions = {}): TrainingCost {
  const run = options.run ?? runDir;
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) return { run, status: 'missing' };
  const snapshot = snapshotOfRun(runDir);
  const cost: TrainingCost = { run, status: snapshot.status };
  const seconds = trainedSeconds(runDir, snapshot, options.now ?? Date.now());
  if (seconds !== undefined) cost.seconds = seconds;
  const environment = snapshot.environment;
  if (environment !== undefined) {
    const listed = environment.gpus?.length ?? 0;
    const usesCuda = typeof environment.cuda === 'string' && environment.cuda !== '';
    const gpus = usesCuda ? Math.max(1, listed) : listed;
    cost.gpus = gpus;
    if (seconds !== undefined && gpus > 0) cost.gpuHours = (seconds * gpus) / 3600;
  }
  if (snapshot.data?.trainExamples !== undefined) cost.trainExamples = snapshot.data.trainExamples;
  return cost;
}

function trainedSeconds(runDir: string, snapshot: JobSnapshot, now: number): number | undefined {
  let events: TrainerEvent[];
  try {
    events = readEvents(join(runDir, eventsFileName));
  } catch {
    // The snapshot already says why the events cannot be read (its status is `failed`); no time is guessed.
    return undefined;
  }
  const ended = finalStatuses.includes(snapshot.status);
  const openEnd = snapshot.endedAt ?? (ended ? undefined : now);
  return attemptsSeconds(events, openEnd);
}

/**
 * The seconds a run's attempts lasted, added up. Each `run` event starts an attempt (a resume writes a new one); an
 * attempt ends at its terminal phase (`done`, `failed`, `stopped`), or, when the next attempt starts without one (the
 * trainer was killed), at its last event. The last attempt, when it has no terminal phase, ends at `openEnd` (the
 * run's recorded end, or now while it trains), else at its last event. Undefined when no attempt ever started.
 */
export function attemptsSeconds(events: readonly TrainerEvent[], openEnd: number | undefined): number | undefined {
  let totalMs = 0;
  let started = false;
  let attemptStart: number | undefined;
  let lastEvent = 0;
  for (const event of events) {
    const time = event.time * 1000;
    if (!Number.isFinite(time)) continue;
    if (event.event === 'run') {
      if (attemptStart !== undefined) totalMs += Math.max(0, lastEvent - attemptStart);
      attemptStart = time;
      lastEvent = time;
      started = true;
      continue;
    }
    if (attemptStart === undefined) continue;
    lastEvent = Math.max(lastEvent, time);
    if (event.event === 'phase' && terminalPhases.includes(event.phase)) {
      totalMs += Math.max(0, time - attemptStart);
      attemptStart = undefined;
    }
  }
  if (attemptStart !== undefined) totalMs += Math.max(0, (openEnd ?? lastEvent) - attemptStart);
  return started ? totalMs / 1000 : undefined;
}
