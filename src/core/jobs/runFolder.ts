/**
 * A job's run folder, `.chatwright/runs/<yyyymmdd-hhmmss>-<name>/`: everything needed to see the run again and to
 * repeat it exactly. A server's run folder (`kind: 'serve'`) holds run.json, config.json (the serve request: models,
 * adapters, host, port, engine), events.jsonl and train.log (the server's output: one log name for every kind, so
 * every reader of a run's log reads the same file).
 *
 * | file | what |
 * | --- | --- |
 * | `run.json` | the `RunRecord`: name, job file, creation time, the trainer's pid and start time, how it ended |
 * | `config.json` | the resolved config the trainer reads |
 * | `job.yaml` | a copy of the job file as it was |
 * | `datasets.json` | sha256 and size of the train and eval files |
 * | `env.json` | the Python environment probe, when one was made |
 * | `events.jsonl` | the trainer's events (`jobEvents.ts`) |
 * | `train.log` | the trainer's (or server's) stdout and stderr |
 * | `checkpoints/`, `adapter/`, `merged/` | written by the trainer |
 */
import { createHash } from 'node:crypto';
import { closeSync, copyFileSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { readBoundedTextSync } from '../files/boundedRead';
import { isProcessAlive, processStartTime, type GroupExit } from '../process/processGroup';
import { type ResolvedJobConfig } from './jobFile';
import { type BatchPlan } from './jobTarget';
import { checkedRunSlurm, checkedRunTarget } from './runRecordChecks';
import { type SchedulerFacts } from './slurm/slurmTypes';
import { findEvalSibling } from './preflight';

export const runsFolder = '.chatwright/runs';
export const runRecordFile = 'run.json';
export const runConfigFile = 'config.json';
export const runJobFile = 'job.yaml';
export const runDatasetsFile = 'datasets.json';
export const runEnvironmentFile = 'env.json';
export const runLogFile = 'train.log';
/** The trainer's control files (python/README.md, "Control"). */
export const stopNowFile = 'stop-now';
export const checkpointNowFile = 'checkpoint-now';

export interface RunRecord {
  version: 1;
  name: string;
  /** What the run's process is: a fine-tuning job (absent in older runs) or a server (issue 17). */
  kind?: 'train' | 'serve';
  /** The job file the run was made from (absolute). */
  jobFile?: string;
  /** ISO time. */
  createdAt: string;
  /** The trainer's pid while it runs (or ran last). */
  pid?: number;
  /** The trainer's start time (`processStartTime`): a live pid with another start time is someone else's process. */
  processStartedAt?: number;
  /** The interpreter and the command line the trainer was started with. */
  python?: string;
  trainer?: string[];
  /** A server's command line as started (program first; never holds its API key, which goes in its environment). */
  command?: string[];
  hostname: string;
  /** ISO time of the last start (a resume starts again). */
  startedAt?: string;
  /** How the trainer's process ended, when the runner that started it saw it end. */
  exit?: GroupExit;
  /** ISO time a cancel was asked for: the run counts as cancelled once its process has ended. */
  cancelledAt?: string;
  /** ISO time a stop-and-save was asked for. */
  stopRequestedAt?: string;
  /**
   * What whoever ran it found wrong and stopped it for (a server that never answered its health check): the run
   * counts as failed with this error once its process has ended, whatever it said last.
   */
  failure?: { code: string; message: string; action?: string };
  /** Where it runs and how its processes share the work (the launch plan, written before it starts); absent: one local process. */
  target?: { type: 'local' | 'slurm'; nodes: number; processesPerNode: number; strategy: string; batch: BatchPlan; description: string };
  /** A Slurm run: the job now (`jobId`), every submission (a resume submits again), the script, the last state seen. */
  slurm?: {
    jobId: string;
    cluster?: string;
    /** The script's file name in the run folder. */
    script: string;
    submittedAt: string;
    submissions: { jobId: string; submittedAt: string }[];
    last?: SchedulerFacts;
  };
}

export interface DatasetHash {
  path: string;
  bytes: number;
  sha256: string;
}

export interface RunDatasets {
  train: DatasetHash;
  /** The eval file (`data.eval`, or the sibling that `auto` picks); absent when the eval rows are held out of train. */
  eval?: DatasetHash;
}

/** The folder name of a run: `<yyyymmdd-hhmmss>-<name made safe>` in local time. */
export function runFolderName(name: string, now: Date): string {
  const two = (value: number): string => String(value).padStart(2, '0');
  const stamp = `${now.getFullYear()}${two(now.getMonth() + 1)}${two(now.getDate())}-${two(now.getHours())}${two(now.getMinutes())}${two(now.getSeconds())}`;
  return `${stamp}-${safeRunName(name)}`;
}

/** A name that is a valid folder name on every platform: letters, digits, `.`, `_` and `-` only, at most 60 characters. */
export function safeRunName(name: string): string {
  const safe = name
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 60)
    .replace(/[-.]+$/g, '');
  return safe.length > 0 ? safe : 'job';
}

/** Creates `<workspace>/.chatwright/runs/<yyyymmdd-hhmmss>-<name>` (with `-2`, `-3` … when it exists) and returns its absolute path. */
export function createRunFolder(workspaceRoot: string, name: string, now: Date = new Date()): string {
  const parent = resolve(workspaceRoot, runsFolder);
  mkdirSync(parent, { recursive: true });
  const base = runFolderName(name, now);
  for (let attempt = 1; ; attempt++) {
    const dir = join(parent, attempt === 1 ? base : `${base}-${attempt}`);
    try {
      // Not recursive: EEXIST is how two runs started in the same second get different folders.
      mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** The run's record; undefined when run.json is missing or not a record. */
export function readRunRecord(runDir: string): RunRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(readBoundedTextSync(join(runDir, runRecordFile), { kind: 'runRecord' }));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const record = value as Partial<RunRecord>;
  if (record.version !== 1 || typeof record.name !== 'string' || typeof record.createdAt !== 'string') return undefined;
  // What the views read without looking again: a malformed one is dropped, the run still lists.
  const { target: rawTarget, slurm: rawSlurm, ...rest } = record;
  const target = checkedRunTarget(rawTarget);
  const slurm = checkedRunSlurm(rawSlurm);
  return { ...(rest as RunRecord), ...(target !== undefined ? { target } : {}), ...(slurm !== undefined ? { slurm } : {}) };
}

/** Writes run.json whole (through a temporary file, so a reader never sees half of it). */
export function writeRunRecord(runDir: string, record: RunRecord): void {
  writeJsonAtomically(join(runDir, runRecordFile), record);
}

/** Changes some fields of run.json; returns the new record (undefined when there is none). */
export function updateRunRecord(runDir: string, change: (record: RunRecord) => RunRecord): RunRecord | undefined {
  const record = readRunRecord(runDir);
  if (!record) return undefined;
  const next = change(record);
  writeRunRecord(runDir, next);
  return next;
}

/** The run folders of the workspace (those with a run.json), newest first. */
export function listRunFolders(workspaceRoot: string): string[] {
  const parent = resolve(workspaceRoot, runsFolder);
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return [];
  }
  const runs: { dir: string; createdAt: string }[] = [];
  for (const name of names) {
    const dir = join(parent, name);
    const record = readRunRecord(dir);
    if (record) runs.push({ dir, createdAt: record.createdAt });
  }
  return runs.sort((a, b) => (a.createdAt === b.createdAt ? b.dir.localeCompare(a.dir) : b.createdAt.localeCompare(a.createdAt))).map((run) => run.dir);
}

/**
 * Whether the run's trainer is still running: its pid is alive and, where the start time can be read (Linux), it is
 * the same process that was started (a pid reused by another program after a reboot or a long time is not the trainer).
 */
export function isRunProcessAlive(record: Pick<RunRecord, 'pid' | 'processStartedAt'>): boolean {
  if (record.pid === undefined || !isProcessAlive(record.pid)) return false;
  if (record.processStartedAt === undefined) return true;
  const startTime = processStartTime(record.pid);
  return startTime === undefined || startTime === record.processStartedAt;
}

/**
 * Creates the run folder of a job and writes what the run needs and what repeats it: run.json, config.json, job.yaml
 * (a copy of the job file), datasets.json (hashes of the train and eval files, read in chunks) and env.json (when a
 * probe is given). Returns the folder's absolute path.
 */
export function prepareRun(args: {
  workspaceRoot: string;
  jobFile: string;
  name: string;
  config: ResolvedJobConfig;
  probe?: unknown;
  now?: Date;
  /** The datasets' hashes when the caller has them already (`hashDatasetsAsync`, off the caller's thread); else they are computed here, synchronously. */
  datasets?: RunDatasets;
}): string {
  const now = args.now ?? new Date();
  const runDir = createRunFolder(args.workspaceRoot, args.name, now);
  const jobFile = resolve(args.jobFile);
  writeRunRecord(runDir, { version: 1, name: args.name, jobFile, createdAt: now.toISOString(), hostname: hostname() });
  writeJsonAtomically(join(runDir, runConfigFile), args.config);
  if (existsSync(jobFile)) copyFileSync(jobFile, join(runDir, runJobFile));
  writeJsonAtomically(join(runDir, runDatasetsFile), args.datasets ?? hashDatasets(args.config));
  if (args.probe !== undefined) writeJsonAtomically(join(runDir, runEnvironmentFile), args.probe);
  return runDir;
}

/**
 * Creates the run folder of a server (`kind: 'serve'`) with run.json and config.json (the serve request as given).
 * Returns the folder's absolute path.
 */
export function prepareServeRun(args: { workspaceRoot: string; name: string; request: object; now?: Date }): string {
  const now = args.now ?? new Date();
  const runDir = createRunFolder(args.workspaceRoot, args.name, now);
  writeRunRecord(runDir, { version: 1, name: args.name, kind: 'serve', createdAt: now.toISOString(), hostname: hostname() });
  writeJsonAtomically(join(runDir, runConfigFile), args.request);
  return runDir;
}

/** The sha256 and size of the train file and of the eval file the trainer will read. */
export function hashDatasets(config: ResolvedJobConfig): RunDatasets {
  const evalFile = config.data.eval === 'auto' ? findEvalSibling(config.data.train) : (config.data.eval ?? undefined);
  return { train: hashFile(config.data.train), ...(evalFile !== undefined ? { eval: hashFile(evalFile) } : {}) };
}

/** `hashDatasets` without blocking: the files are streamed, so an extension host stays responsive on a large dataset. */
export async function hashDatasetsAsync(config: ResolvedJobConfig): Promise<RunDatasets> {
  const evalFile = config.data.eval === 'auto' ? findEvalSibling(config.data.train) : (config.data.eval ?? undefined);
  const [train, evalHash] = await Promise.all([hashFileAsync(config.data.train), evalFile !== undefined ? hashFileAsync(evalFile) : undefined]);
  return { train, ...(evalHash !== undefined ? { eval: evalHash } : {}) };
}

/** `hashFile` as a stream. */
export async function hashFileAsync(file: string): Promise<DatasetHash> {
  const path = resolve(file);
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: hashChunkBytes })) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { path, bytes, sha256: hash.digest('hex') };
}

const hashChunkBytes = 4 << 20;

/** The file's sha256, read in 4 MiB chunks so a dataset of any size needs little memory. */
export function hashFile(file: string): DatasetHash {
  const path = resolve(file);
  const hash = createHash('sha256');
  const fd = openSync(path, 'r');
  let bytes = 0;
  try {
    const buffer = Buffer.alloc(hashChunkBytes);
    for (;;) {
      const read = readSync(fd, buffer, 0, buffer.length, null);
      if (read <= 0) break;
      hash.update(buffer.subarray(0, read));
      bytes += read;
    }
  } finally {
    closeSync(fd);
  }
  return { path, bytes, sha256: hash.digest('hex') };
}

/** The run folder's name when it has no record (a folder made by hand). */
export function runNameOf(runDir: string): string {
  return readRunRecord(runDir)?.name ?? basename(runDir);
}

export function isRunFolder(dir: string): boolean {
  return existsSync(join(dir, runRecordFile)) && statSync(dir).isDirectory();
}

function writeJsonAtomically(file: string, value: unknown): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(temporary, file);
}
