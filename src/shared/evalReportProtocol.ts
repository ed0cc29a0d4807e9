/**
 * The eval report page: what the host sends the report webview (the whole report, the run's progress) and what the
 * page asks of the host (grade an answer, export, open a passage's file, rerun, stop). Declared once, used by both
 * sides (vscode-jsonrpc over postMessage). Every string of the report is untrusted text to the page.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { EvalProgress, EvalReport } from '../core/eval/evalTypes';

/** What a run is doing now, for the page's banner. */
export type EvalRunStage = 'answering' | 'scoring' | 'judging' | 'reporting';

export interface EvalReportState {
  report: EvalReport;
  /** Present while a run of this comparison is going. */
  running?: EvalProgress & { stage: EvalRunStage };
  /** Absolute path of the report.json shown. */
  reportFile: string;
  /** Whether Rerun is possible (a comparison file is known and the workspace is trusted). */
  canRun: boolean;
}

export interface EvalGradeParams {
  strategy: string;
  questionId: string;
  /** 1..maxScore; 0 clears the grade. */
  score: number;
  note?: string;
}

export type EvalExportFormat = 'markdown' | 'csv' | 'json';

/** The whole state, sent when the page is ready and whenever the report or the run changes. */
export const evalReportStateNotification = new NotificationType<EvalReportState>('evalReport/state');
/**
 * The run's progress alone, between states: a report can be megabytes, so a progress tick (a few a second) does not
 * resend it. `running` absent: the run ended.
 */
export const evalReportProgressNotification = new NotificationType<{ running?: EvalReportState['running'] }>('evalReport/progress');
/** The page is ready to receive state (sent once after load). */
export const evalReportReadyNotification = new NotificationType<Record<string, never>>('evalReport/ready');
/** Grades an answer by hand; resolves once the host has stored it (a new state follows). */
export const evalReportGradeRequest = new RequestType<EvalGradeParams, void, void>('evalReport/grade');
/** Exports the report; resolves with the saved file's path, or null when the user dismissed the save dialog. */
export const evalReportExportRequest = new RequestType<{ format: EvalExportFormat }, string | null, void>('evalReport/export');
/** Opens a workspace file (a passage's, the eval row's) at a 1-based line; the host checks it is inside the workspace. */
export const evalReportOpenSourceRequest = new RequestType<{ file: string; line?: number }, void, void>('evalReport/openSource');
/** Runs the comparison again (only the named strategies when given). */
export const evalReportRerunRequest = new RequestType<{ strategies?: string[] }, void, void>('evalReport/rerun');
/** Stops the run in progress (answers so far are kept). */
export const evalReportStopRequest = new RequestType<Record<string, never>, void, void>('evalReport/stop');
