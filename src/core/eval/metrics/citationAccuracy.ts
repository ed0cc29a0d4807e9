import { type AssessableSentence } from './faithfulness';
import { minimumAssessedWords, supports, type PassageEvidence, type VectorLookup } from './sentenceSupport';

/**
 * The share of an answer's citations that are right: each (sentence, cited number) pair counts once, and is right when
 * the number names a retrieved passage AND that passage supports the sentence it sits in (sentenceSupport.ts). A
 * sentence too short to assess (fewer than `minimumAssessedWords` content words) only needs a valid number.
 * An answer that cites nothing scores 0 when it has a sentence that could have cited a passage, and is undefined when
 * it has none; without passages there is nothing to cite and the metric is undefined.
 */
export function citationAccuracy(sentences: readonly AssessableSentence[], evidence: readonly PassageEvidence[], vectorOf?: VectorLookup): number | undefined {
  if (evidence.length === 0) return undefined;
  const byNumber = new Map(evidence.map((passage) => [passage.passage.index, passage]));
  let citations = 0;
  let right = 0;
  for (const sentence of sentences) {
    for (const n of sentence.citations) {
      citations++;
      const cited = byNumber.get(n);
      if (cited && (sentence.words.length < minimumAssessedWords || supports(sentence, cited, vectorOf))) right++;
    }
  }
  if (citations > 0) return right / citations;
  return sentences.some((sentence) => sentence.words.length >= minimumAssessedWords) ? 0 : undefined;
}
