/** STUB — owned by helper C (eval sets). Replace the body; keep the signature. */
import { type EvalSet } from './evalTypes';

/**
 * Reads an eval set: JSONL rows of `messages` (the last assistant turn is the reference) or `{question, answer,
 * sources?}`. Never throws on bad rows: they become `problems` with their line. `text` defaults to the file's content
 * (bounded read).
 */
export function readEvalSet(file: string, text?: string): EvalSet {
  void file;
  void text;
  throw new Error('readEvalSet: not implemented yet');
}
