import type { QuestionRow, QuestionSummary } from './reportTypes';
import {
  evalReportExportRequest,
  evalReportGradeRequest,
  evalReportOpenSourceRequest,
  evalReportProgressNotification,
  evalReportQuestionRequest,
  evalReportReadyNotification,
  evalReportRerunRequest,
  evalReportSearchRequest,
  evalReportStateNotification,
  evalReportStopRequest,
  type EvalExportFormat,
  type EvalQuestionDetail,
  type EvalReportState,
} from '../../../src/shared/evalReportProtocol';
import { HostConnection } from '../lib/hostConnection';
import { connectToHost, element } from '../lib/vscodeApi';
import { renderCostScatter, renderForestPlot, type CostAxis } from './charts';
import { renderHeader } from './headerView';
import { maxGradeScore, renderQuestionDetail, renderQuestionPending } from './questionDetail';
import { QuestionList } from './questionList';
import { renderRecommendation } from './recommendationView';
import { renderContamination, renderDocumentChurn, renderJudgeCalibration, renderPairwise } from './sectionsView';
import { renderStrategyTable, type TableSort } from './strategyTable';

/**
 * The eval report: header and actions, the recommendation, the strategy table, charts, head-to-head, the data
 * checks, and the questions (a virtualized list and the selected question's answers side by side). The host sends the
 * report's summary; the selected question's detail (every answer, what it saw) is asked for on selection, kept for
 * the last few questions, and asked for ahead for the questions j/k go to next. Everything in the report came from
 * files and models: it goes into the page as text nodes and SVG attributes, never as markup. The saved state is the
 * report file, so the host restores the page after a reload.
 */
interface SavedState {
  reportFile: string;
}

const host = new HostConnection<SavedState>(connectToHost<unknown, SavedState>());
const root = document.getElementById('root')!;
/** `?virtualize=0` draws every question row: the benchmark's peer, never used in VS Code. */
const virtualize = new URLSearchParams(location.search).get('virtualize') !== '0';

const waiting = element('p', { class: 'hint', id: 'waiting' }, 'Loading the report…');
const headerSlot = element('div', { id: 'header-slot' });
const actionStatus = element('p', { class: 'status', id: 'action-status', role: 'status' });
const recommendationSlot = element('div', { id: 'recommendation-slot' });
const tableSlot = element('section', { id: 'strategies', 'aria-label': 'Strategies' });
const chartsSlot = element('section', { class: 'charts', id: 'charts', 'aria-label': 'Charts' });
const sectionsSlot = element('div', { id: 'sections-slot' });
const detailSlot = element('div', { class: 'detail-slot' });
const questionList = new QuestionList(
  (row) => showQuestion(row),
  async (text) => (await host.request(evalReportSearchRequest, { text })).ids,
  virtualize,
);
const questionsSection = element('section', { id: 'questions' }, element('h2', {}, 'Questions'), questionList.root, detailSlot);

root.classList.add('eval-report');
root.append(waiting, headerSlot, actionStatus, recommendationSlot, element('h2', {}, 'Strategies'), tableSlot, chartsSlot, sectionsSlot, questionsSection);

let state: EvalReportState | undefined;
let sort: TableSort = { key: '', descending: true };
let costAxis: CostAxis = 'tokens';
let focusedStrategy = '';
let selected: QuestionSummary | undefined;
/** Details of the questions seen last (most recent last), of the report revision shown. */
const details = new Map<string, QuestionRow>();
const detailsKept = 48;
/** Details asked for and not yet answered, by question id (of the revision shown). */
const detailRequests = new Map<string, Promise<EvalQuestionDetail>>();
let firstRender = true;

async function act(label: string, work: () => Promise<unknown>, done?: (result: unknown) => string): Promise<void> {
  actionStatus.removeAttribute('data-result');
  actionStatus.textContent = `${label}…`;
  try {
    const result = await work();
    actionStatus.textContent = done ? done(result) : '';
  } catch (error) {
    actionStatus.dataset.result = 'error';
    actionStatus.textContent = error instanceof Error ? error.message : String(error);
  }
}

const headerActions = {
  rerun: () => void act('Starting the run', () => host.request(evalReportRerunRequest, {})),
  stop: () => void act('Stopping', () => host.request(evalReportStopRequest, {})),
  exportAs: (format: EvalExportFormat) =>
    void act(
      'Exporting',
      () => host.request(evalReportExportRequest, { format }),
      (saved) => (typeof saved === 'string' ? `Saved ${saved}` : ''),
    ),
};

const detailActions = {
  grade: (strategy: string, questionId: string, score: number, note: string) => host.request(evalReportGradeRequest, { strategy, questionId, score, ...(note.length > 0 ? { note } : {}) }),
  openSource: (file: string, line?: number) => void act('Opening', () => host.request(evalReportOpenSourceRequest, { file, ...(line !== undefined ? { line } : {}) })),
  focusStrategy: (strategy: string) => {
    if (strategy === focusedStrategy) return;
    focusedStrategy = strategy;
    for (const column of detailSlot.querySelectorAll<HTMLElement>('article.answer')) column.classList.toggle('focused', column.dataset.strategy === strategy);
  },
};

function keepDetail(detail: EvalQuestionDetail): void {
  if (detail.revision !== state?.revision) return;
  details.delete(detail.question.id);
  details.set(detail.question.id, detail.question);
  while (details.size > detailsKept) details.delete(details.keys().next().value!);
}

/** A question's detail: kept, asked for already, or asked for now. */
function fetchDetail(questionId: string): Promise<EvalQuestionDetail> {
  const kept = details.get(questionId);
  if (kept && state) return Promise.resolve({ revision: state.revision, question: kept });
  let request = detailRequests.get(questionId);
  if (!request) {
    request = host.request(evalReportQuestionRequest, { questionId });
    const asked = request;
    detailRequests.set(questionId, asked);
    const settle = () => {
      if (detailRequests.get(questionId) === asked) detailRequests.delete(questionId);
    };
    asked.then((detail) => (settle(), keepDetail(detail)), settle);
  }
  return request;
}

function drawDetail(question: QuestionRow): void {
  if (state) detailSlot.replaceChildren(renderQuestionDetail(state.report, question, focusedStrategy, detailActions));
}

function showQuestion(row: QuestionSummary | undefined): void {
  selected = row;
  if (!state) return;
  if (!row) {
    detailSlot.replaceChildren(renderQuestionDetail(state.report, undefined, focusedStrategy, detailActions));
    return;
  }
  const kept = details.get(row.id);
  if (kept) drawDetail(kept);
  // A question shown already (its report changed: a grade) stays up until its new detail comes.
  else if (detailSlot.firstElementChild?.getAttribute('data-id') !== row.id) detailSlot.replaceChildren(renderQuestionPending(row));
  if (!kept) {
    fetchDetail(row.id).then(
      (detail) => {
        // Read from a report older than the one shown: the newer state asked again when it came.
        if (selected?.id === row.id && state && detail.revision >= state.revision) drawDetail(detail.question);
      },
      (error: unknown) => {
        if (selected?.id === row.id && !details.has(row.id)) detailSlot.replaceChildren(renderQuestionPending(row, error instanceof Error ? error.message : String(error)));
      },
    );
  }
  // What j/k show next: asked for now, so they are here when the key is pressed.
  for (const id of questionList.neighbours(row.id)) if (!details.has(id)) fetchDetail(id).catch(() => undefined);
}

function drawTable(): void {
  if (state) tableSlot.replaceChildren(renderStrategyTable(state.report, sort, (next) => ((sort = next), drawTable())));
}

function drawCharts(): void {
  if (!state) return;
  chartsSlot.replaceChildren(
    renderForestPlot(state.report),
    renderCostScatter(state.report, costAxis, (axis) => ((costAxis = axis), drawCharts())),
  );
}

function drawHeader(): void {
  if (state) headerSlot.replaceChildren(renderHeader(state, headerActions));
}

function apply(next: EvalReportState): void {
  if (firstRender) performance.mark('eval-report-state');
  const reportChanged = state?.report !== next.report;
  if (state?.revision !== next.revision) {
    details.clear();
    detailRequests.clear();
  }
  state = next;
  waiting.hidden = true;
  if (host.api.getState()?.reportFile !== next.reportFile) host.api.setState({ reportFile: next.reportFile });
  document.title = `Report: ${next.report.comparison.name}`;
  drawHeader();
  if (!reportChanged) return;
  const names = next.report.strategies.map((row) => row.name);
  if (!names.includes(focusedStrategy)) focusedStrategy = names[0] ?? '';
  if (sort.key === '') sort = { key: `metric:${next.report.primaryMetric}`, descending: true };
  recommendationSlot.replaceChildren(renderRecommendation(next.report));
  drawTable();
  drawCharts();
  sectionsSlot.replaceChildren(
    ...[renderPairwise(next.report), renderContamination(next.report), renderDocumentChurn(next.report), renderJudgeCalibration(next.report)].filter(
      (section): section is HTMLElement => section !== undefined,
    ),
  );
  questionList.setReport(next.report);
  if (firstRender) {
    firstRender = false;
    // The first paint of the table and the list: what bench/eval/reportOpen.ts measures from navigation start.
    requestAnimationFrame(() => setTimeout(() => performance.mark('eval-report-rendered'), 0));
  }
}

function typing(target: EventTarget | null): boolean {
  return target instanceof HTMLElement && (target.isContentEditable || ['INPUT', 'SELECT', 'TEXTAREA'].includes(target.tagName));
}

/** j/k: next/previous question; h/l: previous/next answer; 1..max: grade the focused answer; 0: clear its grade. */
document.addEventListener('keydown', (event) => {
  if (!state || typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
  const names = state.report.strategies.map((row) => row.name);
  if (event.key === 'j' || event.key === 'k') {
    questionList.move(event.key === 'j' ? 1 : -1);
    event.preventDefault();
  } else if ((event.key === 'h' || event.key === 'l') && names.length > 0) {
    const index = names.indexOf(focusedStrategy);
    detailActions.focusStrategy(names[Math.min(names.length - 1, Math.max(0, index + (event.key === 'l' ? 1 : -1)))]!);
    detailSlot.querySelector<HTMLElement>('article.answer.focused')?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
    event.preventDefault();
  } else if (/^[0-9]$/.test(event.key) && selected) {
    const score = Number(event.key);
    if (score > maxGradeScore(state.report)) return;
    const button = detailSlot.querySelector<HTMLButtonElement>(`article.answer.focused button.grade[data-score="${score}"]`);
    if (button && !button.disabled) button.click();
    event.preventDefault();
  }
});

host.onNotification(evalReportStateNotification, apply);
host.onNotification(evalReportProgressNotification, ({ running }) => {
  if (!state) return;
  const { running: _previous, ...rest } = state;
  void _previous;
  state = running !== undefined ? { ...rest, running } : rest;
  drawHeader();
});
host.notify(evalReportReadyNotification, {});
