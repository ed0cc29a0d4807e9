/**
 * When the inference engine's process may start again after it crashed.
 *
 * A model that crashes onnxruntime while loading (a native abort, memory exhausted) would otherwise crash the engine
 * at every request that needs it — an index run sends hundreds — each start costing seconds of CPU and the model's
 * memory. So:
 * - restarts wait 1 s, 2 s, 4 s, 8 s … (doubling, at most 30 s) after the last crash: a transient failure (memory
 *   taken by another program for a moment) gets its retry, and a loop cannot spin;
 * - after 5 crashes within 10 minutes the engine stays stopped until the user restarts it: five is past bad luck (the
 *   back-off has then waited 15 s in all), and ten minutes is longer than a long generation or an index run, so a
 *   process that crashes once per run is still caught while one crash a day is not;
 * - a model that was loading when the engine crashed is not loaded again until the user restarts the engine (other
 *   models keep working);
 * - the user is told once per series of crashes (the first), and once more if the engine gives up.
 * Time is passed in, so the policy is tested without waiting.
 */

export interface RestartLimits {
  /** The wait before the first restart; each further crash in the window doubles it. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** This many crashes within `windowMs` stop the engine until `reset`. */
  maxCrashes: number;
  windowMs: number;
}

export const defaultRestartLimits: RestartLimits = { baseDelayMs: 1000, maxDelayMs: 30_000, maxCrashes: 5, windowMs: 10 * 60_000 };

export interface CrashVerdict {
  /** Whether to tell the user (first crash of a series, or giving up). */
  notify: boolean;
  /** The engine stays stopped until the user restarts it. */
  gaveUp: boolean;
  /** The wait before the next start (0 when it gave up: it will not start). */
  restartDelayMs: number;
  /** The models now refused until the user restarts the engine: they were loading when it crashed. */
  blockedModels: string[];
  /** Crashes counted in the window, this one included. */
  crashesInWindow: number;
}

export type StartDecision = { kind: 'start'; delayMs: number } | { kind: 'refuse'; reason: string };

export class RestartPolicy {
  private crashTimes: number[] = [];
  private readonly blocked = new Map<string, string>();
  private stoppedBecause: string | undefined;

  constructor(private readonly limits: RestartLimits = defaultRestartLimits) {}

  /** Records an unexpected exit at `now`; `loadingModels` are the models being loaded when it happened. */
  recordCrash(now: number, reason: string, loadingModels: readonly string[] = []): CrashVerdict {
    this.crashTimes = this.crashTimes.filter((at) => now - at < this.limits.windowMs);
    this.crashTimes.push(now);
    const count = this.crashTimes.length;
    for (const model of loadingModels) this.blocked.set(model, `${model} crashed the inference engine while loading (${reason})`);
    const gaveUp = count >= this.limits.maxCrashes;
    const alreadyStopped = this.stoppedBecause !== undefined;
    if (gaveUp && !alreadyStopped) this.stoppedBecause = `the inference engine crashed ${count} times within ${formatDuration(this.limits.windowMs)} (last: ${reason})`;
    return {
      notify: count === 1 || (gaveUp && !alreadyStopped),
      gaveUp,
      restartDelayMs: gaveUp ? 0 : this.delayAfter(count),
      blockedModels: [...loadingModels],
      crashesInWindow: count,
    };
  }

  /** Whether (and after how long) the engine may start for a request, about `model` when it names one. */
  beforeStart(now: number, model?: string): StartDecision {
    const refusal = this.refusalFor(model);
    if (refusal) return { kind: 'refuse', reason: refusal };
    const last = this.crashTimes.at(-1);
    if (last === undefined || now - last >= this.limits.windowMs) return { kind: 'start', delayMs: 0 };
    const recent = this.crashTimes.filter((at) => now - at < this.limits.windowMs).length;
    return { kind: 'start', delayMs: Math.max(0, last + this.delayAfter(recent) - now) };
  }

  /** Why a request about `model` is refused now (the engine gave up, or this model crashed it), if it is. */
  refusalFor(model?: string): string | undefined {
    if (this.stoppedBecause) return `${this.stoppedBecause}; it stays stopped until you run "Chatwright: Restart Inference Engine"`;
    const blocked = model === undefined ? undefined : this.blocked.get(model);
    return blocked ? `${blocked}; it is not loaded again until you run "Chatwright: Restart Inference Engine"` : undefined;
  }

  /** The user asked for a restart: forget the crashes, the refused models and the stop. */
  reset(): void {
    this.crashTimes = [];
    this.blocked.clear();
    this.stoppedBecause = undefined;
  }

  private delayAfter(crashes: number): number {
    return Math.min(this.limits.maxDelayMs, this.limits.baseDelayMs * 2 ** Math.max(0, crashes - 1));
  }
}

function formatDuration(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} minutes` : `${Math.round(ms / 1000)} s`;
}
