/**
 * The report worker (dist/evalReportWorker.js): reads and parses a report.json off the extension host's thread,
 * keeps it, and answers the report panel with the summary the page draws, one question's detail, a search, and an
 * export's text. One worker per open report panel.
 */
import { RequestType } from 'vscode-jsonrpc';
import type { QuestionRow } from '../core/eval/evalTypes';
import type { EvalExportFormat, EvalReportSummary } from './evalReportProtocol';

export type ReportLoadResult = { ok: true; summary: EvalReportSummary } | { ok: false; message: string };

/** Reads, checks and keeps the report (replacing the one held); the summary, or what is wrong with the file. */
export const reportWorkerLoadRequest = new RequestType<{ file: string }, ReportLoadResult, void>('evalReportWorker/load');
/** A question of the report held, or null when it has none of that id (or holds no report). */
export const reportWorkerQuestionRequest = new RequestType<{ questionId: string }, QuestionRow | null, void>('evalReportWorker/question');
/** The ids of the questions containing the text. */
export const reportWorkerSearchRequest = new RequestType<{ text: string }, string[], void>('evalReportWorker/search');
/** The report held, rendered as Markdown, CSV or JSON. */
export const reportWorkerExportRequest = new RequestType<{ format: EvalExportFormat }, string, void>('evalReportWorker/export');
