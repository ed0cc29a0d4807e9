/**
 * Reads a report.json for the report page: bounded, parsed, versioned, and the fields the page and the summary walk
 * over present. Runs in the report worker (a 2,000-question report is megabytes: parsing it takes the extension
 * host's thread for a tenth of a second or more) and in tests.
 */
import { readFile, stat } from 'node:fs/promises';
import type { EvalReport } from './evalTypes';

/** report.json holds every answer with the passages it saw: large, but not unbounded. */
export const maxReportBytes = 64 * 1024 * 1024;

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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isRange(value: unknown): boolean {
  return Array.isArray(value) && value.length === 2 && value.every((bound) => typeof bound === 'number' && Number.isFinite(bound));
}

function isInterval(value: unknown): boolean {
  return isRecord(value) && [value.mean, value.low, value.high, value.n].every((number) => typeof number === 'number');
}

function isTokens(value: unknown): boolean {
  return isRecord(value) && [value.prompt, value.completion, value.promptPerAnswer, value.completionPerAnswer].every((number) => typeof number === 'number');
}

/** What makes a parsed value unusable as a report (undefined when it looks like one). */
export function reportShapeProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'it is not an object';
  const report = value;
  if (report.version !== 1) return `its version is ${JSON.stringify(report.version) ?? 'missing'}, expected 1`;
  for (const field of ['strategies', 'questions', 'metrics', 'pairwise'] as const) if (!Array.isArray(report[field])) return `"${field}" is not a list`;
  for (const field of ['comparison', 'evalSet', 'recommendation', 'contamination'] as const) {
    if (typeof report[field] !== 'object' || report[field] === null) return `"${field}" is missing`;
  }
  if (typeof report.primaryMetric !== 'string') return '"primaryMetric" is missing';
  // The page and the host read these on every grade and render: an entry that is not one would throw there.
  const metrics = report.metrics as unknown[];
  if (metrics.some((metric) => !isRecord(metric) || typeof metric.id !== 'string' || typeof metric.label !== 'string' || !isRange(metric.range))) return 'a metric has no id, label or range';
  const strategies = report.strategies as unknown[];
  if (strategies.some((row) => !isRecord(row) || typeof row.name !== 'string')) return 'a strategy has no name';
  if (strategies.some((row) => !isRecord((row as Record<string, unknown>).metrics) || !isRecord((row as Record<string, unknown>).latency) || !isTokens((row as Record<string, unknown>).tokens)))
    return 'a strategy has no metrics, latency or tokens';
  const pairwise = report.pairwise as unknown[];
  if (pairwise.some((pair) => !isRecord(pair) || typeof pair.a !== 'string' || typeof pair.b !== 'string' || !isInterval(pair.difference))) return 'a pair of strategies has no names or difference';
  const recommendation = report.recommendation as Record<string, unknown>;
  if (typeof recommendation.headline !== 'string' || !(['reasons', 'ladder', 'warnings'] as const).every((field) => Array.isArray(recommendation[field])))
    return 'the recommendation has no headline, reasons, ladder or warnings';
  const questions = report.questions as unknown[];
  if (questions.some((row) => !isRecord(row) || typeof row.id !== 'string' || !isRecord(row.answers))) return 'a question has no id or answers';
  const answerless = questions.find((row) => Object.values((row as { answers: Record<string, unknown> }).answers).some((answer) => !isRecord(answer) || !isRecord(answer.scores)));
  if (answerless !== undefined) return `an answer to ${(answerless as { id: string }).id} has no status or scores`;
  return undefined;
}
