/**
 * The dataset report: what the host computes (from src/core/datasets) and the report webview draws, and the typed
 * RPC notifications between them (vscode-jsonrpc over the webview's postMessage, see src/host/webviewRpc.ts).
 * Declared once, used by both sides.
 */
import { NotificationType, NotificationType0 } from 'vscode-jsonrpc';

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

/** Zero-based line and UTF-16 character of an occurrence, as in the editor's API. */
export interface OccurrencePosition {
  line: number;
  character: number;
}

/** What the report page sends: it asks for nothing back (the host shows any failure itself). */
export const DatasetReportNotifications = {
  /** The page loaded: the host sends the latest report or progress. */
  ready: new NotificationType0('datasetReport/ready'),
  exportMarkdown: new NotificationType0('datasetReport/exportMarkdown'),
  /** Open the reported file at an occurrence. */
  openOccurrence: new NotificationType<OccurrencePosition>('datasetReport/openOccurrence'),
} as const;

/** The report, or how far its making got. */
export const datasetReportUpdate = new NotificationType<HostToDatasetReport>('datasetReport/update');

function isPosition(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Validates an occurrence's position from the page (untrusted): only whole, non-negative numbers. */
export function validOccurrencePosition(params: unknown): OccurrencePosition | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const { line, character } = params as { line?: unknown; character?: unknown };
  return isPosition(line) && isPosition(character) ? { line, character } : undefined;
}
