/**
 * Redraws a view on a fixed period while it is visible, so that relative times ("3 min ago") stay true. Stops when
 * the view is hidden (nothing to redraw, no wake-ups) and for good on `dispose`. Editor-independent: the host wires
 * `setVisible` to the tree view's visibility and `refresh` to its change event.
 */
export interface IntervalTimers {
  setInterval(callback: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const systemTimers: IntervalTimers = {
  setInterval: (callback, ms) => setInterval(callback, ms),
  clearInterval: (handle) => clearInterval(handle as ReturnType<typeof setInterval>),
};

export class VisibleRefresh {
  private handle: unknown;
  private disposed = false;

  constructor(
    private readonly refresh: () => void,
    readonly intervalMs = 30_000,
    private readonly timers: IntervalTimers = systemTimers,
  ) {
    if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`refresh interval must be a positive number of milliseconds, got ${intervalMs}`);
  }

  get running(): boolean {
    return this.handle !== undefined;
  }

  /** Starts ticking when shown (redrawing at once: the times on screen may be stale), stops when hidden. */
  setVisible(visible: boolean): void {
    if (this.disposed) return;
    if (visible && this.handle === undefined) {
      this.handle = this.timers.setInterval(() => this.refresh(), this.intervalMs);
      this.refresh();
    } else if (!visible) this.stop();
  }

  private stop(): void {
    if (this.handle === undefined) return;
    this.timers.clearInterval(this.handle);
    this.handle = undefined;
  }

  dispose(): void {
    this.disposed = true;
    this.stop();
  }
}
