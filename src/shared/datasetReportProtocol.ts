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
  findings: { code: string; title: string; severity: 'error' | 'warning' | 'information'; count: number }[];
  errors: number;
  warnings: number;
  information: number;
  duplicates: { exact: number; normalized: number };
  turns: { turns: number; rows: number }[];
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

export type HostToDatasetReport = { type: 'report'; report: DatasetReport } | { type: 'progress'; message: string } | { type: 'error'; message: string };

export type DatasetReportToHost = { type: 'ready' } | { type: 'exportMarkdown' };

export function parseDatasetReportMessage(raw: unknown): DatasetReportToHost | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const type = (raw as { type?: unknown }).type;
  return type === 'ready' || type === 'exportMarkdown' ? { type } : undefined;
}
