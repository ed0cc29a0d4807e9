import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { detectRowFormat } from '../../../src/core/datasets/formats';
import { validateDataset } from '../../../src/core/datasets/validateDataset';

function evalRow(question: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ question, answer: `The answer to ${question}`, ...extra });
}

function codes(text: string): string[] {
  return validateDataset(text).findings.map((item) => item.code);
}

describe('the eval format ({question, answer, sources?})', () => {
  it('detects question/answer and question/reference rows as eval, and a question alone too (judge-only)', () => {
    assert.equal(detectRowFormat({ question: 'q', answer: 'a' }), 'eval');
    assert.equal(detectRowFormat({ question: 'q', reference: 'a', sources: ['docs/a.md'], id: 7 }), 'eval');
    assert.equal(detectRowFormat({ question: 'q' }), 'eval');
    // Alpaca's `input` and retrieval data's `query` are not taken for a question.
    assert.equal(detectRowFormat({ instruction: 'i', input: 'q', output: 'o' }), 'alpaca');
    assert.equal(detectRowFormat({ query: 'q', answer: 'a' }), undefined);
  });

  it('passes a clean eval set of three rows without a too-few-rows finding (an eval set is never trained on)', () => {
    const text = [evalRow('one', { sources: ['docs/a.md', 'docs/**/*.md'] }), evalRow('two', { id: 'b' }), evalRow('three', { id: 3 })].join('\n') + '\n';
    const { findings, stats } = validateDataset(text);
    assert.deepEqual(findings, []);
    assert.deepEqual(stats.formats, { eval: 3 });
    assert.equal(stats.trainingData, true);
  });

  it('still reports too-few-rows for three training rows', () => {
    const text =
      [1, 2, 3]
        .map((i) =>
          JSON.stringify({
            messages: [
              { role: 'user', content: `q${i}` },
              { role: 'assistant', content: `a${i}` },
            ],
          }),
        )
        .join('\n') + '\n';
    assert.ok(codes(text).includes('too-few-rows'));
  });

  it('points the too-few-rows advice at the comparison docs', () => {
    const text =
      JSON.stringify({
        messages: [
          { role: 'user', content: 'q' },
          { role: 'assistant', content: 'a' },
        ],
      }) + '\n';
    const finding = validateDataset(text).findings.find((item) => item.code === 'too-few-rows');
    assert.match(finding!.message, /docs\/evaluation\.md/);
    assert.match(finding!.message, /Should I fine-tune\?/);
  });

  it('warns on an empty or missing reference and errors on an empty question, located on the value', () => {
    const text = `${evalRow('one')}\n{"question": "two", "answer": "  "}\n{"question": "three"}\n{"question": "", "answer": "a"}\n`;
    const { findings } = validateDataset(text);
    const shown = findings.map((item) => [item.code, item.severity, item.range.start.line] as const);
    assert.deepEqual(shown, [
      ['eval-missing-reference', 'warning', 1],
      ['eval-missing-reference', 'warning', 2],
      ['eval-empty-question', 'error', 3],
    ]);
    const empty = findings[0]!;
    assert.equal(text.split('\n')[1]!.slice(empty.range.start.character, empty.range.end.character), '"  "');
  });

  it('errors on sources that are not workspace-relative strings', () => {
    for (const sources of ['docs/a.md', [1], [''], ['/etc/passwd'], ['C:\\docs\\a.md'], ['docs/../../secret.md']]) {
      const text = `${evalRow('one', { sources })}\n`;
      assert.deepEqual(codes(text), ['eval-bad-sources'], JSON.stringify(sources));
    }
  });

  it('errors on both answer and reference, and on values of the wrong type', () => {
    assert.deepEqual(codes('{"question": "q", "answer": "a", "reference": "a"}\n'), ['eval-two-references']);
    assert.deepEqual(codes('{"question": ["q"], "answer": 3, "id": {"x": 1}}\n'), ['wrong-type', 'wrong-type', 'wrong-type']);
  });

  it('checks every row as eval when configured so, and reports other rows as a format mismatch', () => {
    const text = `${evalRow('one')}\n{"text": "plain"}\n`;
    const found = validateDataset(text, { format: 'eval' }).findings.map((item) => [item.code, item.range.start.line]);
    assert.deepEqual(
      found.filter(([code]) => code === 'format-mismatch'),
      [['format-mismatch', 1]],
    );
    assert.ok(!found.some(([code]) => code === 'too-few-rows'));
  });

  it('reports question/answer rows in a messages file as mixed formats', () => {
    const chat = (i: number): string =>
      JSON.stringify({
        messages: [
          { role: 'user', content: `q${i}` },
          { role: 'assistant', content: `a${i}` },
        ],
      });
    const text = [...Array.from({ length: 11 }, (_, i) => chat(i)), evalRow('odd one')].join('\n') + '\n';
    assert.deepEqual(codes(text), ['mixed-formats']);
  });
});
