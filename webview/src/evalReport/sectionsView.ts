import type { EvalReport } from './reportTypes';
import { element } from '../lib/vscodeApi';
import { formatCount, formatDate, formatGain, formatPercent, formatScore, metricInfo } from './format';

/** Win rate and verdict of every pair on the primary metric: row strategy against column strategy. */
export function renderPairwise(report: EvalReport): HTMLElement | undefined {
  if (report.pairwise.length === 0) return undefined;
  const metric = metricInfo(report, report.primaryMetric);
  const names = report.strategies.map((row) => row.name);
  const cell = (a: string, b: string): HTMLElement => {
    if (a === b) return element('td', { class: 'diagonal' }, '—');
    const direct = report.pairwise.find((p) => p.a === a && p.b === b);
    const reverse = direct ? undefined : report.pairwise.find((p) => p.a === b && p.b === a);
    const pair = direct ?? reverse;
    if (!pair) return element('td', {}, '');
    const winRate = direct ? pair.winRateA : 1 - pair.winRateA;
    const mean = direct ? pair.difference.mean : -pair.difference.mean;
    const outcome = pair.verdict === 'tie' ? 'tie' : (pair.verdict === 'a') === Boolean(direct) ? 'win' : 'loss';
    const wins = direct ? pair.winsA : pair.winsB;
    const losses = direct ? pair.winsB : pair.winsA;
    return element(
      'td',
      { class: 'pair', 'data-outcome': outcome, 'data-a': a, 'data-b': b, title: `${a} against ${b}: ${wins} wins, ${losses} losses, ${pair.ties} ties; mean difference ${formatGain(mean, metric)}` },
      element('span', { class: 'win-rate' }, formatPercent(winRate)),
      element('span', { class: 'verdict' }, outcome === 'tie' ? 'tie' : outcome === 'win' ? 'better' : 'worse'),
    );
  };
  return element(
    'section',
    { id: 'pairwise' },
    element('h2', {}, 'Head to head'),
    element('p', { class: 'hint' }, `How often the row's strategy beat the column's on ${metric.label} (questions both answered), and whether the difference is beyond the noise.`),
    element(
      'div',
      { class: 'table-scroll' },
      element(
        'table',
        { class: 'pairwise' },
        element('thead', {}, element('tr', {}, element('th', {}, ''), ...names.map((name) => element('th', { scope: 'col' }, name)))),
        element('tbody', {}, ...names.map((a) => element('tr', {}, element('th', { scope: 'row' }, a), ...names.map((b) => cell(a, b))))),
      ),
    ),
  );
}

/** Overlap of the eval set with training data and few-shot examples. */
export function renderContamination(report: EvalReport): HTMLElement | undefined {
  const { contamination } = report;
  if (contamination.checkedFiles.length === 0 && contamination.findings.length === 0) return undefined;
  const section = element('section', { id: 'contamination' }, element('h2', {}, 'Contamination'));
  section.append(
    element(
      'p',
      { class: contamination.findings.length > 0 ? 'warning-text' : 'hint' },
      contamination.findings.length > 0
        ? `${formatCount(contamination.trainingOverlap)} eval questions appear in the training data and ${formatCount(contamination.examplesOverlap)} in the few-shot examples: scores on them say little.`
        : `No eval question was found in the ${formatCount(contamination.checkedFiles.length)} files checked.`,
    ),
  );
  if (contamination.findings.length > 0) {
    const shown = contamination.findings.slice(0, 200);
    section.append(
      element(
        'table',
        { class: 'findings' },
        element('thead', {}, element('tr', {}, element('th', {}, 'Question'), element('th', {}, 'Found in'), element('th', {}, 'Kind'), element('th', {}, 'Similarity'))),
        element(
          'tbody',
          {},
          ...shown.map((finding) =>
            element(
              'tr',
              {},
              element('td', {}, `${finding.questionId} (line ${finding.line})`),
              element('td', {}, finding.source),
              element('td', {}, finding.kind),
              element('td', { class: 'number' }, formatPercent(finding.similarity)),
            ),
          ),
        ),
      ),
    );
    if (contamination.findings.length > shown.length)
      section.append(element('p', { class: 'hint' }, `And ${formatCount(contamination.findings.length - shown.length)} more: export the report to see them all.`));
  }
  return section;
}

export function renderDocumentChurn(report: EvalReport): HTMLElement | undefined {
  const churn = report.documentChurn;
  if (!churn) return undefined;
  return element(
    'section',
    { id: 'document-churn' },
    element('h2', {}, 'Document churn'),
    element(
      'p',
      {},
      `${formatCount(churn.filesChangedLast90Days)} of ${formatCount(churn.files)} documents changed in the last 90 days (${formatCount(churn.commitsLast90Days)} commits)${churn.lastChange !== undefined ? `; last change ${formatDate(churn.lastChange)}` : ''}. Retrieval reads the documents as they are; a fine-tune knows them as they were when it trained.`,
    ),
  );
}

export function renderJudgeCalibration(report: EvalReport): HTMLElement | undefined {
  const calibration = report.judgeCalibration;
  if (!calibration) return undefined;
  const fact = (label: string, value: string) => element('div', { class: 'fact' }, element('dt', {}, label), element('dd', {}, value));
  return element(
    'section',
    { id: 'judge-calibration' },
    element('h2', {}, 'Judge against your grades'),
    element('p', { class: 'hint' }, `On the ${formatCount(calibration.graded)} answers graded by hand.`),
    element(
      'dl',
      { class: 'facts' },
      fact('Same score', formatPercent(calibration.exactAgreement)),
      fact('Within one', formatPercent(calibration.withinOne)),
      fact('Same pass/fail', formatPercent(calibration.passAgreement)),
      fact('Mean absolute error', formatScore(calibration.meanAbsoluteError, metricInfo(report, 'judge_score'))),
    ),
  );
}
