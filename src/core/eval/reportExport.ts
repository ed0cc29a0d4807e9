/** STUB — owned by helper E (report and recommendation). Replace the body; keep the signature. */
import { type EvalReport } from './evalTypes';

/** The Markdown summary (the CLI's stdout and the Markdown export). */
export function reportMarkdown(report: EvalReport): string {
  void report;
  throw new Error('reportMarkdown: not implemented yet');
}

/** One row per question × strategy with every score (RFC 4180). */
export function reportCsv(report: EvalReport): string {
  void report;
  throw new Error('reportCsv: not implemented yet');
}

/** The report as JSON. */
export function reportJson(report: EvalReport): string {
  void report;
  throw new Error('reportJson: not implemented yet');
}
