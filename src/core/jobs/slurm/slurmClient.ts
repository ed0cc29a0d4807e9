/**
 * Runs Slurm's commands (never through a shell, each with a time limit) and reads their output with
 * `slurmParsers.ts`. Used from the CLI, a worker or the extension host's event loop (async `execFile`, never sync).
 */
import { execFile } from 'node:child_process';
import {
  isAccountingDisabledMessage,
  isInvalidJobIdMessage,
  parsePartitions,
  parseSacct,
  parseSbatchParsable,
  parseScontrolJobs,
  parseSqueue,
  sacctFields,
  sinfoFormat,
  slurmErrorText,
  slurmJobIdPattern,
  squeueFormat,
  stateOfJob,
  type SlurmParseProblem,
} from './slurmParsers';
import { terminalSlurmStates, type SlurmJobState, type SlurmPartition, type SlurmSubmission } from './slurmTypes';

export interface SlurmClientOptions {
  /** The environment the commands run in (PATH finds them; SLURM_CONF points at the cluster). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** How long one command may take before it is killed and reported (default 30 s: a busy controller is slow). */
  timeoutMs?: number;
  /** Told about each output line that was skipped or only partly understood (a newer Slurm, a garbled line). */
  onParseProblem?: (command: string, problem: SlurmParseProblem) => void;
  /**
   * How long `jobStates` waits for other callers before it asks (default 25 ms): the runs a window follows each poll
   * their own job, and one `squeue` for all of them costs the controller what one job's costs. 0 asks at once.
   */
  coalesceMs?: number;
}

const defaultCoalesceMs = 25;

/** Callers of `jobStates` whose ids are asked about together. */
interface StatesBatch {
  ids: Set<string>;
  waiters: { ids: readonly string[]; resolve: (states: Map<string, SlurmJobState>) => void; reject: (error: unknown) => void }[];
}

/** A Slurm command failed, timed out or printed what it should not: says which command and what it printed. */
export class SlurmCommandError extends Error {
  constructor(
    message: string,
    readonly command: string,
    readonly stderr: string,
  ) {
    super(message);
    this.name = 'SlurmCommandError';
  }
}

const defaultTimeoutMs = 30_000;
/** More than any of these commands prints for the jobs and partitions asked about; a runaway output is cut off. */
const maxOutputBytes = 8 * 1024 * 1024;
/** Job ids per squeue/sacct command line: keeps the argument list short on a login node. */
const idsPerCommand = 200;

interface CommandOutput {
  code: number;
  stdout: string;
  stderr: string;
}

export class SlurmClient {
  private batch: StatesBatch | undefined;

  constructor(readonly options: SlurmClientOptions = {}) {}

  /** Whether `sbatch` and `squeue` can be run here, with the version `sbatch --version` prints. */
  async available(): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
    try {
      const sbatch = await this.run('sbatch', ['--version']);
      if (sbatch.code !== 0) return { ok: false, reason: `sbatch --version failed: ${slurmErrorText(sbatch.stderr) || `exit code ${sbatch.code}`}` };
      const squeue = await this.run('squeue', ['--version']);
      if (squeue.code !== 0) return { ok: false, reason: `squeue --version failed: ${slurmErrorText(squeue.stderr) || `exit code ${squeue.code}`}` };
      const version = sbatch.stdout.trim().split('\n')[0]?.trim() ?? '';
      return { ok: true, version: version.slice(0, 200) };
    } catch (error) {
      return { ok: false, reason: (error as Error).message };
    }
  }

  /** `sbatch --parsable <script>` from `cwd`. */
  async submit(scriptPath: string, cwd: string): Promise<SlurmSubmission> {
    const output = await this.run('sbatch', ['--parsable', scriptPath], cwd);
    if (output.code !== 0) {
      throw new SlurmCommandError(`sbatch refused the job: ${slurmErrorText(output.stderr) || `exit code ${output.code}`}`, 'sbatch', output.stderr);
    }
    const submission = parseSbatchParsable(output.stdout);
    if (!submission) throw new SlurmCommandError(`sbatch printed no job id: "${output.stdout.trim().slice(0, 200)}"`, 'sbatch', output.stderr);
    return submission;
  }

  /**
   * The state of each job: `squeue` for the jobs still queued or running, then `sacct` for the others, then
   * `scontrol show job` where accounting is off; `UNKNOWN` (source `none`) when none of them knows the job.
   */
  async jobStates(jobIds: readonly string[]): Promise<Map<string, SlurmJobState>> {
    const wanted = [...new Set(jobIds)];
    const invalid = wanted.filter((id) => !slurmJobIdPattern.test(id));
    if (invalid.length > 0) throw new SlurmCommandError(`not a Slurm job id: ${invalid.map((id) => JSON.stringify(id.slice(0, 40))).join(', ')}`, 'squeue', '');
    if (wanted.length === 0) return new Map();
    const coalesceMs = this.options.coalesceMs ?? defaultCoalesceMs;
    if (coalesceMs <= 0) return this.askStates(wanted);
    return new Promise((resolve, reject) => {
      let batch = this.batch;
      if (!batch) {
        const opened: StatesBatch = { ids: new Set(), waiters: [] };
        batch = this.batch = opened;
        setTimeout(() => void this.askBatch(opened), coalesceMs);
      }
      for (const id of wanted) batch.ids.add(id);
      batch.waiters.push({ ids: wanted, resolve, reject });
    });
  }

  /** Asks once for every id of the batch and gives each caller the states of its own ids. */
  private async askBatch(batch: StatesBatch): Promise<void> {
    if (this.batch === batch) this.batch = undefined;
    let states: Map<string, SlurmJobState>;
    try {
      states = await this.askStates([...batch.ids]);
    } catch (error) {
      for (const waiter of batch.waiters) waiter.reject(error);
      return;
    }
    for (const waiter of batch.waiters) waiter.resolve(new Map(waiter.ids.map((id) => [id, states.get(id) ?? { jobId: id, state: 'UNKNOWN', source: 'none' }])));
  }

  private async askStates(wanted: readonly string[]): Promise<Map<string, SlurmJobState>> {
    const states = new Map<string, SlurmJobState>();
    if (wanted.length === 0) return states;
    const endedInQueue = new Map<string, SlurmJobState>();

    for (const chunk of chunks(wanted)) {
      const output = await this.run('squeue', ['-h', '-j', chunk.join(','), '-o', squeueFormat]);
      // A job that ended and was purged: squeue answers "Invalid job id specified" when it knows none of the ids.
      if (output.code !== 0 && !isInvalidJobIdMessage(output.stderr)) throw this.failure('squeue', output);
      const parsed = output.code === 0 ? this.parsed('squeue', parseSqueue(output.stdout)) : [];
      for (const id of chunk) {
        const state = stateOfJob(id, parsed);
        // With -j squeue also lists a job that ended recently, but without its exit code: sacct or scontrol has it.
        if (state && terminalSlurmStates.includes(state.state)) endedInQueue.set(id, state);
        else if (state) states.set(id, state);
      }
    }

    let accountingError: SlurmCommandError | undefined;
    let left = wanted.filter((id) => !states.has(id));
    if (left.length > 0) {
      for (const chunk of chunks(left)) {
        const output = await this.run('sacct', ['-n', '-P', '-X', '-j', chunk.join(','), `--format=${sacctFields}`]);
        if (output.code !== 0) {
          // Without accounting scontrol is all there is; with accounting down, scontrol may still know the job.
          if (!isAccountingDisabledMessage(output.stderr)) accountingError = this.failure('sacct', output);
          break;
        }
        const parsed = this.parsed('sacct', parseSacct(output.stdout));
        for (const id of chunk) {
          const state = stateOfJob(id, parsed);
          if (state) states.set(id, state);
        }
      }
    }

    // Accounting is off, down, or has not yet recorded a job that just left the queue: ask the controller.
    left = wanted.filter((id) => !states.has(id));
    for (const id of left) {
      const output = await this.run('scontrol', ['show', 'job', '-o', id]);
      if (output.code !== 0) {
        if (isInvalidJobIdMessage(output.stderr)) continue;
        throw this.failure('scontrol', output);
      }
      const state = stateOfJob(id, this.parsed('scontrol', parseScontrolJobs(output.stdout)));
      if (state) states.set(id, state);
    }

    left = wanted.filter((id) => !states.has(id));
    // A job no command knows is lost only when every command could answer; a failed sacct leaves it undecided.
    if (left.some((id) => !endedInQueue.has(id)) && accountingError) throw accountingError;
    for (const id of left) states.set(id, endedInQueue.get(id) ?? { jobId: id, state: 'UNKNOWN', source: 'none' });
    return states;
  }

  /** `scancel [--signal=SIG] <id>`: with a signal, to the job's steps (the trainer); without, ends the job. */
  async cancel(jobId: string, signal?: 'INT' | 'TERM' | 'USR1'): Promise<void> {
    if (!slurmJobIdPattern.test(jobId)) throw new SlurmCommandError(`not a Slurm job id: ${JSON.stringify(jobId.slice(0, 40))}`, 'scancel', '');
    const output = await this.run('scancel', [...(signal !== undefined ? [`--signal=${signal}`] : []), jobId]);
    if (output.code !== 0) throw this.failure('scancel', output);
  }

  /** The partitions and their limits (`sinfo` and `scontrol show partition`). */
  async partitions(): Promise<SlurmPartition[]> {
    const [sinfo, scontrol] = await Promise.all([this.run('sinfo', ['-h', '-o', sinfoFormat]), this.run('scontrol', ['show', 'partition', '-o'])]);
    if (sinfo.code !== 0) throw this.failure('sinfo', sinfo);
    if (scontrol.code !== 0) throw this.failure('scontrol', scontrol);
    return this.parsed('sinfo', parsePartitions(sinfo.stdout, scontrol.stdout));
  }

  private parsed<T>(command: string, result: { values: T; problems: SlurmParseProblem[] }): T {
    const report = this.options.onParseProblem;
    if (report) for (const problem of result.problems) report(command, problem);
    return result.values;
  }

  private failure(command: string, output: CommandOutput): SlurmCommandError {
    return new SlurmCommandError(`${command} failed: ${slurmErrorText(output.stderr) || `exit code ${output.code}`}`, command, output.stderr);
  }

  /**
   * Runs one command. Resolves with its exit code and output when it ran (a non-zero exit included); rejects with a
   * `SlurmCommandError` when it could not run, timed out or printed more than `maxOutputBytes`.
   */
  private run(command: string, args: string[], cwd?: string): Promise<CommandOutput> {
    const timeoutMs = this.options.timeoutMs ?? defaultTimeoutMs;
    const env = this.options.env ?? process.env;
    return new Promise((resolve, reject) => {
      execFile(command, args, { env, timeout: timeoutMs, maxBuffer: maxOutputBytes, encoding: 'utf8', windowsHide: true, ...(cwd !== undefined ? { cwd } : {}) }, (error, stdout, stderr) => {
        if (!error) {
          resolve({ code: 0, stdout, stderr });
          return;
        }
        const failure = error as NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: NodeJS.Signals | null };
        if (failure.code === 'ENOENT') {
          reject(new SlurmCommandError(`${command} not found: Slurm's commands must be on the PATH (run on the cluster's login node)`, command, ''));
        } else if (failure.code === 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER') {
          reject(new SlurmCommandError(`${command} printed more than ${maxOutputBytes / (1024 * 1024)} MiB`, command, String(stderr).slice(0, 2000)));
        } else if (failure.killed === true || (failure.signal !== null && failure.signal !== undefined)) {
          reject(new SlurmCommandError(`${command} did not answer within ${Math.round(timeoutMs / 1000)} s (is slurmctld reachable?)`, command, String(stderr).slice(0, 2000)));
        } else if (typeof failure.code === 'number') {
          resolve({ code: failure.code, stdout, stderr });
        } else {
          reject(new SlurmCommandError(`${command} could not be run: ${failure.message}`, command, String(stderr).slice(0, 2000)));
        }
      });
    });
  }
}

function chunks(ids: readonly string[]): string[][] {
  const result: string[][] = [];
  for (let start = 0; start < ids.length; start += idsPerCommand) result.push(ids.slice(start, start + idsPerCommand));
  return result;
}
