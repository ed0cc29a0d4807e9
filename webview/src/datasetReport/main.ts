import { datasetReportUpdate, DatasetReportNotifications, uniformTurnCount, type DatasetReport, type DatasetReportFinding } from '../../../src/shared/datasetReportProtocol';
import { countOf, formatByteSize } from '../../../src/shared/humanText';
import { HostConnection } from '../lib/hostConnection';
import { connectToHost, element } from '../lib/vscodeApi';

// The dataset report: tables and SVG histograms drawn from the host's numbers. All text goes in as textContent.
const host = new HostConnection(connectToHost());
const root = document.getElementById('root')!;
const svgNs = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attributes: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const node = document.createElementNS(svgNs, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function table(headers: string[], rows: (string | number)[][], numeric: boolean[] = []): HTMLTableElement {
  const head = element('tr', {}, ...headers.map((h, i) => element('th', numeric[i] ? { class: 'num' } : {}, h)));
  const body = rows.map((row) => element('tr', {}, ...row.map((cell, i) => element('td', numeric[i] ? { class: 'num' } : {}, typeof cell === 'number' ? cell.toLocaleString('en-US') : cell))));
  return element('table', {}, element('thead', {}, head), element('tbody', {}, ...body));
}

interface Histogram {
  buckets: { label: string; rows: number }[];
  caption: string;
  /** What the bars stand for, under the x axis. */
  xTitle: string;
}

/** A bar chart of rows per bucket with titled axes; readable in every theme (colours from the theme's CSS variables). */
function histogram({ buckets, caption, xTitle }: Histogram): SVGSVGElement {
  const width = 640;
  const height = 240;
  const left = 64;
  const bottom = 52;
  const top = 8;
  const max = Math.max(1, ...buckets.map((b) => b.rows));
  const chart = svg('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', class: 'chart', 'aria-label': caption });
  chart.append(svg('title', {}, caption));
  const plotWidth = width - left - 8;
  const plotHeight = height - bottom - top;
  const baseline = top + plotHeight;
  const barWidth = plotWidth / Math.max(1, buckets.length);
  chart.append(svg('line', { x1: left, y1: baseline, x2: width - 8, y2: baseline, class: 'axis' }));
  chart.append(svg('line', { x1: left, y1: top, x2: left, y2: baseline, class: 'axis' }));
  const ticks = max >= 2 ? [0, Math.round(max / 2), max] : [0, max];
  for (const tick of ticks) {
    const y = baseline - (tick / max) * plotHeight;
    chart.append(svg('text', { x: left - 6, y: y + 4, 'text-anchor': 'end', class: 'tick' }, tick.toLocaleString('en-US')));
  }
  buckets.forEach((bucket, index) => {
    const h = (bucket.rows / max) * plotHeight;
    const bar = svg('rect', { x: left + index * barWidth + 1, y: baseline - h, width: Math.max(1, barWidth - 2), height: h, class: 'bar' });
    bar.append(svg('title', {}, `${bucket.label}: ${countOf(bucket.rows, 'row')}`));
    chart.append(bar);
    if (buckets.length <= 12 || index % Math.ceil(buckets.length / 8) === 0) {
      chart.append(svg('text', { x: left + index * barWidth + barWidth / 2, y: baseline + 16, 'text-anchor': 'middle', class: 'tick' }, bucket.label));
    }
  });
  chart.append(svg('text', { x: left + plotWidth / 2, y: height - 8, 'text-anchor': 'middle', class: 'axis-title' }, xTitle));
  chart.append(svg('text', { x: 14, y: top + plotHeight / 2, 'text-anchor': 'middle', class: 'axis-title', transform: `rotate(-90 14 ${top + plotHeight / 2})` }, 'Rows'));
  return chart;
}

/** The occurrences of one check: each opens the file at its line. */
function occurrenceList(finding: DatasetReportFinding): HTMLElement {
  const list = element('ol', { class: 'occurrences' });
  for (const occurrence of finding.occurrences) {
    const open = element(
      'button',
      { type: 'button', class: 'occurrence', title: `Open line ${occurrence.line + 1}: ${occurrence.message}` },
      element('span', { class: 'line' }, `Line ${(occurrence.line + 1).toLocaleString('en-US')}`),
      element('span', { class: 'message' }, occurrence.message),
    );
    open.addEventListener('click', () => host.notify(DatasetReportNotifications.openOccurrence, { line: occurrence.line, character: occurrence.character }));
    list.append(element('li', {}, open));
  }
  const unlisted = finding.count - finding.occurrences.length;
  const parts: Node[] = [list];
  if (unlisted > 0) parts.push(element('p', { class: 'hint' }, `${countOf(unlisted, 'more occurrence')} not listed here; "Chatwright: Validate Dataset File…" puts every one in the Problems panel.`));
  return element('div', { class: 'occurrences-box' }, ...parts);
}

/** Problems by check; a check with located occurrences expands to list them. */
function findingsTable(findings: DatasetReportFinding[]): HTMLTableElement {
  const head = element('tr', {}, element('th', {}, 'Check'), element('th', {}, 'Code'), element('th', {}, 'Severity'), element('th', { class: 'num' }, 'Count'));
  const body = element('tbody', {});
  for (const finding of findings) {
    const detailsId = `occurrences-${finding.code}`;
    const titleCell = element('td', {});
    const row = element(
      'tr',
      { class: 'finding', 'data-code': finding.code },
      titleCell,
      element('td', {}, element('code', {}, finding.code)),
      element('td', { class: `severity-${finding.severity}` }, finding.severity),
      element('td', { class: 'num' }, finding.count.toLocaleString('en-US')),
    );
    body.append(row);
    if (finding.occurrences.length === 0) {
      titleCell.append(element('span', { class: 'no-toggle' }, finding.title));
      continue;
    }
    const toggle = element('button', { type: 'button', class: 'toggle', 'aria-expanded': 'false', 'aria-controls': detailsId, title: 'Show where' }, finding.title);
    titleCell.append(toggle);
    const detailsRow = element('tr', { class: 'occurrences-row', id: detailsId, hidden: '' }, element('td', { colspan: '4' }, occurrenceList(finding)));
    body.append(detailsRow);
    toggle.addEventListener('click', () => {
      const open = toggle.getAttribute('aria-expanded') !== 'true';
      toggle.setAttribute('aria-expanded', String(open));
      detailsRow.hidden = !open;
    });
  }
  return element('table', { class: 'findings' }, element('thead', {}, head), body);
}

function render(report: DatasetReport): void {
  const summary = element(
    'p',
    { class: 'summary' },
    `${countOf(report.rows, 'row')} in ${countOf(report.lines, 'line')} (${formatByteSize(report.bytes)}). `,
    element('span', { class: report.errors > 0 ? 'errors' : 'ok' }, countOf(report.errors, 'error')),
    `, ${countOf(report.warnings, 'warning')}, ${countOf(report.information, 'note')}. Duplicates: ${report.duplicates.exact.toLocaleString('en-US')} exact, ${report.duplicates.normalized.toLocaleString('en-US')} normalized.`,
  );
  const exportButton = element('button', { type: 'button', id: 'export' }, 'Export as Markdown');
  exportButton.addEventListener('click', () => host.notify(DatasetReportNotifications.exportMarkdown));
  const parts: Node[] = [element('h1', {}, `Dataset report: ${report.file}`), summary, element('div', { class: 'actions' }, exportButton)];
  if (!report.trainingData) parts.push(element('p', { class: 'hint' }, 'This file does not look like training data, so only its JSON syntax was checked.'));
  parts.push(
    element('h2', {}, 'Rows by format'),
    table(
      ['Format', 'Rows'],
      report.formats.map((f) => [f.label, f.rows]),
      [false, true],
    ),
  );
  parts.push(element('h2', {}, 'Problems by check'));
  if (report.findings.length === 0) parts.push(element('p', { class: 'ok' }, 'No problems found.'));
  else parts.push(element('p', { class: 'hint' }, 'Click a check to see where it occurs, and a line to open it.'), findingsTable(report.findings));
  if (report.tokens) {
    const t = report.tokens;
    parts.push(element('h2', {}, `Tokens per row (${t.counter})`));
    parts.push(table(['p5', 'median', 'p95', 'max', 'mean', 'total'], [[t.p5, t.median, t.p95, t.max, t.mean, t.total]], [true, true, true, true, true, true]));
    parts.push(
      element(
        'p',
        {},
        `Estimated training tokens per epoch: ${t.perEpoch.toLocaleString('en-US')}${t.maxTokens !== undefined ? ` (${countOf(t.overLimit, 'row')} over ${t.maxTokens.toLocaleString('en-US')} tokens, counted up to the limit)` : ''}.`,
      ),
    );
    parts.push(
      histogram({ buckets: t.histogram.map((b) => ({ label: b.from === b.to ? `${b.from}` : `${b.from}–${b.to}`, rows: b.rows })), caption: 'Rows by token count', xTitle: 'Tokens per row' }),
    );
  }
  const uniformTurns = uniformTurnCount(report);
  if (report.turnsVary) {
    parts.push(element('h2', {}, 'Turns per row'));
    parts.push(histogram({ buckets: report.turns.map((t) => ({ label: String(t.turns), rows: t.rows })), caption: 'Rows by number of turns', xTitle: 'Turns (messages) per row' }));
  } else if (uniformTurns !== undefined) {
    parts.push(element('h2', {}, 'Turns per row'), element('p', { id: 'uniform-turns' }, `Every row has ${countOf(uniformTurns, 'turn')}.`));
  }
  root.replaceChildren(...parts);
}

host.onNotification(datasetReportUpdate, (message) => {
  if (message.type === 'report') render(message.report);
  else root.replaceChildren(element('p', { class: message.type === 'error' ? 'errors' : 'hint' }, message.message));
});
root.replaceChildren(element('p', { class: 'hint' }, 'Counting…'));
host.notify(DatasetReportNotifications.ready);
