/**
 * Whether a server started by Chatwright answers: `GET <base URL without /v1>/health` must give 200. A server says it
 * listens (its `serving` event) once its port is bound; the host reports it ready only after this check, so a server
 * that binds and then hangs or fails to load is never offered to the chat.
 */

/** The health URL of a server's base URL (`http://h:p/v1` → `http://h:p/health`). */
export function healthUrlOf(baseUrl: string): string {
  const url = new URL(baseUrl);
  const path = url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '');
  return `${url.origin}${path}/health`;
}

export interface HealthWaitOptions {
  /** How long to keep asking before giving up (default 60 s: a model may take a while to load). */
  timeoutMs?: number;
  /** The pause between two attempts (default 250 ms). */
  intervalMs?: number;
  /** How long one attempt may take (default 2 s). */
  attemptTimeoutMs?: number;
  /** Stops waiting (the server ended, the window closes). */
  signal?: AbortSignal;
}

/** The server did not answer 200 in time; `lastAnswer` says what it did answer ("503", "connection refused"). */
export class ServerUnhealthyError extends Error {
  constructor(
    readonly healthUrl: string,
    readonly lastAnswer: string,
    timeoutMs: number,
  ) {
    super(`${healthUrl} did not answer 200 within ${Math.round(timeoutMs / 1000)} s (last answer: ${lastAnswer})`);
    this.name = 'ServerUnhealthyError';
  }
}

/** One `GET /health`: the status code, or what went wrong in words. */
export async function checkHealth(baseUrl: string, attemptTimeoutMs = 2_000): Promise<{ ok: boolean; answer: string }> {
  const healthUrl = healthUrlOf(baseUrl);
  try {
    const response = await fetch(healthUrl, { signal: AbortSignal.timeout(attemptTimeoutMs), redirect: 'error' });
    // The body is not needed; reading it (bounded by the server's tiny answer) releases the connection.
    await response.body?.cancel();
    return { ok: response.status === 200, answer: `HTTP ${response.status}` };
  } catch (error) {
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { ok: false, answer: cause ?? (error instanceof Error ? error.message : String(error)) };
  }
}

/** Asks `GET /health` until it answers 200; fails with `ServerUnhealthyError` after `timeoutMs`, or the signal's reason when aborted. */
export async function waitUntilHealthy(baseUrl: string, options: HealthWaitOptions = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 250;
  const deadline = Date.now() + timeoutMs;
  let lastAnswer = 'no answer yet';
  for (;;) {
    options.signal?.throwIfAborted();
    const result = await checkHealth(baseUrl, options.attemptTimeoutMs);
    if (result.ok) return;
    lastAnswer = result.answer;
    if (Date.now() >= deadline) throw new ServerUnhealthyError(healthUrlOf(baseUrl), lastAnswer, timeoutMs);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, Math.min(intervalMs, Math.max(1, deadline - Date.now())));
      options.signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
  }
}
