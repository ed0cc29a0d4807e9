import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findJsonlSyntaxErrors, findJsonSyntaxError } from '../../../src/core/datasets/jsonlSyntax';

describe('findJsonSyntaxError', () => {
  it('accepts valid JSON', () => {
    assert.equal(findJsonSyntaxError('{"a": [1, 2, {"b": null}]}'), undefined);
  });

  it('points at a trailing comma', () => {
    const text = '{"a": [1, 2,]}';
    assert.equal(findJsonSyntaxError(text)?.column, text.indexOf(']'));
  });

  it('points at a missing colon', () => {
    const text = '{"role" "user"}';
    const error = findJsonSyntaxError(text);
    assert.equal(error?.column, text.indexOf('"user"'));
    assert.match(error?.message ?? '', /':'/);
  });

  it('points at the end of a truncated line', () => {
    const text = '{"messages": [{"role": "user"';
    const error = findJsonSyntaxError(text);
    assert.ok(error);
    assert.ok(error.column >= text.length - 1, `column ${error.column} should be at the end`);
  });

  it('rejects comments, which JSON does not allow', () => {
    assert.ok(findJsonSyntaxError('{"a": 1 /* note */}'));
  });

  it('reports a raw control character inside a string', () => {
    const text = '{"a": "x\ty"}';
    assert.ok(findJsonSyntaxError(text));
  });
});

describe('findJsonlSyntaxErrors', () => {
  it('numbers lines the way editors do, across LF, CRLF and blank lines', () => {
    const text = '{"ok": 1}\r\n\r\n{"ok": 2}\n{"bad": }\n';
    const [error, ...rest] = findJsonlSyntaxErrors(text);
    assert.deepEqual(rest, []);
    assert.deepEqual(error?.range.start, { line: 3, character: 8 });
    assert.equal(error?.code, 'invalid-json');
    assert.match(error?.message ?? '', /^Line 4, column 9: invalid JSON/);
  });

  it('skips blank and whitespace-only lines', () => {
    assert.deepEqual(findJsonlSyntaxErrors('\n   \n{"a":1}\n'), []);
  });

  it('keeps columns exact after a byte-order mark on the first line', () => {
    const [error] = findJsonlSyntaxErrors('\ufeff{"a" 1}');
    assert.equal(error?.range.start.character, 6);
  });

  it('counts columns in UTF-16 code units, as LSP does', () => {
    const text = '{"text": "😀 é", oops}';
    const [error] = findJsonlSyntaxErrors(text);
    assert.equal(error?.range.start.character, text.indexOf('oops'));
  });
});
