/**
 * Reading the trainer's events (protocol v1, `jobEvents.ts`): one line, a whole file (replay), or a file as it grows
 * (follow). A torn or unparsable line is skipped, never fatal: a killed trainer leaves half a line behind. An event of
 * a newer major protocol version is refused with `JobProtocolError`, since this reader would misread it.
 */
import { AppendedLinesFollower } from '../files/appendedLines';
import { isMissingFileError, readBoundedTextSync } from '../files/boundedRead';
import { eventProtocolVersion, type TrainerEvent, type TrainerEventKind } from './jobEvents';

/** The events were written by a trainer that speaks a newer protocol than this reader. */
export class JobProtocolError extends Error {
  constructor(readonly version: number) {
    super(`the events were written with protocol version ${version}, newer than this Chatwright reads (${eventProtocolVersion}); update the extension`);
    this.name = 'JobProtocolError';
  }
}

const eventKinds: ReadonlySet<TrainerEventKind> = new Set<TrainerEventKind>([
  'run',
  'phase',
  'environment',
  'data',
  'model',
  'step',
  'eval',
  'checkpoint',
  'warning',
  'error',
  'serving',
  'serving_stats',
]);

/** One line of events.jsonl as an event; undefined for anything that is not one (torn, not JSON, unknown kind). */
export function parseEventLine(line: string): TrainerEvent | undefined {
  const text = line.trim();
  if (!text.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  const version = record.v;
  if (typeof version !== 'number' || !Number.isFinite(version)) return undefined;
  if (Math.floor(version) > eventProtocolVersion) throw new JobProtocolError(version);
  if (typeof record.seq !== 'number' || !Number.isInteger(record.seq) || typeof record.time !== 'number') return undefined;
  if (typeof record.event !== 'string' || !eventKinds.has(record.event as TrainerEventKind)) return undefined;
  return record as unknown as TrainerEvent;
}

/** Parses complete lines; events with `seq` ≤ `afterSeq` are left out. */
export function parseEventLines(lines: readonly string[], afterSeq = 0): TrainerEvent[] {
  const events: TrainerEvent[] = [];
  for (const line of lines) {
    const event = parseEventLine(line);
    if (event && event.seq > afterSeq) events.push(event);
  }
  return events;
}

/** Every complete event of the file with `seq` > `afterSeq` (none when the file does not exist). A last line without its newline is torn and skipped. */
export function readEvents(file: string, afterSeq = 0): TrainerEvent[] {
  let text: string;
  try {
    text = readBoundedTextSync(file, { kind: 'runEvents' });
  } catch (error) {
    if (isMissingFileError(error)) return [];
    throw error;
  }
  const lines = text.split('\n');
  // The part after the last newline is a line still being written (or torn by a kill).
  lines.pop();
  return parseEventLines(lines, afterSeq);
}

export interface EventFollowerOptions {
  /** Events up to this seq are known already: only later ones are handed over. */
  afterSeq?: number;
  pollMs?: number;
  /** A line of a newer protocol version: following stops (default: it stops silently). */
  onError?: (error: JobProtocolError) => void;
}

/**
 * Follows events.jsonl as the trainer appends to it: replays what is there (after `afterSeq`), then hands over each
 * batch of new complete events, in order, each once (a seq already handed over is never repeated).
 */
export class EventFollower {
  private readonly lines: AppendedLinesFollower;
  private lastSeq: number;
  private stopped = false;

  constructor(
    readonly file: string,
    private readonly onEvents: (events: TrainerEvent[]) => void,
    private readonly options: EventFollowerOptions = {},
  ) {
    this.lastSeq = options.afterSeq ?? 0;
    this.lines = new AppendedLinesFollower(file, (lines) => this.take(lines), options.pollMs !== undefined ? { pollMs: options.pollMs } : {});
  }

  /** The last seq handed over. */
  get seq(): number {
    return this.lastSeq;
  }

  /** Reads what was appended since the last read, now (the writer has exited: its last events). */
  readNow(): void {
    this.lines.readNow();
  }

  stop(): void {
    this.stopped = true;
    this.lines.stop();
  }

  private take(lines: string[]): void {
    if (this.stopped) return;
    let events: TrainerEvent[];
    try {
      events = parseEventLines(lines, this.lastSeq);
    } catch (error) {
      this.stop();
      if (error instanceof JobProtocolError) this.options.onError?.(error);
      return;
    }
    if (events.length === 0) return;
    this.lastSeq = events[events.length - 1]!.seq;
    this.onEvents(events);
  }
}
