/**
 * The report as files: Markdown (also the CLI's summary on stdout), CSV (one row per question × strategy, for a
 * spreadsheet) and JSON (the report itself). Everything from outside — questions, references, answers, file names,
 * descriptions — is written inert: in Markdown escaped so it cannot become a link, an image, HTML or a table cell
 * boundary; in CSV quoted by RFC 4180 and kept from being read as a spreadsheet formula.
 */
import { type EvalReport, type Interval, type MetricId, type MetricInfo, type QuestionRow } from './evalTypes';
import { formatCount, formatHours, formatInterval, formatPercent, formatScore } from './reportNumbers';

/** Questions listed under "Worst questions". */
const worstQuestionsShown = 10;
/** Longest text shown in a Markdown table cell before it is cut with "…". */
const maxCellText = 160;

export function reportJson(report: EvalReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export function reportMarkdown(report: EvalReport): string {
  const lines: string[] = [];
  const primary = metricOf(report, report.primaryMetric);
  lines.push(`# Comparison: ${inline(report.comparison.name)}`, '');
  if (report.comparison.description !== undefined) lines.push(inline(report.comparison.description), '');
  lines.push(
    `Eval set ${inline(report.evalSet.file)}: ${formatCount(report.evalSet.questions)} questions. Primary metric: ${inline(primary.label)}. Made ${new Date(report.createdAt).toISOString()}.`,
    '',
  );

  const recommendation = report.recommendation;
  lines.push('## Recommendation', '', `**${inline(recommendation.headline)}**`, '');
  for (const reason of recommendation.reasons) lines.push(`- ${inline(reason)}`);
  if (recommendation.reasons.length > 0) lines.push('');
  if (recommendation.warnings.length > 0) {
    lines.push('### Warnings', '');
    for (const warning of recommendation.warnings) lines.push(`- **${warning.code}**: ${inline(warning.message)}`);
    lines.push('');
  }

  lines.push('## Strategies', '');
  lines.push(
    table(
      ['Strategy', 'Recipe', ...report.metrics.map((metric) => metric.label), 'Time to first token (ms)', 'Total (ms)', 'Prompt tokens / answer', 'Answered', 'Failed', 'Training'],
      report.strategies.map((row) => [
        row.name,
        `${row.model}; ${row.recipe}`,
        ...report.metrics.map((metric) => intervalCell(row.metrics[metric.id])),
        latencyCell(row.latency.timeToFirstTokenMs),
        latencyCell(row.latency.totalMs),
        formatCount(row.tokens.promptPerAnswer),
        formatCount(row.answered),
        formatCount(row.failed),
        trainingCell(row.training),
      ]),
    ),
    '',
  );

  if (recommendation.ladder.length > 0) {
    lines.push('## What each step up gained and cost', '');
    lines.push(
      table(
        ['Step', `Gain (${primary.label})`, 'Verdict', 'Cost'],
        recommendation.ladder.map((step) => [`${step.from} → ${step.to}`, step.gain.n > 0 ? formatInterval(step.gain, true) : 'not paired', step.verdict, step.cost]),
      ),
      '',
    );
  }

  if (report.pairwise.length > 0) {
    lines.push(`## Pairwise (${inline(primary.label)}, paired by question)`, '');
    lines.push(
      table(
        ['A', 'B', 'Difference A − B', 'Wins A / B / ties', 'Win rate A', 'Verdict'],
        report.pairwise.map((pair) => [
          pair.a,
          pair.b,
          formatInterval(pair.difference, true),
          `${pair.winsA} / ${pair.winsB} / ${pair.ties}`,
          formatPercent(pair.winRateA),
          pair.verdict === 'tie' ? 'tie' : `${pair.verdict === 'a' ? pair.a : pair.b} better`,
        ]),
      ),
      '',
    );
  }

  const worst = worstQuestions(report);
  if (worst.length > 0) {
    lines.push('## Worst questions', '');
    lines.push(
      table(
        ['Question', 'Reference', ...report.strategies.map((row) => row.name)],
        worst.map((row) => [`${row.id} (line ${row.line}): ${row.question}`, row.reference, ...report.strategies.map((strategy) => answerCell(row, strategy.name, report.primaryMetric))]),
      ),
      '',
    );
  }

  if (report.judgeCalibration !== undefined) {
    const calibration = report.judgeCalibration;
    lines.push(
      '## Judge against hand grades',
      '',
      `${formatCount(calibration.graded)} graded answers: exact agreement ${formatPercent(calibration.exactAgreement)}, within one point ${formatPercent(calibration.withinOne)}, same pass or fail ${formatPercent(calibration.passAgreement)}, mean absolute error ${formatScore(calibration.meanAbsoluteError)}.`,
      '',
    );
  }
  if (report.contamination.findings.length > 0) {
    lines.push('## Contamination', '');
    lines.push(
      table(
        ['Question', 'Line', 'Kind', 'Found in', 'Similarity'],
        report.contamination.findings.map((finding) => [finding.questionId, String(finding.line), finding.kind, finding.source, formatScore(finding.similarity)]),
      ),
      '',
    );
  }
  if (report.documentChurn !== undefined) {
    const churn = report.documentChurn;
    lines.push(
      '## Documents',
      '',
      `${formatCount(churn.files)} tracked files; ${formatCount(churn.filesChangedLast90Days)} changed in the last 90 days, in ${formatCount(churn.commitsLast90Days)} commits${churn.lastChange !== undefined ? `; last change ${new Date(churn.lastChange).toISOString()}` : ''}.`,
      '',
    );
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** One row per question × strategy: the question, the answer, every metric of the report, tokens and latency. */
export function reportCsv(report: EvalReport): string {
  const metrics: MetricId[] = report.metrics.map((metric) => metric.id);
  const header = [
    'question_id',
    'line',
    'question',
    'reference',
    'strategy',
    'status',
    'answer',
    'error',
    ...metrics,
    'manual_note',
    'prompt_tokens',
    'completion_tokens',
    'time_to_first_token_ms',
    'total_ms',
  ];
  const rows: string[] = [header.map(csvCell).join(',')];
  for (const question of report.questions) {
    for (const strategy of report.strategies) {
      const answer = question.answers[strategy.name];
      if (answer === undefined) continue;
      const cells: (string | number | undefined)[] = [
        question.id,
        question.line,
        question.question,
        question.reference,
        strategy.name,
        answer.status,
        answer.content,
        answer.error !== undefined ? `${answer.error.code}: ${answer.error.message}` : undefined,
        ...metrics.map((metric) => answer.scores[metric]),
        answer.manual?.note,
        answer.stats?.promptTokens,
        answer.stats?.completionTokens,
        answer.stats?.timeToFirstTokenMs,
        answer.stats?.totalMs,
      ];
      rows.push(cells.map(csvCell).join(','));
    }
  }
  return `${rows.join('\r\n')}\r\n`;
}

/**
 * One CSV field by RFC 4180 (quoted when it holds a quote, comma or line break; quotes doubled). Text that a
 * spreadsheet would run as a formula (starting with = + - @, or a tab or carriage return) is prefixed with `'`;
 * numbers are written as numbers.
 */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const guarded = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(guarded) ? `"${guarded.replace(/"/g, '""')}"` : guarded;
}

/**
 * Text from outside made inert in Markdown, on one line: HTML special characters as entities (no tag, no autolink),
 * line breaks as spaces, and the Markdown punctuation that could start emphasis, code, strike-through, a table cell
 * boundary, an image or a link escaped. Brackets alone stay as they are (they are literal text without `(`, `[` or
 * `:` after them), so intervals such as `0.71 [0.64, 0.78]` read the same on a terminal; an underscore inside a
 * word stays too (it cannot start emphasis there).
 */
export function inline(text: string): string {
  return text
    .replace(/[\r\n]+/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/[\\`*|~]|!(?=\[)|\](?=[([:])|(?<![\p{L}\p{N}])_|_(?![\p{L}\p{N}])|^#/gu, (character) => `\\${character}`);
}

function cell(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return inline(flat.length > maxCellText ? `${flat.slice(0, maxCellText - 1)}…` : flat);
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.map(cell).join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`)].join('\n');
}

function metricOf(report: EvalReport, id: MetricId): MetricInfo {
  return report.metrics.find((metric) => metric.id === id) ?? { id, label: id, description: '', range: [0, 1], higherIsBetter: true };
}

function intervalCell(interval: Interval | undefined): string {
  return interval === undefined || interval.n === 0 ? '—' : formatInterval(interval);
}

function latencyCell(interval: Interval | undefined): string {
  if (interval === undefined || interval.n === 0) return '—';
  return `${formatCount(interval.mean)} [${formatCount(interval.low)}, ${formatCount(interval.high)}]`;
}

function trainingCell(training: EvalReport['strategies'][number]['training']): string {
  if (training === undefined) return '';
  if (training.status === 'missing') return `run not found (${training.run})`;
  const parts: string[] = [];
  if (training.gpuHours !== undefined) parts.push(`${formatHours(training.gpuHours)} GPU h`);
  else if (training.seconds !== undefined) parts.push(`${formatHours(training.seconds / 3600)} h`);
  if (training.trainExamples !== undefined) parts.push(`${formatCount(training.trainExamples)} examples`);
  if (training.status !== undefined && training.status !== 'done') parts.push(training.status);
  return parts.join(', ');
}

function answerCell(row: QuestionRow, strategy: string, metric: MetricId): string {
  const answer = row.answers[strategy];
  if (answer === undefined) return '—';
  if (answer.status === 'error') return `error: ${answer.error?.code ?? 'failed'}`;
  const value = answer.scores[metric];
  return value === undefined ? answer.status : formatScore(value);
}

/** The questions the strategies did worst on: lowest mean primary score first, then most failures. */
function worstQuestions(report: EvalReport): QuestionRow[] {
  const ranked = report.questions
    .map((row) => {
      let sum = 0;
      let count = 0;
      for (const answer of Object.values(row.answers)) {
        const value = answer.scores[report.primaryMetric];
        if (value !== undefined && Number.isFinite(value)) {
          sum += value;
          count++;
        }
      }
      return { row, mean: count > 0 ? sum / count : Infinity };
    })
    .filter((entry) => entry.row.failures.length > 0);
  ranked.sort((a, b) => a.mean - b.mean || b.row.failures.length - a.row.failures.length || a.row.line - b.row.line);
  return ranked.slice(0, worstQuestionsShown).map((entry) => entry.row);
}
