import { type Passage } from '../../chat/chatTypes';
import { cosine } from '../../text/cosine';
import { words } from '../../text/words';
import { foldText } from './answerText';

/**
 * Whether a retrieved passage supports a sentence of an answer: the lexical test behind `faithfulness` and
 * `citation_accuracy`. A sentence is supported by a passage when at least `lexicalSupportThreshold` of its distinct
 * content words (words that are not English function words, compared after the normalization of answerText.ts, Han
 * and kana one character a word) occur in that ONE passage — facts stitched from several passages do not count as
 * supported by any. When the embedding model's vectors of the sentence and the passage are both known, a cosine of at
 * least `embeddingSupportThreshold` also counts (a paraphrase with other words).
 *
 * This is a proxy: ragas asks an LLM whether each statement follows from the context. Word overlap says the answer
 * talks about what the passage talks about; it cannot see a negation or a wrong number beside the right words.
 */
export const lexicalSupportThreshold = 0.6;
/** For normalized sentence embeddings (MiniLM, BGE, E5…); other models' scales differ. */
export const embeddingSupportThreshold = 0.8;
/** Sentences with fewer content words ("Yes.", "See the guide [2].") say too little to be checked. */
export const minimumAssessedWords = 3;

const stopwords = new Set(
  (
    'a about after all also am an and any are as at be because been before being but by can could did do does doing for from had has have having he her here hers him his how i if in into is it its itself just me more most my no nor not now of off on once only or other our ours out over own same she should so some such than that the their theirs them then there these they this those through to too under until up very was we were what when where which while who whom why will with would you your yours ' +
    'also however therefore thus yes'
  ).split(/\s+/),
);
const ideographicChar = /([\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])/u;
const ideographic = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** Japanese particles and the most common Chinese function characters, which as single characters carry no content. */
const ideographicStopwords = new Set([...'のはがをにでともへやかなだ的了是在和与及或也就都而']);

/** The distinct content words of a text (see the file's comment). */
export function contentWords(text: string): string[] {
  const found = new Set<string>();
  for (const word of words(foldText(text))) {
    if (!ideographic.test(word)) {
      if (!stopwords.has(word)) found.add(word);
      continue;
    }
    for (const piece of word.split(ideographicChar)) if (piece !== '' && !stopwords.has(piece) && !ideographicStopwords.has(piece)) found.add(piece);
  }
  return [...found];
}

/** A passage prepared for support tests: its content words as a set. */
export interface PassageEvidence {
  passage: Passage;
  words: ReadonlySet<string>;
}

export function passageEvidence(passage: Passage): PassageEvidence {
  return { passage, words: new Set(contentWords(passage.text)) };
}

/** A sentence prepared for support tests. */
export interface SentenceClaim {
  text: string;
  words: readonly string[];
}

/** Looks up the embedding model's vector of a text, when it was embedded. */
export type VectorLookup = (text: string) => Float32Array | undefined;

export function supports(claim: SentenceClaim, evidence: PassageEvidence, vectorOf?: VectorLookup): boolean {
  if (claim.words.length > 0) {
    let found = 0;
    for (const word of claim.words) if (evidence.words.has(word)) found++;
    if (found / claim.words.length >= lexicalSupportThreshold) return true;
  }
  if (!vectorOf) return false;
  const sentenceVector = vectorOf(claim.text);
  const passageVector = vectorOf(evidence.passage.text);
  return sentenceVector !== undefined && passageVector !== undefined && sentenceVector.length === passageVector.length && cosine(sentenceVector, passageVector) >= embeddingSupportThreshold;
}
