/**
 * A serving job's side of the run folder's event protocol (v1, `jobEvents.ts`): appends one JSON line per event to
 * `RUN/events.jsonl`, numbering them on from the last `seq` already there (a run folder reused by a restart keeps one
 * sequence), so the Jobs view follows a server exactly as it follows a training run.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readEvents } from '../jobs/jobEventReader';
import { eventProtocolVersion, eventsFileName, type TrainerEvent } from '../jobs/jobEvents';

/** An event as its writer states it: the envelope (`v`, `seq`, `time`) is added on append. */
export type UnsealedEvent = TrainerEvent extends infer Event ? (Event extends TrainerEvent ? Omit<Event, 'v' | 'seq' | 'time'> : never) : never;

export class ServingEventLog {
  readonly file: string;
  private seq: number;

  constructor(runDir: string) {
    mkdirSync(runDir, { recursive: true });
    this.file = join(runDir, eventsFileName);
    this.seq = readEvents(this.file).reduce((last, event) => Math.max(last, event.seq), 0);
  }

  /** Appends one event; synchronous, so the last events before an exit are on disk. */
  append(event: UnsealedEvent): void {
    this.seq++;
    const sealed = { v: eventProtocolVersion, seq: this.seq, time: Date.now() / 1000, ...event };
    appendFileSync(this.file, `${JSON.stringify(sealed)}\n`);
  }
}
