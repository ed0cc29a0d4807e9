/** The error every cancelled inference request ends with, so callers can tell cancellation from failure. */
export class CancelledError extends Error {
  constructor(message = 'cancelled') {
    super(message);
    this.name = 'CancelledError';
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new CancelledError();
}

/**
 * Runs `work` with a signal of its own that aborts when `parent` does, and unhooks it when the work settles. A
 * long-lived signal (a whole run's) handed to many requests collects one listener per request from clients that
 * never remove theirs (the `openai` package adds a `{ once }` listener per request); each call's own signal takes
 * them with it when it is dropped.
 */
export async function withLinkedSignal<T>(parent: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const own = new AbortController();
  if (parent.aborted) own.abort(parent.reason);
  const forward = (): void => own.abort(parent.reason);
  parent.addEventListener('abort', forward, { once: true });
  try {
    return await work(own.signal);
  } finally {
    parent.removeEventListener('abort', forward);
  }
}
