/**
 * The report as the report page needs it at once, and the rest on demand: the summary (every question's id, line,
 * question cut for the list, failures, disagreement, and each strategy's status and primary score), one question's
 * full row by id, and a case-insensitive search of ids, questions, references and answers. The full report stays
 * where it was read (a worker thread, or the host when a run hands it over); the page gets the summary and asks for
 * the rest.
 */
import { questionPreviewLength, type AnswerSummary, type EvalReportSummary, type QuestionSummary } from '../../shared/evalReportProtocol';
import type { EvalReport, QuestionRow } from './evalTypes';

/** A failed answer's message on a chip's tooltip: a line, not a stack trace. */
const errorPreviewLength = 200;

/** The first `length` characters, never ending in half a surrogate pair. */
function cutText(text: string, length: number): string {
  if (text.length <= length) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(length - 1)) ? length - 1 : length;
  return `${text.slice(0, end)}…`;
}

function summarizeQuestion(row: QuestionRow, primaryMetric: EvalReport['primaryMetric']): QuestionSummary {
  const answers: Record<string, AnswerSummary> = {};
  for (const [strategy, answer] of Object.entries(row.answers)) {
    const primary = answer.scores?.[primaryMetric];
    answers[strategy] = {
      status: answer.status,
      ...(typeof primary === 'number' ? { primary } : {}),
      ...(answer.error ? { error: { code: String(answer.error.code), message: cutText(String(answer.error.message), errorPreviewLength) } } : {}),
    };
  }
  const question = typeof row.question === 'string' ? row.question : '';
  const cut = question.length > questionPreviewLength;
  return {
    id: row.id,
    line: row.line,
    question: cut ? cutText(question, questionPreviewLength) : question,
    ...(cut ? { cut: true as const } : {}),
    failures: Array.isArray(row.failures) ? row.failures : [],
    disagreement: row.disagreement === true,
    answers,
  };
}

/** The report without the per-answer detail: what the page draws before any question is selected. */
export function summarizeReport(report: EvalReport): EvalReportSummary {
  const { questions, ...rest } = report;
  return { ...rest, questions: questions.map((row) => summarizeQuestion(row, report.primaryMetric)) };
}

/**
 * A report held for the page: its summary (made once), a question by id, and search. The search text of each
 * question (lower-cased id, question, reference, answers) is built on the first search and kept.
 */
export class ReportLookup {
  private summaryMade: EvalReportSummary | undefined;
  private byId: Map<string, QuestionRow> | undefined;
  private haystacks: string[] | undefined;

  constructor(readonly report: EvalReport) {}

  summary(): EvalReportSummary {
    return (this.summaryMade ??= summarizeReport(this.report));
  }

  question(id: string): QuestionRow | undefined {
    this.byId ??= new Map(this.report.questions.map((row) => [row.id, row]));
    return this.byId.get(id);
  }

  /** The ids of the questions containing `text` (case-insensitive; all of them for blank text), in eval-set order. */
  search(text: string): string[] {
    const needle = text.trim().toLowerCase();
    const questions = this.report.questions;
    if (needle.length === 0) return questions.map((row) => row.id);
    this.haystacks ??= questions.map((row) =>
      [row.id, row.question, row.reference, ...Object.values(row.answers).map((answer) => answer.content)]
        .filter((part) => typeof part === 'string')
        .join('\n')
        .toLowerCase(),
    );
    const ids: string[] = [];
    this.haystacks.forEach((haystack, index) => {
      if (haystack.includes(needle)) ids.push(questions[index]!.id);
    });
    return ids;
  }
}
