/**
 * Messages of the evaluation worker (entry `src/worker/evalWorker.ts`, bundled as dist/evalWorker.js): the editor
 * scores answers and builds the report there, so a comparison of thousands of answers never blocks the extension
 * host's thread. Maps cross as entry lists (explicit, whatever the transport's serialization); vectors cross as
 * `Float32Array`s (structured clone over the worker's port).
 */
import { RequestType } from 'vscode-jsonrpc';
import type { ScoreAnswersInput } from '../core/eval/answerScoring';
import type { BuildReportInput } from '../core/eval/evalReport';
import type { AnswerScores, EvalReport, JudgeVerdict } from '../core/eval/evalTypes';

/** `ScoreAnswersInput` with its map of vectors as entries. */
export type ScoreRequestParams = Omit<ScoreAnswersInput, 'embeddings'> & { embeddings?: [string, Float32Array][] };

/** `BuildReportInput` with its maps as entries. */
export type ReportRequestParams = Omit<BuildReportInput, 'scores' | 'judgements'> & { scores: [string, AnswerScores][]; judgements?: [string, JudgeVerdict][] };

/** Every metric of every answer (`scoreAnswers`), keyed by `answerId`. */
export const scoreAnswersRequest = new RequestType<ScoreRequestParams, [string, AnswerScores][], void>('eval/scoreAnswers');

/** The report with its recommendation (`buildEvalReport`). */
export const buildReportRequest = new RequestType<ReportRequestParams, EvalReport, void>('eval/buildReport');
