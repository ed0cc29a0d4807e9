/**
 * The jobs waiting for the GPU: first in, first out, at most `concurrency` running at once (one by default: two
 * trainings on one GPU slow each other down and can run it out of memory). A job that ends in any way (done, failed,
 * stopped, cancelled, or killed) frees its place and the next one starts.
 */
import { type JobRun } from './jobRunner';
import { type JobSnapshot } from './jobSnapshot';

/** A job waiting for its turn: its prepared run folder, and whatever the `start` callback needs. */
export interface QueuedJob {
  runDir: string;
  name: string;
  /** Start it with `resumeJob` rather than `startJob`. */
  resume?: boolean;
  /** ISO time it was queued (set by `enqueue` when missing). */
  queuedAt?: string;
}

export type QueueChange =
  | { kind: 'queued'; job: QueuedJob }
  | { kind: 'dequeued'; job: QueuedJob }
  | { kind: 'started'; job: QueuedJob; run: JobRun }
  | { kind: 'finished'; job: QueuedJob; snapshot: JobSnapshot }
  /** `start` threw: the job did not run. */
  | { kind: 'failedToStart'; job: QueuedJob; error: Error };

export interface JobQueueOptions {
  /** How many jobs run at once (default 1). */
  concurrency?: number;
  /** Starts a job; a promise holds the job's place until it settles (a launch that must ask something first). */
  start: (job: QueuedJob) => JobRun | Promise<JobRun>;
}

export class JobQueue {
  private readonly waiting: QueuedJob[] = [];
  private readonly active = new Map<string, { job: QueuedJob; run: JobRun }>();
  /** Jobs whose `start` returned a promise that has not settled: each holds a place. */
  private readonly starting = new Set<string>();
  private readonly listeners = new Set<(change: QueueChange) => void>();
  private readonly concurrency: number;
  private disposed = false;

  constructor(private readonly options: JobQueueOptions) {
    this.concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
  }

  /** Adds a job at the end of the queue; it starts at once when a place is free. */
  enqueue(job: QueuedJob): void {
    if (this.isKnown(job.runDir)) throw new Error(`${job.runDir} is already queued or running`);
    const entry = { ...job, queuedAt: job.queuedAt ?? new Date().toISOString() };
    this.waiting.push(entry);
    this.emit({ kind: 'queued', job: entry });
    this.startWaiting();
  }

  /** Takes a job that has not started yet off the queue; false when it is not waiting (running, or unknown). */
  cancelQueued(runDir: string): boolean {
    const index = this.waiting.findIndex((job) => job.runDir === runDir);
    if (index < 0) return false;
    const [job] = this.waiting.splice(index, 1);
    this.emit({ kind: 'dequeued', job: job! });
    return true;
  }

  /** The jobs waiting, in the order they will start. */
  queued(): QueuedJob[] {
    return [...this.waiting];
  }

  /** The runs holding a place. */
  running(): JobRun[] {
    return [...this.active.values()].map((entry) => entry.run);
  }

  /** Counts a run that was not started by this queue (one re-attached after a reload) against the places until it ends. */
  adopt(run: JobRun, job: QueuedJob = { runDir: run.runDir, name: run.snapshot.name }): void {
    if (this.active.has(run.runDir)) return;
    this.track(job, run);
  }

  onDidChange(listener: (change: QueueChange) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Forgets the waiting jobs and starts nothing more; running jobs go on. */
  dispose(): void {
    this.disposed = true;
    this.waiting.length = 0;
    this.listeners.clear();
  }

  private isKnown(runDir: string): boolean {
    return this.active.has(runDir) || this.starting.has(runDir) || this.waiting.some((job) => job.runDir === runDir);
  }

  private startWaiting(): void {
    while (!this.disposed && this.active.size + this.starting.size < this.concurrency && this.waiting.length > 0) {
      const job = this.waiting.shift()!;
      let started: JobRun | Promise<JobRun>;
      try {
        started = this.options.start(job);
      } catch (error) {
        this.emit({ kind: 'failedToStart', job, error: error instanceof Error ? error : new Error(String(error)) });
        continue;
      }
      if (started instanceof Promise) {
        this.starting.add(job.runDir);
        void started.then(
          (run) => {
            this.starting.delete(job.runDir);
            this.track(job, run);
            this.emit({ kind: 'started', job, run });
          },
          (error: unknown) => {
            this.starting.delete(job.runDir);
            this.emit({ kind: 'failedToStart', job, error: error instanceof Error ? error : new Error(String(error)) });
            this.startWaiting();
          },
        );
        continue;
      }
      this.track(job, started);
      this.emit({ kind: 'started', job, run: started });
    }
  }

  private track(job: QueuedJob, run: JobRun): void {
    this.active.set(run.runDir, { job, run });
    void run.finished.then(
      (snapshot) => this.release(job, run, snapshot),
      () => this.release(job, run, run.snapshot),
    );
  }

  private release(job: QueuedJob, run: JobRun, snapshot: JobSnapshot): void {
    if (this.active.get(run.runDir)?.run === run) this.active.delete(run.runDir);
    this.emit({ kind: 'finished', job, snapshot });
    this.startWaiting();
  }

  private emit(change: QueueChange): void {
    for (const listener of [...this.listeners]) listener(change);
  }
}
