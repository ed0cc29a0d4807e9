/** STUB — owned by helper D2 (the pipeline, CLI). Replace the body; keep the signature. */
import { type ChatSources } from '../chat/chatRunner';
import { type ScoreAnswersInput } from './answerScoring';
import { type BuildReportInput } from './evalReport';
import { type AnswerScores, type ComparisonSpec, type EvalProgress, type EvalReport } from './evalTypes';

/** Where the CPU-heavy steps run: in this thread by default; the editor passes a worker thread's. */
export interface EvalComputation {
  score(input: ScoreAnswersInput): Promise<Map<string, AnswerScores>>;
  report(input: BuildReportInput): Promise<EvalReport>;
}

export interface EvaluateOptions {
  spec: ComparisonSpec;
  sources: ChatSources;
  strategies?: readonly string[];
  /** `run` answers what is missing, then reports; `report` only rebuilds the report from what is cached (answers, judgements, grades), contacting no answering backend and running no judge. Default `run`. */
  mode?: 'run' | 'report';
  /** Continue a run that stopped before it finished (see docs/evaluation.md "Runs, cache and resume"). */
  resume: boolean;
  /** Forget every cached answer and judgement first. */
  fresh?: boolean;
  readText: (relativePath: string) => Promise<string | undefined>;
  /** Embeds texts with `spec.embeddingModel` (undefined: that metric is left out). */
  embed?: (texts: readonly string[], signal: AbortSignal) => Promise<Float32Array[]>;
  computation?: EvalComputation;
  onProgress?: (stage: 'answering' | 'judging' | 'scoring', progress: EvalProgress) => void;
  signal: AbortSignal;
}

/**
 * The whole evaluation: eval set → answers (cached, resumable) → scores → judge → report, written to
 * `<outputDir>/report.json`. The CLI and the editor both call this.
 */
export function evaluateComparison(options: EvaluateOptions): Promise<{ report: EvalReport; cancelled: boolean }> {
  void options;
  throw new Error('evaluateComparison: not implemented yet');
}
