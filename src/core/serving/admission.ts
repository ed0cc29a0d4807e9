/**
 * How many requests run at once: up to `maxConcurrent` hold a slot, up to `maxQueue` more wait for one in arrival
 * order, and a request beyond that is refused at once with a 429 (a client can retry elsewhere or later; a queue
 * without a bound only turns overload into timeouts).
 */
import { ServingError } from './servedModels';

/** Gives the slot back; calling it again does nothing. */
export type ReleaseSlot = () => void;

interface Waiter {
  grant: (release: ReleaseSlot) => void;
  refuse: (error: Error) => void;
}

/** Seconds a refused client is told to wait (`Retry-After`): about one short generation. */
export const retryAfterSeconds = 1;

export class Admission {
  private running = 0;
  private readonly waiting: Waiter[] = [];
  private closed = false;

  constructor(
    readonly maxConcurrent: number,
    readonly maxQueue: number,
  ) {
    if (!Number.isSafeInteger(maxConcurrent) || maxConcurrent < 1) throw new RangeError(`maxConcurrent must be a whole number of at least 1, not ${maxConcurrent}.`);
    if (!Number.isSafeInteger(maxQueue) || maxQueue < 0) throw new RangeError(`maxQueue must be a whole number of at least 0, not ${maxQueue}.`);
  }

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /**
   * A slot now, or once the requests ahead have finished. Throws a 429 `ServingError` synchronously when every slot
   * and queue place is taken (so a caller can answer with a status before committing to a stream), a 503 once closed;
   * the promise rejects with the signal's reason when it aborts while waiting, and with a 503 when the server closes.
   */
  acquire(signal: AbortSignal): Promise<ReleaseSlot> | ReleaseSlot {
    if (this.closed) throw closingError();
    if (this.running < this.maxConcurrent && this.waiting.length === 0) {
      this.running += 1;
      return this.releaser();
    }
    if (this.waiting.length >= this.maxQueue) {
      throw new ServingError(429, 'rate_limit_error', `The server is busy: ${this.running} requests are running and ${this.waiting.length} are waiting. Retry shortly.`, null, 'rate_limit_exceeded');
    }
    signal.throwIfAborted();
    return new Promise<ReleaseSlot>((resolve, reject) => {
      const onAbort = () => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        reject(signal.reason instanceof Error ? signal.reason : new Error('The request was abandoned while it waited for a slot.'));
      };
      const waiter: Waiter = {
        grant: (release) => {
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
        refuse: (error) => {
          signal.removeEventListener('abort', onAbort);
          reject(error);
        },
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  /** Refuses everything waiting and every later request with a 503; running requests keep their slots. */
  close(): void {
    this.closed = true;
    for (const waiter of this.waiting.splice(0)) waiter.refuse(closingError());
  }

  private releaser(): ReleaseSlot {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      // The slot passes straight to the next in line, so a newcomer can never overtake the queue.
      if (next !== undefined) next.grant(this.releaser());
      else this.running -= 1;
    };
  }
}

export function closingError(): ServingError {
  return new ServingError(503, 'service_unavailable', 'The server is shutting down.', null, 'server_shutting_down');
}
