import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { maxEvalRows, readEvalSet } from '../../../src/core/eval/evalSet';
import { scratchDir } from '../../support/scratchDir';

const chat = (...turns: [string, string][]): string => JSON.stringify({ messages: turns.map(([role, content]) => ({ role, content })) });

describe('readEvalSet', () => {
  it('reads question/answer rows with sources and ids, and defaults the id to the line', () => {
    const text = [
      JSON.stringify({ question: 'How do I reset it?', answer: 'Hold the button.', sources: ['docs/reset.md'], id: 'reset' }),
      JSON.stringify({ question: 'Which batteries?', reference: 'Two AA.', id: 7 }),
      JSON.stringify({ question: 'Wi-Fi band?', answer: '2.4 GHz only.' }),
    ].join('\n');
    const set = readEvalSet('/w/x.eval.jsonl', text);
    assert.equal(set.shape, 'question-answer');
    assert.deepEqual(set.problems, []);
    assert.deepEqual(
      set.questions.map((q) => [q.id, q.line, q.question, q.reference, q.sources, q.history]),
      [
        ['reset', 1, 'How do I reset it?', 'Hold the button.', ['docs/reset.md'], []],
        ['7', 2, 'Which batteries?', 'Two AA.', [], []],
        ['line-3', 3, 'Wi-Fi band?', '2.4 GHz only.', [], []],
      ],
    );
    assert.equal(set.sha256, createHash('sha256').update(text).digest('hex'));
  });

  it('takes the last assistant turn as the reference, the user turn before it as the question, earlier turns as history', () => {
    const row = chat(['system', 'Be brief.'], ['user', 'Hi'], ['assistant', 'Hello!'], ['user', 'Reset?'], ['assistant', 'Hold menu 10 s.'], ['user', 'Thanks']);
    const set = readEvalSet('/w/x.jsonl', `${row}\n`);
    assert.equal(set.shape, 'messages');
    const [question] = set.questions;
    assert.equal(question!.question, 'Reset?');
    assert.equal(question!.reference, 'Hold menu 10 s.');
    assert.deepEqual(question!.history, [
      { role: 'user', content: 'Hi' },
      { role: 'assistant', content: 'Hello!' },
    ]);
    // One file-level warning for the system turns, one on the row for the trailing turn.
    assert.deepEqual(
      set.problems.map((p) => [p.line, p.severity]),
      [
        [0, 'warning'],
        [1, 'warning'],
      ],
    );
    assert.match(set.problems[0]!.message, /template gives the system prompt/);
    assert.match(set.problems[1]!.message, /after the last assistant turn are ignored/);
  });

  it('joins text content parts and refuses rows it cannot use, each with its line', () => {
    const text = [
      JSON.stringify({
        messages: [
          {
            role: 'user',
            content: [
              { type: 'text', text: 'Part one, ' },
              { type: 'text', text: 'part two' },
            ],
          },
          { role: 'assistant', content: 'ok' },
        ],
      }),
      chat(['user', 'no answer']),
      chat(['assistant', 'no question']),
      JSON.stringify({
        messages: [
          { role: 'user', content: 'q' },
          { role: 'tool', content: 'x' },
          { role: 'assistant', content: 'a' },
        ],
      }),
      JSON.stringify({ messages: 'nope' }),
    ].join('\n');
    const set = readEvalSet('/w/x.jsonl', text);
    assert.deepEqual(
      set.questions.map((q) => q.question),
      ['Part one, part two'],
    );
    assert.deepEqual(
      set.problems.map((p) => [p.line, p.severity]),
      [
        [2, 'error'],
        [3, 'error'],
        [4, 'error'],
        [5, 'error'],
      ],
    );
  });

  it('survives a BOM, CRLF line ends, blank lines and invalid JSON, reporting the bad line', () => {
    const text = `\ufeff{"question": "a", "answer": "1"}\r\n\r\n{"question": "b", "answer": \r\n[1, 2]\r\n{"question": "c", "answer": "3"}\r\n`;
    const set = readEvalSet('/w/x.jsonl', text);
    assert.deepEqual(
      set.questions.map((q) => [q.question, q.line, q.reference]),
      [
        ['a', 1, '1'],
        ['c', 5, '3'],
      ],
    );
    assert.deepEqual(
      set.problems.map((p) => [p.line, p.severity]),
      [
        [3, 'error'],
        [4, 'error'],
      ],
    );
    assert.match(set.problems[0]!.message, /Invalid JSON/);
  });

  it('errors on duplicate ids and warns on duplicate questions (case and spacing aside)', () => {
    const text = [
      '{"id": "a", "question": "How do I reset it?", "answer": "x"}',
      '{"id": "a", "question": "Other", "answer": "y"}',
      '{"question": "how do  I reset it?", "answer": "z"}',
      '{"id": "line-3", "question": "Clash with a default id", "answer": "w"}',
    ].join('\n');
    const set = readEvalSet('/w/x.jsonl', text);
    assert.deepEqual(
      set.questions.map((q) => q.id),
      ['a', 'line-3'],
    );
    assert.deepEqual(
      set.problems.map((p) => [p.line, p.severity]),
      [
        [2, 'error'],
        [3, 'warning'],
        [4, 'error'],
      ],
    );
    assert.match(set.problems[0]!.message, /also the id of line 1/);
    assert.match(set.problems[1]!.message, /repeats line 1/);
  });

  it('keeps a row with an empty reference, with a warning (a judge can still score it)', () => {
    const set = readEvalSet('/w/x.jsonl', '{"question": "q1", "answer": ""}\n{"question": "q2"}\n');
    assert.equal(set.questions.length, 2);
    assert.deepEqual(
      set.problems.map((p) => [p.line, p.severity]),
      [
        [1, 'warning'],
        [2, 'warning'],
      ],
    );
    assert.match(set.problems[0]!.message, /judge/);
  });

  it('refuses rows whose sources are not workspace-relative strings, rows with both answer and reference, and empty questions', () => {
    const text = [
      '{"question": "q1", "answer": "a", "sources": "docs/a.md"}',
      '{"question": "q2", "answer": "a", "sources": [3]}',
      '{"question": "q3", "answer": "a", "sources": ["../outside.md"]}',
      '{"question": "q4", "answer": "a", "reference": "b"}',
      '{"question": "  ", "answer": "a"}',
      '{"question": "q6", "answer": "a", "sources": ["docs/**/*.md"]}',
    ].join('\n');
    const set = readEvalSet('/w/x.jsonl', text);
    assert.deepEqual(
      set.questions.map((q) => [q.line, q.sources]),
      [[6, ['docs/**/*.md']]],
    );
    assert.deepEqual(
      set.problems.map((p) => p.line),
      [1, 2, 3, 4, 5],
    );
  });

  it('errors on rows of the other shape than the first row (one shape per file)', () => {
    const text = `${chat(['user', 'q'], ['assistant', 'a'])}\n{"question": "q2", "answer": "a2"}\n{"prompt": "x"}\n`;
    const set = readEvalSet('/w/x.jsonl', text);
    assert.equal(set.shape, 'messages');
    assert.equal(set.questions.length, 1);
    assert.deepEqual(
      set.problems.map((p) => [p.line, p.severity]),
      [
        [2, 'error'],
        [3, 'error'],
      ],
    );
    assert.match(set.problems[0]!.message, /one shape per file/);
  });

  it('refuses a file of more than the row limit as a whole', () => {
    const row = '{"question": "q", "answer": "a"}\n';
    const set = readEvalSet('/w/x.jsonl', row.repeat(maxEvalRows + 1));
    assert.equal(set.questions.length, 0);
    assert.deepEqual(
      set.problems.map((p) => [p.line, p.severity]),
      [[0, 'error']],
    );
    assert.match(set.problems[0]!.message, /more than 50,000 rows/);
  });

  it('reads the file itself through the bounded reader, and turns a missing file or a folder into a problem', () => {
    const dir = scratchDir('evalset');
    const file = join(dir, 'set.eval.jsonl');
    writeFileSync(file, '{"question": "q", "answer": "a"}\n');
    const set = readEvalSet(file);
    assert.equal(set.questions.length, 1);
    assert.equal(set.file, file);
    const missing = readEvalSet(join(dir, 'missing.jsonl'));
    assert.deepEqual(
      missing.problems.map((p) => [p.line, p.severity]),
      [[0, 'error']],
    );
    assert.match(missing.problems[0]!.message, /does not exist/);
    mkdirSync(join(dir, 'folder.jsonl'));
    assert.match(readEvalSet(join(dir, 'folder.jsonl')).problems[0]!.message, /not a regular file/);
  });
});
