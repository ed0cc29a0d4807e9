/**
 * What Chatwright reads from Slurm's commands (`squeue`, `sacct`, `scontrol`, `sinfo`): job states with their reasons,
 * and partitions with their limits. Types only; `slurmClient.ts` runs the commands and `slurmParsers.ts` reads them.
 */

/** Slurm's job states (squeue `%T`, sacct `State`, scontrol `JobState`); `UNKNOWN` when no command knows the job any more. */
export const slurmStateNames = [
  'PENDING',
  'CONFIGURING',
  'RUNNING',
  'COMPLETING',
  'SUSPENDED',
  'REQUEUED',
  'REQUEUE_HOLD',
  'REQUEUE_FED',
  'RESIZING',
  'SIGNALING',
  'STAGE_OUT',
  'STOPPED',
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'SPECIAL_EXIT',
  'REVOKED',
  'UNKNOWN',
] as const;
export type SlurmStateName = (typeof slurmStateNames)[number];

/** States after which the job never runs again by itself. */
export const terminalSlurmStates: readonly SlurmStateName[] = [
  'COMPLETED',
  'FAILED',
  'CANCELLED',
  'TIMEOUT',
  'OUT_OF_MEMORY',
  'NODE_FAIL',
  'PREEMPTED',
  'BOOT_FAIL',
  'DEADLINE',
  'SPECIAL_EXIT',
  'REVOKED',
];

export interface SlurmJobState {
  jobId: string;
  state: SlurmStateName;
  /** Why it waits or why it ended (`Resources`, `Priority`, `BeginTime`, `JobHeldUser`, `NonZeroExitCode` …); absent for `None`. */
  reason?: string;
  /** The batch script's exit code, once ended (sacct/scontrol `ExitCode` "code:signal"). */
  exitCode?: number;
  /** The signal that ended it, when one did. */
  exitSignal?: number;
  /** Run time so far, as Slurm prints it (`1-02:03:04`, `12:34`). */
  elapsed?: string;
  timeLimit?: string;
  /** The nodes it runs or ran on (`node[01-02]`), or the reason it waits, as squeue's `%R` prints it. */
  nodes?: string;
  /** Which command said so. */
  source: 'squeue' | 'sacct' | 'scontrol' | 'none';
}

export interface SlurmPartition {
  name: string;
  /** `up` in sinfo's AVAIL column. */
  up: boolean;
  isDefault: boolean;
  /** sinfo's TIMELIMIT as printed (`1-00:00:00`, `infinite`). */
  maxTime: string;
  /** The same in minutes; null when unlimited. */
  maxTimeMinutes: number | null;
  /** Nodes in the partition. */
  nodes: number;
  /** The most GPUs one node of the partition has (from its `gres`, `gpu:a100:8` → 8); 0 when none. */
  gpusPerNode: number;
  /** GPU types named in the partition's gres (`a100`). */
  gpuTypes: string[];
  cpusPerNode: number | null;
  memoryMbPerNode: number | null;
  /** `scontrol show partition`'s MaxNodes; null when unlimited or unknown. */
  maxNodes: number | null;
  /** `AllowAccounts`; null when ALL. */
  allowAccounts: string[] | null;
}

/** A submitted job, as `sbatch --parsable` prints it: `jobid` or `jobid;cluster`. */
export interface SlurmSubmission {
  jobId: string;
  cluster?: string;
}

/** What a run shows of its Slurm job: the job page, the Jobs view and `chatwright jobs` read it from the snapshot. */
export interface SchedulerFacts {
  kind: 'slurm';
  jobId: string;
  cluster?: string;
  state: SlurmStateName;
  reason?: string;
  nodes?: string;
  elapsed?: string;
  timeLimit?: string;
  exitCode?: number;
  /** Unix milliseconds of the last look at the scheduler. */
  checkedAt: number;
}
