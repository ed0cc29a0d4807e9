import { type JobSnapshot } from './jobTypes';
import { element } from '../lib/vscodeApi';
import { formatCount } from './format';

/**
 * A server's facts in place of a trainer's charts: where it listens, whether it answered its health check, the
 * engine and how it runs concurrent requests, the models (adapters with their base), and its request and token totals.
 */
export function renderServing(snapshot: JobSnapshot): HTMLElement | undefined {
  if (snapshot.kind !== 'serve') return undefined;
  const serving = snapshot.serving;
  const rows: [string, string][] = [];
  if (!serving) {
    rows.push(['State', snapshot.status === 'starting' ? 'Loading the model: the URL appears once the server listens.' : 'The server never listened: see the error and the log.']);
  } else {
    const live = snapshot.status === 'running';
    rows.push(['URL', serving.url]);
    rows.push(['State', live ? (snapshot.ready ? 'Ready: it answered its health check' : 'Listening; checking its health…') : endedState(snapshot.status)]);
    rows.push(['API key', serving.apiKeyRequired ? 'Required (Authorization: Bearer <key>)' : 'Not required (this machine only)']);
    rows.push(['Engine', serving.engine]);
    if (serving.batching) rows.push(['Concurrent requests', serving.batching]);
    if (serving.maxConcurrent !== undefined) rows.push(['Limits', `${serving.maxConcurrent} at once${serving.maxQueue !== undefined ? `, ${serving.maxQueue} waiting` : ''}`]);
    rows.push(['Models', serving.models.map((model) => (model.parent ? `${model.id} (adapter on ${model.parent})` : `${model.id}${model.kind === 'embedding' ? ' (embeddings)' : ''}`)).join(', ')]);
    const stats = serving.stats;
    rows.push(['Requests', stats ? `${formatCount(stats.requests)} (${formatCount(stats.active)} running, ${formatCount(stats.queued)} queued, ${formatCount(stats.rejected)} rejected)` : 'none yet']);
    if (stats) rows.push(['Tokens', `${formatCount(stats.promptTokens)} prompt, ${formatCount(stats.completionTokens)} completion`]);
  }
  const table = element(
    'table',
    { class: 'facts-table', id: 'serving-table' },
    element('tbody', {}, ...rows.map(([label, value]) => element('tr', {}, element('th', { scope: 'row' }, label), element('td', {}, value)))),
  );
  return element('section', { id: 'serving', class: 'run-section' }, element('h2', {}, 'Serving'), table);
}

/** What a server that listened and is no longer running is doing, or did. */
function endedState(status: JobSnapshot['status']): string {
  switch (status) {
    case 'stopping':
      return 'Stopping: answers still running get a moment to finish';
    case 'stopped':
    case 'done':
    case 'cancelled':
      return 'Stopped: it no longer listens';
    case 'failed':
      return 'Failed: see the error and the log';
    default:
      return status;
  }
}
