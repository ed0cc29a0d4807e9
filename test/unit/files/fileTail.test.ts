import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readLastLines } from '../../../src/core/files/fileTail';
import { scratchDir } from '../../support/scratchDir';

describe('readLastLines', () => {
  it('returns the complete lines in the window at the end, dropping the one the window cuts', () => {
    const file = join(scratchDir('file-tail'), 'train.log');
    writeFileSync(file, 'first line\r\nsecond\nthird\n');
    assert.deepEqual(readLastLines(file, 1024), ['first line', 'second', 'third']);
    assert.deepEqual(readLastLines(file, 'second\nthird\n'.length + 2), ['second', 'third'], 'the cut "ne" of the first line is dropped');
  });

  it('reads up to a given size, not the current end, and has no lines for an empty or missing file', () => {
    const dir = scratchDir('file-tail');
    const file = join(dir, 'train.log');
    writeFileSync(file, 'seen\nnot yet handed over\n');
    assert.deepEqual(readLastLines(file, 1024, 'seen\n'.length), ['seen']);
    writeFileSync(join(dir, 'empty.log'), '');
    assert.deepEqual(readLastLines(join(dir, 'empty.log'), 1024), []);
    assert.deepEqual(readLastLines(join(dir, 'missing.log'), 1024), []);
  });

  it('keeps a last line that has no newline yet', () => {
    const file = join(scratchDir('file-tail'), 'train.log');
    writeFileSync(file, 'done\nwriting');
    assert.deepEqual(readLastLines(file, 1024), ['done', 'writing']);
  });
});
