/**
 * What each metric of a comparison measures and when to trust it, in the words of docs/evaluation.md ("Metrics"):
 * the report shows these beside the numbers, the CLI's summary names them.
 */
import { type MetricId, type MetricInfo } from './evalTypes';

const unit: [number, number] = [0, 1];

/** `judge_score` and `manual_score` use the judge's scale; `defaultMaxScore` is its default top. */
export const defaultMaxScore = 5;

export const metricInfo: Record<MetricId, MetricInfo> = {
  exact_match: {
    id: 'exact_match',
    label: 'Exact match',
    description: 'The answer is the reference, character for character (ends trimmed). Trust it only for short factual answers (a number, a name, a label); for sentences it is almost always 0.',
    range: unit,
    higherIsBetter: true,
  },
  normalized_exact_match: {
    id: 'normalized_exact_match',
    label: 'Normalized exact match',
    description:
      'The answer has the same words as the reference after SQuAD normalization (case, punctuation, articles, spacing, Unicode forms). Trust it for short answers written differently; it says nothing about longer ones.',
    range: unit,
    higherIsBetter: true,
  },
  token_f1: {
    id: 'token_f1',
    label: 'Token F1',
    description:
      'Word overlap with the reference (SQuAD token F1 on normalized words): rewards saying the same things, ignores order. Trust it to compare strategies on the same questions; a correct answer in other words scores low, so read it as relative, not absolute.',
    range: unit,
    higherIsBetter: true,
  },
  rouge_l: {
    id: 'rouge_l',
    label: 'ROUGE-L',
    description:
      "The longest run of the reference's words found in the answer in the same order (LCS F-measure). Like token F1 but rewards word order; same caveat: paraphrases score low. Texts over 4,000 words are cut to their first 4,000.",
    range: unit,
    higherIsBetter: true,
  },
  embedding_similarity: {
    id: 'embedding_similarity',
    label: 'Embedding similarity',
    description:
      "Cosine between the embedding model's vectors of the answer and the reference (negative counts as 0; an empty answer scores 0). Catches paraphrases the word metrics miss, but an answer on the right topic with a wrong fact still scores high; its scale depends on the model, so compare strategies, not across models.",
    range: unit,
    higherIsBetter: true,
  },
  retrieval_hit: {
    id: 'retrieval_hit',
    label: 'Retrieval hit rate',
    description:
      'Whether any retrieved passage came from a file the question lists in `sources`. Only for strategies with retrieval and questions with sources. Trustworthy when the sources are right; a question answerable from several files needs them all listed.',
    range: unit,
    higherIsBetter: true,
  },
  retrieval_mrr: {
    id: 'retrieval_mrr',
    label: 'Retrieval MRR',
    description: 'One over the rank of the first passage from an expected source (1, 1/2, 1/3…; 0 when none). Like the hit rate, and also says how high the right passage ranked.',
    range: unit,
    higherIsBetter: true,
  },
  faithfulness: {
    id: 'faithfulness',
    label: 'Faithfulness',
    description:
      "Share of the answer's sentences supported by one retrieved passage: at least 60% of a sentence's content words occur in that passage (or, with sentence embeddings, cosine ≥ 0.8). A lexical proxy for grounding: it catches answers made up beside the passages, not a wrong number or a negation among the right words. With a judge configured, the judge's verdict is the stronger signal.",
    range: unit,
    higherIsBetter: true,
  },
  citation_accuracy: {
    id: 'citation_accuracy',
    label: 'Citation accuracy',
    description:
      'Share of the answer\'s citations [n] that name a retrieved passage which supports the sentence they are in (the faithfulness test). An answer that cites nothing scores 0. Trust it for "does it cite, and cite the right passage"; support is judged by word overlap.',
    range: unit,
    higherIsBetter: true,
  },
  judge_score: {
    id: 'judge_score',
    label: 'Judge score',
    description:
      "The LLM judge's grade under the rubric (its reasoning is kept apart). The closest to a person's verdict, but a judge has biases (length, its own style): trust it as far as it agrees with your hand grades.",
    range: [1, defaultMaxScore],
    higherIsBetter: true,
  },
  judge_pass: {
    id: 'judge_pass',
    label: 'Judge pass rate',
    description: 'Share of answers the judge scored at or above the pass score. Same trust as the judge score.',
    range: unit,
    higherIsBetter: true,
  },
  manual_score: {
    id: 'manual_score',
    label: 'Manual grade',
    description: 'Your own grades, given in the report. The ground truth, over the answers you graded.',
    range: [1, defaultMaxScore],
    higherIsBetter: true,
  },
};
