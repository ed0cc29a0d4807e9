import assert from 'node:assert/strict';
import { appendFileSync, existsSync, readFileSync, truncateSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { AnswerCache, answerFromLine } from '../../../src/core/eval/answerCache';
import { type EvalAnswer } from '../../../src/core/eval/evalTypes';
import { scratchDir } from '../../support/scratchDir';

function answer(overrides: Partial<EvalAnswer> = {}): EvalAnswer {
  return {
    strategy: 'zero-shot',
    strategyKey: 'sk1',
    questionId: 'q1',
    questionKey: 'qk1',
    status: 'done',
    content: 'Run the installer.',
    stats: { promptTokens: 10, completionTokens: 4, timeToFirstTokenMs: 5, tokensPerSecond: 100, totalMs: 40, finishReason: 'stop' },
    messages: [{ role: 'user', content: 'How do I install?' }],
    passages: [{ index: 1, file: 'docs/install.md', startLine: 1, endLine: 3, headingPath: ['Install'], text: 'Run the installer.', score: 0.9, scores: { bm25: 1.2 } }],
    examples: [
      {
        source: 'examples.jsonl:1',
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
        ],
      },
    ],
    notes: [],
    startedAt: 1000,
    finishedAt: 1040,
    ...overrides,
  };
}

describe('AnswerCache', () => {
  it('creates nothing until the first append, then the folder and answers.jsonl with one line per answer', (t) => {
    const outputDir = join(scratchDir('answer-cache', t), 'evals', 'support');
    const cache = AnswerCache.open(outputDir);
    assert.equal(existsSync(outputDir), false);
    assert.equal(cache.get('sk1', 'qk1'), undefined);
    cache.append(answer());
    cache.append(answer({ questionId: 'q2', questionKey: 'qk2' }));
    const lines = readFileSync(join(outputDir, 'answers.jsonl'), 'utf8').split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '');
    assert.deepEqual(JSON.parse(lines[0]!), answer());
  });

  it('reads back what was appended, the latest answer of a pair winning, in file order', (t) => {
    const outputDir = scratchDir('answer-cache', t);
    const first = AnswerCache.open(outputDir);
    first.append(answer({ status: 'error', content: '', error: { code: 'engine-failure', message: 'boom' } }));
    first.append(answer({ questionId: 'q2', questionKey: 'qk2' }));
    first.append(answer({ content: 'Second try.' }));
    const reopened = AnswerCache.open(outputDir);
    assert.equal(reopened.skippedLines, 0);
    assert.equal(reopened.get('sk1', 'qk1')?.content, 'Second try.');
    assert.deepEqual(
      reopened.all().map((a) => a.questionId),
      ['q2', 'q1'],
    );
    assert.deepEqual(reopened.get('sk1', 'qk1'), answer({ content: 'Second try.' }));
  });

  it('reuses only finished answers: a failed or stopped one is the latest but not returned by get', (t) => {
    const outputDir = scratchDir('answer-cache', t);
    const cache = AnswerCache.open(outputDir);
    cache.append(answer({ status: 'error', content: '', error: { code: 'backend-unavailable', message: 'down' } }));
    cache.append(answer({ questionKey: 'qk2', status: 'stopped', content: 'Run the' }));
    const reopened = AnswerCache.open(outputDir);
    assert.equal(reopened.get('sk1', 'qk1'), undefined);
    assert.equal(reopened.latest('sk1', 'qk1')?.error?.code, 'backend-unavailable');
    assert.equal(reopened.get('sk1', 'qk2'), undefined);
    assert.equal(reopened.latest('sk1', 'qk2')?.status, 'stopped');
  });

  it('skips a torn last line, counts it, and starts the next append on a line of its own', (t) => {
    const outputDir = scratchDir('answer-cache', t);
    const cache = AnswerCache.open(outputDir);
    cache.append(answer());
    const whole = JSON.stringify(answer({ questionKey: 'qk2' }));
    appendFileSync(cache.file, whole.slice(0, whole.length / 2));
    const afterKill = AnswerCache.open(outputDir);
    assert.equal(afterKill.skippedLines, 1);
    assert.equal(afterKill.all().length, 1);
    afterKill.append(answer({ questionKey: 'qk3' }));
    const reopened = AnswerCache.open(outputDir);
    assert.equal(reopened.skippedLines, 1);
    assert.deepEqual(
      reopened.all().map((a) => a.questionKey),
      ['qk1', 'qk3'],
    );
  });

  it('skips lines that are not answers and rebuilds answers from their known fields only', (t) => {
    const outputDir = scratchDir('answer-cache', t);
    mkdirSync(outputDir, { recursive: true });
    const hostile = [
      'not json',
      '[]',
      'null',
      JSON.stringify({ ...answer(), status: 'finished' }),
      JSON.stringify({ ...answer(), content: 42 }),
      JSON.stringify({ ...answer(), startedAt: 'yesterday' }),
      JSON.stringify({ ...answer(), messages: [{ role: 'user' }] }),
      JSON.stringify({ ...answer(), passages: [{ ...answer().passages[0], score: 'high' }] }),
      JSON.stringify({ ...answer(), examples: [{ source: 1, messages: [] }] }),
      JSON.stringify({ ...answer(), notes: [1] }),
      JSON.stringify({ ...answer(), error: { code: 1, message: 'x' } }),
      JSON.stringify({ ...answer(), stats: { ...answer().stats, finishReason: 'exploded' } }),
      JSON.stringify({ ...answer(), strategyKey: undefined }),
    ];
    const good = `{"__proto__":{"polluted":true},"extra":"ignored",${JSON.stringify(answer()).slice(1)}`;
    writeFileSync(join(outputDir, 'answers.jsonl'), [...hostile, '', good, ''].join('\n'));
    const cache = AnswerCache.open(outputDir);
    assert.equal(cache.skippedLines, hostile.length);
    const read = cache.get('sk1', 'qk1');
    assert.deepEqual(read, answer());
    assert.equal(Object.getPrototypeOf(read), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('refuses a file larger than 512 MiB with an error naming it', (t) => {
    const outputDir = scratchDir('answer-cache', t);
    const file = join(outputDir, 'answers.jsonl');
    writeFileSync(file, '');
    // Sparse: the size is what is checked, before anything is read.
    truncateSync(file, 512 * 1024 * 1024 + 1);
    assert.throws(
      () => AnswerCache.open(outputDir),
      (error: Error) => error.message.includes(file) && /512 MiB/.test(error.message),
    );
  });

  it('answerFromLine keeps optional fields only when present', () => {
    const bare = answer();
    delete bare.stats;
    const read = answerFromLine(JSON.stringify({ ...bare, reasoning: 'Thinking.' }));
    assert.equal(read?.reasoning, 'Thinking.');
    assert.equal('stats' in read, false);
    assert.equal('error' in read, false);
  });
});
