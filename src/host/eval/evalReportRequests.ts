/**
 * The report panel's checks of what it reads and what the page asks, apart from the panel so they run without VS
 * Code: the report file (bounded, versioned, the fields the page walks over present), and each request's params
 * (a grade of a strategy and question the report has, a score on its scale, a known export format, a file to open).
 */
import { readFile, stat } from 'node:fs/promises';
import type { EvalReport } from '../../core/eval/evalTypes';
import type { EvalExportFormat, EvalGradeParams } from '../../shared/evalReportProtocol';

/** report.json holds every answer with the passages it saw: large, but not unbounded. */
export const maxReportBytes = 64 * 1024 * 1024;
/** A note on a hand grade is a sentence or two. */
const maxNoteLength = 4000;

export type ReportReadResult = { ok: true; report: EvalReport } | { ok: false; message: string };

/** Reads and checks a report.json; the message says what is wrong with it and what to do. */
export async function readEvalReportFile(file: string): Promise<ReportReadResult> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    return { ok: false, message: `There is no report at ${file} yet. Run the comparison (Chatwright: Run Comparison) to make one.` };
  }
  if (size > maxReportBytes)
    return {
      ok: false,
      message: `${file} is ${(size / 1024 / 1024).toFixed(0)} MiB, more than the ${maxReportBytes / 1024 / 1024} MiB the report view reads. Export it from the CLI instead (chatwright eval --report-only).`,
    };
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    return { ok: false, message: `${file} is not valid JSON (${error instanceof Error ? error.message : String(error)}). Run the comparison again to rewrite it.` };
  }
  const problem = reportShapeProblem(parsed);
  return problem === undefined
    ? { ok: true, report: parsed as EvalReport }
    : { ok: false, message: `${file} is not a report this version of Chatwright can show: ${problem}. Run the comparison again to rewrite it.` };
}

/** What makes a parsed value unusable as a report (undefined when it looks like one). */
export function reportShapeProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'it is not an object';
  const report = value as Record<string, unknown>;
  if (report.version !== 1) return `its version is ${JSON.stringify(report.version) ?? 'missing'}, expected 1`;
  for (const field of ['strategies', 'questions', 'metrics', 'pairwise'] as const) if (!Array.isArray(report[field])) return `"${field}" is not a list`;
  for (const field of ['comparison', 'evalSet', 'recommendation', 'contamination'] as const) {
    if (typeof report[field] !== 'object' || report[field] === null) return `"${field}" is missing`;
  }
  if (typeof report.primaryMetric !== 'string') return '"primaryMetric" is missing';
  const strategies = report.strategies as unknown[];
  if (strategies.some((row) => typeof row !== 'object' || row === null || typeof (row as { name?: unknown }).name !== 'string')) return 'a strategy has no name';
  const questions = report.questions as unknown[];
  if (questions.some((row) => typeof row !== 'object' || row === null || typeof (row as { id?: unknown }).id !== 'string' || typeof (row as { answers?: unknown }).answers !== 'object')) {
    return 'a question has no id or answers';
  }
  return undefined;
}

/** The top of the hand-grading scale: the judge's (the range of `judge_score`), else 5. */
export function maxGradeScore(report: EvalReport): number {
  const judge = report.metrics.find((metric) => metric.id === 'judge_score' || metric.id === 'manual_score');
  const top = judge?.range[1];
  return typeof top === 'number' && Number.isInteger(top) && top >= 1 && top <= 100 ? top : 5;
}

export function validGrade(report: EvalReport | undefined, params: unknown): EvalGradeParams | undefined {
  if (report === undefined || typeof params !== 'object' || params === null) return undefined;
  const { strategy, questionId, score, note } = params as Record<string, unknown>;
  if (typeof strategy !== 'string' || !report.strategies.some((row) => row.name === strategy)) return undefined;
  if (typeof questionId !== 'string' || !report.questions.some((row) => row.id === questionId)) return undefined;
  if (typeof score !== 'number' || !Number.isInteger(score) || score < 0 || score > maxGradeScore(report)) return undefined;
  if (note !== undefined && (typeof note !== 'string' || note.length > maxNoteLength)) return undefined;
  return { strategy, questionId, score, ...(typeof note === 'string' && note.length > 0 ? { note } : {}) };
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

export function validRerun(report: EvalReport | undefined, params: unknown): { strategies?: string[] } | undefined {
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
