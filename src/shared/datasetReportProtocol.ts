/**
 * The dataset report: what the host computes (from src/core/datasets) and the report webview draws. Declared once,
 * used by both sides.
 */

export interface DatasetReport {
  /** File name or path, as shown. */
  file: string;
  bytes: number;
  lines: number;
  rows: number;
  trainingData: boolean;
  formats: { format: string; label: string; rows: number }[];
  findings: DatasetReportFinding[];
  errors: number;
  warnings: number;
  information: number;
  duplicates: { exact: number; normalized: number };
  /** Rows by number of turns (messages), rows with none (invalid, unrecognized) left out. */
  turns: { turns: number; rows: number }[];
  /** Whether the turns chart tells something: rows differ in their number of turns. */
  turnsVary: boolean;
  tokens?: {
    counter: string;
    rows: number;
    total: number;
    mean: number;
    p5: number;
    median: number;
    p95: number;
    max: number;
    maxTokens?: number;
    overLimit: number;
    /** Tokens a trainer sees in one epoch (rows over the limit counted up to it). */
    perEpoch: number;
    histogram: { from: number; to: number; rows: number }[];
  };
}

/** One check's findings: how many, and where the first of them are (to open the file at each). */
export interface DatasetReportFinding {
  code: string;
  title: string;
  severity: 'error' | 'warning' | 'information';
  count: number;
  /** The first occurrences by line (at most a few hundred; `count` counts them all). */
  occurrences: DatasetReportOccurrence[];
}

export interface DatasetReportOccurrence {
  /** Zero-based line and UTF-16 character, as in the editor's API. */
  line: number;
  character: number;
  message: string;
}

/** The number of turns every row has, when they all have the same: the turns chart then says nothing. */
export function uniformTurnCount(report: Pick<DatasetReport, 'turns' | 'turnsVary'>): number | undefined {
  return !report.turnsVary && report.turns.length === 1 ? report.turns[0]!.turns : undefined;
}

export type HostToDatasetReport = { type: 'report'; report: DatasetReport } | { type: 'progress'; message: string } | { type: 'error'; message: string };

export type DatasetReportToHost =
  | { type: 'ready' }
  | { type: 'exportMarkdown' }
  /** Open the reported file at an occurrence (zero-based line and character). */
  | { type: 'openOccurrence'; line: number; character: number };

function isPosition(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function parseDatasetReportMessage(raw: unknown): DatasetReportToHost | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { type, line, character } = raw as { type?: unknown; line?: unknown; character?: unknown };
  if (type === 'ready' || type === 'exportMarkdown') return { type };
  if (type === 'openOccurrence' && isPosition(line) && isPosition(character)) return { type, line, character };
  return undefined;
}
