/**
 * Thresholds for CI: "the recommended strategy's token F1 is at least 0.6", or a named strategy's. `chatwright eval`
 * exits 1 when one does not hold, saying which strategy, metric and value fell short of which minimum.
 */
import { metricIds, type EvalReport, type MetricId, type ThresholdSpec } from './evalTypes';

/** `metric=min[@strategy]`, as `--threshold` takes it; throws a usage message for anything else. */
export function parseThreshold(text: string): ThresholdSpec {
  const match = /^([a-z][a-z0-9_]*)=([^@]+)(?:@(.+))?$/.exec(text.trim());
  if (!match) throw new Error(`--threshold must look like metric=min or metric=min@strategy (e.g. token_f1=0.6), not '${text}'`);
  const [, metric, minText, strategy] = match;
  if (!metricIds.includes(metric as MetricId)) throw new Error(`--threshold: '${metric}' is not a metric; metrics are ${metricIds.join(', ')}`);
  const min = Number(minText);
  if (minText!.trim() === '' || !Number.isFinite(min)) throw new Error(`--threshold: the minimum must be a number, not '${minText}'`);
  return { metric: metric as MetricId, min, ...(strategy !== undefined ? { strategy } : {}) };
}

export interface ThresholdOutcome {
  threshold: ThresholdSpec;
  /** The strategy it was checked on (the named one, or the recommended one). */
  strategy?: string;
  value?: number;
  holds: boolean;
  /** In words, for the terminal: what was compared and how it came out. */
  message: string;
}

/** Checks one threshold against the report: a strategy or metric the report lacks does not hold (and says why). */
export function checkThreshold(report: EvalReport, threshold: ThresholdSpec): ThresholdOutcome {
  const wanted = `${threshold.metric} ≥ ${threshold.min}`;
  const strategyName = threshold.strategy ?? report.recommendation.strategy;
  if (strategyName === undefined) return { threshold, holds: false, message: `threshold ${wanted}: no strategy is recommended, so there is nothing to check it on; name one with @strategy` };
  const row = report.strategies.find((strategy) => strategy.name === strategyName);
  if (!row) return { threshold, strategy: strategyName, holds: false, message: `threshold ${wanted}: the report has no strategy '${strategyName}'` };
  const interval = row.metrics[threshold.metric];
  if (!interval || interval.n === 0) return { threshold, strategy: strategyName, holds: false, message: `threshold ${wanted}: ${strategyName} has no ${threshold.metric} scores` };
  const holds = interval.mean >= threshold.min;
  const value = interval.mean;
  const shown = Number.isInteger(value) ? String(value) : value.toFixed(4);
  return {
    threshold,
    strategy: strategyName,
    value,
    holds,
    message: `threshold ${holds ? 'met' : 'NOT met'}: ${strategyName}${threshold.strategy === undefined ? ' (recommended)' : ''} ${threshold.metric} = ${shown} ${holds ? '≥' : '<'} ${threshold.min}`,
  };
}
