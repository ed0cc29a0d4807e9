/**
 * One task at a time per key, with the calls made while it runs coalesced: they all wait for a single further run that
 * starts when the running one ends (with the task of the last call), so every call's effect is in a run that started
 * after the call. Grading uses it: each grade rebuilds the report, and grades given during a rebuild share the next
 * one instead of being dropped or stacking a rebuild each.
 */
interface KeyState {
  /** The run going on. */
  current: Promise<void>;
  /** The run that follows it, shared by every call made meanwhile, and the task it will run. */
  next?: { done: Promise<void>; task: () => Promise<void> };
}

export class CoalescedTasks {
  private readonly states = new Map<string, KeyState>();

  /** Runs `task` now when nothing runs for `key`, else once after the run going on (shared with other calls meanwhile). */
  run(key: string, task: () => Promise<void>): Promise<void> {
    const state = this.states.get(key);
    if (!state) return this.start(key, task);
    if (state.next) {
      state.next.task = task;
      return state.next.done;
    }
    const next: NonNullable<KeyState['next']> = { task, done: Promise.resolve() };
    next.done = state.current.then(
      () => this.start(key, next.task),
      () => this.start(key, next.task),
    );
    state.next = next;
    return next.done;
  }

  /** Whether a task of `key` is running or waiting. */
  busy(key: string): boolean {
    return this.states.has(key);
  }

  private start(key: string, task: () => Promise<void>): Promise<void> {
    const state: KeyState = { current: Promise.resolve() };
    state.current = (async () => {
      try {
        await task();
      } finally {
        if (this.states.get(key) === state && !state.next) this.states.delete(key);
      }
    })();
    this.states.set(key, state);
    return state.current;
  }
}
