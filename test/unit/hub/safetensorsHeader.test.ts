import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type CachedRevision } from '../../../src/core/hub/cacheScan';
import { fitFromCache } from '../../../src/core/hub/modelFit';
import { fileRangeReader, hubRangeReader, maxSafetensorsHeaderBytes, parametersByDtype, readSafetensorsHeader } from '../../../src/core/hub/safetensorsHeader';
import { scratchDir } from '../../support/scratchDir';

const fast = { timeout: 15_000 };
const scratch = scratchDir('safetensors');

function safetensorsFile(name: string, declaredLength: bigint, header: string): string {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(declaredLength);
  const file = join(scratch, name);
  writeFileSync(file, Buffer.concat([prefix, Buffer.from(header)]));
  return file;
}

describe('safetensors headers: the length is written by whoever made the file', () => {
  const header = JSON.stringify({ __metadata__: { format: 'pt' }, 'a.weight': { dtype: 'BF16', shape: [4, 8], data_offsets: [0, 64] }, b: { dtype: 'F32', shape: [3], data_offsets: [64, 76] } });

  it('counts the parameters of a sound header', async () => {
    const parsed = await readSafetensorsHeader(fileRangeReader(safetensorsFile('sound.safetensors', BigInt(header.length), header)));
    assert.deepEqual(parametersByDtype(parsed), { BF16: 32, F32: 3 });
  });

  it('refuses a header length over the cap before allocating or reading it, naming the length and the limit', async () => {
    const reads: [number, number][] = [];
    const reader = fileRangeReader(safetensorsFile('huge.safetensors', 1n << 40n, header));
    await assert.rejects(
      readSafetensorsHeader(async (start, end) => {
        reads.push([start, end]);
        return reader(start, end);
      }),
      new RegExp(`header length is ${2 ** 40} bytes \\(the limit is ${maxSafetensorsHeaderBytes}\\)`),
    );
    assert.deepEqual(reads, [[0, 8]]);
    assert.ok(maxSafetensorsHeaderBytes <= 16 << 20);
  });

  it('refuses a header length past the end of the file', async () => {
    await assert.rejects(readSafetensorsHeader(fileRangeReader(safetensorsFile('short.safetensors', 1000n, header))), /header says 1000 bytes but the file holds \d+/);
  });

  it('refuses a header whose entries are not tensors', async () => {
    const bad = JSON.stringify({ w: { dtype: 'F32', shape: 'lots', data_offsets: [0, 4] } });
    await assert.rejects(readSafetensorsHeader(fileRangeReader(safetensorsFile('bad.safetensors', BigInt(bad.length), bad))), /entry "w" has no dtype, shape and data_offsets/);
  });

  it('refuses a local file that is a named pipe instead of waiting for a writer', fast, async () => {
    const pipe = join(scratch, 'pipe.safetensors');
    execFileSync('mkfifo', [pipe]);
    await assert.rejects(readSafetensorsHeader(fileRangeReader(pipe)), /pipe\.safetensors is not a regular file/);
  });

  it('downloads only the range asked for from a server that ignores Range', fast, async () => {
    const total = 256 << 20;
    let sent = 0;
    let closed!: () => void;
    const connectionClosed = new Promise<void>((resolve) => (closed = resolve));
    const server: Server = createServer((request, response) => {
      response.writeHead(200, { 'content-length': String(total) });
      const chunk = Buffer.alloc(1 << 20, 0x20);
      const pump = (): void => {
        while (sent < total) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', pump);
        }
        response.end();
      };
      response.on('close', closed);
      pump();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as AddressInfo;
      const read = hubRangeReader({ endpoint: `http://127.0.0.1:${port}`, offline: false, token: undefined }, 'org/model', 'abc', 'model.safetensors');
      const bytes = await read(8, 108);
      assert.equal(bytes.length, 100);
      await connectionClosed;
      assert.ok(sent < total / 4, `the server sent ${sent >> 20} MiB of ${total >> 20} MiB`);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('fit from the cache', () => {
  it('refuses a config.json that is a named pipe, naming it', fast, async () => {
    const folder = join(scratch, 'snapshot');
    mkdirSync(folder);
    execFileSync('mkfifo', [join(folder, 'config.json')]);
    const revision: CachedRevision = { commit: 'abc', refs: ['main'], folder, files: [], size: 0, lastModified: new Date(0) };
    await assert.rejects(
      fitFromCache('org/model', revision, { ramBytes: 1 << 30, freeRamBytes: 1 << 30, cpuCount: 2, gpus: [] }),
      /config\.json: cannot read it \(The model configuration .* is a named pipe, not a regular file/,
    );
  });
});
