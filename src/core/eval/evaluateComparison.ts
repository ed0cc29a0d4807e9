/** STUB — owned by helper D2 (the pipeline, CLI). Replace the body; keep the signature. */
import { type ChatSources } from '../chat/chatRunner';
import { type ComparisonSpec, type EvalProgress, type EvalReport } from './evalTypes';

export interface EvaluateOptions {
  spec: ComparisonSpec;
  sources: ChatSources;
  strategies?: readonly string[];
  /** Continue a run that stopped before it finished (see docs/evaluation.md "Runs, cache and resume"). */
  resume: boolean;
  /** Forget every cached answer and judgement first. */
  fresh?: boolean;
  readText: (relativePath: string) => Promise<string | undefined>;
  /** Embeds texts with `spec.embeddingModel` (undefined: that metric is left out). */
  embed?: (texts: readonly string[], signal: AbortSignal) => Promise<Float32Array[]>;
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
