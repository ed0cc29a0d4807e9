import { type CheckpointEvent, type ErrorEvent, type GpuInfo, type TrainerPhase, type WarningEvent } from './jobEvents';

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

export interface JobSnapshot {
  /** The run folder (absolute); the job's identity. */
  runDir: string;
  name: string;
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
  /** The trainer's process, while it runs. */
  pid?: number;
}
