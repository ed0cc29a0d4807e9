import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { applyKeptEmbeddingScores, embeddingScoresFileName, keepEmbeddingScores } from '../../../src/core/eval/embeddingScoresFile';
import { answerId, type AnswerScores, type EvalAnswer, type EvalQuestion } from '../../../src/core/eval/evalTypes';
import { scratchDir } from '../../support/scratchDir';

const question = { id: 'q1', line: 1, question: 'When?', reference: 'At nine.', history: [], sources: [] } as unknown as EvalQuestion;

function answer(strategy: string, content: string, strategyKey = `key-${strategy}`): EvalAnswer {
  return { strategy, strategyKey, questionId: 'q1', questionKey: 'qk', status: 'done', content, messages: [], passages: [], examples: [], notes: [], startedAt: 0, finishedAt: 0 };
}

describe('embedding scores file', () => {
  it('gives an answer the embedding scores kept for that very answer, and none to a changed one', () => {
    const dir = scratchDir('embedding-scores');
    const kept = [answer('a', 'At nine.'), answer('b', 'Nine.')];
    const scored = new Map<string, AnswerScores>([
      [answerId('a', 'q1'), { token_f1: 1, embedding_similarity: 0.99, faithfulness: 0.5 }],
      [answerId('b', 'q1'), { token_f1: 0.5, embedding_similarity: 0.8 }],
    ]);
    keepEmbeddingScores(dir, 'e/m', [question], kept, scored);
    appendFileSync(join(dir, embeddingScoresFileName), '{"torn": \n');

    const now = [answer('a', 'At nine.'), answer('b', 'Nine o’clock.'), answer('c', 'At nine.')];
    const scores = new Map<string, AnswerScores>([
      [answerId('a', 'q1'), { token_f1: 1, faithfulness: 0.4 }],
      [answerId('b', 'q1'), { token_f1: 0.3 }],
      [answerId('c', 'q1'), { token_f1: 1 }],
    ]);
    assert.equal(applyKeptEmbeddingScores(dir, 'e/m', [question], now, scores), 2, 'b changed its text, c was never scored');
    assert.deepEqual(scores.get(answerId('a', 'q1')), { token_f1: 1, embedding_similarity: 0.99, faithfulness: 0.5 });
    assert.deepEqual(scores.get(answerId('b', 'q1')), { token_f1: 0.3 });
    assert.equal(applyKeptEmbeddingScores(dir, 'other/model', [question], now, new Map(scores)), 3, 'another model’s scores never apply');

    keepEmbeddingScores(dir, 'e/m', [question], [now[2]!], new Map([[answerId('c', 'q1'), { embedding_similarity: 0.7 }]]));
    assert.equal(readFileSync(join(dir, embeddingScoresFileName), 'utf8').trim().split('\n').length, 3, 'earlier answers are kept, the torn line dropped');
  });
});
