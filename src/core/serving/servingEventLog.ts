/**
 * A serving job's side of the run folder's event protocol (v1, `jobEvents.ts`): appends one JSON line per event to
 * `RUN/events.jsonl`, numbering them on from the last `seq` already there (a run folder reused by a restart keeps one
 * sequence), so the Jobs view follows a server exactly as it follows a training run.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMissingFileError, readBoundedTextSync } from '../files/boundedRead';
import { eventProtocolVersion, eventsFileName, type TrainerEvent } from '../jobs/jobEvents';

/** An event as its writer states it: the envelope (`v`, `seq`, `time`) is added on append. */
export type UnsealedEvent = TrainerEvent extends infer Event ? (Event extends TrainerEvent ? Omit<Event, 'v' | 'seq' | 'time'> : never) : never;

export class ServingEventLog {
  readonly file: string;
  private seq: number;

  constructor(runDir: string) {
    mkdirSync(runDir, { recursive: true });
    this.file = join(runDir, eventsFileName);
    this.seq = lastSeq(this.file);
  }

  /** Appends one event; synchronous, so the last events before an exit are on disk. */
  append(event: UnsealedEvent): void {
    this.seq++;
    const sealed = { v: eventProtocolVersion, seq: this.seq, time: Date.now() / 1000, ...event };
    appendFileSync(this.file, `${JSON.stringify(sealed)}\n`);
  }
}

/** The highest `seq` in an events file (0 when there is none); lines that are not JSON events (a torn last line) are skipped. */
function lastSeq(file: string): number {
  let text: string;
  try {
    text = readBoundedTextSync(file, { kind: 'runEvents' });
  } catch (error) {
    if (isMissingFileError(error)) return 0;
    throw error;
  }
  let last = 0;
  for (const line of text.split('\n')) {
    try {
      const seq: unknown = (JSON.parse(line) as { seq?: unknown } | null)?.seq;
      if (typeof seq === 'number' && Number.isInteger(seq)) last = Math.max(last, seq);
    } catch {
      // A torn or foreign line: it carries no number.
    }
  }
  return last;
}
