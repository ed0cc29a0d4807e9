import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { sampleHead, validateDatasetFile } from '../../../src/core/datasets/fileValidation';
import { type DatasetFinding } from '../../../src/core/datasets/findings';
import { analyzeLine } from '../../../src/core/datasets/rowAnalysis';
import { validateDataset } from '../../../src/core/datasets/validateDataset';
import { scratchDir } from '../../support/scratchDir';

const dir = scratchDir('review');

const chatRow = (i: number, answer = `Answer ${i}.`): string =>
  JSON.stringify({
    messages: [
      { role: 'user', content: `Question ${i}?` },
      { role: 'assistant', content: answer },
    ],
  });
const secret = `sk-proj-${'a1B2c3D4'.repeat(5)}`;

async function validateFile(name: string, text: string, options: Parameters<typeof validateDatasetFile>[1] = {}): Promise<{ findings: DatasetFinding[]; trainingData: boolean }> {
  const path = join(dir, name);
  writeFileSync(path, text);
  const findings: DatasetFinding[] = [];
  const { stats } = await validateDatasetFile(path, { threads: 1, ...options, onFinding: (item) => findings.push(item) });
  return { findings, trainingData: stats.trainingData };
}

const codesOn = (findings: DatasetFinding[], line: number): string[] =>
  findings
    .filter((f) => f.range.start.line === line)
    .map((f) => f.code)
    .sort();

describe('a first line longer than the head sample', () => {
  const longFirst = (bytes: number): string => chatRow(0, 'long '.repeat(Math.ceil(bytes / 5)));

  it('reads on until the head holds complete lines, and decides from them', async () => {
    const path = join(dir, 'two-mib-first-line.jsonl');
    writeFileSync(path, `${longFirst(2 << 20)}\n${chatRow(1)}\n`);
    const head = await sampleHead(path, readFileSync(path).length, {});
    assert.equal(head.trainingData, true);
  });

  it('still finds a secret in the rows after a 2 MiB first line', async () => {
    const rows = [longFirst(2 << 20), ...Array.from({ length: 12 }, (_, i) => chatRow(i + 1))];
    rows[5] = chatRow(5, `my key is ${secret}`);
    const { findings, trainingData } = await validateFile('secret-after-long-line.jsonl', `${rows.join('\n')}\n`);
    assert.equal(trainingData, true);
    assert.deepEqual(codesOn(findings, 5), ['possible-secret']);
  });

  it('defers the decision when the head holds no complete line at all, and decides from every row', async () => {
    const rows = [longFirst(17 << 20), ...Array.from({ length: 12 }, (_, i) => chatRow(i + 1))];
    rows[7] = chatRow(7, `my key is ${secret}`);
    const text = `${rows.join('\n')}\n`;
    const path = join(dir, 'deferred.jsonl');
    writeFileSync(path, text);
    assert.equal((await sampleHead(path, text.length, {})).trainingData, undefined);
    const { findings, trainingData } = await validateFile('deferred.jsonl', text);
    assert.equal(trainingData, true);
    assert.deepEqual(codesOn(findings, 7), ['possible-secret']);
  });

  it('keeps a log with a long first line quiet, as the in-memory validator does', async () => {
    const rows = [JSON.stringify({ level: 'info', msg: 'x'.repeat(17 << 20) }), ...Array.from({ length: 12 }, (_, i) => JSON.stringify({ level: 'info', msg: `event ${i}`, token: secret }))];
    const text = `${rows.join('\n')}\n{"level": "info"`;
    const { findings, trainingData } = await validateFile('log.jsonl', text);
    assert.equal(trainingData, false);
    assert.deepEqual(
      findings.map((f) => f.code),
      ['truncated-last-line'],
    );
    assert.equal(validateDataset(text).stats.trainingData, false);
  });
});

describe('deep nesting: the same answer at any depth', () => {
  const shapes: Record<string, (depth: number) => string> = {
    'lists as the messages': (depth) => `{"messages": ${'['.repeat(depth)}${']'.repeat(depth)}}`,
    'lists as the content': (depth) => `{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": ${'['.repeat(depth)}${']'.repeat(depth)}}]}`,
    'objects in a message': (depth) => `{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo", "meta": ${'{"a": '.repeat(depth)}1${'}'.repeat(depth)}}]}`,
    'lists as a preference side': (depth) => `{"prompt": "p", "chosen": ${'['.repeat(depth)}${']'.repeat(depth)}, "rejected": ${'['.repeat(depth)}${']'.repeat(depth)}}`,
    'objects as a label': (depth) => `{"prompt": "p", "completion": "c", "label": ${'{"a": '.repeat(depth)}1${'}'.repeat(depth)}}`,
  };
  const depths = [600, 5_000, 200_000, 1_000_000];

  for (const [shape, make] of Object.entries(shapes)) {
    it(`${shape}: too-deeply-nested plus the same structural findings at ${depths.join(', ')} levels`, () => {
      const answers = depths.map((depth) =>
        analyzeLine(make(depth))
          .problems.map((p) => `${p.code}@${p.start}`)
          .sort(),
      );
      assert.ok(
        answers[0]!.some((item) => item.startsWith('too-deeply-nested@')),
        JSON.stringify(answers[0]),
      );
      assert.ok(answers[0]!.length >= 2, `structural findings too: ${JSON.stringify(answers[0])}`);
      for (const answer of answers) assert.deepEqual(answer, answers[0]);
    });
  }

  it('stays quiet about nesting a real row could have (a tool schema twenty levels deep)', () => {
    const schema = `${'{"type": "object", "properties": {"x": '.repeat(20)}{"type": "string"}${'}}'.repeat(20)}`;
    const line = `{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], "tools": [{"type": "function", "function": {"name": "f", "parameters": ${schema}}}]}`;
    assert.deepEqual(analyzeLine(line).problems, []);
  });

  it('finds a secret a thousand levels down', () => {
    const line = `{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo", "meta": ${'['.repeat(1000)}"${secret}"${']'.repeat(1000)}}]}`;
    assert.ok(analyzeLine(line).problems.some((p) => p.code === 'possible-secret'));
  });

  it('reports invalid JSON past the nesting limit the same way at any depth', () => {
    const answers = [600, 100_000, 1_000_000].map((depth) => analyzeLine(`{"messages": ${'['.repeat(depth)}1,,${']'.repeat(depth)}}`).problems.map((p) => [p.code, p.start, p.message]));
    assert.deepEqual(answers[0], [['invalid-json', 0, 'Invalid JSON at column 1: invalid JSON nested deeper than 512 levels (not located). Each line must be one complete JSON object.']]);
    for (const answer of answers) assert.deepEqual(answer, answers[0]);
  });

  it('gives a file on disk the same findings as the text in memory, a million levels deep', async () => {
    const rows = Array.from({ length: 12 }, (_, i) => chatRow(i));
    rows[2] = shapes['lists as the messages']!(1_000_000);
    const text = `${rows.join('\n')}\n`;
    const { findings } = await validateFile('deep.jsonl', text);
    const key = (f: DatasetFinding): string => `${f.range.start.line}:${f.code}`;
    assert.deepEqual(findings.map(key).sort(), validateDataset(text).findings.map(key).sort());
    assert.ok(codesOn(findings, 2).includes('too-deeply-nested'));
  });
});

describe("mixed formats: every row outside the file's format, once", () => {
  const alpaca = (i: number): string => JSON.stringify({ instruction: `Task ${i}`, input: '', output: `Done ${i}.` });
  let text = '';
  before(() => {
    const rows = Array.from({ length: 12 }, (_, i) => chatRow(i));
    rows.splice(3, 0, alpaca(1));
    rows.splice(7, 0, alpaca(2));
    rows.push(alpaca(3));
    text = `${rows.join('\n')}\n`;
  });

  it('marks each Alpaca row among chat rows, in memory', () => {
    const lines = validateDataset(text)
      .findings.filter((f) => f.code === 'mixed-formats')
      .map((f) => f.range.start.line);
    assert.deepEqual(lines, [3, 7, 14]);
  });

  it('marks each one once when the file is streamed from disk', async () => {
    const { findings } = await validateFile('mixed.jsonl', text);
    assert.deepEqual(
      findings.filter((f) => f.code === 'mixed-formats').map((f) => f.range.start.line),
      [3, 7, 14],
    );
  });

  it('counts every such row but lists at most the per-code cap', async () => {
    const path = join(dir, 'mixed-capped.jsonl');
    writeFileSync(path, text);
    const findings: DatasetFinding[] = [];
    const { stats } = await validateDatasetFile(path, { threads: 1, maxFindingsPerCode: 2, onFinding: (item) => findings.push(item) });
    assert.deepEqual(
      findings.filter((f) => f.code === 'mixed-formats').map((f) => f.range.start.line),
      [3, 7],
    );
    assert.equal(stats.findings['mixed-formats'], 3);
  });
});

describe('JSON Lines syntax alone (the syntax-only check)', () => {
  it('locates nothing past the nesting limit and never throws, at any depth', async () => {
    const { findJsonlSyntaxErrors } = await import('../../../src/core/datasets/jsonlSyntax');
    const answers = [600, 1_000_000].map((depth) => findJsonlSyntaxErrors(`${'['.repeat(depth)}1,,${']'.repeat(depth)}\n`).map((e) => [e.range.start.character, e.message]));
    assert.equal(answers[0]!.length, 1);
    assert.deepEqual(answers[1], answers[0]);
  });
});
