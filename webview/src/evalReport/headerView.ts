import type { EvalReportState } from '../../../src/shared/evalReportProtocol';
import { element } from '../lib/vscodeApi';
import { formatCount, formatDate, formatDuration, metricInfo } from './format';

export interface HeaderActions {
  rerun: () => void;
  stop: () => void;
  exportAs: (format: 'markdown' | 'csv' | 'json') => void;
}

function fact(id: string, label: string, value: string): HTMLElement {
  return element('div', { class: 'fact', id }, element('dt', {}, label), element('dd', {}, value));
}

function button(id: string, icon: string, label: string, onClick: () => void, attributes: Record<string, string> = {}): HTMLButtonElement {
  const node = element('button', { id, type: 'button', ...attributes }, element('span', { class: `codicon codicon-${icon}`, 'aria-hidden': 'true' }), label);
  node.addEventListener('click', onClick);
  return node;
}

/** The comparison's name and facts, the actions (Rerun, Export), and the running banner while a run goes. */
export function renderHeader(state: EvalReportState, actions: HeaderActions): HTMLElement {
  const { report } = state;
  const primary = metricInfo(report, report.primaryMetric);
  const header = element(
    'header',
    { class: 'report-header' },
    element('h1', { id: 'report-title' }, report.comparison.name),
    ...(report.comparison.description !== undefined ? [element('p', { class: 'hint', id: 'report-description' }, report.comparison.description)] : []),
    element(
      'dl',
      { class: 'facts' },
      fact('report-eval-set', 'Eval set', `${report.evalSet.file.split(/[\\/]/).pop() ?? report.evalSet.file} (${formatCount(report.evalSet.questions)} questions)`),
      fact('report-created', 'Created', formatDate(report.createdAt)),
      fact('report-primary', 'Decides on', primary.label),
      fact('report-strategies', 'Strategies', String(report.strategies.length)),
    ),
  );
  const rerun = button(
    'rerun',
    'refresh',
    'Rerun',
    actions.rerun,
    state.canRun && !state.running ? {} : { disabled: '', title: state.running ? 'A run is going.' : 'Runs need the comparison file in a trusted workspace.' },
  );
  const exports = element(
    'div',
    { class: 'actions', role: 'group', 'aria-label': 'Export' },
    button('export-markdown', 'export', 'Markdown', () => actions.exportAs('markdown')),
    button('export-csv', 'export', 'CSV', () => actions.exportAs('csv')),
    button('export-json', 'export', 'JSON', () => actions.exportAs('json')),
  );
  header.append(element('div', { class: 'actions header-actions' }, rerun, element('span', { class: 'hint' }, 'Export:'), exports));
  if (state.running) header.append(renderRunning(state.running, actions.stop));
  return header;
}

const stageLabels: Record<NonNullable<EvalReportState['running']>['stage'], string> = { answering: 'Answering', scoring: 'Scoring', judging: 'Judging', reporting: 'Writing the report' };

function renderRunning(running: NonNullable<EvalReportState['running']>, stop: () => void): HTMLElement {
  const fraction = running.total > 0 ? running.done / running.total : 0;
  const progress = element('progress', { id: 'run-progress', max: String(Math.max(1, running.total)), value: String(running.done) });
  const parts = [
    `${stageLabels[running.stage] ?? running.stage}: ${formatCount(running.done)} of ${formatCount(running.total)} (${Math.round(fraction * 100)}%)`,
    ...(running.cached > 0 ? [`${formatCount(running.cached)} from the cache`] : []),
    ...(running.failed > 0 ? [`${formatCount(running.failed)} failed`] : []),
    running.etaSeconds !== undefined ? `about ${formatDuration(running.etaSeconds)} to go` : 'estimating time to go…',
  ];
  return element(
    'div',
    { class: 'running-banner', id: 'running-banner', role: 'status' },
    progress,
    element('span', { id: 'run-text' }, parts.join(' · ')),
    button('stop', 'debug-stop', 'Stop', stop),
  );
}
