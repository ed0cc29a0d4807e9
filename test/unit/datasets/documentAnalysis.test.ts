import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { analyzeLine } from '../../../src/core/datasets/rowAnalysis';
import { type TextDocumentContentChangeEvent, TextDocument } from 'vscode-languageserver-textdocument';
import { DocumentAnalysis } from '../../../src/core/datasets/documentAnalysis';
import { DocumentChangeLog } from '../../../src/core/text/documentChangeLog';
import { type TokenCounter } from '../../../src/core/datasets/tokenCount';

/** One token per character: easy to reason about. */
const characters: TokenCounter = { name: 'characters', count: (text) => text.length };
const chat = JSON.stringify({
  messages: [
    { role: 'user', content: 'Hi?' },
    { role: 'assistant', content: 'Hello.' },
  ],
});

/** The lines of a text as the editor numbers them, computed from scratch. */
function referenceLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.length === 0) return [];
  const lines = body.split(/\r\n|\r|\n/);
  if (body.endsWith('\n') || body.endsWith('\r')) lines.pop();
  return lines;
}

const lineText = fc.oneof(
  fc.constantFrom('{"text": "a"}', '{"text": "b"}', '', '{', '{"messages": []}', ' '),
  fc.string({ maxLength: 6 }).map((s) => s.replace(/\n/g, '')),
);
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

  const lfDocumentText = fc
    .tuple(fc.array(lineText, { minLength: 1, maxLength: 20 }), fc.constantFrom('\n', '\n', '\n', '\r\n'), fc.boolean(), fc.boolean())
    .map(([lines, eol, terminated, bom]) => (bom ? '\ufeff' : '') + lines.join(eol) + (terminated ? eol : ''));

  it('applies incremental editor changes line by line, ending exactly where a from-scratch analysis of the text ends', () => {
    let incremental = 0;
    const edit = fc.record({
      startLine: fc.nat(),
      startCharacter: fc.nat(),
      span: fc.nat({ max: 3 }),
      endCharacter: fc.nat(),
      text: fc.oneof(fc.constantFrom('', '\n', '{"text": "x"}', '"', '\n{"text": "y"}\n', '\r\n', '\ufeff'), fc.string({ maxLength: 8 })),
    });
    fc.assert(
      fc.property(lfDocumentText, fc.array(fc.array(edit, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }), (text, batches) => {
        let document = TextDocument.create('file:///t.jsonl', 'jsonl', 1, text);
        const analysis = new DocumentAnalysis('');
        analysis.update(text, {});
        for (const batch of batches) {
          const changes: TextDocumentContentChangeEvent[] = [];
          let shadow = document;
          for (const item of batch) {
            // A range valid in the text left by the changes before it, as an editor sends them.
            const lineCount = shadow.lineCount;
            const startLine = item.startLine % lineCount;
            const endLine = Math.min(lineCount - 1, startLine + item.span);
            const lineLength = (line: number) => shadow.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } }).replace(/\r?\n$|\r$/, '').length;
            const startCharacter = item.startCharacter % (lineLength(startLine) + 1);
            const endCharacter = endLine === startLine ? startCharacter + (item.endCharacter % (lineLength(startLine) - startCharacter + 1)) : item.endCharacter % (lineLength(endLine) + 1);
            const change = { range: { start: { line: startLine, character: startCharacter }, end: { line: endLine, character: endCharacter } }, text: item.text };
            changes.push(change);
            shadow = TextDocument.update(TextDocument.create(shadow.uri, 'jsonl', shadow.version, shadow.getText()), [change], shadow.version + 1);
          }
          document = TextDocument.update(document, changes, document.version + 1);
          if (analysis.applyChanges(changes, {})) incremental++;
          else analysis.update(document.getText(), {});
          const fresh = new DocumentAnalysis('');
          fresh.update(document.getText(), {});
          assert.deepEqual(analysis.lines, fresh.lines);
          assert.deepEqual(analysis.analyses, fresh.analyses);
          assert.equal(analysis.tokens.length, fresh.lines.length);
        }
      }),
      { numRuns: 1500 },
    );
    assert.ok(incremental > 300, `the incremental path ran (${incremental} batches)`);
  });

  it("keeps the editor's changes by version, and hands out only a complete chain", () => {
    const log = new DocumentChangeLog();
    const change = (text: string): TextDocumentContentChangeEvent => ({ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text });
    log.record('a', 1, 2, [change('x')]);
    log.record('a', 2, 3, [change('y'), change('z')]);
    log.record('a', 3, 4, [change('w')]);
    assert.deepEqual(
      log.between('a', 1, 3)?.map((c) => c.text),
      ['x', 'y', 'z'],
    );
    assert.equal(log.between('a', 1, 4), undefined, 'steps already handed out are gone (the reader re-reads the text up to 4)');
    log.record('a', 4, 5, [change('w')]);
    assert.deepEqual(
      log.between('a', 4, 5)?.map((c) => c.text),
      ['w'],
    );
    log.record('a', 6, 7, [change('v')]);
    assert.equal(log.between('a', 5, 7), undefined, 'a gap in the chain (version 5 → 6 unknown)');
    assert.equal(log.between('b', 1, 2), undefined);
    for (let version = 10; version < 200; version++) log.record('c', version, version + 1, [change(String(version))]);
    assert.equal(log.between('c', 10, 200), undefined, 'a reader too far behind re-reads the text');
    log.record('c', 200, 201, [change('last')]);
    assert.deepEqual(
      log.between('c', 200, 201)?.map((c) => c.text),
      ['last'],
    );
  });
});

describe('an open dataset document catches up with the editor', () => {
  it('applies the changes received since the analysed version, and re-reads the text when they are not known', () => {
    const log = new DocumentChangeLog();
    const analysis = new DocumentAnalysis('');
    let text = `${chat}\n${chat}\n${chat}\n`;
    analysis.catchUp(
      1,
      () => text,
      (from) => log.between('a', from, 1),
      {},
    );
    assert.equal(analysis.version, 1);
    assert.equal(analysis.lastReanalysed, 3);
    const change = { range: { start: { line: 1, character: 0 }, end: { line: 1, character: chat.length } }, text: '{' };
    log.record('a', 1, 2, [change]);
    text = `${chat}\n{\n${chat}\n`;
    analysis.catchUp(
      2,
      () => assert.fail('the text is not re-read when the changes are known'),
      (from) => log.between('a', from, 2),
      {},
    );
    assert.equal(analysis.lastReanalysed, 1);
    assert.equal(analysis.analyses[1]?.kind, 'invalid');
    text = `${chat}\n`;
    analysis.catchUp(
      4,
      () => text,
      (from) => log.between('a', from, 4),
      {},
    );
    assert.deepEqual(analysis.lines, [chat], 'version 2 → 4 is unknown: the whole text is read');
  });

  it('counts tokens in slices and keeps them per line', () => {
    const analysis = new DocumentAnalysis('');
    analysis.update(`${chat}\nnot json\n${chat}\n`, {});
    assert.equal(analysis.tokensPending(), true);
    assert.equal(analysis.countTokensUntil(0, characters, Number.POSITIVE_INFINITY), 3);
    assert.equal(analysis.tokensPending(), false);
    assert.equal(analysis.tokens[1], 0, 'a line that is no row has no tokens');
    assert.ok(analysis.tokens[0]! > 0);
    assert.equal(analysis.countTokensUntil(0, characters, 0), 0, 'nothing is counted past the deadline');
  });
});
