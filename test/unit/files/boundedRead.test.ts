import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readBoundedFile, readBoundedFileSync, readBoundedJsonSync, UnsafeFileError } from '../../../src/core/files/boundedRead';
import { scratchDir } from '../../support/scratchDir';

const folder = scratchDir('bounded');

function reason(error: unknown): string {
  assert.ok(error instanceof UnsafeFileError, `expected an UnsafeFileError, got ${String(error)}`);
  return error.reason;
}

describe('bounded reads of files named from outside', () => {
  it('reads a regular file within its cap, sync and async', async () => {
    const file = join(folder, 'config.json');
    writeFileSync(file, '{"a":1}');
    assert.equal((await readBoundedFile(file, { kind: 'modelConfig' })).toString(), '{"a":1}');
    assert.deepEqual(readBoundedJsonSync(file, { kind: 'modelConfig' }), { a: 1 });
  });

  it('refuses a link to /dev/zero without allocating (a device is not a regular file)', async () => {
    const link = join(folder, 'tokenizer.json');
    symlinkSync('/dev/zero', link);
    await assert.rejects(readBoundedFile(link, { kind: 'tokenizer' }), (error) => reason(error) === 'not-a-file' && /a device/.test((error as Error).message));
    assert.throws(
      () => readBoundedFileSync(link, { kind: 'tokenizer' }),
      (error) => reason(error) === 'not-a-file',
    );
  });

  it('refuses a FIFO at once instead of waiting for a writer', async () => {
    const fifo = join(folder, 'pipe.json');
    execFileSync('mkfifo', [fifo]);
    const started = Date.now();
    await assert.rejects(readBoundedFile(fifo, { kind: 'modelConfig' }), (error) => reason(error) === 'not-a-file' && /named pipe/.test((error as Error).message));
    assert.throws(
      () => readBoundedFileSync(fifo, { kind: 'modelConfig' }),
      (error) => reason(error) === 'not-a-file',
    );
    assert.ok(Date.now() - started < 5000);
  });

  it('refuses a folder', async () => {
    await assert.rejects(readBoundedFile(folder, { kind: 'chatTemplate' }), (error) => reason(error) === 'not-a-file');
  });

  it('refuses a file over its cap, naming the size and the limit', async () => {
    const file = join(folder, 'big.jinja');
    writeFileSync(file, Buffer.alloc(2048, 0x61));
    await assert.rejects(readBoundedFile(file, { kind: 'chatTemplate', maxBytes: 1024 }), (error) => reason(error) === 'too-large' && /2 KiB.*1 KiB/.test((error as Error).message));
    assert.throws(
      () => readBoundedFileSync(file, { kind: 'chatTemplate', maxBytes: 1024 }),
      (error) => reason(error) === 'too-large',
    );
    assert.equal(readBoundedFileSync(file, { kind: 'chatTemplate', maxBytes: 2048 }).length, 2048);
  });

  it('catches a file whose reported size is smaller than what it holds (a /proc-style file)', () => {
    assert.throws(
      () => readBoundedFileSync('/proc/self/status', { kind: 'small', maxBytes: 16 }),
      (error) => reason(error) === 'too-large',
    );
  });

  it('names a missing file as missing', async () => {
    await assert.rejects(readBoundedFile(join(folder, 'absent.json'), { kind: 'modelConfig' }), (error) => reason(error) === 'unreadable' && /does not exist/.test((error as Error).message));
  });
});
