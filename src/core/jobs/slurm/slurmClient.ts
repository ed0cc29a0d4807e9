/**
 * Runs Slurm's commands (never through a shell, each with a time limit) and reads their output with
 * `slurmParsers.ts`. Used from the CLI, a worker or the extension host's event loop (async `execFile`, never sync).
 */
import { type SlurmJobState, type SlurmPartition, type SlurmSubmission } from './slurmTypes';

export interface SlurmClientOptions {
  /** The environment the commands run in (PATH finds them; SLURM_CONF points at the cluster). Default: this process's. */
  env?: NodeJS.ProcessEnv;
  /** How long one command may take before it is killed and reported (default 30 s: a busy controller is slow). */
  timeoutMs?: number;
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

export class SlurmClient {
  constructor(readonly options: SlurmClientOptions = {}) {}

  /** Whether `sbatch` and `squeue` can be run here, with the version `sbatch --version` prints. */
  available(): Promise<{ ok: true; version: string } | { ok: false; reason: string }> {
    throw new Error('SlurmClient.available: not yet implemented (issue 19, helper H3)');
  }

  /** `sbatch --parsable <script>` from `cwd`. */
  submit(scriptPath: string, cwd: string): Promise<SlurmSubmission> {
    void scriptPath;
    void cwd;
    throw new Error('SlurmClient.submit: not yet implemented (issue 19, helper H3)');
  }

  /**
   * The state of each job: `squeue` for the jobs still queued or running, then `sacct` for the others, then
   * `scontrol show job` where accounting is off; `UNKNOWN` (source `none`) when none of them knows the job.
   */
  jobStates(jobIds: readonly string[]): Promise<Map<string, SlurmJobState>> {
    void jobIds;
    throw new Error('SlurmClient.jobStates: not yet implemented (issue 19, helper H3)');
  }

  /** `scancel [--signal=SIG] <id>`: with a signal, to the job's steps (the trainer); without, ends the job. */
  cancel(jobId: string, signal?: 'INT' | 'TERM' | 'USR1'): Promise<void> {
    void jobId;
    void signal;
    throw new Error('SlurmClient.cancel: not yet implemented (issue 19, helper H3)');
  }

  /** The partitions and their limits (`sinfo` and `scontrol show partition`). */
  partitions(): Promise<SlurmPartition[]> {
    throw new Error('SlurmClient.partitions: not yet implemented (issue 19, helper H3)');
  }
}
