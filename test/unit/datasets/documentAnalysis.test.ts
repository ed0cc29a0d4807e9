import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzeLine } from '../../../src/core/datasets/rowAnalysis';
import { DocumentAnalysis } from '../../../src/server/datasets/documentAnalysis';

/** The lines of a text as the editor numbers them, computed from scratch. */
function referenceLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return [];
  const lines = body.split(/\r\n|\r|\n/);
  if (body.endsWith('\n') || body.endsWith('\r')) lines.pop();
  return lines;
}

const lineText = fc.oneof(fc.constantFrom('{"text": "a"}', '{"text": "b"}', '', '{', '{"messages": []}', ' '), fc.string({ maxLength: 6 }).map((s) => s.replace(/\n/g, '')));
const documentText = fc
  .tuple(fc.array(lineText, { maxLength: 8 }), fc.constantFrom('\n', '\r\n', '\r'), fc.boolean(), fc.boolean())
  .map(([lines, eol, terminated, bom]) => (bom ? '\ufeff' : '') + lines.join(eol) + (terminated && lines.length > 0 ? eol : ''));

describe('DocumentAnalysis: incremental re-analysis of an open document', () => {
  it('re-analyses only the edited line of a large document', () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `{"text": "row ${i}"}`);
    const analysis = new DocumentAnalysis('');
    analysis.update(`${rows.join('\n')}\n`, {});
    assert.equal(analysis.lastReanalysed, 1000);
    rows[500] = '{"text": 5}';
    analysis.update(`${rows.join('\n')}\n`, {});
    assert.equal(analysis.lastReanalysed, 1);
    assert.equal(analysis.analyses[500]?.problems[0]?.code, 'wrong-type');
    assert.equal(analysis.analyses.length, 1000);
  });

  it('keeps lines, analyses and token slots aligned with a from-scratch split after any sequence of edits', () => {
    fc.assert(
      fc.property(fc.array(documentText, { minLength: 1, maxLength: 5 }), (texts) => {
        const analysis = new DocumentAnalysis('');
        for (const text of texts) {
          analysis.update(text, {});
          const expected = referenceLines(text);
          assert.deepEqual(analysis.lines, expected);
          assert.equal(analysis.analyses.length, expected.length);
          assert.equal(analysis.tokens.length, expected.length);
          analysis.lines.forEach((line, i) => assert.deepEqual(analysis.analyses[i], analyzeLine(line, {})));
        }
      }),
      { numRuns: 2000 },
    );
  });
});
