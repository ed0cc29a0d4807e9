/** STUB — owned by helper A (metrics: the LLM judge). Replace the bodies; keep the signatures. */
import { type ChatBackend } from '../chat/backend';
import { type Passage } from '../chat/chatTypes';
import { type JudgeSpec, type JudgeVerdict } from './evalTypes';

export const defaultJudgeRubric = 'STUB';

export interface JudgeItem {
  /** `answerId(strategy, questionId)`. */
  id: string;
  question: string;
  reference: string;
  answer: string;
  passages: readonly Passage[];
  /** The answer's cache keys: a verdict is cached under (judgeKey, strategyKey, questionKey). */
  strategyKey: string;
  questionKey: string;
}

/**
 * Judges answers with the judge model (through `backend`, at most `concurrency` at once), reusing verdicts cached in
 * `<outputDir>/judgements.jsonl` for the same judge, rubric and answer. Never throws for one reply: a reply without a
 * score is a verdict with `error`.
 */
export function judgeAnswers(input: {
  spec: JudgeSpec;
  backend: ChatBackend;
  /** The judge's model id within its backend. */
  model: string;
  items: readonly JudgeItem[];
  outputDir: string;
  concurrency: number;
  signal: AbortSignal;
  onProgress?: (done: number, total: number) => void;
}): Promise<Map<string, JudgeVerdict>> {
  void input;
  throw new Error('not implemented yet');
}
