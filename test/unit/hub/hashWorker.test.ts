import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createStreamHasher, hashWholeFile, workerHashThreshold } from '../../../src/core/hub/hashWorker';
import { scratchDir } from '../../support/scratchDir';

describe('hashing large files on the hash worker', () => {
  const folder = scratchDir('hash-worker');
  const bytes = (size: number, seed: number): Buffer => Buffer.alloc(size, seed);

  it('follows a file as it is written and gives the digest of all of it', async () => {
    const path = join(folder, 'growing.bin');
    const parts = [bytes(workerHashThreshold / 2, 1), bytes(workerHashThreshold / 2 + 7, 2)];
    writeFileSync(path, '');
    const hasher = createStreamHasher('sha256', undefined, workerHashThreshold + 7, path);
    assert.equal(hasher.followsFile, true, 'a file this large is hashed on the worker');
    let written = 0;
    for (const part of parts) {
      appendFileSync(path, part);
      written += part.length;
      hasher.written(written);
    }
    assert.equal(await hasher.digest(written), createHash('sha256').update(Buffer.concat(parts)).digest('hex'));
  });

  it("hashes git's blob header first, and concurrent transfers share the worker without mixing their files", async () => {
    const files = [bytes(workerHashThreshold, 3), bytes(workerHashThreshold + 1, 4)].map((content, index) => {
      const path = join(folder, `blob-${index}.bin`);
      writeFileSync(path, content);
      return { path, content };
    });
    const digests = await Promise.all(files.map(({ path, content }) => hashWholeFile(path, 'sha1', `blob ${content.length}\0`, content.length)));
    assert.deepEqual(
      digests,
      files.map(({ content }) => createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex')),
    );
  });

  it('a file that cannot be read fails its digest with the reason, and the next hash still works', async () => {
    const missing = join(folder, 'missing.bin');
    const hasher = createStreamHasher('sha256', undefined, workerHashThreshold, missing);
    hasher.written(workerHashThreshold);
    await assert.rejects(hasher.digest(workerHashThreshold), /hashing failed: ENOENT/);
    const path = join(folder, 'after.bin');
    writeFileSync(path, bytes(workerHashThreshold, 5));
    assert.equal(await hashWholeFile(path, 'sha256', undefined, workerHashThreshold), createHash('sha256').update(bytes(workerHashThreshold, 5)).digest('hex'));
  });

  it('a file shorter than announced never matches', async () => {
    const path = join(folder, 'short.bin');
    writeFileSync(path, bytes(workerHashThreshold, 6));
    assert.equal(await hashWholeFile(path, 'sha256', undefined, workerHashThreshold + 1), 'short-read');
  });
});
