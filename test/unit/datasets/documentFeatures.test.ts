import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DocumentAnalysis } from '../../../src/core/datasets/documentAnalysis';
import { listedFindings, maxListedFindings, rowConversions, rowHover, tokenCountingOffNotice, tokenLimitFindings } from '../../../src/core/datasets/documentFeatures';
import { lineRange, type DatasetFinding } from '../../../src/core/datasets/findings';
import { type TokenCounter } from '../../../src/core/datasets/tokenCount';

/** One token per character: easy to reason about. */
const characters: TokenCounter = { name: 'characters', count: (text) => text.length };

const chat = JSON.stringify({
  messages: [
    { role: 'user', content: 'Hi?' },
    { role: 'assistant', content: 'Hello.' },
  ],
});
const sharegpt = JSON.stringify({
  conversations: [
    { from: 'human', value: 'Hi?' },
    { from: 'gpt', value: 'Hello.' },
  ],
});
const alpaca = JSON.stringify({ instruction: 'Greet.', input: '', output: 'Hello.' });

function analysed(text: string): DocumentAnalysis {
  const analysis = new DocumentAnalysis('');
  analysis.update(text, {});
  return analysis;
}

describe('findings the editor shows for an open dataset', () => {
  it('flags the counted rows over the token limit at their messages key', () => {
    const analysis = analysed(
      `${chat}\n${JSON.stringify({
        messages: [
          { role: 'user', content: 'x'.repeat(500) },
          { role: 'assistant', content: 'ok' },
        ],
      })}\n`,
    );
    analysis.countTokensUntil(0, characters, Number.POSITIVE_INFINITY);
    const findings = tokenLimitFindings(analysis, 200, 'characters');
    assert.deepEqual(
      findings.map((f) => [f.code, f.range.start.line, f.range.start.character]),
      [['too-many-tokens', 1, 1]],
    );
    assert.match(findings[0]!.message, /^The row is \d+ tokens \(characters\), over the limit of 200/);
  });

  it('shifts ranges on the first line past a byte order mark', () => {
    const analysis = analysed(`\ufeff${sharegpt}\n`);
    analysis.countTokensUntil(0, characters, Number.POSITIVE_INFINITY);
    assert.equal(tokenLimitFindings(analysis, 1, 'characters')[0]!.range.start.character, 1);
    assert.deepEqual(rowConversions(analysis)[0]!.range, lineRange(0, 1, 1 + sharegpt.length));
  });

  it('lists at most maxListedFindings and says how many more there are', () => {
    const many: DatasetFinding[] = Array.from({ length: maxListedFindings + 3 }, (_, line) => ({ code: 'blank-line', severity: 'warning', message: 'Blank line.', range: lineRange(line, 0, 0) }));
    const { listed, notice } = listedFindings(many);
    assert.equal(listed.length, maxListedFindings);
    assert.equal(notice?.code, 'more-findings');
    assert.match(notice.message, /^3 more problems are not listed/);
    assert.equal(listedFindings(many.slice(0, 2)).notice, undefined);
  });

  it('says why token counting is off and which setting to change', () => {
    const notice = tokenCountingOffNotice('No tokenizer.json in /x.');
    assert.deepEqual([notice.code, notice.severity], ['tokenizer-unusable', 'warning']);
    assert.equal(notice.message, 'Token counting is off: No tokenizer.json in /x. Fix or change the setting chatwright.datasets.tokenizerPath.');
  });
});

describe('converting ShareGPT and Alpaca rows to OpenAI messages', () => {
  const analysis = analysed(`${chat}\n${sharegpt}\n${alpaca}\n`);

  it('converts each such row of a range, and every one of the document', () => {
    assert.deepEqual(
      rowConversions(analysis, 1, 1).map((c) => [c.line, c.format]),
      [[1, 'sharegpt']],
    );
    const all = rowConversions(analysis);
    assert.deepEqual(
      all.map((c) => [c.line, c.format]),
      [
        [1, 'sharegpt'],
        [2, 'alpaca'],
      ],
    );
    for (const conversion of all) {
      assert.deepEqual(conversion.range, lineRange(conversion.line, 0, analysis.lines[conversion.line]!.length));
      assert.ok(Array.isArray((JSON.parse(conversion.newText) as { messages: unknown }).messages));
    }
  });
});

describe('hovering a dataset row', () => {
  it("shows the row's format, turns, tokens and problem codes", async () => {
    const analysis = analysed(`${chat}\n{\n\n`);
    const findings: DatasetFinding[] = [{ code: 'invalid-json', severity: 'error', message: 'x', range: lineRange(1, 0, 1) }];
    const row = await rowHover(analysis, 0, findings, () => Promise.resolve(characters));
    assert.match(row!.markdown, /^\*\*Row 1\*\*: OpenAI chat \(messages\), 2 turns {2}\n\d+ tokens \(characters\)$/);
    assert.deepEqual(row!.range, lineRange(0, 0, chat.length));
    assert.ok(analysis.tokens[0]! > 0, 'the count is kept');
    const invalid = await rowHover(analysis, 1, findings, () => Promise.reject(new Error('unused')));
    assert.equal(invalid!.markdown, '**Row 2**: not a valid JSON object  \n1 problem: invalid-json');
    assert.equal(await rowHover(analysis, 2, findings, () => Promise.resolve(characters)), undefined, 'a blank line has no hover');
  });

  it('says why tokens are not counted when the tokenizer cannot load', async () => {
    const hover = await rowHover(analysed(`${chat}\n`), 0, [], () => Promise.reject(new Error('No tokenizer.')));
    assert.match(hover!.markdown, /tokens: not counted \(No tokenizer\.\)$/);
  });
});
