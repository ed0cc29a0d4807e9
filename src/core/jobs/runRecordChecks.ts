import { type BatchPlan } from './jobTarget';
import { type RunRecord } from './runFolder';
import { slurmJobIdPattern } from './slurm/slurmParsers';
import { slurmStateNames, type SchedulerFacts, type SlurmStateName } from './slurm/slurmTypes';

/**
 * The checks on run.json's `target` and `slurm` when it is read: a run folder comes from anywhere (a cloned
 * workspace, a hand edit, an older or newer Chatwright), and the snapshot, the Jobs view and `chatwright jobs` use
 * these fields without looking again. A malformed field is dropped, never the record: the run still lists, and only
 * what the field told (the batch plan, the Slurm job) is missing.
 */

type Fields = Record<string, unknown>;

function isFields(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isWholeNumber(value: unknown, minimum: number): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= minimum;
}

/** Optional text: absent is fine, anything but a string is not. */
function optionalText(value: unknown): boolean {
  return value === undefined || typeof value === 'string';
}

const stateNames = new Set<string>(slurmStateNames);

/** A job id of the form Slurm gives (`123`, `123_4`, `123+0`). */
export function isSlurmJobId(value: unknown): value is string {
  return typeof value === 'string' && value.length <= 64 && slurmJobIdPattern.test(value);
}

function checkedBatch(value: unknown): BatchPlan | undefined {
  if (!isFields(value)) return undefined;
  const { worldSize, perDeviceBatch, gradientAccumulation, effectiveBatch, requestedEffectiveBatch, changed, problem } = value;
  if (![worldSize, perDeviceBatch, gradientAccumulation, effectiveBatch, requestedEffectiveBatch].every((number) => isWholeNumber(number, 1))) return undefined;
  if (typeof changed !== 'boolean' || !optionalText(problem)) return undefined;
  return value as unknown as BatchPlan;
}

/** run.json's `target` when every field has its type; undefined otherwise (or when absent). */
export function checkedRunTarget(value: unknown): RunRecord['target'] | undefined {
  if (!isFields(value)) return undefined;
  const { type, nodes, processesPerNode, strategy, batch, description } = value;
  if (type !== 'local' && type !== 'slurm') return undefined;
  if (!isWholeNumber(nodes, 1) || !isWholeNumber(processesPerNode, 1) || typeof strategy !== 'string' || typeof description !== 'string') return undefined;
  if (checkedBatch(batch) === undefined) return undefined;
  return value as unknown as RunRecord['target'];
}

/** The scheduler's facts as run.json keeps them (`slurm.last`); undefined when any field is off. */
export function checkedSchedulerFacts(value: unknown): SchedulerFacts | undefined {
  if (!isFields(value)) return undefined;
  const { kind, jobId, cluster, state, reason, nodes, elapsed, timeLimit, exitCode, checkedAt } = value;
  if (kind !== 'slurm' || !isSlurmJobId(jobId) || typeof state !== 'string' || !stateNames.has(state)) return undefined;
  if (![cluster, reason, nodes, elapsed, timeLimit].every(optionalText)) return undefined;
  if (exitCode !== undefined && !isWholeNumber(exitCode, 0)) return undefined;
  if (typeof checkedAt !== 'number' || !Number.isFinite(checkedAt)) return undefined;
  return { ...(value as unknown as SchedulerFacts), state: state as SlurmStateName };
}

/**
 * run.json's `slurm`: undefined when the job id, the script or the submission time is off (nothing of the Slurm job
 * can be trusted then); a malformed `last` or submission is dropped alone.
 */
export function checkedRunSlurm(value: unknown): RunRecord['slurm'] | undefined {
  if (!isFields(value)) return undefined;
  const { jobId, cluster, script, submittedAt, submissions, last } = value;
  if (!isSlurmJobId(jobId) || typeof script !== 'string' || typeof submittedAt !== 'string' || !optionalText(cluster)) return undefined;
  const keptSubmissions = Array.isArray(submissions)
    ? submissions.filter(
        (submission): submission is { jobId: string; submittedAt: string } => isFields(submission) && isSlurmJobId(submission['jobId']) && typeof submission['submittedAt'] === 'string',
      )
    : [];
  const keptLast = checkedSchedulerFacts(last);
  const { last: _last, submissions: _submissions, ...rest } = value;
  return { ...(rest as Omit<NonNullable<RunRecord['slurm']>, 'last' | 'submissions'>), submissions: keptSubmissions, ...(keptLast !== undefined ? { last: keptLast } : {}) };
}
