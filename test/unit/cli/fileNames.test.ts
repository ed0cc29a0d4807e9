import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeFileNameError, escapeControlCharacters, escapeFileName, isUndecodableFileName } from '../../../src/core/files/fileNames';

describe('file names in line-oriented output', () => {
  it('leaves ordinary names alone, spaces and non-ASCII letters included', () => {
    for (const name of ['docs/guide.md', 'notes from May.txt', 'résumé/日本語.md', 'a:b.jsonl']) assert.equal(escapeFileName(name, 'linux'), name);
  });
  it('escapes newlines, carriage returns and tabs as \\n, \\r, \\t, so one name stays on one line', () => {
    assert.equal(escapeFileName('a\nb\rc\td.md', 'linux'), 'a\\nb\\rc\\td.md');
  });
  it('doubles backslashes on POSIX, so an escaped newline and a real backslash-n differ', () => {
    assert.equal(escapeFileName('a\\nb', 'linux'), 'a\\\\nb');
    assert.notEqual(escapeFileName('a\\nb', 'linux'), escapeFileName('a\nb', 'linux'));
  });
  it('keeps backslashes on Windows, where they separate folders', () => {
    assert.equal(escapeFileName('docs\\guide.md', 'win32'), 'docs\\guide.md');
    assert.equal(escapeFileName('docs\\a\nb.md', 'win32'), 'docs\\a\\nb.md');
  });
  it('escapes terminal escapes, DEL, C1 controls and invisible direction and line controls', () => {
    assert.equal(escapeFileName('\u001b[31mred\u007f\u0085.md', 'linux'), '\\x1b[31mred\\x7f\\x85.md');
    assert.equal(escapeFileName('evil\u202etxt.md\u2028', 'linux'), 'evil\\u{202e}txt.md\\u{2028}');
  });
  it('escapes control characters in messages but keeps their backslashes', () => {
    assert.equal(escapeControlCharacters('expected "\\n"\nthen'), 'expected "\\n"\\nthen');
  });
  it('names a name that did not decode (U+FFFD, then ENOENT) instead of "no such file"', () => {
    const enoent = Object.assign(new Error("ENOENT: no such file or directory, stat 'a\ufffd.md'"), { code: 'ENOENT' });
    assert.equal(isUndecodableFileName('a\ufffd.md', enoent), true);
    assert.match(describeFileNameError('a\ufffd.md', enoent), /the file name is not valid UTF-8/);
    assert.equal(isUndecodableFileName('a.md', enoent), false);
    assert.equal(isUndecodableFileName('a\ufffd.md', Object.assign(new Error('EACCES'), { code: 'EACCES' })), false);
    assert.equal(describeFileNameError('a\nb.md', Object.assign(new Error("ENOENT: stat 'a\nb.md'"), { code: 'ENOENT' })), "ENOENT: stat 'a\\nb.md'");
  });
});
