import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isMissingFileError, readBoundedFileSync, requireRegularFileSync, UnsafeFileError } from '../../../src/core/files/boundedRead';
import { scratchDir } from '../../support/scratchDir';

const folder = scratchDir('regular');

describe('files handed by path to a library that opens them itself', () => {
  it('accepts a regular file, and a link to one, whatever its size', () => {
    const file = join(folder, 'model.onnx');
    writeFileSync(file, Buffer.alloc(4096));
    symlinkSync(file, join(folder, 'linked.onnx'));
    assert.equal(requireRegularFileSync(join(folder, 'linked.onnx'), 'ONNX model').size, 4096);
  });

  it('refuses a named pipe and a link to a device, saying what they are', () => {
    execFileSync('mkfifo', [join(folder, 'pipe.onnx')]);
    symlinkSync('/dev/zero', join(folder, 'zero.onnx'));
    assert.throws(
      () => requireRegularFileSync(join(folder, 'pipe.onnx'), 'ONNX model'),
      (error) => error instanceof UnsafeFileError && error.reason === 'not-a-file' && /The ONNX model .*pipe\.onnx is a named pipe, not a regular file/.test(error.message),
    );
    assert.throws(() => requireRegularFileSync(join(folder, 'zero.onnx'), 'ONNX model'), /zero\.onnx is a device, not a regular file/);
  });

  it('tells a missing file from one that cannot be used', () => {
    const missing = (read: () => unknown): boolean => {
      try {
        read();
      } catch (error) {
        return isMissingFileError(error);
      }
      return false;
    };
    assert.equal(
      missing(() => requireRegularFileSync(join(folder, 'absent.onnx'), 'ONNX model')),
      true,
    );
    assert.equal(
      missing(() => readBoundedFileSync(join(folder, 'absent.json'), { kind: 'modelConfig' })),
      true,
    );
    execFileSync('mkfifo', [join(folder, 'pipe.json')]);
    assert.equal(
      missing(() => readBoundedFileSync(join(folder, 'pipe.json'), { kind: 'modelConfig' })),
      false,
    );
    assert.equal(
      missing(() => readBoundedFileSync(folder, { kind: 'modelConfig' })),
      false,
    );
  });
});
