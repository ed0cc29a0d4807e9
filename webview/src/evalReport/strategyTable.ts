import type { EvalReport, StrategyRow } from './reportTypes';
import { element } from '../lib/vscodeApi';
import { formatCount, formatDuration, formatMs, formatScore, scaled } from './format';
import { intervalBar } from './svg';

interface Column {
  key: string;
  label: string;
  title?: string;
  /** The value sorted on; undefined sorts last. */
  value(row: StrategyRow): number | string | undefined;
  cell(row: StrategyRow): (Node | string)[];
  numeric: boolean;
  primary?: boolean;
}

export interface TableSort {
  key: string;
  descending: boolean;
}

function columns(report: EvalReport): Column[] {
  const metricColumns: Column[] = report.metrics.map((metric) => ({
    key: `metric:${metric.id}`,
    label: metric.label,
    title: metric.description,
    numeric: true,
    primary: metric.id === report.primaryMetric,
    value: (row) => row.metrics[metric.id]?.mean,
    cell: (row) => {
      const interval = row.metrics[metric.id];
      if (!interval) return ['—'];
      return [
        element('span', { class: 'mean' }, formatScore(interval.mean, metric)),
        intervalBar(scaled(interval.low, metric), scaled(interval.mean, metric), scaled(interval.high, metric)),
        element('span', { class: 'interval' }, `[${formatScore(interval.low, metric)}, ${formatScore(interval.high, metric)}]`),
      ];
    },
  }));
  return [
    {
      key: 'name',
      label: 'Strategy',
      numeric: false,
      value: (row) => row.name,
      cell: (row) => [element('strong', {}, row.name), element('div', { class: 'hint recipe' }, row.recipe), element('div', { class: 'hint model' }, row.model)],
    },
    ...metricColumns,
    {
      key: 'ttft',
      label: 'TTFT',
      title: 'Time to first token (mean, 95% interval)',
      numeric: true,
      value: (row) => row.latency.timeToFirstTokenMs?.mean,
      cell: (row) => latencyCell(row.latency.timeToFirstTokenMs),
    },
    {
      key: 'total',
      label: 'Total time',
      title: 'Time to the whole answer (mean, 95% interval)',
      numeric: true,
      value: (row) => row.latency.totalMs?.mean,
      cell: (row) => latencyCell(row.latency.totalMs),
    },
    {
      key: 'tokens',
      label: 'Tokens / answer',
      title: 'Prompt + completion tokens per answer',
      numeric: true,
      value: (row) => row.tokens.promptPerAnswer + row.tokens.completionPerAnswer,
      cell: (row) => [`${formatCount(row.tokens.promptPerAnswer)} + ${formatCount(row.tokens.completionPerAnswer)}`],
    },
    {
      key: 'gpu',
      label: 'Training',
      title: 'Time spent training, and GPU hours on a GPU run (fine-tuned strategies)',
      numeric: true,
      value: (row) => row.training?.seconds,
      cell: (row) => (row.training ? [trainingText(row.training), element('div', { class: 'hint' }, row.training.run)] : ['—']),
    },
    {
      key: 'answered',
      label: 'Answered',
      numeric: true,
      value: (row) => row.answered,
      cell: (row) => [formatCount(row.answered), ...(row.failed > 0 ? [element('span', { class: 'failed' }, ` · ${formatCount(row.failed)} failed`)] : [])],
    },
  ];
}

/** `1h 02m · 2.04 GPU h`; a CPU run (no GPU hours) shows its time alone. */
function trainingText(training: NonNullable<StrategyRow['training']>): string {
  if (training.status === 'missing') return 'run not found';
  const gpu = training.gpuHours !== undefined && training.gpuHours > 0 ? `${training.gpuHours.toFixed(2)} GPU h` : '';
  const time = training.seconds !== undefined ? formatDuration(training.seconds) : '';
  return [time, gpu].filter((part) => part !== '').join(' · ') || '—';
}

function latencyCell(interval: { mean: number; low: number; high: number } | undefined): (Node | string)[] {
  return interval ? [formatMs(interval.mean), element('div', { class: 'hint' }, `${formatMs(interval.low)} – ${formatMs(interval.high)}`)] : ['—'];
}

function compare(a: number | string | undefined, b: number | string | undefined): number {
  if (a === undefined) return b === undefined ? 0 : 1;
  if (b === undefined) return -1;
  return typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
}

/** One row per strategy, every metric with its interval, costs; sorted by the column last clicked. */
export function renderStrategyTable(report: EvalReport, sort: TableSort, onSort: (sort: TableSort) => void): HTMLElement {
  const all = columns(report);
  const sortColumn = all.find((column) => column.key === sort.key) ?? all[0]!;
  const rows = [...report.strategies].sort((a, b) => {
    const order = compare(sortColumn.value(a), sortColumn.value(b));
    // Undefined stays last either way.
    if (sortColumn.value(a) === undefined || sortColumn.value(b) === undefined) return order;
    return sort.descending ? -order : order;
  });
  const head = element(
    'tr',
    {},
    ...all.map((column) => {
      const sorted = column.key === sortColumn.key;
      const th = element('th', {
        scope: 'col',
        'data-key': column.key,
        ...(column.primary ? { class: 'primary' } : {}),
        ...(sorted ? { 'aria-sort': sort.descending ? 'descending' : 'ascending' } : {}),
      });
      const sortButton = element(
        'button',
        { type: 'button', class: 'sort', ...(column.title ? { title: column.title } : {}) },
        column.label,
        ...(column.primary ? [element('span', { class: 'primary-mark', title: 'The metric the recommendation decides on' }, ' ★')] : []),
      );
      sortButton.addEventListener('click', () => onSort({ key: column.key, descending: sorted ? !sort.descending : column.numeric }));
      th.append(sortButton);
      return th;
    }),
  );
  const body = rows.map((row) =>
    element(
      'tr',
      { 'data-strategy': row.name, ...(report.recommendation.strategy === row.name ? { class: 'recommended' } : {}) },
      ...all.map((column) =>
        element(
          column.key === 'name' ? 'th' : 'td',
          { ...(column.key === 'name' ? { scope: 'row' } : {}), class: `${column.numeric ? 'number' : ''}${column.primary ? ' primary' : ''}`.trim() },
          ...column.cell(row),
        ),
      ),
    ),
  );
  return element('div', { class: 'table-scroll' }, element('table', { class: 'strategies', id: 'strategy-table' }, element('thead', {}, head), element('tbody', {}, ...body)));
}
