import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { iterateLines, splitLines, TextPositions } from '../../../src/core/text/lineIndex';

const mixed = 'a\nb\r\nc\rd';

describe('one line splitter: LF, CRLF and lone CR end a line, as editors and LSP count them', () => {
  it('splitLines gives each line without its terminator', () => {
    assert.deepEqual(splitLines(mixed), ['a', 'b', 'c', 'd']);
    assert.deepEqual(splitLines('only LF\nlines\n'), ['only LF', 'lines', '']);
    assert.deepEqual(splitLines(''), ['']);
  });

  it('iterateLines gives the same lines, with their offsets', () => {
    assert.deepEqual(
      [...iterateLines(mixed)],
      [
        { index: 0, offset: 0, text: 'a' },
        { index: 1, offset: 2, text: 'b' },
        { index: 2, offset: 5, text: 'c' },
        { index: 3, offset: 7, text: 'd' },
      ],
    );
    for (const text of [mixed, '\r\n\r\n', 'x\r', '\n\rend'])
      assert.deepEqual(
        [...iterateLines(text)].map((line) => line.text),
        splitLines(text),
        JSON.stringify(text),
      );
  });

  it('TextPositions numbers lines the same way and converts offsets both ways', () => {
    const positions = new TextPositions(mixed);
    assert.equal(positions.lineCount, splitLines(mixed).length);
    assert.deepEqual(
      splitLines(mixed).map((_, line) => positions.lineText(line)),
      splitLines(mixed),
    );
    assert.deepEqual(positions.positionAt(5), { line: 2, character: 0 });
    assert.equal(positions.offsetAt({ line: 3, character: 1 }), 8);
    assert.equal(positions.offsetAt({ line: 1, character: 99 }), 3, 'a character past the end stops before the terminator');
  });
});
