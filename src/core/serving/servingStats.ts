/**
 * The server's counters, reported to an observer (the CLI's `serving_stats` events, the status bar) at most once a
 * second while requests come in, and once more at close.
 */
export interface ServingStats {
  /** Chat and embedding requests received (refused ones included). */
  requests: number;
  /** Holding a generation slot now. */
  active: number;
  /** Waiting for a slot now. */
  queued: number;
  /** Refused for load or shutdown (429, 503). */
  rejected: number;
  promptTokens: number;
  completionTokens: number;
}

export const statsIntervalMs = 1000;

export class ServingStatsCounter {
  private readonly totals = { requests: 0, rejected: 0, promptTokens: 0, completionTokens: 0 };
  private lastReportAt = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly current: () => { active: number; queued: number },
    private readonly onStats: ((stats: ServingStats) => void) | undefined,
  ) {}

  snapshot(): ServingStats {
    return { ...this.totals, ...this.current() };
  }

  countRequest(): void {
    this.totals.requests += 1;
    this.changed();
  }

  countRejected(): void {
    this.totals.rejected += 1;
    this.changed();
  }

  countTokens(promptTokens: number, completionTokens: number): void {
    this.totals.promptTokens += promptTokens;
    this.totals.completionTokens += completionTokens;
    this.changed();
  }

  /** Something moved (a request came, started, ended): report now, or when the current second is over. */
  changed(): void {
    if (this.onStats === undefined || this.timer !== undefined) return;
    const wait = this.lastReportAt + statsIntervalMs - Date.now();
    if (wait <= 0) {
      this.report();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.report();
    }, wait);
    this.timer.unref();
  }

  /** The last report, at close. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.report();
  }

  private report(): void {
    this.lastReportAt = Date.now();
    this.onStats?.(this.snapshot());
  }
}
