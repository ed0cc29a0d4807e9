/**
 * A first-in, first-out lock held for one forward step of a model. Generations sharing a model take it for each
 * step and give it back before sampling, so N concurrent generations advance round-robin, one token each per turn,
 * instead of the last caller waiting for every earlier answer to finish. Acquiring a free lock costs one resolved
 * promise, so a lone generation runs as fast as without it.
 */
export class StepLock {
  private held = false;
  private readonly waiting: { grant: () => void }[] = [];

  /** How many callers wait for the lock (not counting the holder). */
  get queued(): number {
    return this.waiting.length;
  }

  /**
   * Resolves with a release function once the caller holds the lock; callers are served in the order they asked.
   * Resolves with undefined, leaving the queue, when `signal` aborts first: a cancelled generation does not wait
   * for the other generations' steps before it can stop.
   */
  acquire(signal?: AbortSignal): Promise<(() => void) | undefined> {
    if (signal?.aborted) return Promise.resolve(undefined);
    if (!this.held) {
      this.held = true;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = (): void => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        resolve(undefined);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.held = false;
    };
  }
}
