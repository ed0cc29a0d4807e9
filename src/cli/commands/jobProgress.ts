import { type TrainerEvent } from '../../core/jobs/jobEvents';
import { emptySnapshot, foldEvents, type JobSnapshot } from '../../core/jobs/jobSnapshot';
import { terminalSlurmStates, type SchedulerFacts } from '../../core/jobs/slurm/slurmTypes';
import { escapeControlCharacters } from '../../core/files/fileNames';
import { formatDuration } from '../../core/text/relativeTime';

/**
 * How `chatwright train` and `chatwright jobs show --follow` print a running job: a one-line bar rewritten in place on
 * a terminal, plain lines when the output is a pipe or a file (so logs stay readable), or the trainer's own JSON lines.
 */
export type ProgressMode = 'bar' | 'lines' | 'json';

/** A loss as people compare them: four significant digits, "—" before the first one. */
export function formatLoss(loss: number | null | undefined): string {
  if (loss === undefined || loss === null || !Number.isFinite(loss)) return '—';
  return Math.abs(loss) >= 1000 ? loss.toFixed(0) : loss.toPrecision(4);
}

/** Tokens per second, rounded, with thousands separators that do not depend on the locale. */
export function formatRate(tokensPerSecond: number | null | undefined): string | undefined {
  if (tokensPerSecond === undefined || tokensPerSecond === null || !Number.isFinite(tokensPerSecond)) return undefined;
  return `${String(Math.round(tokensPerSecond)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')} tok/s`;
}

/** A trainer phase as words: `loading_model` → "loading model". */
export function phaseWords(phase: string | undefined): string {
  return phase ? phase.replace(/_/g, ' ') : 'starting';
}

function stepOf(step: number, total: number | undefined): string {
  return total !== undefined && total > 0 ? `${step}/${total}` : String(step);
}

/** The in-place line: phase, a bar, step/total, loss, eval loss, tokens/s and ETA, cut to the terminal's width. */
export function progressBarLine(snapshot: JobSnapshot, columns: number): string {
  const total = snapshot.totalSteps;
  const fraction = total !== undefined && total > 0 ? Math.min(1, snapshot.step / total) : 0;
  const barWidth = Math.max(10, Math.min(30, columns - 70));
  const filled = Math.round(fraction * barWidth);
  const parts = [
    phaseWords(snapshot.phase).padEnd(14),
    `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`,
    stepOf(snapshot.step, total),
    `loss ${formatLoss(snapshot.lastLoss)}`,
    ...(snapshot.lastEvalLoss !== undefined ? [`eval ${formatLoss(snapshot.lastEvalLoss)}`] : []),
    ...optional(formatRate(snapshot.series.tokensPerSecond.at(-1))),
    ...optional(snapshot.etaSeconds !== undefined && snapshot.phase === 'training' ? prefixed('ETA ', formatDuration(snapshot.etaSeconds * 1000)) : undefined),
  ];
  const line = parts.join('  ');
  return line.length > columns - 1 ? line.slice(0, Math.max(0, columns - 1)) : line;
}

function optional(text: string | undefined): string[] {
  return text === undefined ? [] : [text];
}

function prefixed(prefix: string, text: string | undefined): string | undefined {
  return text === undefined ? undefined : `${prefix}${text}`;
}

/** One plain line for an event worth a line of its own, or undefined for those that are not (`run`, `model` …). */
export function eventLine(event: TrainerEvent): string | undefined {
  switch (event.event) {
    case 'phase': {
      const details: string[] = [];
      if (event.phase === 'loading_model' && event.model) details.push(event.model);
      if (event.phase === 'preparing_data' && event.train) details.push(event.train);
      if (event.phase === 'training' && event.resumed_from) details.push(`resumed from ${event.resumed_from}`);
      if (event.phase === 'failed' && event.code) details.push(event.code);
      if ((event.phase === 'done' || event.phase === 'stopped') && event.step !== undefined) details.push(`step ${event.step}`, `loss ${formatLoss(event.train_loss)}`);
      if (event.phase === 'stopped' && event.reason) details.push(event.reason);
      return `phase ${phaseWords(event.phase)}${details.length > 0 ? `: ${details.join(', ')}` : ''}`;
    }
    case 'step':
      return [
        `step ${stepOf(event.step, event.total_steps)}`,
        `loss ${formatLoss(event.loss)}`,
        ...(event.learning_rate !== undefined && event.learning_rate !== null ? [`lr ${event.learning_rate.toExponential(2)}`] : []),
        ...optional(formatRate(event.tokens_per_second)),
        ...optional(prefixed('ETA ', formatDuration(event.eta_seconds === undefined || event.eta_seconds === null ? undefined : event.eta_seconds * 1000))),
      ].join('  ');
    case 'eval':
      return `eval at step ${event.step}: loss ${formatLoss(event.eval_loss)}`;
    case 'checkpoint':
      return `checkpoint at step ${event.step} (${event.reason}): ${event.path}`;
    case 'warning':
      return `warning ${event.code}: ${event.message}`;
    case 'error':
      return `error ${event.code}: ${event.message}`;
    case 'data':
      return `data: ${event.train_examples ?? '?'} train / ${event.eval_examples ?? 0} eval examples (${event.format ?? 'auto'}), ${event.trained_tokens ?? '?'} of ${event.train_tokens ?? '?'} tokens trained`;
    case 'environment':
      return `environment: ${[event.precision, event.attn_implementation, event.packing, event.cuda ? `CUDA ${event.cuda}` : 'no CUDA'].filter(Boolean).join(', ')}`;
    case 'serving':
      return `serving ${event.models.map((m) => m.id).join(', ')} at ${event.url} (${event.engine}${event.api_key_required ? ', API key required' : ''})`;
    case 'run':
    case 'model':
    case 'serving_stats':
      return undefined;
  }
}

/** The clock and the terminal, replaceable in tests. */
export interface ProgressPrinterOptions {
  mode: ProgressMode;
  runDir: string;
  name: string;
  write: (text: string) => void;
  /** The terminal's width for the bar. */
  columns?: number;
  /** Unix milliseconds. */
  now?: () => number;
  /** Plain mode prints at most one step line per this many milliseconds (the last one is printed at the end). */
  stepIntervalMs?: number;
}

/**
 * Prints a job's events as they arrive. `json` writes each event's line exactly as the trainer wrote it (so pipes
 * see the protocol, not a re-encoding); `lines` writes one line per step event (throttled) and one per phase, eval,
 * checkpoint, warning and error; `bar` keeps one line up to date and prints those other events above it.
 */
export class JobProgressPrinter {
  private snapshot: JobSnapshot;
  private lastStepLineAt = -Infinity;
  private heldStepLine: string | undefined;
  private barShown = false;

  constructor(private readonly options: ProgressPrinterOptions) {
    this.snapshot = emptySnapshot(options.runDir, options.name, 'running');
  }

  get current(): JobSnapshot {
    return this.snapshot;
  }

  /** Events in order, with the raw line each was parsed from. */
  print(events: readonly { event: TrainerEvent; line: string }[]): void {
    if (events.length === 0) return;
    this.snapshot = foldEvents(
      this.snapshot,
      events.map((item) => item.event),
    );
    const { mode, write } = this.options;
    if (mode === 'json') {
      write(events.map((item) => `${item.line}\n`).join(''));
      return;
    }
    const now = (this.options.now ?? Date.now)();
    const lines: string[] = [];
    for (const { event } of events) {
      if (event.event === 'step') {
        if (mode === 'bar') continue;
        const line = eventLine(event)!;
        if (now - this.lastStepLineAt >= (this.options.stepIntervalMs ?? 1000)) {
          this.lastStepLineAt = now;
          this.heldStepLine = undefined;
          lines.push(line);
        } else {
          this.heldStepLine = line;
        }
        continue;
      }
      // The last step before a phase change, an eval or a checkpoint says where it happened.
      if (this.heldStepLine !== undefined && (event.event === 'phase' || event.event === 'eval' || event.event === 'checkpoint')) {
        lines.push(this.heldStepLine);
        this.heldStepLine = undefined;
      }
      const line = eventLine(event);
      if (line !== undefined) lines.push(line);
    }
    if (mode === 'lines') {
      if (lines.length > 0) write(lines.map((line) => `${line}\n`).join(''));
      return;
    }
    const columns = this.options.columns ?? 80;
    const clear = this.barShown ? '\r\x1b[2K' : '';
    write(`${clear}${lines.map((line) => `${line}\n`).join('')}${progressBarLine(this.snapshot, columns)}`);
    this.barShown = true;
  }

  /** Ends the output: the held step line in plain mode, a newline after the bar. */
  end(): void {
    if (this.options.mode === 'lines' && this.heldStepLine !== undefined) this.options.write(`${this.heldStepLine}\n`);
    this.heldStepLine = undefined;
    if (this.options.mode === 'bar' && this.barShown) this.options.write('\n');
    this.barShown = false;
  }

  /** Writes a line of its own (a message from the CLI) without tearing the bar. */
  say(text: string): void {
    if (this.options.mode === 'bar' && this.barShown) {
      this.options.write(`\r\x1b[2K${text}\n${progressBarLine(this.snapshot, this.options.columns ?? 80)}`);
      return;
    }
    this.options.write(`${text}\n`);
  }
}

/**
 * A Slurm job's state as one line of the CLI's output: "pending in Slurm (Priority)", "running on node07", "ended in
 * Slurm: TIMEOUT". Only the scheduler's words: the trainer's own progress comes from its events.
 */
export function schedulerWords(facts: SchedulerFacts): string {
  const reason = facts.reason !== undefined && facts.reason !== '' && facts.reason !== 'None' ? ` (${escapeControlCharacters(String(facts.reason))})` : '';
  const nodes = facts.nodes !== undefined && facts.nodes !== '' ? ` on ${escapeControlCharacters(String(facts.nodes))}` : '';
  switch (facts.state) {
    case 'PENDING':
      return `pending in Slurm${reason}`;
    case 'CONFIGURING':
      return `starting in Slurm (configuring its nodes)${nodes}`;
    case 'RUNNING':
      return `running${nodes}`;
    case 'COMPLETING':
      return `completing${nodes}`;
    case 'UNKNOWN':
      return 'unknown to Slurm (no command knows the job any more)';
    default:
      // Read from run.json too: a hostile file's state is text to print, not to trust.
      return terminalSlurmStates.includes(facts.state) ? `ended in Slurm: ${facts.state}${reason}` : `${escapeControlCharacters(String(facts.state)).toLowerCase()} in Slurm${reason}${nodes}`;
  }
}

/** What a line about the scheduler depends on: a new line is printed when any of these change. */
export function schedulerKey(facts: SchedulerFacts | undefined): string | undefined {
  return facts === undefined ? undefined : [facts.jobId, facts.state, facts.reason ?? '', facts.nodes ?? ''].join('\u0000');
}

/**
 * Where a run runs, for `chatwright jobs ls`: "slurm 41237 PENDING (Resources)", "local pid 4242" while a local
 * trainer runs, "local" or "slurm 41237" once it has ended.
 */
export function whereText(snapshot: Pick<JobSnapshot, 'scheduler' | 'pid' | 'distributed'>, running: boolean): string {
  const facts = snapshot.scheduler;
  if (facts !== undefined) {
    const reason = facts.reason !== undefined && facts.reason !== '' && facts.reason !== 'None' ? ` (${escapeControlCharacters(String(facts.reason))})` : '';
    return `slurm ${escapeControlCharacters(String(facts.jobId))} ${escapeControlCharacters(String(facts.state))}${reason}`;
  }
  if (snapshot.distributed?.target === 'slurm') return 'slurm';
  return running && snapshot.pid !== undefined ? `local pid ${snapshot.pid}` : 'local';
}
