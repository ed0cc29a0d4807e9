import type { EvalReport, WarningCode } from './reportTypes';
import { element } from '../lib/vscodeApi';
import { formatGain, formatScore, metricInfo } from './format';

/** Each warning's icon: what kind of trouble it names (data, cost, judge, runs). */
const warningIcons: Record<WarningCode, string> = {
  'small-eval-set': 'graph',
  'small-training-set': 'database',
  'contamination-training': 'beaker',
  'contamination-examples': 'beaker',
  'documents-change-often': 'git-commit',
  'judge-uncalibrated': 'law',
  'judge-disagrees': 'law',
  'answers-missing': 'warning',
  'many-failures': 'error',
};

const verdictLabels = { better: 'better', worse: 'worse', tie: 'tie (within the noise)' } as const;

/** The recommendation first: headline, reasons, warnings, and what each step up the ladder gained and cost. */
export function renderRecommendation(report: EvalReport): HTMLElement {
  const { recommendation } = report;
  const primary = metricInfo(report, report.primaryMetric);
  const box = element('section', { class: 'recommendation', id: 'recommendation', 'aria-labelledby': 'recommendation-headline' });
  box.append(element('h2', { id: 'recommendation-headline' }, recommendation.headline));
  if (recommendation.reasons.length > 0) box.append(element('ul', { class: 'reasons' }, ...recommendation.reasons.map((reason) => element('li', {}, reason))));
  if (recommendation.warnings.length > 0) {
    box.append(
      element(
        'ul',
        { class: 'warnings', 'aria-label': 'Warnings' },
        ...recommendation.warnings.map((warning) =>
          element(
            'li',
            { class: 'warning', 'data-code': warning.code },
            element('span', { class: `codicon codicon-${warningIcons[warning.code] ?? 'warning'}`, 'aria-hidden': 'true' }),
            element('span', {}, warning.message),
          ),
        ),
      ),
    );
  }
  if (recommendation.ladder.length > 0) {
    const rows = recommendation.ladder.map((step) =>
      element(
        'tr',
        { 'data-verdict': step.verdict },
        element('td', {}, step.from, ' ', element('span', { class: 'codicon codicon-arrow-right', 'aria-label': 'to' }), ' ', step.to),
        element('td', { class: 'number' }, `${formatGain(step.gain.mean, primary)} [${formatScore(step.gain.low, primary)}, ${formatScore(step.gain.high, primary)}]`),
        element('td', { class: 'verdict' }, verdictLabels[step.verdict] ?? step.verdict),
        element('td', {}, step.cost),
      ),
    );
    box.append(
      element(
        'table',
        { class: 'ladder', id: 'ladder' },
        element('caption', {}, `Each step up, on ${primary.label}`),
        element('thead', {}, element('tr', {}, element('th', {}, 'Step'), element('th', {}, 'Gain [95% interval]'), element('th', {}, 'Verdict'), element('th', {}, 'Cost'))),
        element('tbody', {}, ...rows),
      ),
    );
  }
  return box;
}
