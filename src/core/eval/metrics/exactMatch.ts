import { answerTokens } from './answerText';

/** 1 when the answer is the reference, character for character, once leading and trailing whitespace is trimmed. */
export function exactMatch(answer: string, reference: string): number {
  return answer.trim() === reference.trim() ? 1 : 0;
}

/** 1 when the answer and the reference have the same normalized words (SQuAD's exact match, see answerText.ts). */
export function normalizedExactMatch(answer: string, reference: string): number {
  return sameTokens(answerTokens(answer), answerTokens(reference)) ? 1 : 0;
}

export function sameTokens(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((token, i) => token === b[i]);
}
