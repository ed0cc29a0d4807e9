/**
 * Reads what Slurm's commands print (`sbatch --parsable`, `squeue -o`, `sacct -P`, `scontrol -o`, `sinfo -o`) into
 * `slurmTypes.ts`. Everything printed is treated as hostile: a line that does not parse is skipped and reported as a
 * `SlurmParseProblem`, never thrown. Held to outputs recorded from slurm-wlm 22.05.8 (`test/fixtures/slurm/22.05/`).
 */
import { slurmTimeSeconds } from '../jobTargetChecks';
import { slurmStateNames, terminalSlurmStates, type SlurmJobState, type SlurmPartition, type SlurmStateName, type SlurmSubmission } from './slurmTypes';

/** A line of a command's output that was skipped or only partly understood. */
export interface SlurmParseProblem {
  /** 1-based line of the output. */
  line: number;
  text: string;
  reason: string;
}

export interface SlurmParsed<T> {
  values: T;
  problems: SlurmParseProblem[];
}

/** squeue's format: job id, state (long name), reason, elapsed, time limit, node count, nodes or `(reason)`. */
export const squeueFormat = '%i|%T|%r|%M|%l|%D|%R';
/** sacct's fields (with `-P`: `|` between them, a character none of these fields can hold). */
export const sacctFields = 'JobID,State,ExitCode,Reason,Elapsed,Timelimit,NodeList';
/** sinfo's format: partition (`*` marks the default), availability, time limit, node count, gres, CPUs and memory (MB) per node. */
export const sinfoFormat = '%P|%a|%l|%D|%G|%c|%m';

/** A Slurm job id as the client passes it on: `123`, an array task `123_4`, a het component `123+0`. */
export const slurmJobIdPattern = /^\d+(?:_\d+|\+\d+)?$/;
/** A job id in output: also the unexpanded pending array tasks `123_[2-5]` or `123_[1,3]`. */
const printedJobIdPattern = /^\d+(?:_\d+|_\[[\d,\-%]+\]|\+\d+)?$/;
const longestLine = 64 * 1024;

const stateNameSet = new Set<string>(slurmStateNames);

/** The state in `RUNNING`, `CANCELLED by 1000`, `CANCELLED+` (sacct's truncation mark); undefined when it names none. */
export function parseSlurmState(text: string): SlurmStateName | undefined {
  const word = text.trim().split(/\s+/)[0]?.replace(/\+$/, '').toUpperCase() ?? '';
  return stateNameSet.has(word) ? (word as SlurmStateName) : undefined;
}

/** `3:0` → exit code 3, signal 0 (sacct and scontrol's `ExitCode`). */
export function parseExitCode(text: string): { exitCode: number; exitSignal: number } | undefined {
  const match = /^(\d+):(\d+)$/.exec(text.trim());
  if (!match) return undefined;
  return { exitCode: Number(match[1]), exitSignal: Number(match[2]) };
}

/**
 * Minutes in a Slurm time (`--time`, sinfo's TIMELIMIT, scontrol's MaxTime), seconds rounded up to a whole minute as
 * Slurm does: the forms and ranges `slurmTimeSeconds` accepts (one reading for the job file's check, preflight and
 * these outputs). `null` for unlimited (`infinite`, `UNLIMITED`); undefined when not a time.
 */
export function parseSlurmMinutes(text: string): number | null | undefined {
  const value = text.trim();
  if (/^(infinite|unlimited)$/i.test(value)) return null;
  const seconds = slurmTimeSeconds(value);
  return seconds === undefined ? undefined : Math.ceil(seconds / 60);
}

/** `1-02:03:00` style for a number of minutes, as Slurm prints limits (for messages). */
export function formatSlurmMinutes(minutes: number): string {
  const days = Math.floor(minutes / (24 * 60));
  const hours = Math.floor((minutes % (24 * 60)) / 60);
  const rest = minutes % 60;
  const clock = `${String(hours).padStart(2, '0')}:${String(rest).padStart(2, '0')}:00`;
  return days > 0 ? `${days}-${clock}` : clock;
}

/** `sbatch --parsable`'s `jobid` or `jobid;cluster` (the last non-empty line: sbatch may print notes before it). */
export function parseSbatchParsable(stdout: string): SlurmSubmission | undefined {
  const lines = stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
  const last = lines.at(-1);
  if (last === undefined) return undefined;
  const match = /^(\d+)(?:;([A-Za-z0-9_.-]+))?$/.exec(last);
  if (!match) return undefined;
  return match[2] !== undefined ? { jobId: match[1]!, cluster: match[2] } : { jobId: match[1]! };
}

function outputLines(stdout: string): { line: number; text: string }[] {
  return stdout
    .split('\n')
    .map((text, index) => ({ line: index + 1, text: text.replace(/\r$/, '') }))
    .filter((entry) => entry.text.trim() !== '');
}

function tooLong(entry: { line: number; text: string }, problems: SlurmParseProblem[]): boolean {
  if (entry.text.length <= longestLine) return false;
  problems.push({ line: entry.line, text: entry.text.slice(0, 200), reason: `line longer than ${longestLine} characters` });
  return true;
}

/** Slurm's "nothing here" spellings, which become absent fields. */
function meaningful(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  if (trimmed === undefined || trimmed === '' || /^(none|none assigned|\(null\)|n\/a|partition_limit)$/i.test(trimmed)) return undefined;
  return trimmed;
}

function jobState(fields: {
  jobId: string;
  state: SlurmStateName;
  reason?: string | undefined;
  exit?: string | undefined;
  elapsed?: string | undefined;
  timeLimit?: string | undefined;
  nodes?: string | undefined;
  source: SlurmJobState['source'];
}): SlurmJobState {
  const exit = fields.exit !== undefined ? parseExitCode(fields.exit) : undefined;
  const reason = meaningful(fields.reason);
  const elapsed = meaningful(fields.elapsed);
  const timeLimit = meaningful(fields.timeLimit);
  const nodes = meaningful(fields.nodes);
  return {
    jobId: fields.jobId,
    state: fields.state,
    ...(reason !== undefined ? { reason } : {}),
    ...(exit !== undefined ? { exitCode: exit.exitCode, exitSignal: exit.exitSignal } : {}),
    ...(elapsed !== undefined ? { elapsed } : {}),
    ...(timeLimit !== undefined ? { timeLimit } : {}),
    ...(nodes !== undefined ? { nodes } : {}),
    source: fields.source,
  };
}

/** The state, or `UNKNOWN` with a problem reported when a newer Slurm prints a state this list lacks. */
function stateOrReport(text: string, entry: { line: number; text: string }, problems: SlurmParseProblem[]): SlurmStateName {
  const state = parseSlurmState(text);
  if (state !== undefined) return state;
  problems.push({ line: entry.line, text: entry.text, reason: `unknown job state "${text.trim()}" (read as UNKNOWN)` });
  return 'UNKNOWN';
}

/** `squeue -h -o '%i|%T|%r|%M|%l|%D|%R'`: one job (or array task, het component) a line. */
export function parseSqueue(stdout: string): SlurmParsed<SlurmJobState[]> {
  const problems: SlurmParseProblem[] = [];
  const values: SlurmJobState[] = [];
  for (const entry of outputLines(stdout)) {
    if (tooLong(entry, problems)) continue;
    const fields = entry.text.split('|');
    if (fields.length < 7) {
      problems.push({ line: entry.line, text: entry.text, reason: `expected 7 fields separated by "|", found ${fields.length}` });
      continue;
    }
    const [jobId, stateText, reason, elapsed, timeLimit, , ...rest] = fields.map((field) => field.trim());
    if (!printedJobIdPattern.test(jobId!)) {
      problems.push({ line: entry.line, text: entry.text, reason: `"${jobId}" is not a job id` });
      continue;
    }
    // %R is the node list while running, "(Reason)" while pending: the nodes are what is worth keeping.
    const nodesOrReason = rest.join('|');
    const nodes = nodesOrReason.startsWith('(') ? undefined : nodesOrReason;
    values.push(jobState({ jobId: jobId!, state: stateOrReport(stateText!, entry, problems), reason, elapsed, timeLimit, nodes, source: 'squeue' }));
  }
  return { values, problems };
}

/** `sacct -n -P -X --format=JobID,State,ExitCode,Reason,Elapsed,Timelimit,NodeList`; step lines (`12.batch`) are skipped. */
export function parseSacct(stdout: string): SlurmParsed<SlurmJobState[]> {
  const problems: SlurmParseProblem[] = [];
  const values: SlurmJobState[] = [];
  for (const entry of outputLines(stdout)) {
    if (tooLong(entry, problems)) continue;
    const fields = entry.text.split('|').map((field) => field.trim());
    if (fields.length < 7) {
      problems.push({ line: entry.line, text: entry.text, reason: `expected 7 fields separated by "|", found ${fields.length}` });
      continue;
    }
    const [jobId, stateText, exit, reason, elapsed, timeLimit, ...rest] = fields;
    if (/^\d+(?:_\d+|\+\d+)?\.[\w+-]+$/.test(jobId!)) continue;
    if (!printedJobIdPattern.test(jobId!)) {
      problems.push({ line: entry.line, text: entry.text, reason: `"${jobId}" is not a job id` });
      continue;
    }
    if (exit !== '' && parseExitCode(exit!) === undefined) problems.push({ line: entry.line, text: entry.text, reason: `"${exit}" is not an exit code (code:signal)` });
    values.push(jobState({ jobId: jobId!, state: stateOrReport(stateText!, entry, problems), reason, exit, elapsed, timeLimit, nodes: rest.join('|'), source: 'sacct' }));
  }
  return { values, problems };
}

/**
 * `Key=Value Key=Value …` of `scontrol show … -o`. A value runs up to the next ` Key=`; values may hold spaces
 * (a `Command` path, a `Comment`), which only the keys after them could confuse.
 */
export function parseScontrolLine(line: string): Map<string, string> {
  const values = new Map<string, string>();
  const pattern = /([A-Za-z][\w:/.]*)=(.*?)(?=\s+[A-Za-z][\w:/.]*=|\s*$)/gy;
  let position = 0;
  const text = line.trim();
  while (position < text.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(text);
    if (!match) break;
    if (!values.has(match[1]!)) values.set(match[1]!, match[2]!.trim());
    position = pattern.lastIndex;
    while (position < text.length && /\s/.test(text[position]!)) position += 1;
  }
  return values;
}

/** `scontrol show job -o <id>`: one line a job (an array shows one per task). */
export function parseScontrolJobs(stdout: string): SlurmParsed<SlurmJobState[]> {
  const problems: SlurmParseProblem[] = [];
  const values: SlurmJobState[] = [];
  for (const entry of outputLines(stdout)) {
    if (tooLong(entry, problems)) continue;
    const fields = parseScontrolLine(entry.text);
    const rawId = fields.get('JobId');
    const stateText = fields.get('JobState');
    if (rawId === undefined || stateText === undefined || !/^\d+$/.test(rawId)) {
      problems.push({ line: entry.line, text: entry.text.slice(0, 200), reason: 'no JobId and JobState' });
      continue;
    }
    // An array task is `JobId=13 ArrayJobId=12 ArrayTaskId=1`; a het component `HetJobId=12 HetJobOffset=0`.
    const arrayJob = fields.get('ArrayJobId');
    const arrayTask = fields.get('ArrayTaskId');
    const hetJob = fields.get('HetJobId');
    const hetOffset = fields.get('HetJobOffset');
    const arrayId = arrayJob !== undefined && arrayTask !== undefined ? (/^\d+$/.test(arrayTask) ? `${arrayJob}_${arrayTask}` : `${arrayJob}_[${arrayTask}]`) : undefined;
    const jobId =
      arrayId !== undefined && printedJobIdPattern.test(arrayId)
        ? arrayId
        : hetJob !== undefined && hetOffset !== undefined && /^\d+$/.test(hetJob) && /^\d+$/.test(hetOffset)
          ? `${hetJob}+${hetOffset}`
          : rawId;
    values.push(
      jobState({
        jobId,
        state: stateOrReport(stateText, entry, problems),
        reason: fields.get('Reason'),
        exit: fields.get('ExitCode'),
        elapsed: fields.get('RunTime'),
        timeLimit: fields.get('TimeLimit'),
        nodes: fields.get('NodeList'),
        source: 'scontrol',
      }),
    );
  }
  return { values, problems };
}

const activeStates: readonly SlurmStateName[] = ['RUNNING', 'COMPLETING', 'CONFIGURING', 'SIGNALING', 'STAGE_OUT', 'RESIZING', 'SUSPENDED', 'STOPPED'];

/**
 * The state of job `jobId` among parsed lines: its own line, or — for an array or het job asked for by its base id —
 * one state for all its tasks: running while any runs, pending while any waits, else the first that did not complete.
 */
export function stateOfJob(jobId: string, states: readonly SlurmJobState[]): SlurmJobState | undefined {
  const own = states.find((state) => state.jobId === jobId);
  if (own) return own;
  const parts = states.filter((state) => state.jobId.startsWith(`${jobId}_`) || state.jobId.startsWith(`${jobId}+`));
  if (parts.length === 0) return undefined;
  const chosen =
    parts.find((state) => activeStates.includes(state.state)) ?? parts.find((state) => !terminalSlurmStates.includes(state.state)) ?? parts.find((state) => state.state !== 'COMPLETED') ?? parts[0]!;
  return { ...chosen, jobId };
}

/** GPUs on a node and their types from a gres string: `gpu:a100:8(S:0-1),gpu:2,mps:100` → 10, [a100]. */
export function parseGpuGres(gres: string): { gpus: number; types: string[] } {
  let gpus = 0;
  const types: string[] = [];
  const value = meaningful(gres);
  if (value === undefined) return { gpus, types };
  for (const item of value.split(/,(?![^(]*\))/)) {
    const withoutSockets = item.replace(/\(.*\)$/, '').trim();
    const parts = withoutSockets.split(':');
    if (parts[0] !== 'gpu') continue;
    const count = parts.length >= 2 ? Number(parts.at(-1)) : 1;
    const type = parts.length >= 3 ? parts.slice(1, -1).join(':') : undefined;
    if (Number.isInteger(count) && count >= 0) gpus += count;
    if (type !== undefined && type !== '' && !types.includes(type)) types.push(type);
  }
  return { gpus, types };
}

/** sinfo's number columns print `64+` when the nodes of a line differ: the smallest, which every node has. */
function leadingInteger(text: string): number | null {
  const match = /^(\d+)/.exec(text.trim());
  return match ? Number(match[1]) : null;
}

/**
 * Partitions from `sinfo -h -o '%P|%a|%l|%D|%G|%c|%m'` (one line per group of alike nodes, summed per partition)
 * and `scontrol show partition -o` (MaxNodes, AllowAccounts, Default, State, the exact MaxTime). Either output may
 * be empty; a partition only scontrol shows (hidden from sinfo) is left out.
 */
export function parsePartitions(sinfoStdout: string, scontrolStdout: string): SlurmParsed<SlurmPartition[]> {
  const problems: SlurmParseProblem[] = [];
  const partitions = new Map<string, SlurmPartition>();
  for (const entry of outputLines(sinfoStdout)) {
    if (tooLong(entry, problems)) continue;
    const fields = entry.text.split('|').map((field) => field.trim());
    if (fields.length < 7) {
      problems.push({ line: entry.line, text: entry.text, reason: `expected 7 fields separated by "|", found ${fields.length}` });
      continue;
    }
    const [nameText, avail, limit, nodesText, gres, cpusText, memoryText] = fields as [string, string, string, string, string, string, string];
    const isDefault = nameText.endsWith('*');
    const name = isDefault ? nameText.slice(0, -1) : nameText;
    const nodes = leadingInteger(nodesText);
    if (!/^[\w.-]+$/.test(name) || nodes === null) {
      problems.push({ line: entry.line, text: entry.text, reason: 'no partition name and node count' });
      continue;
    }
    const maxTimeMinutes = parseSlurmMinutes(limit);
    if (maxTimeMinutes === undefined && !/^n\/a$/i.test(limit)) problems.push({ line: entry.line, text: entry.text, reason: `"${limit}" is not a time limit (read as unlimited)` });
    const gpu = parseGpuGres(gres);
    const cpus = leadingInteger(cpusText);
    const memory = leadingInteger(memoryText);
    const known = partitions.get(name);
    if (known) {
      known.nodes += nodes;
      known.gpusPerNode = Math.max(known.gpusPerNode, gpu.gpus);
      for (const type of gpu.types) if (!known.gpuTypes.includes(type)) known.gpuTypes.push(type);
      known.cpusPerNode = cpus !== null ? Math.max(known.cpusPerNode ?? 0, cpus) : known.cpusPerNode;
      known.memoryMbPerNode = memory !== null ? Math.max(known.memoryMbPerNode ?? 0, memory) : known.memoryMbPerNode;
      known.up = known.up || avail === 'up';
      known.isDefault = known.isDefault || isDefault;
      continue;
    }
    partitions.set(name, {
      name,
      up: avail === 'up',
      isDefault,
      maxTime: limit,
      maxTimeMinutes: maxTimeMinutes ?? null,
      nodes,
      gpusPerNode: gpu.gpus,
      gpuTypes: gpu.types,
      cpusPerNode: cpus,
      memoryMbPerNode: memory,
      maxNodes: null,
      allowAccounts: null,
    });
  }
  for (const entry of outputLines(scontrolStdout)) {
    if (tooLong(entry, problems)) continue;
    const fields = parseScontrolLine(entry.text);
    const name = fields.get('PartitionName');
    if (name === undefined) {
      problems.push({ line: entry.line, text: entry.text.slice(0, 200), reason: 'no PartitionName' });
      continue;
    }
    const partition = partitions.get(name);
    if (!partition) continue;
    const maxNodes = fields.get('MaxNodes');
    if (maxNodes !== undefined && /^\d+$/.test(maxNodes)) partition.maxNodes = Number(maxNodes);
    const accounts = fields.get('AllowAccounts');
    if (accounts !== undefined && accounts !== '' && accounts.toUpperCase() !== 'ALL') partition.allowAccounts = accounts.split(',').filter((account) => account !== '');
    if (fields.get('Default') === 'YES') partition.isDefault = true;
    const state = fields.get('State');
    if (state !== undefined && state !== 'UP') partition.up = false;
    const maxTime = fields.get('MaxTime');
    const minutes = maxTime !== undefined ? parseSlurmMinutes(maxTime) : undefined;
    if (maxTime !== undefined && minutes !== undefined) {
      partition.maxTime = maxTime;
      partition.maxTimeMinutes = minutes;
    }
  }
  return { values: [...partitions.values()], problems };
}

/** Slurm's "this job is not known (any more)" (squeue, scontrol for a purged or never-existing job). */
export function isInvalidJobIdMessage(stderr: string): boolean {
  return /Invalid job id specified/i.test(stderr);
}

/** sacct on a cluster without accounting: "Slurm accounting storage is disabled". */
export function isAccountingDisabledMessage(stderr: string): boolean {
  return /accounting storage is disabled/i.test(stderr);
}

/** The lines of a command's stderr worth showing: sbatch's "sbatch: error: …" without the prefix, at most a few. */
export function slurmErrorText(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => line.replace(/^[a-z]+: error: /, ''));
  const text = lines.slice(-4).join('; ');
  return text.length > 1000 ? `${text.slice(0, 1000)}…` : text;
}
