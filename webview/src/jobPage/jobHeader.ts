import { type JobSnapshot, type JobStatus } from './jobTypes';
import { type JobPageAction, type JobPageState } from '../../../src/shared/jobPageProtocol';
import { element } from '../lib/vscodeApi';
import { formatCount, formatDuration, formatLoss } from './format';

const statusLabels: Record<JobStatus, string> = {
  queued: 'Queued',
  preflight: 'Preflight',
  starting: 'Starting',
  running: 'Running',
  stopping: 'Stopping',
  stopped: 'Stopped',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
};

const phaseLabels: Record<string, string> = {
  probing: 'Checking the environment',
  loading_model: 'Loading the model',
  preparing_data: 'Preparing the data',
  training: 'Training',
  saving: 'Saving',
  merging: 'Merging',
  serving: 'Serving',
  done: 'Done',
  failed: 'Failed',
  stopped: 'Stopped',
};

/** The page's buttons, in the order they appear, with their labels. */
export const actionLabels: Record<JobPageAction, string> = {
  stop: 'Stop and save',
  cancel: 'Cancel',
  resume: 'Resume',
  checkpoint: 'Checkpoint now',
  openRunFolder: 'Open run folder',
  showLog: 'Show log',
  showScript: 'Show sbatch script',
  chat: 'Chat with the result',
  export: 'Export',
};
const actionOrder: JobPageAction[] = ['stop', 'cancel', 'resume', 'checkpoint', 'openRunFolder', 'showLog', 'showScript', 'chat', 'export'];
/** The actions that stop or change the run: drawn as primary buttons, the others as secondary ones. */
const primaryActions = new Set<JobPageAction>(['stop', 'resume', 'chat']);

export function isActive(status: JobStatus): boolean {
  return status === 'queued' || status === 'preflight' || status === 'starting' || status === 'running' || status === 'stopping';
}

/** Seconds the job has run: to its end, or to now while it runs. */
export function elapsedSeconds(snapshot: JobSnapshot, now: number): number | undefined {
  if (snapshot.startedAt === undefined) return undefined;
  const end = snapshot.endedAt ?? (isActive(snapshot.status) ? now : undefined);
  return end === undefined ? undefined : Math.max(0, (end - snapshot.startedAt) / 1000);
}

/**
 * The status badge's words and tooltip: a Slurm job that waits in the cluster's queue (not this window's) is "Pending in
 * Slurm", with Slurm's state and reason in the tooltip (Slurm's `None`/`(null)` say there is none).
 */
export function statusBadgeText(snapshot: Pick<JobSnapshot, 'status' | 'scheduler'>): { text: string; title?: string } {
  const scheduler = snapshot.scheduler;
  if (snapshot.status !== 'queued' || scheduler === undefined) return { text: statusLabels[snapshot.status] };
  const reason = scheduler.reason?.trim();
  const shownReason = reason && reason !== 'None' && reason !== '(null)' ? reason : undefined;
  return { text: 'Pending in Slurm', title: `Slurm job ${scheduler.jobId}: ${scheduler.state}${shownReason ? ` (${shownReason})` : ''}` };
}

function fact(id: string, label: string, value: string): HTMLElement {
  return element('div', { class: 'fact', id }, element('dt', {}, label), element('dd', {}, value));
}

/** Name, status badge, phase, progress and times. */
export function renderHeader(snapshot: JobSnapshot, now: number): HTMLElement {
  const status = statusBadgeText(snapshot);
  const badge = element('span', { class: `status-badge status-${snapshot.status}`, id: 'job-status', ...(status.title !== undefined ? { title: status.title } : {}) }, status.text);
  const title = element('h1', { id: 'job-name' }, snapshot.name);
  const facts = element('dl', { class: 'facts' });
  if (snapshot.phase !== undefined) facts.append(fact('job-phase', 'Phase', phaseLabels[snapshot.phase] ?? snapshot.phase));
  if (snapshot.method !== undefined) facts.append(fact('job-method', 'Method', snapshot.method));
  const steps = snapshot.totalSteps !== undefined ? `${formatCount(snapshot.step)} / ${formatCount(snapshot.totalSteps)}` : formatCount(snapshot.step);
  // A preflight has no steps yet: "Step 0" would read as a run that is stuck; a server never has any.
  if (snapshot.status !== 'preflight' && snapshot.kind !== 'serve') facts.append(fact('job-step', 'Step', steps));
  if (snapshot.epoch !== undefined) facts.append(fact('job-epoch', 'Epoch', snapshot.epoch.toFixed(2)));
  if (snapshot.etaSeconds !== undefined && isActive(snapshot.status)) facts.append(fact('job-eta', 'ETA', formatDuration(snapshot.etaSeconds)));
  const elapsed = elapsedSeconds(snapshot, now);
  if (elapsed !== undefined) facts.append(fact('job-elapsed', 'Elapsed', formatDuration(elapsed)));
  if (snapshot.lastLoss !== undefined) facts.append(fact('job-loss', 'Loss', formatLoss(snapshot.lastLoss)));
  // The trainer's `train_loss` at the end is the mean over the whole run, not the last step's.
  if (snapshot.finalLoss !== undefined) facts.append(fact('job-mean-loss', 'Mean loss', formatLoss(snapshot.finalLoss)));
  if (snapshot.lastEvalLoss !== undefined) facts.append(fact('job-eval-loss', 'Eval loss', formatLoss(snapshot.lastEvalLoss)));
  const progress = element('div', { class: 'progress', role: 'progressbar', 'aria-label': 'Training progress' });
  if (snapshot.totalSteps !== undefined && snapshot.totalSteps > 0) {
    const fraction = Math.min(1, snapshot.step / snapshot.totalSteps);
    progress.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
    progress.setAttribute('aria-valuemin', '0');
    progress.setAttribute('aria-valuemax', '100');
    const bar = element('div', { class: 'progress-bar' });
    bar.style.width = `${(fraction * 100).toFixed(1)}%`;
    progress.append(bar);
  } else progress.hidden = true;
  return element('header', { class: 'job-header' }, element('div', { class: 'title-row' }, title, badge), facts, progress);
}

/** An action's label for this kind of job: a server has nothing to save when it stops. */
export function actionLabel(action: JobPageAction, kind?: JobSnapshot['kind']): string {
  return action === 'stop' && kind === 'serve' ? 'Stop server' : actionLabels[action];
}

/** The action buttons; a disabled one says why in its tooltip and to screen readers. */
export function renderActions(actions: JobPageState['actions'], onAction: (action: JobPageAction) => void, kind?: JobSnapshot['kind']): HTMLElement {
  const bar = element('div', { class: 'actions job-actions', role: 'toolbar', 'aria-label': 'Job actions' });
  const byAction = new Map(actions.map((entry) => [entry.action, entry]));
  for (const action of actionOrder) {
    const entry = byAction.get(action);
    if (!entry) continue;
    const button = element('button', { type: 'button', id: `action-${action}`, 'data-action': action, class: primaryActions.has(action) ? 'primary' : 'secondary' }, actionLabel(action, kind));
    if (!entry.enabled) {
      button.disabled = true;
      const reason = entry.reason ?? 'Not available now.';
      button.title = reason;
      button.setAttribute('aria-description', reason);
    }
    button.addEventListener('click', () => onAction(action));
    bar.append(button);
  }
  return bar;
}
