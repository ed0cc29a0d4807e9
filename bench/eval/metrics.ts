// Metric computation for a comparison: 500 questions × 4 strategies = 2,000 answers of realistic length (80-200 words,
// RAG answers with 4 passages and citations, questions with sources, 384-dimension embeddings), generated with a seeded
// generator. Times `scoreAnswers` (median of 5) against the budget (2,000 answers in under 2 s) and against a
// peer measured in the same run: token F1 + ROUGE-L written plainly, the way SQuAD's evaluate script and Google's
// rouge-score compute them (a Counter intersection, a full LCS table). Never asserts a timing.
// Run: node --import tsx bench/eval/metrics.ts
import { type Passage } from '../../src/core/chat/chatTypes';
import { scoreAnswers, textsToEmbed } from '../../src/core/eval/answerScoring';
import { type EvalAnswer, type EvalQuestion } from '../../src/core/eval/evalTypes';
import { withoutCitations } from '../../src/core/eval/metrics/answerSentences';
import { answerTokens } from '../../src/core/eval/metrics/answerText';
import { rougeL } from '../../src/core/eval/metrics/rougeL';
import { tokenF1 } from '../../src/core/eval/metrics/tokenF1';
import { seededRandom } from '../../src/core/text/seededRandom';

const questionCount = 500;
const strategies = [
  { name: 'zero-shot', rag: false },
  { name: 'few-shot', rag: false },
  { name: 'rag', rag: true },
  { name: 'rag-few-shot', rag: true },
];
const budgetMs = 2000;
const runs = 5;

const random = seededRandom(18);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const between = (low: number, high: number): number => low + Math.floor(random() * (high - low + 1));

// A vocabulary with a Zipf-like skew: function words and a few domain words are frequent, most words rare.
const functionWords = 'the a an of to and in is that for it on with as be by this are or from at you your can will not'.split(' ');
const stems =
  'device pair reset firmware update battery charge cable port network router signal password account refund order ship deliver warranty return invoice payment card screen button light mode setting profile backup restore sync server error code log timeout retry install configure license version release support ticket agent policy window day week hour minute'.split(
    ' ',
  );
const suffixes = ['', 's', 'ed', 'ing', 'er', 'ly', 'ation'];
const vocabulary = Array.from(
  { length: 2000 },
  (_, i) => `${stems[i % stems.length]!}${suffixes[Math.floor(i / stems.length) % suffixes.length]!}${i >= stems.length * suffixes.length ? String(i) : ''}`,
);
const contentWord = (): string => vocabulary[Math.floor(vocabulary.length * random() ** 3)]!;
const word = (): string => (random() < 0.4 ? pick(functionWords) : contentWord());

function sentence(words: number, from?: readonly string[]): string {
  const parts = Array.from({ length: words }, () => (from && random() < 0.7 ? pick(from) : word()));
  parts[0] = parts[0]!.charAt(0).toUpperCase() + parts[0]!.slice(1);
  if (random() < 0.15) parts.splice(between(1, parts.length - 1), 0, `${between(1, 99)},`);
  return `${parts.join(' ')}.`;
}

function text(totalWords: number, from?: readonly string[], citations?: number): string {
  const sentences: string[] = [];
  let written = 0;
  while (written < totalWords) {
    const length = Math.min(totalWords - written, between(8, 22));
    let s = sentence(length, from);
    if (citations && random() < 0.6) s = `${s.slice(0, -1)} [${between(1, citations)}].`;
    sentences.push(s);
    written += length;
  }
  return sentences.join(random() < 0.2 ? '\n' : ' ');
}

const questions: EvalQuestion[] = [];
const passagesOf = new Map<string, Passage[]>();
for (let i = 0; i < questionCount; i++) {
  const id = `q${i}`;
  const passages: Passage[] = Array.from({ length: 4 }, (_, p) => ({
    index: p + 1,
    file: `docs/section-${between(0, 60)}/page-${between(0, 20)}.md`,
    startLine: 1,
    endLine: 30,
    headingPath: ['Guide'],
    text: text(between(80, 140)),
    score: 1 / (p + 1),
  }));
  passagesOf.set(id, passages);
  const topicWords = passages[0]!.text.split(/\s+/);
  questions.push({
    id,
    line: i + 1,
    question: sentence(between(6, 14)).replace(/\.$/, '?'),
    reference: text(between(30, 80), topicWords),
    history: [],
    sources: random() < 0.8 ? [random() < 0.5 ? passages[between(0, 3)]!.file : `docs/section-${between(0, 60)}/`] : [],
  });
}

const answers: EvalAnswer[] = [];
for (const question of questions) {
  for (const strategy of strategies) {
    const passages = strategy.rag ? passagesOf.get(question.id)! : [];
    const from = [...question.reference.split(/\s+/), ...passages.flatMap((p) => p.text.split(/\s+/))];
    answers.push({
      strategy: strategy.name,
      strategyKey: strategy.name,
      questionId: question.id,
      questionKey: question.id,
      status: random() < 0.01 ? 'error' : 'done',
      content: text(between(80, 200), from, strategy.rag ? passages.length : undefined),
      messages: [],
      passages,
      examples: [],
      notes: [],
      startedAt: 0,
      finishedAt: 0,
    });
  }
}

const embeddings = new Map<string, Float32Array>();
for (const content of textsToEmbed(questions, answers))
  embeddings.set(
    content,
    Float32Array.from({ length: 384 }, () => random() - 0.5),
  );

// ---------------------------------------------------------------------------------------------------------------------
// The peer: SQuAD's normalize_answer + f1_score, and rouge-score's LCS table, written plainly.

function peerNormalize(s: string): string[] {
  let t = s.toLowerCase();
  t = t.replace(/[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g, '');
  t = t.replace(/\b(a|an|the)\b/g, ' ');
  return t.split(/\s+/).filter((w) => w !== '');
}

function peerF1(prediction: string[], truth: string[]): number {
  if (prediction.length === 0 || truth.length === 0) return prediction.length === truth.length ? 1 : 0;
  const counts: Record<string, number> = {};
  for (const w of truth) counts[w] = (counts[w] ?? 0) + 1;
  let same = 0;
  for (const w of prediction) {
    if ((counts[w] ?? 0) > 0) {
      same++;
      counts[w]!--;
    }
  }
  if (same === 0) return 0;
  const precision = same / prediction.length;
  const recall = same / truth.length;
  return (2 * precision * recall) / (precision + recall);
}

function peerRougeL(prediction: string[], target: string[]): number {
  if (prediction.length === 0 || target.length === 0) return 0;
  const rows = target.length;
  const cols = prediction.length;
  const table: number[][] = [];
  for (let i = 0; i <= rows; i++) table.push(new Array<number>(cols + 1).fill(0));
  for (let i = 1; i <= rows; i++) {
    for (let j = 1; j <= cols; j++) {
      table[i]![j] = target[i - 1] === prediction[j - 1] ? table[i - 1]![j - 1]! + 1 : Math.max(table[i - 1]![j]!, table[i]![j - 1]!);
    }
  }
  const lcs = table[rows]![cols]!;
  if (lcs === 0) return 0;
  const precision = lcs / cols;
  const recall = lcs / rows;
  return (2 * precision * recall) / (precision + recall);
}

// ---------------------------------------------------------------------------------------------------------------------

const referenceOf = new Map(questions.map((q) => [q.id, q.reference]));
const scored = answers.filter((a) => a.status !== 'error');

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function time(label: string, work: () => unknown): number {
  const samples: number[] = [];
  let sink: unknown;
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    sink = work();
    samples.push(performance.now() - started);
  }
  void sink;
  const result = median(samples);
  console.log(`${label.padEnd(58)} ${result.toFixed(1).padStart(8)} ms  (runs: ${samples.map((s) => s.toFixed(0)).join(', ')})`);
  return result;
}

const words = answers.reduce((n, a) => n + a.content.split(/\s+/).length, 0);
console.log(
  `${answers.length} answers (${questionCount} questions × ${strategies.length} strategies, ${answers.length - scored.length} failed), ${Math.round(words / answers.length)} words an answer on average; Node ${process.version}`,
);
time('warm-up: scoreAnswers', () => scoreAnswers({ questions, answers, embeddings }));
const ours = time('scoreAnswers: every metric (with embeddings)', () =>
  scoreAnswers({ questions, answers, embeddings, strategies: strategies.map((s) => ({ name: s.name, ...(s.rag ? { retrieval: { k: 4 } } : {}) })) }),
);
const oursF1Rouge = time('ours, token F1 + ROUGE-L only', () =>
  scored.map((a) => {
    const tokens = answerTokens(withoutCitations(a.content));
    const reference = answerTokens(referenceOf.get(a.questionId)!);
    return tokenF1(tokens, reference) + rougeL(tokens, reference);
  }),
);
const peer = time('peer: SQuAD F1 + rouge-score ROUGE-L, written plainly', () =>
  scored.map((a) => {
    const tokens = peerNormalize(a.content);
    const reference = peerNormalize(referenceOf.get(a.questionId)!);
    return peerF1(tokens, reference) + peerRougeL(tokens, reference);
  }),
);
console.log('');
console.log(`Every metric for ${answers.length} answers: ${ours.toFixed(0)} ms, ${((ours / budgetMs) * 100).toFixed(0)}% of the ${budgetMs} ms budget (${ours < budgetMs ? 'within' : 'OVER'})`);
console.log(`Token F1 + ROUGE-L, ours / peer: ${(oursF1Rouge / peer).toFixed(2)}× the peer's time (ours also normalizes Unicode and splits CJK)`);
console.log(`Every metric / the peer's two: ${(ours / peer).toFixed(2)}×`);
