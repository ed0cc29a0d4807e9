/**
 * How the report writes numbers in sentences and tables: scores with two decimals, signed differences with a true
 * minus sign, intervals in brackets, counts with thousands separators. Fixed (not locale-dependent) so that the
 * CLI's summary, the exports and the tests read the same everywhere.
 */
import { type Interval } from './evalTypes';

const minus = '\u2212';

/** `0.71`; three decimals under 0.1 in magnitude so that small differences do not read as 0.00. */
export function formatScore(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = value !== 0 && Math.abs(value) < 0.1 ? 3 : 2;
  const text = Math.abs(value).toFixed(digits);
  return value < 0 && Number(text) !== 0 ? `${minus}${text}` : text;
}

/** `+0.02`, `−0.03`, `0.00`. */
export function formatSigned(value: number): string {
  const text = formatScore(value);
  return text.startsWith(minus) || Number(text) === 0 || text === 'n/a' ? text : `+${text}`;
}

/** `[0.64, 0.78]`. */
export function formatBounds(interval: Interval, signed = false): string {
  const format = signed ? formatSigned : formatScore;
  return `[${format(interval.low)}, ${format(interval.high)}]`;
}

/** `0.71 [0.64, 0.78]`. */
export function formatInterval(interval: Interval, signed = false): string {
  return `${(signed ? formatSigned : formatScore)(interval.mean)} ${formatBounds(interval, signed)}`;
}

/** `1,240`. */
export function formatCount(value: number): string {
  const rounded = Math.round(value);
  const digits = String(Math.abs(rounded)).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return rounded < 0 ? `${minus}${digits}` : digits;
}

/** `+1,240` / `−310`. */
export function formatSignedCount(value: number): string {
  const text = formatCount(value);
  return text.startsWith(minus) || text === '0' ? text : `+${text}`;
}

/** `62%`. */
export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** `2.1` hours with one decimal, or two significant digits below 0.1. */
export function formatHours(hours: number): string {
  if (hours === 0) return '0';
  return hours >= 0.1 ? hours.toFixed(1) : hours.toPrecision(2);
}

/** `1 question`, `12 questions`. */
export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(count)} ${count === 1 ? singular : pluralForm}`;
}
