/** STUB — owned by helper D1 (runs). Replace the body; keep the signatures. */
import { type ChatSources } from '../chat/chatRunner';
import { type AnswerCache } from './answerCache';
import { type ComparisonSpec, type EvalAnswer, type EvalProgress, type EvalQuestion } from './evalTypes';

export interface RunComparisonInput {
  spec: ComparisonSpec;
  questions: readonly EvalQuestion[];
  /** The chat pipeline's sources: the same backends, templates, examples and retrieval as the chat view. */
  sources: ChatSources;
  cache: AnswerCache;
  /** Run only these strategies (by name); default all. */
  strategies?: readonly string[];
  /** Reads a workspace-relative file's text (templates, examples files), for the strategies' cache keys. */
  readText: (relativePath: string) => Promise<string | undefined>;
  /** Called at most every 100 ms, and once at the end. */
  onProgress?: (progress: EvalProgress) => void;
  onAnswer?: (answer: EvalAnswer) => void;
  signal: AbortSignal;
}

export interface RunComparisonResult {
  /** The latest answer of every strategy × question of this run (cached or new). */
  answers: EvalAnswer[];
  progress: EvalProgress;
  cancelled: boolean;
}

/**
 * Answers every question with every strategy through the chat pipeline (`runExchange`), at most
 * `spec.concurrency` requests in flight per backend, reusing cached answers whose keys match. Never throws for a
 * failed answer (it is recorded with its error); rejects only when the cache cannot be written.
 */
export function runComparison(input: RunComparisonInput): Promise<RunComparisonResult> {
  void input;
  throw new Error('runComparison: not implemented yet');
}
