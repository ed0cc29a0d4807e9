/**
 * What a fine-tuned strategy cost to train, read from its run folder (the same snapshot the Jobs view shows): wall
 * time from the first start to the end, the GPUs the trainer reported, GPU hours, and the training examples.
 */
import { existsSync, statSync } from 'node:fs';
import { finalStatuses, snapshotOfRun } from '../jobs/jobSnapshot';
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
 * the folder is not there. Seconds run from the first start to the end (to `now` while it still trains; a resumed run
 * counts the time between its attempts too); GPUs are those the trainer's environment event listed (at least one
 * when it reported CUDA), none on a CPU run; a figure the run never reported is left out rather than guessed.
 */
export function trainingCost(runDir: string, options: TrainingCostOptions = {}): TrainingCost {
  const run = options.run ?? runDir;
  if (!existsSync(runDir) || !statSync(runDir).isDirectory()) return { run, status: 'missing' };
  const snapshot = snapshotOfRun(runDir);
  const cost: TrainingCost = { run, status: snapshot.status };
  const ended = finalStatuses.includes(snapshot.status);
  const end = snapshot.endedAt ?? (ended ? undefined : (options.now ?? Date.now()));
  const seconds = snapshot.startedAt !== undefined && end !== undefined ? Math.max(0, (end - snapshot.startedAt) / 1000) : undefined;
  if (seconds !== undefined) cost.seconds = seconds;
  const environment = snapshot.environment;
  if (environment !== undefined) {
    const listed = environment.gpus?.length ?? 0;
    const usesCuda = typeof environment.cuda === 'string' && environment.cuda !== '';
    const gpus = usesCuda ? Math.max(1, listed) : listed;
    cost.gpus = gpus;
    if (seconds !== undefined) cost.gpuHours = (seconds * gpus) / 3600;
  }
  if (snapshot.data?.trainExamples !== undefined) cost.trainExamples = snapshot.data.trainExamples;
  return cost;
}
