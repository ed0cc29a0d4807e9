import { type JobSnapshot } from './jobTypes';
import { type JobPageState } from '../../../src/shared/jobPageProtocol';
import { element } from '../lib/vscodeApi';
import { formatBinaryBytes, formatCount, formatParameters, formatPercent } from './format';

function table(id: string, rows: [string, string][]): HTMLElement {
  return element('table', { class: 'facts-table', id }, element('tbody', {}, ...rows.map(([label, value]) => element('tr', {}, element('th', { scope: 'row' }, label), element('td', {}, value)))));
}

function section(id: string, title: string, ...children: Node[]): HTMLElement {
  return element('section', { id, class: 'run-section' }, element('h2', {}, title), ...children);
}

/**
 * Where the job runs and how: target, Slurm job, state and reason, nodes, elapsed / limit, processes, the batch plan.
 * The host computes the rows (`whereRows`); values from Slurm are untrusted and go in as text. Nothing for one local process.
 */
export function renderWhere(rows: JobPageState['where']): HTMLElement | undefined {
  if (rows.length === 0) return undefined;
  return section(
    'where',
    'Where',
    table(
      'where-table',
      rows.map((row) => [row.label, row.value]),
    ),
  );
}

/** Examples, tokens, trained tokens and the trainable share of the model. */
export function renderDataAndModel(snapshot: JobSnapshot): HTMLElement | undefined {
  const { data, model } = snapshot;
  if (!data && !model) return undefined;
  const rows: [string, string][] = [];
  if (data?.format !== undefined) rows.push(['Format', data.format]);
  if (data?.trainExamples !== undefined) rows.push(['Training examples', formatCount(data.trainExamples)]);
  if (data?.evalExamples !== undefined) rows.push(['Eval examples', `${formatCount(data.evalExamples)}${data.evalSource ? ` (${data.evalSource})` : ''}`]);
  if (data?.trainTokens !== undefined) rows.push(['Tokens', formatCount(data.trainTokens)]);
  if (data?.trainedTokens !== undefined)
    rows.push(['Trained tokens', `${formatCount(data.trainedTokens)}${data.trainTokens !== undefined ? ` (${formatPercent(data.trainedTokens, data.trainTokens)} of all tokens)` : ''}`]);
  if (data?.truncated !== undefined && data.truncated > 0) rows.push(['Truncated examples', formatCount(data.truncated)]);
  if (data?.dropped !== undefined && data.dropped > 0) rows.push(['Dropped examples', formatCount(data.dropped)]);
  if (model?.trainableParameters !== undefined) {
    const share = model.totalParameters !== undefined ? ` of ${formatParameters(model.totalParameters)} (${formatPercent(model.trainableParameters, model.totalParameters)})` : '';
    rows.push(['Trainable parameters', `${formatParameters(model.trainableParameters)}${share}`]);
  } else if (model?.totalParameters !== undefined) rows.push(['Model parameters', formatParameters(model.totalParameters)]);
  return section('data-model', 'Data and model', table('data-model-table', rows));
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** GPU, precision, attention, packing and versions: the trainer's own report first, the recorded probe for the rest. */
export function renderEnvironment(snapshot: JobSnapshot, probe: Record<string, unknown> | undefined): HTMLElement | undefined {
  const environment = snapshot.environment;
  if (!environment && !probe) return undefined;
  const rows: [string, string][] = [];
  const gpus = environment?.gpus ?? (Array.isArray(probe?.gpus) ? (probe.gpus as { name?: unknown; memory_bytes?: unknown }[]) : []);
  gpus.forEach((gpu, index) => {
    const memory = typeof gpu.memory_bytes === 'number' ? `, ${formatBinaryBytes(gpu.memory_bytes)}` : '';
    rows.push([gpus.length > 1 ? `GPU ${index}` : 'GPU', `${text(gpu.name) ?? 'unknown'}${memory}`]);
  });
  if (gpus.length === 0 && (environment || probe)) rows.push(['GPU', 'none found (CPU only)']);
  if (environment?.precision !== undefined) rows.push(['Precision', environment.precision]);
  if (environment?.attnImplementation !== undefined) rows.push(['Attention', environment.attnImplementation]);
  if (environment?.packing !== undefined) rows.push(['Packing', environment.packing]);
  const torch = environment?.torch ?? text(probe?.torch);
  if (torch) rows.push(['torch', torch]);
  const cuda = environment?.cuda ?? text(probe?.cuda);
  if (cuda) rows.push(['CUDA', cuda]);
  const python = text(probe?.python);
  if (python) rows.push(['Python', python]);
  return section('environment', 'Environment', table('environment-table', rows));
}

/** The resolved config, folded away until asked for. */
export function renderConfig(configText: string | undefined, config: Record<string, unknown> | undefined): HTMLElement | undefined {
  const shown = configText ?? (config ? JSON.stringify(config, null, 2) : undefined);
  if (shown === undefined) return undefined;
  const details = element('details', { id: 'config' }, element('summary', {}, 'Resolved config'), element('pre', { class: 'config-text' }, shown));
  return element('section', { class: 'run-section' }, details);
}

export function renderCheckpoints(snapshot: JobSnapshot): HTMLElement | undefined {
  if (snapshot.checkpoints.length === 0 && snapshot.adapter === undefined) return undefined;
  const rows = snapshot.checkpoints.map((checkpoint) =>
    element('tr', {}, element('td', { class: 'num' }, formatCount(checkpoint.step)), element('td', {}, checkpoint.reason), element('td', {}, element('code', {}, checkpoint.path))),
  );
  const parts: Node[] = [];
  if (rows.length > 0)
    parts.push(
      element(
        'table',
        { id: 'checkpoints-table' },
        element('thead', {}, element('tr', {}, element('th', { class: 'num' }, 'Step'), element('th', {}, 'Why'), element('th', {}, 'Folder'))),
        element('tbody', {}, ...rows),
      ),
    );
  if (snapshot.resumedFrom) parts.push(element('p', { class: 'hint' }, 'Resumed from ', element('code', {}, snapshot.resumedFrom), '.'));
  if (snapshot.adapter !== undefined) parts.push(element('p', { id: 'adapter' }, 'Adapter: ', element('code', {}, snapshot.adapter)));
  if (snapshot.merged !== undefined) parts.push(element('p', { id: 'merged' }, 'Merged model: ', element('code', {}, snapshot.merged)));
  return section('checkpoints', 'Checkpoints', ...parts);
}

export function renderWarnings(snapshot: JobSnapshot): HTMLElement | undefined {
  if (snapshot.warnings.length === 0) return undefined;
  const list = element('ul', { class: 'warnings' }, ...snapshot.warnings.map((warning) => element('li', { 'data-code': warning.code }, element('code', {}, warning.code), ' ', warning.message)));
  return section('warnings', 'Warnings', list);
}

/** Copies text; where the clipboard is refused, selects it so Ctrl+C does. */
async function copyText(text: string, code: HTMLElement, status: HTMLElement): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    status.textContent = 'Copied.';
  } catch {
    const range = document.createRange();
    range.selectNodeContents(code);
    const selection = window.getSelection();
    selection?.removeAllRanges();
    selection?.addRange(range);
    status.textContent = 'Selected: press Ctrl+C (Cmd+C) to copy.';
  }
}

/** The error the trainer ended with: its code, message, what to do, and the command that installs what is missing. */
export function renderError(snapshot: JobSnapshot): HTMLElement | undefined {
  const error = snapshot.error;
  if (!error) return undefined;
  const parts: Node[] = [element('p', { class: 'error-message' }, element('code', { class: 'error-code' }, error.code), ' ', error.message)];
  if (error.errors && error.errors.length > 0) parts.push(element('ul', { class: 'error-list' }, ...error.errors.map((line) => element('li', {}, line))));
  if (error.action !== undefined) parts.push(element('p', { class: 'error-action' }, error.action));
  if (error.install_command !== undefined) {
    const code = element('code', { id: 'install-command' }, error.install_command);
    const status = element('span', { class: 'hint copy-status', role: 'status' });
    const copy = element('button', { type: 'button', id: 'copy-install-command', class: 'secondary', title: 'Copy the install command' }, 'Copy');
    const command = error.install_command;
    copy.addEventListener('click', () => void copyText(command, code, status));
    parts.push(element('div', { class: 'install-command' }, element('pre', {}, code), copy, status));
  }
  return element('section', { class: 'run-section job-error', id: 'job-error', role: 'alert' }, element('h2', {}, 'Error'), ...parts);
}
