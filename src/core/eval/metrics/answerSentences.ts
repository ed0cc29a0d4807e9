/**
 * An answer split into sentences, with the citations (`[1]`, `[1, 2]`, as the chat's prompt asks for and
 * `citedPassages` in chat/promptBuilder.ts reads) taken out of the text and attached to the sentence they follow.
 *
 * Sentences come from `Intl.Segmenter` (Unicode's sentence boundaries: `.`, `。`, `!`, `?`, `।`… and line breaks, in any
 * language). The citations are removed before segmenting because a bracket right after a full stop (`one.[2]`)
 * otherwise starts the next sentence. A citation belongs to the sentence that ends at or after it: in both `Cats purr.
 * [1]` and `Cats purr [1].` the `[1]` is the first sentence's.
 */
export interface AnswerSentence {
  /** The sentence without its citations, trimmed. */
  text: string;
  /** The passage numbers it cites, each once, in order of mention (numbers that name no passage included). */
  citations: number[];
}

/** The same citation syntax as the chat's `citedPassages`, with the spaces before it (`days [2].` → `days.`). */
const citationPattern = /[^\S\r\n]*\[(\d+(?:\s*,\s*\d+)*)\]/g;

/** The answer without its citation markers: what the word metrics compare with the reference, which has none. */
export function withoutCitations(answer: string): string {
  return answer.replace(citationPattern, '');
}

const segmenter = new Intl.Segmenter('und', { granularity: 'sentence' });

export function answerSentences(answer: string): AnswerSentence[] {
  const citationsAt: { offset: number; numbers: number[] }[] = [];
  let clean = '';
  let last = 0;
  for (const match of answer.matchAll(citationPattern)) {
    clean += answer.slice(last, match.index);
    citationsAt.push({ offset: clean.length, numbers: match[1]!.split(',').map((part) => Number(part.trim())) });
    last = match.index + match[0].length;
  }
  clean += answer.slice(last);

  const sentences: (AnswerSentence & { end: number })[] = [];
  for (const { segment, index } of segmenter.segment(clean)) {
    const text = segment.trim();
    if (text === '') continue;
    sentences.push({ text, citations: [], end: index + segment.length });
  }
  let sentenceIndex = 0;
  for (const { offset, numbers } of citationsAt) {
    while (sentenceIndex < sentences.length - 1 && sentences[sentenceIndex]!.end < offset) sentenceIndex++;
    const sentence = sentences[sentenceIndex];
    if (!sentence) break; // an answer that is nothing but citations has no sentence to attach them to
    for (const n of numbers) if (!sentence.citations.includes(n)) sentence.citations.push(n);
  }
  return sentences.map(({ text, citations }) => ({ text, citations }));
}
