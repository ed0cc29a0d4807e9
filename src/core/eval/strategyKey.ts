/** STUB — owned by helper D1 (runs). Replace the bodies; keep the signatures. */
import { type EvalQuestion, type StrategySpec } from './evalTypes';

/** The cache key of a strategy: sha256 (first 16 hex) of its model, sampling, few-shot, retrieval and the texts of its template and examples file. */
export function strategyKey(strategy: StrategySpec, texts: { template?: string; examples?: string }): string {
  void strategy;
  void texts;
  throw new Error('not implemented yet');
}

/** The cache key of a question: sha256 (first 16 hex) of its question, history and reference. */
export function questionKey(question: EvalQuestion): string {
  void question;
  throw new Error('not implemented yet');
}
