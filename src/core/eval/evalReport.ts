/** STUB — owned by helper E (report and recommendation). Replace the body; keep the signature. */
import { type AnswerScores, type ComparisonSpec, type ContaminationReport, type EvalAnswer, type EvalReport, type EvalSet, type JudgeVerdict, type ManualGrade, type StrategyRow } from './evalTypes';

export interface BuildReportInput {
  spec: ComparisonSpec;
  evalSet: EvalSet;
  /** The latest answer of each strategy × question (from the cache). */
  answers: readonly EvalAnswer[];
  /** From `scoreAnswers`, keyed by `answerId`. */
  scores: ReadonlyMap<string, AnswerScores>;
  judgements?: ReadonlyMap<string, JudgeVerdict>;
  grades: readonly ManualGrade[];
  contamination: ContaminationReport;
  /** Per fine-tuned strategy name, from its run folder (`trainingCost`). */
  training: Readonly<Record<string, NonNullable<StrategyRow['training']>>>;
  documentChurn?: EvalReport['documentChurn'];
  now?: number;
}

/** Aggregates scores into the report: intervals, pairwise win rates, per-question rows, the recommendation. Pure and synchronous. */
export function buildEvalReport(input: BuildReportInput): EvalReport {
  void input;
  throw new Error('buildEvalReport: not implemented yet');
}
