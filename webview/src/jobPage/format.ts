/** How the job page writes numbers, durations and sizes: short, and the same in every section. */

/** `1h 02m`, `4m 05s`, `12s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const total = Math.round(seconds);
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const secs = total % 60;
  if (hours > 0) return `${hours}h ${String(minutes).padStart(2, '0')}m`;
  if (minutes > 0) return `${minutes}m ${String(secs).padStart(2, '0')}s`;
  return `${secs}s`;
}

export function formatCount(value: number): string {
  return value.toLocaleString('en-US');
}

/** A loss or another small float: four significant digits. */
export function formatLoss(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toPrecision(4);
}

/** Learning rates: `2.00e-4`. */
export function formatRate(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toExponential(2);
}

export const bytesPerGiB = 1024 ** 3;

/** `79.6 GiB`, `512 MiB`. */
export function formatBinaryBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  if (bytes >= bytesPerGiB) return `${(bytes / bytesPerGiB).toFixed(1)} GiB`;
  if (bytes >= 1024 ** 2) return `${Math.round(bytes / 1024 ** 2)} MiB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KiB`;
  return `${bytes} bytes`;
}

/** Parameter counts: `4.2M`, `1.54B`. */
export function formatParameters(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toPrecision(3)}B`;
  if (count >= 1e6) return `${(count / 1e6).toPrecision(3)}M`;
  if (count >= 1e3) return `${(count / 1e3).toPrecision(3)}K`;
  return String(count);
}

/** A share as a percentage with enough digits to tell 0.05% from 0.5%. */
export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '—';
  const percent = (part / whole) * 100;
  return `${percent >= 10 ? percent.toFixed(1) : percent >= 0.1 ? percent.toFixed(2) : percent.toPrecision(2)}%`;
}
