/** STUB — owned by helper C (contamination). Replace the body; keep the signature. */
import { type ContaminationReport, type EvalQuestion } from './evalTypes';

/** A file whose rows an eval set must not overlap: training data, or few-shot examples shown to the model. */
export interface ContaminationSource {
  kind: 'training' | 'examples';
  /** As shown in findings (workspace-relative when possible). */
  label: string;
  text: string;
}

/** Finds eval questions (question + reference) that also appear, exactly or nearly, in the sources' rows. */
export function checkContamination(questions: readonly EvalQuestion[], sources: readonly ContaminationSource[]): ContaminationReport {
  void questions;
  void sources;
  throw new Error('checkContamination: not implemented yet');
}
