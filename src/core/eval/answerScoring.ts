/** STUB — owned by helper A (metrics). Replace the bodies; keep the signatures. */
import { type AnswerScores, type EvalAnswer, type EvalQuestion } from './evalTypes';

export interface ScoreAnswersInput {
  questions: readonly EvalQuestion[];
  answers: readonly EvalAnswer[];
  /** Vectors of the texts `textsToEmbed` listed (answers and references), when an embedding model is configured. */
  embeddings?: ReadonlyMap<string, Float32Array>;
}

/** The texts `embedding_similarity` needs vectors of: each answer's content and each reference, deduplicated. */
export function textsToEmbed(questions: readonly EvalQuestion[], answers: readonly EvalAnswer[]): string[] {
  void questions;
  void answers;
  throw new Error('not implemented yet');
}

/**
 * Every metric that applies to every answer, synchronously (no I/O): keyed by `answerId(strategy, questionId)`.
 * Failed answers (status `error`) get no scores; stopped ones are scored as they are.
 */
export function scoreAnswers(input: ScoreAnswersInput): Map<string, AnswerScores> {
  void input;
  throw new Error('not implemented yet');
}
