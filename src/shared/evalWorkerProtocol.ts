/**
 * Messages of the evaluation worker (entry `src/worker/evalWorker.ts`, bundled as dist/evalWorker.js): the editor
 * scores answers, checks contamination, and builds and writes the report there, and rebuilds a report from the cache
 * there as a whole, so that a comparison of thousands of answers never blocks the extension host's thread. Maps cross
 * as entry lists (explicit, whatever the transport's serialization); vectors cross as `Float32Array`s (structured
 * clone over the worker's port).
 */
import { RequestType } from 'vscode-jsonrpc';
import type { ScoreAnswersInput } from '../core/eval/answerScoring';
import type { ContaminationInput, ReportStepInput } from '../core/eval/evaluateComparison';
import type { AnswerScores, ComparisonSpec, ContaminationReport, EvalReport, JudgeVerdict } from '../core/eval/evalTypes';

/** `ScoreAnswersInput` with its map of vectors as entries. */
export type ScoreRequestParams = Omit<ScoreAnswersInput, 'embeddings'> & { embeddings?: [string, Float32Array][] };

/** `ReportStepInput` with its maps as entries. */
export type ReportRequestParams = Omit<ReportStepInput, 'scores' | 'judgements'> & { scores: [string, AnswerScores][]; judgements?: [string, JudgeVerdict][] };

/** Every metric of every answer (`scoreAnswers`), keyed by `answerId`. */
export const scoreAnswersRequest = new RequestType<ScoreRequestParams, [string, AnswerScores][], void>('eval/scoreAnswers');

/** The eval set's overlap with the comparison's training and examples files (read in the worker), with notes on files not read. */
export const contaminationRequest = new RequestType<ContaminationInput, { contamination: ContaminationReport; notes: string[] }, void>('eval/contamination');

/** The report with its recommendation and notes (`buildEvalReport`), written to `<outputDir>/report.json` by the worker. */
export const buildReportRequest = new RequestType<ReportRequestParams, EvalReport, void>('eval/buildReport');

/** The report rebuilt from the cache alone (`rebuildReport`: no model is asked anything), written by the worker. */
export const rebuildReportRequest = new RequestType<{ spec: ComparisonSpec; strategies?: string[] }, EvalReport, void>('eval/rebuildReport');
