/** STUB — owned by helper D1 (runs). Replace the body; keep the signatures. */
import { type EvalAnswer } from './evalTypes';

/**
 * `<outputDir>/answers.jsonl`: every finished answer, appended as it finishes (a torn last line after a kill is
 * skipped). The latest answer of a (strategyKey, questionKey) pair wins.
 */
export class AnswerCache {
  static open(outputDir: string): AnswerCache {
    void outputDir;
    throw new Error('AnswerCache: not implemented yet');
  }
  get(strategyKey: string, questionKey: string): EvalAnswer | undefined {
    void strategyKey;
    void questionKey;
    throw new Error('not implemented yet');
  }
  append(answer: EvalAnswer): void {
    void answer;
    throw new Error('not implemented yet');
  }
  /** The latest answer of every pair, in file order. */
  all(): EvalAnswer[] {
    throw new Error('not implemented yet');
  }
}
