/**
 * The report panel's checks of what the page asks, apart from the panel so they run without VS Code: each request's
 * params (a question the report has, a grade of a strategy and question the report has, a score on its scale, a known
 * export format, a file to open). Reading report.json is src/core/eval/reportFileReader.ts, re-exported here.
 */
import type { EvalReport } from '../../core/eval/evalTypes';
import type { EvalExportFormat, EvalGradeParams } from '../../shared/evalReportProtocol';

export { maxReportBytes, readEvalReportFile, reportShapeProblem, type ReportReadResult } from '../../core/eval/reportFileReader';

/** A note on a hand grade is a sentence or two. */
const maxNoteLength = 4000;
/** A search is a phrase, not a document. */
const maxSearchLength = 1000;

/** What the checks need of a report: its metrics, strategies and question ids (the full report or its summary). */
export type CheckedReport = Pick<EvalReport, 'metrics' | 'strategies'> & { questions: readonly { id: string }[] };

/** The top of the hand-grading scale: the judge's (the range of `judge_score`), else 5. */
export function maxGradeScore(report: Pick<EvalReport, 'metrics'>): number {
  const judge = report.metrics.find((metric) => metric.id === 'judge_score' || metric.id === 'manual_score');
  const top = judge?.range[1];
  return typeof top === 'number' && Number.isInteger(top) && top >= 1 && top <= 100 ? top : 5;
}

export function validGrade(report: CheckedReport | undefined, params: unknown): EvalGradeParams | undefined {
  if (report === undefined || typeof params !== 'object' || params === null) return undefined;
  const { strategy, questionId, score, note } = params as Record<string, unknown>;
  if (typeof strategy !== 'string' || !report.strategies.some((row) => row.name === strategy)) return undefined;
  if (typeof questionId !== 'string' || !report.questions.some((row) => row.id === questionId)) return undefined;
  if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > maxGradeScore(report)) return undefined;
  if (note !== undefined && (typeof note !== 'string' || note.length > maxNoteLength)) return undefined;
  return { strategy, questionId, score, ...(typeof note === 'string' && note.length > 0 ? { note } : {}) };
}

/** A question's detail: the id of a question the report has. */
export function validQuestion(report: CheckedReport | undefined, params: unknown): { questionId: string } | undefined {
  if (report === undefined || typeof params !== 'object' || params === null) return undefined;
  const { questionId } = params as Record<string, unknown>;
  return typeof questionId === 'string' && report.questions.some((row) => row.id === questionId) ? { questionId } : undefined;
}

export function validSearch(params: unknown): { text: string } | undefined {
  const text = typeof params === 'object' && params !== null ? (params as { text?: unknown }).text : undefined;
  return typeof text === 'string' && text.length <= maxSearchLength ? { text } : undefined;
}

const exportFormats: readonly EvalExportFormat[] = ['markdown', 'csv', 'json'];

export function validExport(params: unknown): { format: EvalExportFormat } | undefined {
  const format = typeof params === 'object' && params !== null ? (params as { format?: unknown }).format : undefined;
  return typeof format === 'string' && (exportFormats as readonly string[]).includes(format) ? { format: format as EvalExportFormat } : undefined;
}

export const exportExtensions: Record<EvalExportFormat, string> = { markdown: 'md', csv: 'csv', json: 'json' };

export function validOpenSource(params: unknown): { file: string; line?: number } | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const { file, line } = params as Record<string, unknown>;
  if (typeof file !== 'string' || file.length === 0 || file.length > 4096 || file.includes('\u0000')) return undefined;
  if (line !== undefined && (typeof line !== 'number' || !Number.isInteger(line) || line < 1)) return undefined;
  return { file, ...(typeof line === 'number' ? { line } : {}) };
}

export function validRerun(report: CheckedReport | undefined, params: unknown): { strategies?: string[] } | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const { strategies } = params as Record<string, unknown>;
  if (strategies === undefined) return {};
  if (!Array.isArray(strategies) || strategies.length === 0) return undefined;
  const known = new Set(report?.strategies.map((row) => row.name) ?? []);
  return strategies.every((name): name is string => typeof name === 'string' && known.has(name)) ? { strategies: [...new Set(strategies)] } : undefined;
}

export function validEmpty(params: unknown): Record<string, never> | undefined {
  return typeof params === 'object' && params !== null ? {} : undefined;
}
