import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Passage } from '../../../src/core/chat/chatTypes';
import { scoreAnswers, textsToEmbed } from '../../../src/core/eval/answerScoring';
import { answerId, metricIds, type EvalAnswer, type EvalQuestion } from '../../../src/core/eval/evalTypes';
import { metricInfo } from '../../../src/core/eval/metricInfo';

const question = (id: string, reference: string, sources: string[] = []): EvalQuestion => ({ id, line: 1, question: `Question ${id}?`, reference, history: [], sources });
const passage = (index: number, file: string, text: string): Passage => ({ index, file, startLine: 1, endLine: 2, headingPath: [], text, score: 1 });
const answer = (strategy: string, questionId: string, content: string, extra: Partial<EvalAnswer> = {}): EvalAnswer => ({
  strategy,
  strategyKey: `key-${strategy}`,
  questionId,
  questionKey: `q-${questionId}`,
  status: 'done',
  content,
  messages: [],
  passages: [],
  examples: [],
  notes: [],
  startedAt: 0,
  finishedAt: 1,
  ...extra,
});

const questions = [question('q1', 'Refunds are issued within 14 days.', ['docs/refunds.md']), question('q2', 'Paris')];
const refundPassages = [passage(1, 'docs/shipping.md', 'Shipping takes 3 to 5 business days.'), passage(2, 'docs/refunds.md', 'Refunds are issued within 14 days of receiving the return.')];

describe('scoreAnswers', () => {
  it('gives the text metrics to every answer and the retrieval and grounding metrics to RAG answers only', () => {
    const scores = scoreAnswers({
      questions,
      answers: [answer('zero-shot', 'q1', 'Refunds take two weeks.'), answer('rag', 'q1', 'Refunds are issued within 14 days [2].', { passages: refundPassages })],
      strategies: [{ name: 'zero-shot' }, { name: 'rag', retrieval: { k: 2 } }],
    });
    const plain = scores.get(answerId('zero-shot', 'q1'))!;
    assert.deepEqual(Object.keys(plain).sort(), ['exact_match', 'normalized_exact_match', 'rouge_l', 'token_f1']);
    // refunds take two weeks (4) vs refunds are issued within 14 days (6): shared 1 → P 1/4, R 1/6, F1 = 2·(1/24)/(10/24) = 0.2
    assert.ok(Math.abs(plain.token_f1! - 0.2) < 1e-12);
    const rag = scores.get(answerId('rag', 'q1'))!;
    // the answer is the reference plus a citation: exact match fails on "[2]", the word metrics ignore citation markers
    assert.equal(rag.exact_match, 0);
    assert.equal(rag.normalized_exact_match, 1);
    assert.equal(rag.token_f1, 1);
    assert.equal(rag.rouge_l, 1);
    assert.equal(rag.retrieval_hit, 1);
    assert.equal(rag.retrieval_mrr, 1 / 2);
    assert.equal(rag.faithfulness, 1);
    assert.equal(rag.citation_accuracy, 1);
    assert.equal(rag.embedding_similarity, undefined);
  });

  it('scores a retrieval strategy that retrieved nothing as a miss, but leaves retrieval out for questions without sources', () => {
    const scores = scoreAnswers({
      questions,
      answers: [answer('rag', 'q1', 'I do not know.'), answer('rag', 'q2', 'Paris')],
      strategies: [{ name: 'rag', retrieval: { k: 4 } }],
    });
    assert.equal(scores.get(answerId('rag', 'q1'))!.retrieval_hit, 0);
    assert.equal(scores.get(answerId('rag', 'q1'))!.retrieval_mrr, 0);
    assert.equal(scores.get(answerId('rag', 'q2'))!.retrieval_hit, undefined);
    assert.equal(scores.get(answerId('rag', 'q1'))!.faithfulness, undefined);
  });

  it('gives failed answers and answers to unknown questions no entry, and scores stopped and empty answers as they are', () => {
    const scores = scoreAnswers({
      questions,
      answers: [answer('a', 'q2', '', { status: 'error', error: { code: 'x', message: 'boom' } }), answer('b', 'q9', 'Paris'), answer('c', 'q2', 'Par', { status: 'stopped' }), answer('d', 'q2', '')],
    });
    assert.deepEqual([...scores.keys()], [answerId('c', 'q2'), answerId('d', 'q2')]);
    assert.equal(scores.get(answerId('c', 'q2'))!.token_f1, 0);
    assert.deepEqual(scores.get(answerId('d', 'q2')), { exact_match: 0, normalized_exact_match: 0, token_f1: 0, rouge_l: 0 });
  });

  it('adds embedding similarity from the vectors of answer and reference', () => {
    const vectors = new Map([
      ['Paris, France', new Float32Array([3, 4])],
      ['Paris', new Float32Array([3, 4])],
      ['Lyon', new Float32Array([4, -3])],
    ]);
    const scores = scoreAnswers({ questions, answers: [answer('a', 'q2', 'Paris, France'), answer('b', 'q2', 'Lyon'), answer('c', 'q2', 'Nice')], embeddings: vectors });
    assert.ok(Math.abs(scores.get(answerId('a', 'q2'))!.embedding_similarity! - 1) < 1e-6);
    assert.equal(scores.get(answerId('b', 'q2'))!.embedding_similarity, 0);
    assert.equal(scores.get(answerId('c', 'q2'))!.embedding_similarity, undefined);
  });

  it('gives a finished empty answer embedding similarity 0 (it has no vector), and a stopped empty one none', () => {
    const vectors = new Map([['Paris', new Float32Array([3, 4])]]);
    const answers = [answer('empty', 'q2', ''), answer('blank', 'q2', ' \n '), answer('stopped', 'q2', '', { status: 'stopped' })];
    const scores = scoreAnswers({ questions, answers, embeddings: vectors });
    assert.equal(scores.get(answerId('empty', 'q2'))!.embedding_similarity, 0);
    assert.equal(scores.get(answerId('blank', 'q2'))!.embedding_similarity, 0);
    assert.equal(scores.get(answerId('stopped', 'q2'))!.embedding_similarity, undefined);
    assert.equal(scoreAnswers({ questions, answers }).get(answerId('empty', 'q2'))!.embedding_similarity, undefined, 'no embedding model: no similarity at all');
  });

  it('is deterministic', () => {
    const input = { questions, answers: [answer('rag', 'q1', 'Refunds are issued within 14 days [2]. Shipping is free.', { passages: refundPassages }), answer('x', 'q2', 'paris')] };
    assert.deepEqual([...scoreAnswers(input)], [...scoreAnswers(input)]);
  });
});

describe('textsToEmbed', () => {
  it('lists each answer and each reference once, without failed answers or empty texts', () => {
    const texts = textsToEmbed(questions, [answer('a', 'q2', 'Paris'), answer('b', 'q2', 'Lyon'), answer('c', 'q2', 'x', { status: 'error' }), answer('d', 'q1', '  ')]);
    assert.deepEqual(texts.sort(), ['Lyon', 'Paris', 'Refunds are issued within 14 days.']);
  });

  it('adds the sentences and passages of RAG answers when asked to', () => {
    const texts = textsToEmbed(questions, [answer('rag', 'q1', 'Refunds take 14 days [2]. Shipping is free.', { passages: refundPassages })], { forSupport: true });
    for (const text of ['Refunds take 14 days.', 'Shipping is free.', refundPassages[0]!.text, refundPassages[1]!.text]) assert.ok(texts.includes(text), text);
  });
});

describe('metricInfo', () => {
  it('describes every metric, under its own id', () => {
    for (const id of metricIds) {
      assert.equal(metricInfo[id].id, id);
      assert.ok(metricInfo[id].label.length > 0 && metricInfo[id].description.length > 40, id);
    }
  });

  it('says the same as the Metrics section of docs/evaluation.md', () => {
    const docs = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'evaluation.md'), 'utf8');
    const rows = new Map([...docs.matchAll(/^\| `(\w+)` +\| (.+?) +\|$/gm)].map((row) => [row[1], row[2]]));
    for (const id of metricIds) assert.equal(rows.get(id), metricInfo[id].description, id);
  });
});
