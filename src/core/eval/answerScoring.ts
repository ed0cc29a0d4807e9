/**
 * Every per-answer metric of a comparison (docs/evaluation.md, "Metrics"; metricInfo.ts), computed synchronously from
 * the cached answers, the eval set and, when an embedding model is configured, the vectors of the texts
 * `textsToEmbed` lists. Exact match compares the raw text; the other word metrics compare the answer without its
 * citation markers (`[1]`). Pure and deterministic: the same input gives the same scores, in the answers' order. The
 * judge's scores are added by the pipeline (`judgeScores` in judge.ts).
 */
import { type Passage } from '../chat/chatTypes';
import { answerId, type AnswerScores, type EvalAnswer, type EvalQuestion, type StrategySpec } from './evalTypes';
import { answerSentences, withoutCitations } from './metrics/answerSentences';
import { answerTokens } from './metrics/answerText';
import { citationAccuracy } from './metrics/citationAccuracy';
import { embeddingSimilarity } from './metrics/embeddingSimilarity';
import { exactMatch, sameTokens } from './metrics/exactMatch';
import { faithfulness, type AssessableSentence } from './metrics/faithfulness';
import { retrievalHit, retrievalMrr, sourceMatcher, type SourceMatcher } from './metrics/retrievalMatch';
import { rougeL } from './metrics/rougeL';
import { contentWords, type PassageEvidence, type VectorLookup } from './metrics/sentenceSupport';
import { tokenF1 } from './metrics/tokenF1';

export interface ScoreAnswersInput {
  questions: readonly EvalQuestion[];
  answers: readonly EvalAnswer[];
  /** Vectors of the texts `textsToEmbed` listed (answers and references), when an embedding model is configured. */
  embeddings?: ReadonlyMap<string, Float32Array>;
  /**
   * The comparison's strategies. A strategy with `retrieval` gets retrieval scores even for an answer that retrieved
   * nothing (a miss, 0); without this list only answers that carry passages are taken to have used retrieval.
   */
  strategies?: readonly Pick<StrategySpec, 'name' | 'retrieval'>[];
}

/**
 * The texts `embedding_similarity` needs vectors of: each answer's content and each reference, deduplicated (empty
 * texts left out). With `forSupport`, also each sentence of an answer that has passages and those passages' texts, so
 * `faithfulness` and `citation_accuracy` can accept a paraphrase by its embedding (many more texts to embed).
 */
export function textsToEmbed(questions: readonly EvalQuestion[], answers: readonly EvalAnswer[], options: { forSupport?: boolean } = {}): string[] {
  const texts = new Set<string>();
  const add = (text: string): void => {
    if (text.trim() !== '') texts.add(text);
  };
  const questionsById = new Map(questions.map((question) => [question.id, question]));
  for (const answer of answers) {
    const question = questionsById.get(answer.questionId);
    if (answer.status === 'error' || !question) continue;
    add(answer.content);
    add(question.reference);
    if (options.forSupport && answer.passages.length > 0) {
      for (const sentence of answerSentences(answer.content)) add(sentence.text);
      for (const passage of answer.passages) add(passage.text);
    }
  }
  return [...texts];
}

/**
 * Every metric that applies to every answer, synchronously (no I/O): keyed by `answerId(strategy, questionId)`.
 * Failed answers (status `error`) and answers to questions not in the eval set get no scores; stopped ones are scored
 * as they are.
 */
export function scoreAnswers(input: ScoreAnswersInput): Map<string, AnswerScores> {
  const questionsById = new Map(input.questions.map((question) => [question.id, question]));
  const retrievalStrategies = new Set((input.strategies ?? []).filter((strategy) => strategy.retrieval !== undefined).map((strategy) => strategy.name));
  const { embeddings } = input;
  const vectorOf: VectorLookup | undefined = embeddings ? (text) => embeddings.get(text) : undefined;
  // Answers of several strategies share a question, and retrieval strategies often the same passages: prepare each once.
  const referenceTokens = new Map<string, string[]>();
  const matchers = new Map<string, SourceMatcher>();
  const passageWords = new Map<string, ReadonlySet<string>>();
  const evidenceOf = (passage: Passage): PassageEvidence => {
    let words = passageWords.get(passage.text);
    if (!words) {
      words = new Set(contentWords(passage.text));
      passageWords.set(passage.text, words);
    }
    return { passage, words };
  };

  const scores = new Map<string, AnswerScores>();
  for (const answer of input.answers) {
    const question = questionsById.get(answer.questionId);
    if (answer.status === 'error' || !question) continue;
    let reference = referenceTokens.get(question.id);
    if (!reference) {
      reference = answerTokens(question.reference);
      referenceTokens.set(question.id, reference);
    }
    // Citation markers are the RAG prompt's format, not content: `[2]` must not cost a RAG answer word overlap.
    const tokens = answerTokens(withoutCitations(answer.content));
    const score: AnswerScores = {
      exact_match: exactMatch(answer.content, question.reference),
      normalized_exact_match: sameTokens(tokens, reference) ? 1 : 0,
      token_f1: tokenF1(tokens, reference),
      rouge_l: rougeL(tokens, reference),
    };
    if (embeddings) {
      // An empty answer has no vector (empty texts are not embedded) but is as far from the reference as an answer gets.
      const emptyAnswer = answer.status === 'done' && answer.content.trim() === '' && question.reference.trim() !== '';
      const similarity = emptyAnswer ? 0 : embeddingSimilarity(embeddings.get(answer.content), embeddings.get(question.reference));
      if (similarity !== undefined) score.embedding_similarity = similarity;
    }
    if (question.sources.length > 0 && (answer.passages.length > 0 || retrievalStrategies.has(answer.strategy))) {
      let matches = matchers.get(question.id);
      if (!matches) {
        matches = sourceMatcher(question.sources);
        matchers.set(question.id, matches);
      }
      score.retrieval_hit = retrievalHit(answer.passages, matches);
      score.retrieval_mrr = retrievalMrr(answer.passages, matches);
    }
    if (answer.passages.length > 0) {
      const sentences: AssessableSentence[] = answerSentences(answer.content).map((sentence) => ({ ...sentence, words: contentWords(sentence.text) }));
      const evidence = answer.passages.map(evidenceOf);
      const faithful = faithfulness(sentences, evidence, vectorOf);
      if (faithful !== undefined) score.faithfulness = faithful;
      const citations = citationAccuracy(sentences, evidence, vectorOf);
      if (citations !== undefined) score.citation_accuracy = citations;
    }
    scores.set(answerId(answer.strategy, answer.questionId), score);
  }
  return scores;
}
