import { type AnswerSentence } from './answerSentences';
import { minimumAssessedWords, supports, type PassageEvidence, type SentenceClaim, type VectorLookup } from './sentenceSupport';

/** A sentence with its content words, ready for the support test. */
export type AssessableSentence = AnswerSentence & SentenceClaim;

/**
 * The share of an answer's sentences that some ONE retrieved passage supports (sentenceSupport.ts), over the
 * sentences with at least `minimumAssessedWords` content words. Undefined without passages (nothing to be faithful to)
 * and when no sentence can be assessed.
 */
export function faithfulness(sentences: readonly AssessableSentence[], evidence: readonly PassageEvidence[], vectorOf?: VectorLookup): number | undefined {
  if (evidence.length === 0) return undefined;
  let assessed = 0;
  let supported = 0;
  for (const sentence of sentences) {
    if (sentence.words.length < minimumAssessedWords) continue;
    assessed++;
    if (evidence.some((passage) => supports(sentence, passage, vectorOf))) supported++;
  }
  return assessed === 0 ? undefined : supported / assessed;
}
