import { join } from 'node:path';
import { AppendedLinesFollower } from '../../core/files/appendedLines';
import { eventsFileName, type TrainerEvent } from '../../core/jobs/jobEvents';
import { JobProtocolError, parseEventLine } from '../../core/jobs/jobEventReader';
import { type JobRun } from '../../core/jobs/jobRunner';
import { type JobSnapshot } from '../../core/jobs/jobSnapshot';
import { formatDuration } from '../../core/text/relativeTime';
import { type CliIo } from '../io';
import { formatLoss, JobProgressPrinter, schedulerKey, schedulerWords, type ProgressMode } from './jobProgress';

/** `chatwright train`'s exit codes: the trainer's own (0 done, 3 stopped), 1 for a failed job, 2 for a refused one. */
export const TrainExit = { done: 0, failed: 1, refused: 2, stopped: 3 } as const;

/** Bar on a terminal, plain lines otherwise, the trainer's JSON lines with `--json`. */
export function progressModeFor(io: CliIo, json: boolean): ProgressMode {
  if (json) return 'json';
  return (io.stdout as { isTTY?: boolean }).isTTY === true ? 'bar' : 'lines';
}

/** Where messages for people go: stdout, except with `--json`, where stdout carries only events. */
export function humanStream(io: CliIo, mode: ProgressMode): NodeJS.WritableStream {
  return mode === 'json' ? io.stderr : io.stdout;
}

export interface FollowOptions {
  mode: ProgressMode;
  /** Events up to this `seq` were already shown (a resumed run continues the count). */
  afterSeq?: number;
  /**
   * What Ctrl-C does: `stop` asks the trainer to save and stop (a second Ctrl-C cancels without saving); `detach`
   * only stops following and leaves the trainer running.
   */
  interrupt: 'stop' | 'detach';
}

/** What following needs of a run: a local `JobRun` and a Slurm one (`targetRunner.ts`) alike, or a test's fake. */
export type FollowableRun = Pick<JobRun, 'runDir' | 'snapshot' | 'finished' | 'stopAndSave' | 'cancel' | 'detach' | 'onDidChange'>;

/** How following ended: the job's final snapshot, or `detached` when the user stopped watching a running job. */
export type FollowResult = { ended: true; snapshot: JobSnapshot } | { ended: false };

/**
 * Prints a job's progress until it ends, from its events file (the one record every viewer reads, so `train`,
 * `jobs show --follow` and the editor show the same thing), and turns Ctrl-C into stop-and-save or cancel.
 */
export async function followRun(run: FollowableRun, io: CliIo, options: FollowOptions): Promise<FollowResult> {
  const human = humanStream(io, options.mode);
  const printer = new JobProgressPrinter({
    mode: options.mode,
    runDir: run.runDir,
    name: run.snapshot.name,
    write: (text) => io.stdout.write(text),
    columns: (io.stdout as { columns?: number }).columns ?? 80,
  });
  const say = (text: string): void => (options.mode === 'json' ? void human.write(`${text}\n`) : printer.say(text));
  const eventsFile = join(run.runDir, eventsFileName);
  let shownSeq = options.afterSeq ?? 0;
  let protocolError: JobProtocolError | undefined;
  // Raw lines, not re-encoded events: `--json` passes on exactly what the trainer wrote.
  const show = (lines: readonly string[]): void => {
    const fresh: { event: TrainerEvent; line: string }[] = [];
    for (const line of lines) {
      let event: TrainerEvent | undefined;
      try {
        event = parseEventLine(line);
      } catch (error) {
        if (!(error instanceof JobProtocolError)) throw error;
        protocolError ??= error;
        continue;
      }
      if (event === undefined || event.seq <= shownSeq) continue;
      shownSeq = event.seq;
      fresh.push({ event, line: line.trim() });
    }
    printer.print(fresh);
  };
  const follower = new AppendedLinesFollower(eventsFile, show, { pollMs: 200 });
  // The scheduler's side of a Slurm run (pending and why, the node it runs on): one line per change, never per poll.
  let shownScheduler: string | undefined;
  const showScheduler = (snapshot: JobSnapshot): void => {
    const key = schedulerKey(snapshot.scheduler);
    if (key === undefined || key === shownScheduler) return;
    shownScheduler = key;
    say(schedulerWords(snapshot.scheduler!));
  };
  showScheduler(run.snapshot);
  const schedulerWatch = run.onDidChange(showScheduler);
  const slurmJob = (): string | undefined => run.snapshot.scheduler?.jobId;

  let interrupts = 0;
  let detach: () => void = () => undefined;
  const detached = new Promise<'detached'>((resolve) => (detach = () => resolve('detached')));
  const onInterrupt = (): void => {
    interrupts += 1;
    if (options.interrupt === 'detach') {
      detach();
      return;
    }
    const job = slurmJob();
    if (interrupts === 1) {
      const how = job !== undefined ? ` (Slurm job ${job}: RUN/stop-now)` : '';
      say(`Stopping${how}: the trainer saves a checkpoint and the adapter after this step (Ctrl-C again to cancel without saving)…`);
      void run.stopAndSave();
    } else if (interrupts === 2) {
      say(`Cancelling without saving${job !== undefined ? ` (scancel ${job})` : ''}…`);
      void run.cancel();
    }
  };
  process.on('SIGINT', onInterrupt);
  try {
    const outcome = await Promise.race([run.finished, detached]);
    // The follower polls: read what the trainer wrote after its last look, so the output ends with the final event.
    follower.readNow();
    follower.stop();
    printer.end();
    if (protocolError) io.stderr.write(`${protocolError.message}\n`);
    if (outcome === 'detached') {
      run.detach();
      const where = slurmJob() !== undefined ? ` (Slurm job ${slurmJob()!})` : '';
      human.write(`Stopped following; the trainer keeps running${where}. Follow it again with: chatwright jobs follow ${run.runDir}; stop it with: chatwright jobs stop ${run.runDir}\n`);
      return { ended: false };
    }
    return { ended: true, snapshot: outcome };
  } finally {
    follower.stop();
    schedulerWatch.dispose();
    process.removeListener('SIGINT', onInterrupt);
  }
}

/** The last words on a finished job (the summary, or the error with what to do) and the exit code that goes with it. */
export function reportOutcome(snapshot: JobSnapshot, io: CliIo, mode: ProgressMode): number {
  const human = humanStream(io, mode);
  const duration = snapshot.startedAt !== undefined && snapshot.endedAt !== undefined ? formatDuration(snapshot.endedAt - snapshot.startedAt) : undefined;
  const took = duration ? ` in ${duration}` : '';
  switch (snapshot.status) {
    case 'done':
      human.write(`Done${took}: ${snapshot.step} step(s), final loss ${formatLoss(snapshot.finalLoss ?? snapshot.lastLoss)}${snapshot.adapter ? `; adapter: ${snapshot.adapter}` : ''}\n`);
      if (snapshot.merged) human.write(`Merged model: ${snapshot.merged}\n`);
      return TrainExit.done;
    case 'stopped':
    case 'cancelled': {
      const checkpoint = snapshot.checkpoints.at(-1);
      const saved = snapshot.status === 'stopped' && checkpoint ? `; checkpoint: ${checkpoint.path}` : snapshot.status === 'cancelled' ? ' without saving' : '';
      human.write(`${snapshot.status === 'stopped' ? 'Stopped' : 'Cancelled'} at step ${snapshot.step}${took}${saved}\n`);
      human.write(`Resume with: chatwright jobs resume ${snapshot.runDir}\n`);
      return TrainExit.stopped;
    }
    default: {
      const error = snapshot.error;
      io.stderr.write(`Failed${error ? `: ${error.code}: ${error.message}` : ` (${snapshot.status})`}\n`);
      for (const problem of error?.errors ?? []) io.stderr.write(`  ${problem}\n`);
      if (error?.action) io.stderr.write(`  → ${error.action}\n`);
      if (error?.install_command) io.stderr.write(`  Install: ${error.install_command}\n`);
      io.stderr.write(`  Log: ${join(snapshot.runDir, 'train.log')}\n`);
      return TrainExit.failed;
    }
  }
}
