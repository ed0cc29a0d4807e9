import uPlot from 'uplot';
import { type JobSeries } from './jobTypes';
import { gpuMemoryColumns, hasValues, learningRateColumns, lossColumns, tokensPerSecondColumns, type AlignedColumns } from './chartData';
import { formatLoss, formatRate } from './format';
import { element } from '../lib/vscodeApi';

/** One chart of the page: what it plots and how its values read. */
interface ChartSpec {
  id: string;
  title: string;
  columns(series: JobSeries): AlignedColumns;
  series: { label: string; colour: ThemeColour; points?: boolean }[];
  formatValue(value: number): string;
  /** Axis ticks: shorter than values (`2e-4`, `3`), as uPlot picks round splits. */
  formatTick(value: number): string;
  /** Said in place of the chart when the trainer reported no value for it. */
  absent: string;
}

type ThemeColour = 'blue' | 'orange' | 'green' | 'purple' | 'red';

const chartSpecs: ChartSpec[] = [
  {
    id: 'loss',
    title: 'Loss',
    columns: lossColumns,
    series: [
      { label: 'Train loss', colour: 'blue' },
      { label: 'Eval loss', colour: 'orange', points: true },
    ],
    formatValue: formatLoss,
    formatTick: (value) => String(Number(value.toPrecision(3))),
    absent: 'No loss reported yet.',
  },
  {
    id: 'learning-rate',
    title: 'Learning rate',
    columns: learningRateColumns,
    series: [{ label: 'Learning rate', colour: 'purple' }],
    formatValue: formatRate,
    formatTick: (value) => (value === 0 ? '0' : value.toExponential(1).replace('.0e', 'e')),
    absent: 'No learning rate reported.',
  },
  {
    id: 'tokens-per-second',
    title: 'Tokens per second',
    columns: tokensPerSecondColumns,
    series: [{ label: 'Tokens/s', colour: 'green' }],
    formatValue: (value) => Math.round(value).toLocaleString('en-US'),
    formatTick: (value) => Math.round(value).toLocaleString('en-US'),
    absent: 'No throughput reported.',
  },
  {
    id: 'gpu-memory',
    title: 'GPU memory (GiB)',
    columns: gpuMemoryColumns,
    series: [{ label: 'GPU memory', colour: 'red' }],
    formatValue: (value) => `${value.toFixed(2)} GiB`,
    formatTick: (value) => String(Number(value.toPrecision(3))),
    absent: 'No GPU memory reported (the trainer runs without a CUDA device).',
  },
];

/** The newest reported value of each series, e.g. `Train loss 0.5123 · Eval loss 0.7800 (step 120)`. */
function latestText(spec: ChartSpec, columns: AlignedColumns): string {
  const parts: string[] = [];
  spec.series.forEach((series, index) => {
    const column = columns[index + 1] ?? [];
    for (let i = column.length - 1; i >= 0; i--) {
      const value = column[i];
      if (value !== null && value !== undefined && Number.isFinite(value)) {
        parts.push(`${spec.series.length > 1 ? `${series.label} ` : ''}${spec.formatValue(value)}`);
        break;
      }
    }
  });
  const lastStep = columns[0][columns[0].length - 1];
  return parts.length > 0 && lastStep !== undefined ? `${parts.join(' · ')} (step ${lastStep.toLocaleString('en-US')})` : '';
}

/** VS Code's chart colours and text colours, read from the theme's CSS variables (they change with the theme). */
function themeColours(): { series: Record<ThemeColour, string>; text: string; grid: string; font: string } {
  const style = getComputedStyle(document.documentElement);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  const font = read('--vscode-font-family', 'system-ui, sans-serif');
  return {
    series: {
      blue: read('--vscode-charts-blue', '#3794ff'),
      orange: read('--vscode-charts-orange', '#d18616'),
      green: read('--vscode-charts-green', '#89d185'),
      purple: read('--vscode-charts-purple', '#b180d7'),
      red: read('--vscode-charts-red', '#f14c4c'),
    },
    text: read('--vscode-descriptionForeground', read('--vscode-foreground', '#888888')),
    grid: read('--vscode-editorWidget-border', read('--vscode-panel-border', '#80808040')),
    font: `11px ${font}`,
  };
}

const chartHeight = 200;
/** The fewest milliseconds between two redraws: a trainer logging every few milliseconds must not cost a frame each. */
const redrawIntervalMs = 250;

interface LiveChart {
  spec: ChartSpec;
  box: HTMLElement;
  /** The newest values, beside the title: the legend shows the values under the cursor. */
  latest: HTMLElement;
  plotHost: HTMLElement;
  note: HTMLElement;
  plot: uPlot | undefined;
}

/**
 * The job's four charts (uPlot on canvas): loss with eval loss as points, learning rate, tokens per second and GPU
 * memory, all over optimizer steps. Fed the whole series each time and redrawn with `setData` at most four times a
 * second; resized with their container; rebuilt when the theme changes. Before the first step they are not built,
 * and the page says why.
 */
export class JobCharts {
  readonly root: HTMLElement;
  private readonly empty: HTMLElement;
  private readonly grid: HTMLElement;
  private readonly charts: LiveChart[];
  private latest: JobSeries | undefined;
  private drawn: JobSeries | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastDrawAt = 0;
  private emptyText = 'No training step yet: the charts start with the first one.';
  private readonly resizeObserver: ResizeObserver;
  private readonly themeObserver: MutationObserver;

  constructor() {
    this.empty = element('p', { class: 'charts-empty hint', id: 'charts-empty' }, this.emptyText);
    this.grid = element('div', { class: 'chart-grid', hidden: '' });
    this.charts = chartSpecs.map((spec) => {
      const plotHost = element('div', { class: 'chart-plot' });
      const note = element('p', { class: 'chart-note hint', hidden: '' }, spec.absent);
      const latest = element('span', { class: 'chart-latest' });
      const box = element(
        'figure',
        { class: 'chart', 'data-chart': spec.id, 'data-points': '0' },
        element('figcaption', {}, element('span', { class: 'chart-title' }, spec.title), latest),
        plotHost,
        note,
      );
      this.grid.append(box);
      return { spec, box, latest, plotHost, note, plot: undefined };
    });
    this.root = element('section', { class: 'charts', id: 'charts', 'aria-label': 'Training charts' }, this.empty, this.grid);
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this.grid);
    // VS Code swaps the theme's variables on <html> and the theme class on <body>: redraw in the new colours.
    this.themeObserver = new MutationObserver(() => this.rebuild());
    this.themeObserver.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
    this.themeObserver.observe(document.body, { attributes: true, attributeFilter: ['class'] });
  }

  /** What the empty state says (it differs for a queued job and a failed one). */
  setEmptyText(text: string): void {
    this.emptyText = text;
    this.empty.textContent = text;
  }

  /** Takes the job's series; the charts catch up within `redrawIntervalMs`. */
  update(series: JobSeries): void {
    this.latest = series;
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastDrawAt + redrawIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.lastDrawAt = Date.now();
      this.draw();
    }, wait);
  }

  private draw(): void {
    const series = this.latest;
    if (!series || series === this.drawn) return;
    this.drawn = series;
    const started = series.step.length > 0 || series.evalStep.length > 0;
    this.empty.hidden = started;
    this.grid.hidden = !started;
    if (!started) return;
    for (const chart of this.charts) {
      const columns = chart.spec.columns(series);
      chart.box.dataset.points = String(columns[0].length);
      chart.latest.textContent = latestText(chart.spec, columns);
      const present = hasValues(columns);
      chart.note.hidden = present;
      chart.plotHost.hidden = !present;
      if (!present) continue;
      if (chart.plot) chart.plot.setData(columns);
      else chart.plot = new uPlot(this.options(chart.spec, this.widthOf(chart)), columns, chart.plotHost);
    }
  }

  private widthOf(chart: LiveChart): number {
    // The plot's own box when shown; otherwise its figure's, less the figure's padding.
    const width = chart.plotHost.clientWidth || chart.box.clientWidth - 16;
    return Math.max(240, Math.floor(width > 0 ? width : 480));
  }

  private resize(): void {
    for (const chart of this.charts) {
      const width = this.widthOf(chart);
      if (chart.plot && chart.plot.width !== width) chart.plot.setSize({ width, height: chartHeight });
    }
  }

  /** New colours: uPlot bakes them into its options, so each chart is built again from the same data. */
  private rebuild(): void {
    for (const chart of this.charts) {
      chart.plot?.destroy();
      chart.plot = undefined;
    }
    this.drawn = undefined;
    this.draw();
  }

  private options(spec: ChartSpec, width: number): uPlot.Options {
    const colours = themeColours();
    const axis = (label: string, values?: uPlot.Axis['values']): uPlot.Axis => ({
      label,
      stroke: colours.text,
      font: colours.font,
      labelFont: colours.font,
      grid: { stroke: colours.grid, width: 1 },
      ticks: { stroke: colours.grid, width: 1 },
      ...(values ? { values } : {}),
    });
    return {
      width,
      height: chartHeight,
      // Steps are whole numbers: no time axis, no fractional ticks.
      // Every quantity here is zero or more: the y axis starts at zero, so a halved loss looks halved.
      scales: { x: { time: false }, y: { range: (_plot, _min, max) => [0, max > 0 ? max * 1.08 : 1] } },
      axes: [
        axis('Step', (_plot, splits) => splits.map((split) => (Number.isInteger(split) ? split.toLocaleString('en-US') : ''))),
        { ...axis(''), size: 56, values: (_plot, splits) => splits.map((split) => spec.formatTick(split)) },
      ],
      cursor: { drag: { x: true, y: false } },
      legend: { show: true, live: true },
      series: [
        { label: 'Step', value: (_plot, value) => (value === null ? '—' : value.toLocaleString('en-US')) },
        ...spec.series.map((series): uPlot.Series => ({
          label: series.label,
          stroke: colours.series[series.colour],
          width: series.points ? 0 : 1.5,
          spanGaps: !series.points,
          value: (_plot, value) => (value === null ? '—' : spec.formatValue(value)),
          ...(series.points
            ? { paths: () => null, points: { show: true, size: 7, width: 1.5, stroke: colours.series[series.colour], fill: colours.series[series.colour] } }
            : { points: { show: false } }),
        })),
      ],
    };
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.resizeObserver.disconnect();
    this.themeObserver.disconnect();
    for (const chart of this.charts) chart.plot?.destroy();
  }
}
