import { type PreflightFinding } from './jobTypes';
import { type JobPreflightView } from '../../../src/shared/jobPageProtocol';
import { element } from '../lib/vscodeApi';
import { formatCount } from './format';

const severityOrder: Record<PreflightFinding['severity'], number> = { error: 0, warning: 1, information: 2 };
const severityLabels: Record<PreflightFinding['severity'], string> = { error: 'Error', warning: 'Warning', information: 'Note' };

function locationText(finding: PreflightFinding): string | undefined {
  const location = finding.location;
  if (!location) return undefined;
  const position = location.line !== undefined ? `:${location.line}${location.column !== undefined ? `:${location.column}` : ''}` : '';
  return `${location.file}${position}${location.field !== undefined ? ` (${location.field})` : ''}`;
}

/** Findings, errors first, each with what to do about it. */
function findingsList(findings: PreflightFinding[]): HTMLElement {
  if (findings.length === 0) return element('p', { class: 'ok' }, 'Every check passed.');
  const sorted = [...findings].sort((a, b) => severityOrder[a.severity] - severityOrder[b.severity]);
  const list = element('ul', { class: 'findings', id: 'preflight-findings' });
  for (const finding of sorted) {
    const where = locationText(finding);
    list.append(
      element(
        'li',
        { class: `finding severity-${finding.severity}`, 'data-code': finding.code },
        element('span', { class: 'severity' }, severityLabels[finding.severity]),
        element('span', { class: 'message' }, finding.message),
        ...(where !== undefined ? [element('span', { class: 'location' }, where)] : []),
        element('span', { class: 'finding-action' }, finding.action),
      ),
    );
  }
  return list;
}

/** Each example's text with the tokens the loss trains on highlighted. */
function lossMaskPreview(examples: JobPreflightView['examples']): HTMLElement {
  const legend = element(
    'p',
    { class: 'mask-legend' },
    element('span', { class: 'segment trained' }, 'trained'),
    ' tokens count in the loss; ',
    element('span', { class: 'segment context' }, 'context'),
    ' tokens are seen but not learned.',
  );
  const list = element('div', { class: 'mask-examples' });
  for (const example of examples) {
    const text = element('pre', { class: 'mask-text' });
    for (const segment of example.segments) text.append(element('span', { class: segment.trained ? 'segment trained' : 'segment context' }, segment.text));
    list.append(
      element(
        'figure',
        { class: 'mask-example' },
        element('figcaption', {}, element('span', { class: 'source' }, example.source), ` — ${formatCount(example.trainedTokens)} of ${formatCount(example.tokens)} tokens trained`),
        text,
      ),
    );
  }
  return element('div', { class: 'loss-mask', id: 'loss-mask-preview' }, legend, list);
}

export function renderPreflight(preflight: JobPreflightView): HTMLElement {
  const { stats } = preflight;
  // With no tokenizer (the model is missing) nothing was tokenized: "0 tokens, 0 trained" would read as empty data.
  const tokenized =
    stats.labelled > 0 ? `${formatCount(stats.labelled)} checked with the tokenizer: ${formatCount(stats.tokens)} tokens, ${formatCount(stats.trainedTokens)} trained` : 'none tokenized yet';
  const counts = element(
    'p',
    { class: 'preflight-stats', id: 'preflight-stats' },
    `${formatCount(stats.rows)} rows, ${tokenized}`,
    stats.truncated > 0 ? `, ${formatCount(stats.truncated)} truncated` : '',
    stats.dropped > 0 ? `, ${formatCount(stats.dropped)} dropped` : '',
    '.',
    stats.evalFile !== undefined ? ` Eval file: ${stats.evalFile}.` : '',
  );
  const verdict = element(
    'p',
    { class: preflight.ok ? 'ok' : 'errors', id: 'preflight-verdict' },
    preflight.ok ? 'Preflight passed: the job may start.' : 'Preflight failed: fix the errors below before the job can start.',
  );
  const parts: Node[] = [element('h2', {}, 'Preflight'), verdict, findingsList(preflight.findings), counts];
  if (preflight.examples.length > 0) parts.push(element('h3', {}, 'Loss-mask preview'), lossMaskPreview(preflight.examples));
  return element('section', { class: 'preflight', id: 'preflight' }, ...parts);
}
