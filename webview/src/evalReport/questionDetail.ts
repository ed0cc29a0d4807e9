import type { EvalReport, QuestionAnswerView, QuestionRow, QuestionSummary } from './reportTypes';
import { element } from '../lib/vscodeApi';
import { diffWords } from '../lib/wordDiff';
import { formatCount, formatMs, formatScore, metricInfo } from './format';

export interface DetailActions {
  grade(strategy: string, questionId: string, score: number, note: string): Promise<void>;
  openSource(file: string, line?: number): void;
  focusStrategy(strategy: string): void;
}

/** The top of the hand-grading scale: the judge's, else 5 (the host checks the same). */
export function maxGradeScore(report: EvalReport): number {
  const judge = report.metrics.find((metric) => metric.id === 'judge_score' || metric.id === 'manual_score');
  const top = judge?.range[1];
  return typeof top === 'number' && Number.isInteger(top) && top >= 1 && top <= 100 ? top : 5;
}

/** The answer as a word diff against the reference: words the reference lacks marked, reference words it lacks struck. */
function diffedAnswer(reference: string, content: string): HTMLElement {
  const body = element('div', { class: 'answer-text' });
  for (const part of diffWords(reference, content)) {
    if (part.kind === 'same') body.append(part.text);
    else body.append(element(part.kind === 'added' ? 'ins' : 'del', {}, part.text));
  }
  return body;
}

function collapsible(summary: string, className: string, ...content: (Node | string)[]): HTMLDetailsElement {
  return element('details', { class: className }, element('summary', {}, summary), ...content);
}

function renderAnswer(report: EvalReport, row: QuestionRow, strategy: string, answer: QuestionAnswerView | undefined, focused: boolean, actions: DetailActions): HTMLElement {
  const column = element('article', { class: `answer${focused ? ' focused' : ''}`, 'data-strategy': strategy, tabindex: '-1', 'aria-label': `${strategy}'s answer` });
  column.addEventListener('focusin', () => actions.focusStrategy(strategy));
  column.addEventListener('click', () => actions.focusStrategy(strategy));
  const failed = row.failures.includes(strategy);
  column.append(element('h3', {}, strategy, ...(failed ? [element('span', { class: 'badge failed' }, answer?.status === 'error' ? 'error' : 'below pass')] : [])));
  if (!answer) {
    column.append(element('p', { class: 'hint' }, 'No answer yet.'));
    return column;
  }
  if (answer.error) column.append(element('p', { class: 'answer-error' }, `${answer.error.code}: ${answer.error.message}`));
  if (answer.status === 'done') column.append(diffedAnswer(row.reference, answer.content));
  else if (answer.content.length > 0) column.append(element('div', { class: 'answer-text' }, answer.content));

  const scores = element('dl', { class: 'scores' });
  for (const metric of report.metrics) {
    const value = answer.scores[metric.id];
    if (value === undefined) continue;
    scores.append(
      element(
        'div',
        { class: `score${metric.id === report.primaryMetric ? ' primary' : ''}`, 'data-metric': metric.id },
        element('dt', { title: metric.description }, metric.label),
        element('dd', {}, formatScore(value, metric)),
      ),
    );
  }
  column.append(scores);

  if (answer.judge) {
    const judgeMetric = metricInfo(report, 'judge_score');
    column.append(
      element(
        'div',
        { class: 'judge' },
        element('div', { class: 'judge-score' }, `Judge: ${answer.judge.score !== undefined ? `${answer.judge.score} / ${judgeMetric.range[1]}` : 'no score'}`),
        ...(answer.judge.error !== undefined ? [element('p', { class: 'answer-error' }, answer.judge.error)] : []),
        collapsible("Judge's reasoning", 'judge-reasoning', element('div', { class: 'prose' }, answer.judge.reasoning)),
      ),
    );
  }
  column.append(renderGrading(report, row, strategy, answer, actions));
  if (answer.reasoning !== undefined && answer.reasoning.length > 0) column.append(collapsible("Model's reasoning", 'model-reasoning', element('div', { class: 'prose' }, answer.reasoning)));
  if (answer.passages.length > 0) {
    column.append(
      collapsible(
        `Passages it saw (${answer.passages.length})`,
        'passages',
        ...answer.passages.map((passage) => {
          const link = element(
            'button',
            { type: 'button', class: 'link', title: `Open ${passage.file} at line ${passage.startLine}` },
            `[${passage.index}] ${passage.file}:${passage.startLine}-${passage.endLine}`,
          );
          link.addEventListener('click', (event) => {
            event.stopPropagation();
            actions.openSource(passage.file, passage.startLine);
          });
          return element(
            'div',
            { class: 'passage' },
            link,
            ...(passage.headingPath.length > 0 ? [element('span', { class: 'hint' }, ` ${passage.headingPath.join(' › ')}`)] : []),
            element('span', { class: 'hint' }, ` · score ${passage.score.toFixed(3)}`),
            element('div', { class: 'prose' }, passage.text),
          );
        }),
      ),
    );
  }
  if (answer.examples.length > 0) {
    column.append(
      collapsible(
        `Examples it was given (${answer.examples.length})`,
        'examples',
        ...answer.examples.map((example) =>
          element(
            'div',
            { class: 'example' },
            element('div', { class: 'hint' }, example.source),
            ...example.messages.map((message) => element('div', { class: 'message', 'data-role': message.role }, element('strong', {}, `${message.role}: `), message.content)),
          ),
        ),
      ),
    );
  }
  if (answer.notes.length > 0) column.append(element('ul', { class: 'notes' }, ...answer.notes.map((note) => element('li', {}, note))));
  if (answer.stats) {
    const stats = answer.stats;
    column.append(
      element(
        'p',
        { class: 'hint stats' },
        `${formatCount(stats.promptTokens)} tokens in, ${formatCount(stats.completionTokens)} out · first token ${formatMs(stats.timeToFirstTokenMs)} · total ${formatMs(stats.totalMs)} · ${stats.finishReason}`,
      ),
    );
  }
  return column;
}

function renderGrading(report: EvalReport, row: QuestionRow, strategy: string, answer: QuestionAnswerView, actions: DetailActions): HTMLElement {
  const top = maxGradeScore(report);
  const current = answer.manual?.score;
  const note = element('input', {
    type: 'text',
    class: 'grade-note',
    placeholder: 'Note (optional)',
    'aria-label': `Note on ${strategy}'s grade`,
    maxlength: '2000',
    value: answer.manual?.note ?? '',
  });
  const status = element('span', { class: 'status grade-status', role: 'status' });
  const buttons: HTMLButtonElement[] = [];
  const send = (score: number) => {
    for (const button of buttons) button.disabled = true;
    status.removeAttribute('data-result');
    status.textContent = 'Saving…';
    actions.grade(strategy, row.id, score, note.value.trim()).then(
      () => {
        status.textContent = score === 0 ? 'Cleared' : 'Saved';
      },
      (error: unknown) => {
        for (const button of buttons) button.disabled = false;
        status.dataset.result = 'error';
        status.textContent = error instanceof Error ? error.message : String(error);
      },
    );
  };
  for (let score = 1; score <= top; score++) {
    const button = element(
      'button',
      { type: 'button', class: 'grade', 'data-score': String(score), 'aria-pressed': String(current === score), title: `Grade ${score} of ${top} (key ${score <= 9 ? score : ''})` },
      String(score),
    );
    button.addEventListener('click', (event) => {
      event.stopPropagation();
      send(score);
    });
    buttons.push(button);
  }
  const clear = element('button', { type: 'button', class: 'grade clear', 'data-score': '0', title: 'Clear the grade (key 0)', ...(current === undefined ? { disabled: '' } : {}) }, 'Clear');
  clear.addEventListener('click', (event) => {
    event.stopPropagation();
    send(0);
  });
  buttons.push(clear);
  return element('div', { class: 'grading', role: 'group', 'aria-label': `Grade ${strategy}'s answer by hand` }, element('span', { class: 'hint' }, 'Your grade:'), ...buttons, note, status);
}

/** The selected question: question, reference, and every strategy's answer side by side. */
export function renderQuestionDetail(report: EvalReport, row: QuestionRow | undefined, focusedStrategy: string, actions: DetailActions): HTMLElement {
  if (!row) return element('p', { class: 'hint', id: 'question-detail-empty' }, 'No question matches the filters.');
  const source = element('button', { type: 'button', class: 'link', title: 'Open the eval set at this row' }, `line ${row.line}`);
  source.addEventListener('click', () => actions.openSource(report.evalSet.file, row.line));
  const names = report.strategies.map((strategy) => strategy.name);
  return element(
    'div',
    { class: 'question-detail', id: 'question-detail', 'data-id': row.id },
    element('h3', { class: 'question-title' }, element('span', { class: 'question-id' }, row.id), ' ', source),
    element('div', { class: 'question-body prose', id: 'detail-question' }, row.question),
    element('h4', {}, 'Reference'),
    element('div', { class: 'reference prose', id: 'detail-reference' }, row.reference),
    ...(row.sources.length > 0 ? [element('p', { class: 'hint' }, `Should be answered from: ${row.sources.join(', ')}`)] : []),
    element(
      'p',
      { class: 'hint diff-legend' },
      'In each answer: ',
      element('ins', {}, 'words not in the reference'),
      ', ',
      element('del', {}, 'reference words it left out'),
      '. Keys: j/k question, h/l answer, 1–',
      String(maxGradeScore(report)),
      ' grade, 0 clear.',
    ),
    element('div', { class: 'answers', id: 'answers' }, ...names.map((name) => renderAnswer(report, row, name, row.answers[name], name === focusedStrategy, actions))),
  );
}

/**
 * The selected question while its detail is on its way from the host (or failed to come): the list's line of it, and
 * a status saying which.
 */
export function renderQuestionPending(row: QuestionSummary, error?: string): HTMLElement {
  return element(
    'div',
    { class: 'question-detail pending', id: 'question-pending', 'data-id': row.id, 'aria-busy': String(error === undefined) },
    element('h3', { class: 'question-title' }, element('span', { class: 'question-id' }, row.id), ` line ${row.line}`),
    element('div', { class: 'question-body prose' }, row.question),
    error === undefined
      ? element('p', { class: 'hint', role: 'status' }, element('span', { class: 'codicon codicon-loading codicon-modifier-spin', 'aria-hidden': 'true' }), ' Loading the answers…')
      : element('p', { class: 'status', 'data-result': 'error', role: 'status' }, `The answers could not be loaded: ${error}`),
  );
}
