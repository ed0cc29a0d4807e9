import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { datasetChecks } from '../../../src/core/datasets/findings';
import { analyzeLine } from '../../../src/core/datasets/rowAnalysis';
import { defaultContextTokens } from '../../../src/core/datasets/tokenCount';
import { defaultTokenCounterSync } from '../../../src/core/datasets/tokenizer';
import { validateDataset } from '../../../src/core/datasets/validateDataset';

const errorsOf = (row: unknown): string[] =>
  analyzeLine(JSON.stringify(row))
    .problems.filter((p) => p.severity === 'error')
    .map((p) => p.code);

describe('an empty training target is an error in every format', () => {
  const rows: Record<string, unknown> = {
    'OpenAI messages': {
      messages: [
        { role: 'user', content: 'hi' },
        { role: 'assistant', content: '' },
      ],
    },
    'Alpaca output': { instruction: 'Say hi', input: '', output: '' },
    'prompt/completion': { prompt: 'Say hi', completion: '  ' },
    'conversational completion (empty list)': { prompt: [{ role: 'user', content: 'hi' }], completion: [] },
    'conversational completion (empty reply)': { prompt: [{ role: 'user', content: 'hi' }], completion: [{ role: 'assistant', content: '' }] },
    'unpaired preference completion': { prompt: 'Say hi', completion: '', label: true },
    text: { text: '' },
    'ShareGPT last gpt turn': {
      conversations: [
        { from: 'human', value: 'hi' },
        { from: 'gpt', value: '' },
      ],
    },
    'preference chosen': { prompt: 'Say hi', chosen: '', rejected: 'no' },
    'segments (every labelled one empty)': {
      segments: [
        { text: 'Q: hi ', label: false },
        { text: ' ', label: true },
      ],
    },
  };
  for (const [format, row] of Object.entries(rows)) {
    it(format, () => {
      const errors = errorsOf(row);
      assert.equal(errors.length, 1, JSON.stringify(errors));
      assert.equal(datasetChecks[errors[0] as keyof typeof datasetChecks].severity, 'error');
    });
  }

  it('leaves an empty Alpaca instruction a warning (the target is there)', () => {
    const problems = analyzeLine(JSON.stringify({ instruction: '', input: '', output: 'Hello!' })).problems;
    assert.deepEqual(
      problems.map((p) => [p.code, p.severity]),
      [['empty-value', 'warning']],
    );
  });
});

describe("rows past the default model's context, with no maximum configured", () => {
  const contextCounter = defaultTokenCounterSync;
  const row = (words: number): string =>
    JSON.stringify({
      messages: [
        { role: 'user', content: 'Summarise this.' },
        { role: 'assistant', content: 'word '.repeat(words) },
      ],
    });

  it("flags a row of about 40,000 tokens as over Qwen3's 32,768", () => {
    assert.equal(defaultContextTokens, 32_768);
    const problems = analyzeLine(row(40_000), { contextCounter }).problems;
    assert.deepEqual(
      problems.map((p) => [p.code, p.severity]),
      [['too-many-tokens', 'warning']],
    );
    assert.match(problems[0]!.message, /more than 32,768 tokens \(Qwen3 \(default\)\).*no maximum length is configured/);
  });

  it('passes a long row that fits (about 20,000 tokens)', () => {
    assert.deepEqual(analyzeLine(row(20_000), { contextCounter }).problems, []);
  });

  it('never loads the tokenizer for rows too short to pass the context', () => {
    const text = Array.from({ length: 20 }, (_, i) => row(50 + i)).join('\n');
    const { findings } = validateDataset(text, { contextCounter: () => assert.fail('tokenizer asked for a short row') });
    assert.deepEqual(findings, []);
  });

  it('applies a configured maximum instead of the default context', () => {
    const problems = analyzeLine(row(40_000), { contextCounter, maxTokens: 50_000 }).problems;
    assert.deepEqual(problems, []);
  });
});
