import 'uplot/dist/uPlot.min.css';
import { type JobSnapshot } from './jobTypes';
import { jobActionRequest, jobLogNotification, jobPageReadyNotification, jobStateNotification, type JobPageAction, type JobPageState } from '../../../src/shared/jobPageProtocol';
import { HostConnection } from '../lib/hostConnection';
import { connectToHost, element } from '../lib/vscodeApi';
import { actionLabel, isActive, renderActions, renderHeader } from './jobHeader';
import { JobCharts } from './jobCharts';
import { LogView } from './logView';
import { renderPreflight } from './preflightView';
import { renderServing } from './servingView';
import { renderCheckpoints, renderConfig, renderDataAndModel, renderEnvironment, renderError, renderWarnings, renderWhere } from './runDetails';

/**
 * The job page: the header and actions, the charts, and the run's details below. Every string from the host (log
 * lines, config, dataset text, error messages) goes in as text, never as markup. The saved state is the run folder,
 * so the host restores the page after a reload.
 */
interface SavedState {
  runDir: string;
}

const host = new HostConnection<SavedState>(connectToHost<unknown, SavedState>());
const root = document.getElementById('root')!;

const headerSlot = element('div', { id: 'header-slot' });
const actionsSlot = element('div', { id: 'actions-slot' });
const actionStatus = element('p', { class: 'status', id: 'action-status', role: 'status' });
const charts = new JobCharts();
const log = new LogView();
const detailSlots = ['where', 'serving', 'error', 'preflight', 'data-model', 'environment', 'checkpoints', 'warnings', 'config'] as const;
type DetailSlot = (typeof detailSlots)[number];
const slots = {} as Record<DetailSlot, HTMLElement>;
for (const id of detailSlots) slots[id] = element('div', { class: 'slot', 'data-slot': id });
const waiting = element('p', { class: 'hint', id: 'waiting' }, 'Loading the job…');

root.classList.add('job-page');
// Where the job runs comes before the charts: a job that waits for Slurm says so there.
root.append(waiting, headerSlot, actionsSlot, actionStatus, slots.where, charts.root, ...detailSlots.filter((id) => id !== 'where').map((id) => slots[id]), log.root);

let state: JobPageState | undefined;
/** What each part was last drawn from: a part whose input did not change is left alone (its scroll, its open details). */
const drawnFrom = new Map<string, string>();

function redraw(key: string, input: unknown, slot: HTMLElement, render: () => HTMLElement | undefined): void {
  const signature = JSON.stringify(input) ?? '';
  if (drawnFrom.get(key) === signature) return;
  drawnFrom.set(key, signature);
  const content = render();
  slot.replaceChildren(...(content ? [content] : []));
}

function emptyChartsText(snapshot: JobSnapshot): string {
  switch (snapshot.status) {
    case 'queued':
      return snapshot.scheduler ? 'The job waits in the Slurm queue (see Where): the charts start with its first training step.' : 'The job is queued: the charts start with its first training step.';
    case 'preflight':
      return 'Not started: Run Job trains once the preflight below passes; the charts start with the first training step.';
    case 'failed':
      return 'The job failed before its first training step: see the error below.';
    case 'cancelled':
    case 'stopped':
      return 'The job ended before its first training step.';
    default:
      return 'No training step yet: the charts start with the first one.';
  }
}

function drawHeader(): void {
  if (!state) return;
  headerSlot.replaceChildren(renderHeader(state.snapshot, Date.now()));
}

function apply(next: JobPageState): void {
  state = next;
  const snapshot = next.snapshot;
  waiting.hidden = true;
  if (host.api.getState()?.runDir !== snapshot.runDir) host.api.setState({ runDir: snapshot.runDir });
  document.title = `${snapshot.kind === 'serve' ? 'Server' : 'Job'}: ${snapshot.name}`;
  drawHeader();
  // A job file's preflight has no process or run folder: a row of disabled run actions would only be noise.
  redraw('actions', [snapshot.status === 'preflight', snapshot.kind, next.actions], actionsSlot, () =>
    snapshot.status === 'preflight' ? undefined : renderActions(next.actions, (action) => void runAction(action, snapshot.kind), snapshot.kind),
  );
  // A server has no training curves: its facts take the charts' place.
  charts.root.hidden = snapshot.kind === 'serve';
  charts.setEmptyText(emptyChartsText(snapshot));
  charts.update(snapshot.series);
  redraw('where', next.where, slots.where, () => renderWhere(next.where));
  redraw('serving', [snapshot.kind, snapshot.serving, snapshot.ready, snapshot.status], slots.serving, () => renderServing(snapshot));
  redraw('error', snapshot.error, slots.error, () => renderError(snapshot));
  redraw('preflight', next.preflight, slots.preflight, () => (next.preflight ? renderPreflight(next.preflight) : undefined));
  redraw('data-model', [snapshot.data, snapshot.model], slots['data-model'], () => renderDataAndModel(snapshot));
  redraw('environment', [snapshot.environment, next.environment], slots.environment, () => renderEnvironment(snapshot, next.environment));
  redraw('checkpoints', [snapshot.checkpoints, snapshot.adapter, snapshot.merged, snapshot.resumedFrom], slots.checkpoints, () => renderCheckpoints(snapshot));
  redraw('warnings', snapshot.warnings, slots.warnings, () => renderWarnings(snapshot));
  redraw('config', [next.configText, next.configText === undefined ? snapshot.config : undefined], slots.config, () => renderConfig(next.configText, snapshot.config));
}

async function runAction(action: JobPageAction, kind: JobSnapshot['kind']): Promise<void> {
  actionStatus.removeAttribute('data-result');
  actionStatus.textContent = `${actionLabel(action, kind)}…`;
  try {
    await host.request(jobActionRequest, { action });
    actionStatus.textContent = '';
  } catch (error) {
    actionStatus.dataset.result = 'error';
    actionStatus.textContent = error instanceof Error ? error.message : String(error);
  }
}

// Elapsed time and ETA move on their own while the job runs.
setInterval(() => {
  if (state && isActive(state.snapshot.status)) drawHeader();
}, 1000);

host.onNotification(jobStateNotification, apply);
host.onNotification(jobLogNotification, ({ lines, reset }) => log.append(lines, reset));
host.notify(jobPageReadyNotification, {});
