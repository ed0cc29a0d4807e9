import type { EvalReport, StrategyRow } from './reportTypes';
import { element } from '../lib/vscodeApi';
import { formatCount, formatMs, formatScore, metricInfo } from './format';
import { svg, svgTitle } from './svg';

/**
 * Two charts as inline SVG built with DOM calls (no inline styles, nothing the CSP blocks; colours from the theme in
 * evalReport.css): a forest plot of the primary metric (each strategy's mean and 95% interval, the best one's interval
 * as a band so ties show as overlaps), and score against cost.
 */
const width = 560;
const labelWidth = 120;
const rowHeight = 26;

function niceTicks(low: number, high: number, count: number): number[] {
  const span = high - low || 1;
  const step = 10 ** Math.floor(Math.log10(span / count));
  const multiple = [1, 2, 5, 10].find((m) => span / (step * m) <= count) ?? 10;
  const size = step * multiple;
  const ticks: number[] = [];
  for (let tick = Math.ceil(low / size) * size; tick <= high + size * 1e-9; tick += size) ticks.push(Number(tick.toFixed(10)));
  return ticks;
}

/** The axis span: the data's, padded, within the metric's range. */
function domain(values: number[], range: [number, number]): [number, number] {
  if (values.length === 0) return range;
  const low = Math.min(...values);
  const high = Math.max(...values);
  const pad = Math.max((high - low) * 0.15, (range[1] - range[0]) * 0.02);
  return [Math.max(range[0], low - pad), Math.min(range[1], high + pad)];
}

export function renderForestPlot(report: EvalReport): HTMLElement {
  const metric = metricInfo(report, report.primaryMetric);
  const rows = report.strategies.filter((row) => row.metrics[report.primaryMetric] !== undefined);
  const figure = element('figure', { class: 'chart', id: 'forest-plot', 'data-points': String(rows.length) });
  figure.append(element('figcaption', {}, `${metric.label}: mean and 95% interval per strategy`));
  if (rows.length === 0) {
    figure.append(element('p', { class: 'hint' }, 'No strategy has a score on this metric yet.'));
    return figure;
  }
  const intervals = rows.map((row) => row.metrics[report.primaryMetric]!);
  const [low, high] = domain(
    intervals.flatMap((interval) => [interval.low, interval.high]),
    metric.range,
  );
  const height = rows.length * rowHeight + 30;
  const plotWidth = width - labelWidth - 16;
  const x = (value: number) => labelWidth + ((Math.min(high, Math.max(low, value)) - low) / (high - low || 1)) * plotWidth;
  const best = rows.reduce((top, row) => (row.metrics[report.primaryMetric]!.mean > top.metrics[report.primaryMetric]!.mean ? row : top), rows[0]!);
  const bestInterval = best.metrics[report.primaryMetric]!;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'forest', role: 'img', 'aria-label': `Forest plot of ${metric.label}` });
  chart.append(
    svg(
      'rect',
      { class: 'best-band', x: x(bestInterval.low), y: 0, width: Math.max(1, x(bestInterval.high) - x(bestInterval.low)), height: height - 24 },
      svgTitle(`${best.name}'s interval: a strategy whose interval overlaps it may tie`),
    ),
  );
  for (const tick of niceTicks(low, high, 5)) {
    chart.append(
      svg('line', { class: 'grid', x1: x(tick), x2: x(tick), y1: 0, y2: height - 24 }),
      svg('text', { class: 'tick', x: x(tick), y: height - 8, 'text-anchor': 'middle' }, formatScore(tick, metric)),
    );
  }
  rows.forEach((row, index) => {
    const interval = row.metrics[report.primaryMetric]!;
    const y = index * rowHeight + rowHeight / 2 + 4;
    const pair = report.pairwise.find((p) => (p.a === row.name && p.b === best.name) || (p.b === row.name && p.a === best.name));
    const tie = row !== best && pair?.verdict === 'tie';
    const group = svg('g', { class: `forest-row${row === best ? ' best' : ''}${tie ? ' tie' : ''}`, 'data-strategy': row.name });
    group.append(
      svgTitle(
        `${row.name}: ${formatScore(interval.mean, metric)} [${formatScore(interval.low, metric)}, ${formatScore(interval.high, metric)}], n=${interval.n}${row === best ? ' (best)' : tie ? ` (tie with ${best.name})` : ''}`,
      ),
      svg('text', { class: 'label', x: labelWidth - 8, y: y + 4, 'text-anchor': 'end' }, row.name.length > 18 ? `${row.name.slice(0, 17)}…` : row.name),
      svg('line', { class: 'whisker', x1: x(interval.low), x2: x(interval.high), y1: y, y2: y }),
      svg('line', { class: 'whisker', x1: x(interval.low), x2: x(interval.low), y1: y - 5, y2: y + 5 }),
      svg('line', { class: 'whisker', x1: x(interval.high), x2: x(interval.high), y1: y - 5, y2: y + 5 }),
      svg('circle', { class: 'dot', cx: x(interval.mean), cy: y, r: 4.5 }),
    );
    chart.append(group);
  });
  figure.append(chart, element('p', { class: 'hint legend' }, `The band is ${best.name}'s interval. Strategies whose difference from it is within the noise are drawn hollow: ties.`));
  return figure;
}

export type CostAxis = 'tokens' | 'latency';

const costAxes: Record<CostAxis, { label: string; value(row: StrategyRow): number | undefined; format(value: number): string }> = {
  tokens: { label: 'Prompt tokens per answer', value: (row) => row.tokens.promptPerAnswer, format: formatCount },
  latency: { label: 'Total time per answer', value: (row) => row.latency.totalMs?.mean, format: formatMs },
};

export function renderCostScatter(report: EvalReport, axis: CostAxis, onAxis: (axis: CostAxis) => void): HTMLElement {
  const metric = metricInfo(report, report.primaryMetric);
  const cost = costAxes[axis];
  const points = report.strategies.flatMap((row) => {
    const score = row.metrics[report.primaryMetric]?.mean;
    const spend = cost.value(row);
    return score !== undefined && spend !== undefined && Number.isFinite(spend) ? [{ row, score, spend }] : [];
  });
  const figure = element('figure', { class: 'chart', id: 'cost-scatter', 'data-points': String(points.length), 'data-axis': axis });
  const picker = element(
    'select',
    { id: 'cost-axis', 'aria-label': 'Cost axis' },
    ...(Object.keys(costAxes) as CostAxis[]).map((key) => element('option', { value: key, ...(key === axis ? { selected: '' } : {}) }, costAxes[key].label)),
  );
  picker.addEventListener('change', () => onAxis(picker.value as CostAxis));
  figure.append(element('figcaption', {}, `${metric.label} against `, picker));
  if (points.length === 0) {
    figure.append(element('p', { class: 'hint' }, 'No strategy has both a score and this cost yet.'));
    return figure;
  }
  const height = 240;
  const left = 56;
  const bottom = 34;
  const [scoreLow, scoreHigh] = domain(
    points.map((point) => point.score),
    metric.range,
  );
  const spendHigh = Math.max(...points.map((point) => point.spend)) * 1.15 || 1;
  const x = (value: number) => left + (value / spendHigh) * (width - left - 20);
  const y = (value: number) => 10 + (1 - (value - scoreLow) / (scoreHigh - scoreLow || 1)) * (height - bottom - 10);
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, class: 'scatter', role: 'img', 'aria-label': `${metric.label} against ${cost.label}` });
  for (const tick of niceTicks(scoreLow, scoreHigh, 4))
    chart.append(
      svg('line', { class: 'grid', x1: left, x2: width - 10, y1: y(tick), y2: y(tick) }),
      svg('text', { class: 'tick', x: left - 6, y: y(tick) + 4, 'text-anchor': 'end' }, formatScore(tick, metric)),
    );
  for (const tick of niceTicks(0, spendHigh, 5))
    chart.append(
      svg('line', { class: 'grid', x1: x(tick), x2: x(tick), y1: 10, y2: height - bottom }),
      svg('text', { class: 'tick', x: x(tick), y: height - bottom + 16, 'text-anchor': 'middle' }, cost.format(tick)),
    );
  chart.append(svg('text', { class: 'axis-label', x: (left + width) / 2, y: height - 2, 'text-anchor': 'middle' }, cost.label));
  for (const point of points) {
    const recommended = report.recommendation.strategy === point.row.name;
    chart.append(
      svg(
        'g',
        { class: `point${recommended ? ' recommended' : ''}`, 'data-strategy': point.row.name },
        svgTitle(`${point.row.name}: ${formatScore(point.score, metric)} at ${cost.format(point.spend)}`),
        svg('circle', { cx: x(point.spend), cy: y(point.score), r: recommended ? 6 : 4.5 }),
        svg('text', { class: 'label', x: x(point.spend) + 8, y: y(point.score) - 6 }, point.row.name.length > 18 ? `${point.row.name.slice(0, 17)}…` : point.row.name),
      ),
    );
  }
  figure.append(chart);
  return figure;
}
