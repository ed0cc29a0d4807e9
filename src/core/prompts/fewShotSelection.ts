import { type TextEmbedder } from '../inference/embedding';
import { cosine } from '../text/cosine';
import { words } from '../text/words';
import { type ChatTurn } from '../text/chatTurn';
import { seededRandom } from '../text/seededRandom';

/** One few-shot example: a row of the examples file (the fine-tuning `messages` format). */
export interface FewShotExample {
  /** Zero-based line of the row in the examples file. */
  line: number;
  messages: ChatTurn[];
}

export type SelectionStrategy = 'first' | 'random' | 'similar';

export interface SelectionResult {
  examples: FewShotExample[];
  /** How they were chosen, in words, for the preview ("the 3 most similar by BM25 (no embedding model configured)"). */
  method: string;
}

/** The text an example is matched on: its user turns. */
function exampleQueryText(example: FewShotExample): string {
  const user = example.messages.filter((m) => m.role === 'user').map((m) => m.content);
  return (user.length > 0 ? user : example.messages.map((m) => m.content)).join('\n');
}

/** Chooses `k` examples. `similar` uses the embedder when one is given, else BM25 over the user turns. */
export async function selectExamples(
  examples: readonly FewShotExample[],
  options: { k: number; strategy: SelectionStrategy; seed?: number; query?: string; embedder?: TextEmbedder; signal?: AbortSignal },
): Promise<SelectionResult> {
  const k = Math.max(0, Math.min(options.k, examples.length));
  if (options.strategy === 'random') {
    const random = seededRandom(options.seed ?? 0);
    const pool = [...examples];
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(random() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return { examples: pool.slice(0, k), method: `${k} drawn at random with seed ${options.seed ?? 0}` };
  }
  if (options.strategy === 'similar') {
    const query = options.query ?? '';
    if (!query.trim()) return { examples: examples.slice(0, k), method: `the first ${k} (no input text to compare for \`similar\`)` };
    if (options.embedder) {
      const [queryVector] = await options.embedder.embed([query], 'query', options.signal);
      const vectors = await options.embedder.embed(examples.map(exampleQueryText), 'document', options.signal);
      const scored = examples.map((example, index) => ({ example, score: cosine(queryVector!, vectors[index]!) }));
      return { examples: topK(scored, k), method: `the ${k} most similar by embeddings (${options.embedder.modelKey})` };
    }
    const scores = bm25Scores(query, examples.map(exampleQueryText));
    const scored = examples.map((example, index) => ({ example, score: scores[index]! }));
    return { examples: topK(scored, k), method: `the ${k} most similar by BM25 word overlap (no embedding model configured)` };
  }
  return { examples: examples.slice(0, k), method: `the first ${k}` };
}

function topK(scored: { example: FewShotExample; score: number }[], k: number): FewShotExample[] {
  // Stable: equal scores keep file order.
  return scored
    .map((entry, index) => ({ ...entry, index }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .slice(0, k)
    .map((entry) => entry.example);
}

// Function words carry no topic; without this, "How do I…" questions all match each other.
const stopwords = new Set(
  'a an and are as at be but by can could did do does for from had has have how i if in into is it its me my no not of on or our should so than that the their them then there these they this to too was we were what when where which who why will with would you your'.split(
    ' ',
  ),
);

function contentWords(text: string): string[] {
  const all = words(text);
  const content = all.filter((word) => !stopwords.has(word));
  return content.length > 0 ? content : all;
}

/** Okapi BM25 (k1 = 1.2, b = 0.75) of one query against each document, English function words left out. */
export function bm25Scores(query: string, documents: readonly string[]): number[] {
  const docs = documents.map(contentWords);
  const averageLength = docs.reduce((sum, doc) => sum + doc.length, 0) / Math.max(1, docs.length);
  const documentFrequency = new Map<string, number>();
  for (const doc of docs) for (const term of new Set(doc)) documentFrequency.set(term, (documentFrequency.get(term) ?? 0) + 1);
  const terms = [...new Set(contentWords(query))];
  return docs.map((doc) => {
    const frequency = new Map<string, number>();
    for (const term of doc) frequency.set(term, (frequency.get(term) ?? 0) + 1);
    let score = 0;
    for (const term of terms) {
      const f = frequency.get(term) ?? 0;
      if (f === 0) continue;
      const n = documentFrequency.get(term) ?? 0;
      const idf = Math.log(1 + (docs.length - n + 0.5) / (n + 0.5));
      score += (idf * (f * 2.2)) / (f + 1.2 * (1 - 0.75 + (0.75 * doc.length) / Math.max(1, averageLength)));
    }
    return score;
  });
}
