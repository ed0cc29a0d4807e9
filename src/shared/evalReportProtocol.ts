/**
 * The eval report page: what the host sends the report webview (the report's summary, the run's progress) and what
 * the page asks of the host (a question's detail, a search, grade an answer, export, open a passage's file, rerun,
 * stop). Declared once, used by both sides (vscode-jsonrpc over postMessage). Every string of the report is untrusted
 * text to the page.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { EvalAnswer, EvalProgress, EvalReport, QuestionRow } from '../core/eval/evalTypes';

/**
 * One strategy's answer to a question as the list shows it: its status, its score on the primary metric (the chip and
 * the "below" filter), the error of a failed answer (the chip's tooltip, cut short).
 */
export interface AnswerSummary {
  status: EvalAnswer['status'];
  /** The score on the report's primary metric, when it has one. */
  primary?: number;
  error?: { code: string; message: string };
}

/** A question as the list shows it: the question cut for one line, and every strategy's answer summed up. */
export interface QuestionSummary {
  id: string;
  line: number;
  /** The question, cut to `questionPreviewLength` characters when longer (`cut` then says so). */
  question: string;
  cut?: true;
  failures: string[];
  disagreement: boolean;
  answers: Record<string, AnswerSummary>;
}

/**
 * The report without what only the selected question shows (references, answers, passages, examples, judge's
 * reasoning, hand grades, stats): a 2,000 × 4 report is megabytes, its summary a few hundred KB. The page fetches a
 * question's detail with `evalReportQuestionRequest`.
 */
export interface EvalReportSummary extends Omit<EvalReport, 'questions'> {
  questions: QuestionSummary[];
}

/** How much of a question the list keeps. */
export const questionPreviewLength = 300;

/** A question's detail: the full row, and the revision of the report it was read from. */
export interface EvalQuestionDetail {
  revision: number;
  question: QuestionRow;
}

/** What a run is doing now, for the page's banner. */
export type EvalRunStage = 'answering' | 'scoring' | 'judging' | 'reporting';

export interface EvalReportState {
  report: EvalReportSummary;
  /** Changes with every new report the host holds: a detail or search of another revision is stale. */
  revision: number;
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

/** The whole state (the report's summary), sent when the page is ready and whenever the report or the run changes. */
export const evalReportStateNotification = new NotificationType<EvalReportState>('evalReport/state');
/**
 * The run's progress alone, between states: a report can be megabytes, so a progress tick (a few a second) does not
 * resend it. `running` absent: the run ended.
 */
export const evalReportProgressNotification = new NotificationType<{ running?: EvalReportState['running'] }>('evalReport/progress');
/** The page is ready to receive state (sent once after load). */
export const evalReportReadyNotification = new NotificationType<Record<string, never>>('evalReport/ready');
/** One question's detail (every strategy's whole answer and what it saw), for the selected question and its neighbours. */
export const evalReportQuestionRequest = new RequestType<{ questionId: string }, EvalQuestionDetail, void>('evalReport/question');
/**
 * The ids of the questions whose id, question, reference or some answer contains the text (case-insensitive), in
 * eval-set order: the page holds no references or answers to search.
 */
export const evalReportSearchRequest = new RequestType<{ text: string }, { revision: number; ids: string[] }, void>('evalReport/search');
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
