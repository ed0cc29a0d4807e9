import { clamp } from '../../text/clamp';
import { cosine } from '../../text/cosine';

/**
 * Cosine similarity of the embedding model's vectors of the answer and the reference, clamped to [0, 1] (a negative
 * cosine means "unrelated" as much as 0 does). Undefined when either vector is missing or their lengths differ.
 */
export function embeddingSimilarity(answerVector: Float32Array | undefined, referenceVector: Float32Array | undefined): number | undefined {
  if (!answerVector || !referenceVector || answerVector.length !== referenceVector.length || answerVector.length === 0) return undefined;
  const similarity = cosine(answerVector, referenceVector);
  return Number.isFinite(similarity) ? clamp(similarity, 0, 1) : undefined;
}
