import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readEvalSet } from '../../../src/core/eval/evalSet';
import { EvalSliceError, sliceEvalSet } from '../../../src/core/eval/evalSetSlice';
import { evalSetOfJobFile, JobEvalSetError } from '../../../src/core/eval/jobEvalSet';
import { scratchDir } from '../../support/scratchDir';

const chat = (i: number): string =>
  JSON.stringify({
    messages: [
      { role: 'system', content: 'S' },
      { role: 'user', content: `q${i}` },
      { role: 'assistant', content: `a${i}` },
    ],
  });

describe('sliceEvalSet', () => {
  it('holds out the last rows as {question, answer, id} and keeps every other line byte for byte', () => {
    const lines = Array.from({ length: 10 }, (_, i) => chat(i));
    lines[2] = `${lines[2]}   `;
    const slice = sliceEvalSet(lines.join('\n') + '\n', { size: { count: 3 }, selection: 'last', fileName: 'train.jsonl' });
    assert.deepEqual(
      slice.evalRows.map((row) => JSON.parse(row) as unknown),
      [7, 8, 9].map((i) => ({ question: `q${i}`, answer: `a${i}`, id: `train.jsonl:${i + 1}` })),
    );
    assert.deepEqual(slice.restRows, lines.slice(0, 7));
    assert.deepEqual(slice.skipped, []);
  });

  it('converts prompt/completion, Alpaca, ShareGPT and eval rows, and keeps multi-turn conversations as messages', () => {
    const rows = [
      JSON.stringify({ prompt: 'P?', completion: 'C.' }),
      JSON.stringify({ instruction: 'Do', input: 'this', output: 'Done.' }),
      JSON.stringify({
        conversations: [
          { from: 'human', value: 'H?' },
          { from: 'gpt', value: 'G.' },
        ],
      }),
      JSON.stringify({ question: 'E?', answer: 'A.', sources: ['docs/a.md'] }),
      JSON.stringify({
        messages: [
          { role: 'user', content: 'Hi' },
          { role: 'assistant', content: 'Hello' },
          { role: 'user', content: 'Reset?' },
          { role: 'assistant', content: 'Hold.' },
        ],
      }),
      chat(0),
    ];
    const slice = sliceEvalSet(rows.join('\n'), { size: { count: 5 }, selection: 'last', fileName: 'd.jsonl' });
    assert.deepEqual(
      slice.evalRows.map((row) => JSON.parse(row) as unknown),
      [
        { question: 'Do\n\nthis', answer: 'Done.', id: 'd.jsonl:2' },
        { question: 'H?', answer: 'G.', id: 'd.jsonl:3' },
        { question: 'E?', answer: 'A.', sources: ['docs/a.md'], id: 'd.jsonl:4' },
        {
          messages: [
            { role: 'user', content: 'Hi' },
            { role: 'assistant', content: 'Hello' },
            { role: 'user', content: 'Reset?' },
            { role: 'assistant', content: 'Hold.' },
          ],
          id: 'd.jsonl:5',
        },
        { question: 'q0', answer: 'a0', id: 'd.jsonl:6' },
      ],
    );
    assert.deepEqual(slice.restRows, [rows[0]]);
    // Each written eval row reads back as one eval question.
    const messagesRow = readEvalSet('x', slice.evalRows[3]);
    assert.equal(messagesRow.questions[0]!.history.length, 2);
  });

  it('takes a seeded random sample in file order: the same seed, the same rows', () => {
    const text = Array.from({ length: 100 }, (_, i) => chat(i)).join('\n');
    const pick = (seed: number): string[] => sliceEvalSet(text, { size: { fraction: 0.1 }, selection: 'random', seed, fileName: 'd.jsonl' }).evalRows;
    const first = pick(1);
    assert.equal(first.length, 10);
    assert.deepEqual(pick(1), first);
    assert.notDeepEqual(pick(2), first);
    const lines = first.map((row) => Number((JSON.parse(row) as { id: string }).id.split(':')[1]));
    assert.deepEqual(
      lines,
      [...lines].sort((a, b) => a - b),
    );
    assert.notDeepEqual(lines, [91, 92, 93, 94, 95, 96, 97, 98, 99, 100]);
  });

  it('skips lines it cannot ask (kept for training) and leaves blank lines out', () => {
    const text = [chat(1), '', '{broken', JSON.stringify({ text: 'plain' }), JSON.stringify({ chosen: 'a', rejected: 'b' }), chat(2), chat(3)].join('\r\n');
    const slice = sliceEvalSet(text, { size: { count: 1 }, selection: 'last', fileName: 'd.jsonl' });
    assert.deepEqual(
      slice.skipped.map((item) => item.line),
      [3, 4, 5],
    );
    assert.match(slice.skipped[0]!.reason, /invalid JSON/);
    assert.deepEqual(slice.restRows, [`${chat(1)}\r`, '{broken\r', `${JSON.stringify({ text: 'plain' })}\r`, `${JSON.stringify({ chosen: 'a', rejected: 'b' })}\r`, `${chat(2)}\r`]);
  });

  it('refuses a slice that would leave nothing to train on, and a dataset with nothing to ask', () => {
    const text = [chat(1), chat(2)].join('\n');
    assert.throws(() => sliceEvalSet(text, { size: { count: 2 }, selection: 'last', fileName: 'd' }), EvalSliceError);
    assert.throws(() => sliceEvalSet('{"text": "a"}\n', { size: { count: 1 }, selection: 'last', fileName: 'd' }), /No row of the dataset/);
    assert.throws(() => sliceEvalSet(text, { size: { fraction: 1.5 }, selection: 'last', fileName: 'd' }), /between 0 and 1/);
  });
});

describe('evalSetOfJobFile', () => {
  const dir = scratchDir('jobevalset');
  writeFileSync(join(dir, 'train.jsonl'), `${chat(1)}\n`);
  writeFileSync(join(dir, 'held.eval.jsonl'), '{"question": "q", "answer": "a"}\n');

  it('gives the eval file the job names, resolved beside the job file', () => {
    const job = join(dir, 'fixed.job.yaml');
    writeFileSync(job, 'model:\n  path: Qwen/Qwen3-0.6B\ndata:\n  train: train.jsonl\n  eval: held.eval.jsonl\n');
    assert.equal(evalSetOfJobFile(job), join(dir, 'held.eval.jsonl'));
  });

  it('refuses an auto eval split, pointing at Make Eval Set from Dataset', () => {
    const job = join(dir, 'auto.job.yaml');
    writeFileSync(job, 'model:\n  path: Qwen/Qwen3-0.6B\ndata:\n  train: train.jsonl\n');
    assert.throws(
      () => evalSetOfJobFile(job),
      (error: unknown) => error instanceof JobEvalSetError && /"auto"/.test(error.message) && /Make Eval Set from Dataset/.test(error.message),
    );
  });

  it('refuses a job without an eval split, and a job file with problems', () => {
    const off = join(dir, 'off.job.yaml');
    writeFileSync(off, 'model:\n  path: Qwen/Qwen3-0.6B\ndata:\n  train: train.jsonl\n  eval: null\n');
    assert.throws(() => evalSetOfJobFile(off), /no eval split/);
    assert.throws(() => evalSetOfJobFile(join(dir, 'missing.job.yaml')), JobEvalSetError);
  });
});
