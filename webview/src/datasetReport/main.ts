import { type DatasetReport, type DatasetReportToHost, type HostToDatasetReport } from '../../../src/shared/datasetReportProtocol';
import { connectToHost, element } from '../lib/vscodeApi';

// The dataset report: tables and an SVG histogram drawn from the host's numbers. All text goes in as textContent.
const host = connectToHost<DatasetReportToHost>();
const root = document.getElementById('root')!;
const svgNs = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>): SVGElementTagNameMap[K] {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  return node;
}

function table(headers: string[], rows: (string | number)[][], numeric: boolean[] = []): HTMLTableElement {
  const head = element('tr', {}, ...headers.map((h, i) => element('th', numeric[i] ? { class: 'num' } : {}, h)));
  const body = rows.map((row) => element('tr', {}, ...row.map((cell, i) => element('td', numeric[i] ? { class: 'num' } : {}, typeof cell === 'number' ? cell.toLocaleString() : cell))));
  return element('table', {}, element('thead', {}, head), element('tbody', {}, ...body));
}

/** A bar chart of rows per bucket, with axis labels; readable in every theme (colours from the theme's CSS variables). */
function histogram(buckets: { label: string; rows: number }[], caption: string): SVGSVGElement {
  const width = 640;
  const height = 220;
  const left = 48;
  const bottom = 40;
  const max = Math.max(1, ...buckets.map((b) => b.rows));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart', 'aria-label': caption });
  const title = svg('title', {});
  title.textContent = caption;
  chart.append(title);
  const plotWidth = width - left - 8;
  const plotHeight = height - bottom - 8;
  const barWidth = plotWidth / Math.max(1, buckets.length);
  chart.append(svg('line', { x1: left, y1: 8 + plotHeight, x2: width - 8, y2: 8 + plotHeight, class: 'axis' }));
  for (const tick of [0, max]) {
    const y = 8 + plotHeight - (tick / max) * plotHeight;
    const label = svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' });
    label.textContent = tick.toLocaleString();
    chart.append(label);
  }
  buckets.forEach((bucket, index) => {
    const h = (bucket.rows / max) * plotHeight;
    const bar = svg('rect', { x: left + index * barWidth + 1, y: 8 + plotHeight - h, width: Math.max(1, barWidth - 2), height: h, class: 'bar' });
    const tip = svg('title', {});
    tip.textContent = `${bucket.label}: ${bucket.rows.toLocaleString()} rows`;
    bar.append(tip);
    chart.append(bar);
    if (buckets.length <= 12 || index % Math.ceil(buckets.length / 8) === 0) {
      const label = svg('text', { x: left + index * barWidth + barWidth / 2, y: height - bottom + 16, 'text-anchor': 'middle', class: 'tick' });
      label.textContent = bucket.label;
      chart.append(label);
    }
  });
  return chart;
}

function render(report: DatasetReport): void {
  const summary = element(
    'p',
    { class: 'summary' },
    `${report.rows.toLocaleString()} rows in ${report.lines.toLocaleString()} lines (${(report.bytes / 1e6).toFixed(2)} MB). `,
    element('span', { class: report.errors > 0 ? 'errors' : 'ok' }, `${report.errors} error(s)`),
    `, ${report.warnings} warning(s), ${report.information} note(s). Duplicates: ${report.duplicates.exact} exact, ${report.duplicates.normalized} normalized.`,
  );
  const exportButton = element('button', { type: 'button', id: 'export' }, 'Export as Markdown');
  exportButton.addEventListener('click', () => host.postMessage({ type: 'exportMarkdown' }));
  const parts: Node[] = [element('h1', {}, `Dataset report: ${report.file}`), summary, element('div', { class: 'actions' }, exportButton)];
  if (!report.trainingData) parts.push(element('p', { class: 'hint' }, 'This file does not look like training data, so only its JSON syntax was checked.'));
  parts.push(element('h2', {}, 'Rows by format'), table(['Format', 'Rows'], report.formats.map((f) => [f.label, f.rows]), [false, true]));
  parts.push(element('h2', {}, 'Problems by check'));
  parts.push(report.findings.length === 0 ? element('p', { class: 'ok' }, 'No problems found.') : table(['Check', 'Code', 'Severity', 'Count'], report.findings.map((f) => [f.title, f.code, f.severity, f.count]), [false, false, false, true]));
  if (report.tokens) {
    const t = report.tokens;
    parts.push(element('h2', {}, `Tokens per row (${t.counter})`));
    parts.push(table(['p5', 'median', 'p95', 'max', 'mean', 'total'], [[t.p5, t.median, t.p95, t.max, t.mean, t.total]], [true, true, true, true, true, true]));
    parts.push(element('p', {}, `Estimated training tokens per epoch: ${t.perEpoch.toLocaleString()}${t.maxTokens !== undefined ? ` (${t.overLimit} row(s) over ${t.maxTokens} tokens, counted up to the limit)` : ''}.`));
    parts.push(histogram(t.histogram.map((b) => ({ label: b.from === b.to ? `${b.from}` : `${b.from}–${b.to}`, rows: b.rows })), 'Rows by token count'));
  }
  parts.push(element('h2', {}, 'Turns per row'));
  parts.push(histogram(report.turns.map((t) => ({ label: String(t.turns), rows: t.rows })), 'Rows by number of turns'));
  root.replaceChildren(...parts);
}

window.addEventListener('message', (event: MessageEvent<HostToDatasetReport>) => {
  const message = event.data;
  if (message.type === 'report') render(message.report);
  else root.replaceChildren(element('p', { class: message.type === 'error' ? 'errors' : 'hint' }, message.message));
});
root.replaceChildren(element('p', { class: 'hint' }, 'Counting…'));
host.postMessage({ type: 'ready' });
