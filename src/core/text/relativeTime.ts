/**
 * Times as a person reads them in a narrow view: "just now", "3 min ago", "yesterday". A view that shows these must
 * redraw while it is visible (see `src/core/views/visibleRefresh.ts`), or "just now" stays on screen for hours.
 */

const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

/** "YYYY-MM-DD" in local time: the same on every machine's locale, so tests and screenshots agree. */
function localDate(timestamp: number): string {
  const date = new Date(timestamp);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/**
 * How long ago `timestamp` was. Units are floored ("2 min ago" until a full third minute has passed), so the label
 * never claims more time than has gone by. A timestamp in the future (another machine's clock) reads "just now";
 * one that is not a finite number reads "at an unknown time" rather than "NaN min ago".
 */
export function formatAge(timestamp: number, now: number = Date.now()): string {
  if (!Number.isFinite(timestamp) || !Number.isFinite(now)) return 'at an unknown time';
  const elapsed = Math.max(0, now - timestamp);
  if (elapsed < minute) return 'just now';
  if (elapsed < hour) return `${Math.floor(elapsed / minute)} min ago`;
  if (elapsed < day) return `${Math.floor(elapsed / hour)} h ago`;
  if (elapsed < 2 * day) return 'yesterday';
  if (elapsed < 7 * day) return `${Math.floor(elapsed / day)} days ago`;
  return `on ${localDate(timestamp)}`;
}

/**
 * A remaining duration, short: "45s", "3m 05s", "1h 20m". Undefined when there is nothing sensible to show (no
 * estimate yet, a negative or non-finite one), so callers leave the estimate out instead of printing "NaNs".
 */
export function formatDuration(ms: number | undefined): string | undefined {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return undefined;
  const seconds = Math.max(1, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ${String(seconds % 60).padStart(2, '0')}s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}
