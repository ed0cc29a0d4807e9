/** How the report writes scores, intervals, times and counts: short, and the same in every section. */
import { formatDuration as formatJobDuration } from '../jobPage/format';
import type { EvalReport, Interval, MetricId, MetricInfo } from './reportTypes';

/**
 * Counts and dates are written by hand, not through Intl: the first Intl formatter a page makes loads locale data,
 * tens of milliseconds of the report's first paint. The report is in English, so are its numbers.
 */
export function formatCount(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const digits = String(Math.abs(Math.round(value)));
  return `${value <= -0.5 ? '-' : ''}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

/** A score on its metric's scale: two decimals on [0, 1], one on a 1-5 judge scale. */
export function formatScore(value: number | undefined, metric?: MetricInfo): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  const span = metric ? metric.range[1] - metric.range[0] : 1;
  return value.toFixed(span > 1.5 ? 2 : 3);
}

export function formatInterval(interval: Interval | undefined, metric?: MetricInfo): string {
  if (!interval) return '—';
  return `${formatScore(interval.mean, metric)} [${formatScore(interval.low, metric)}, ${formatScore(interval.high, metric)}]`;
}

/** A signed difference: `+0.120`. */
export function formatGain(value: number, metric?: MetricInfo): string {
  const text = formatScore(Math.abs(value), metric);
  return `${value >= 0 ? '+' : '−'}${text}`;
}

export function formatMs(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '—';
  return value >= 10_000 ? `${(value / 1000).toFixed(1)} s` : value >= 1000 ? `${(value / 1000).toFixed(2)} s` : `${Math.round(value)} ms`;
}

export function formatPercent(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '—' : `${Math.round(value * 100)}%`;
}

/** `1h 02m`, `4m 05s`, `12s`, or — when there is no duration. */
export function formatDuration(seconds: number | undefined): string {
  return seconds === undefined ? '—' : formatJobDuration(seconds);
}

const monthNames = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `Dec 4, 2026, 10:15 AM`, in the page's time zone. */
export function formatDate(milliseconds: number | undefined): string {
  if (milliseconds === undefined || !Number.isFinite(milliseconds)) return '—';
  const date = new Date(milliseconds);
  if (Number.isNaN(date.getTime())) return '—';
  const hours = date.getHours();
  const clock = `${String(hours % 12 === 0 ? 12 : hours % 12).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')} ${hours < 12 ? 'AM' : 'PM'}`;
  return `${monthNames[date.getMonth()]} ${date.getDate()}, ${date.getFullYear()}, ${clock}`;
}

/** The metric's description, or a stand-in for a metric the report lists without one. */
export function metricInfo(report: EvalReport, id: MetricId): MetricInfo {
  return (
    report.metrics.find((metric) => metric.id === id) ?? {
      id,
      label: id.replace(/_/g, ' '),
      description: '',
      range: id === 'judge_score' || id === 'manual_score' ? [1, 5] : [0, 1],
      higherIsBetter: true,
    }
  );
}

/** A score's place on its metric's range, clamped to [0, 1]. */
export function scaled(value: number, metric: MetricInfo): number {
  const [low, high] = metric.range;
  return high > low ? Math.min(1, Math.max(0, (value - low) / (high - low))) : 0;
}

/** A score's band for colouring chips: bad, fair, good. */
export function scoreBand(value: number | undefined, metric: MetricInfo): 'none' | 'bad' | 'fair' | 'good' {
  if (value === undefined) return 'none';
  const place = scaled(value, metric);
  return place < 0.5 ? 'bad' : place < 0.75 ? 'fair' : 'good';
}
