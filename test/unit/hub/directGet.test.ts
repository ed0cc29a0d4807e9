import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type DirectResponse, directGet } from '../../../src/core/hub/directGet';
import { scratchDir } from '../../support/scratchDir';

const body = randomBytes(5 * 1024 * 1024 + 3);

async function collect(response: DirectResponse, slowSink = false): Promise<Buffer> {
  const parts: Buffer[] = [];
  const count = await response.readBody((chunk) => {
    parts.push(Buffer.from(chunk));
    return slowSink ? new Promise((resolve) => setTimeout(resolve, 1)) : undefined;
  });
  const all = Buffer.concat(parts);
  assert.equal(count, all.length);
  return all;
}

function listen(server: net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

/** A server that answers every connection with these raw bytes (and then optionally closes or hangs). */
async function rawServer(reply: Buffer | string, then: 'close' | 'hang' = 'close'): Promise<{ url: URL; close: () => void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('data', () => {
      socket.write(reply);
      if (then === 'close') socket.end();
    });
    socket.on('error', () => undefined);
  });
  const port = await listen(server);
  return {
    url: new URL(`http://127.0.0.1:${port}/file`),
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

describe('directGet: a GET whose body is read into one reusable buffer', () => {
  let server: http.Server;
  let base: string;
  const seen: http.IncomingHttpHeaders[] = [];
  before(async () => {
    server = http.createServer((req, res) => {
      seen.push(req.headers);
      if (req.url === '/chunked') {
        res.writeHead(200);
        res.write(body.subarray(0, 1000));
        res.end(body.subarray(1000, 2000));
        return;
      }
      if (req.url === '/empty') {
        res.writeHead(204);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-length': String(body.length), 'x-twice': 'a' });
      res.end(body);
    });
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  after(() => server.close());

  it('refuses a header value with a line break (it would add headers to the hand-written request) and sends nothing', async () => {
    const before = seen.length;
    await assert.rejects(directGet(new URL(`${base}/file`), { headers: { authorization: 'Bearer hf_x\r\nx-injected: 1' } }), /line break or an invalid character/);
    await assert.rejects(directGet(new URL(`${base}/file`), { headers: { 'bad name': 'x' } }), /invalid character/);
    assert.equal(seen.length, before);
  });

  it('delivers a Content-Length body byte-exact, with request headers sent and response headers parsed', async () => {
    const response = await directGet(new URL(`${base}/file?x=1`), { headers: { range: 'bytes=0-', 'user-agent': 'test' } });
    assert.equal(response.status, 200);
    assert.equal(response.framing, 'length');
    assert.equal(response.contentLength, body.length);
    assert.equal(response.headers['x-twice'], 'a');
    assert.ok((await collect(response)).equals(body));
    assert.equal(seen.at(-1)?.range, 'bytes=0-');
    assert.equal(seen.at(-1)?.connection, 'close');
  });

  it('waits for a slow sink without losing or reordering bytes (the read buffer is reused)', async () => {
    const response = await directGet(new URL(`${base}/file`), { headers: {}, readBufferBytes: 64 * 1024 });
    assert.ok((await collect(response, true)).equals(body));
  });

  it('reports a chunked body instead of reading it, and an empty 204', async () => {
    const chunked = await directGet(new URL(`${base}/chunked`), { headers: {} });
    assert.equal(chunked.framing, 'chunked');
    await assert.rejects(
      chunked.readBody(() => undefined),
      /chunked/,
    );
    const empty = await directGet(new URL(`${base}/empty`), { headers: {} });
    assert.equal(empty.status, 204);
    assert.equal(await empty.readBody(() => assert.fail('no body expected')), 0);
  });

  it('skips an interim 100 response and reads a body delimited by the end of the connection', async () => {
    const raw = await rawServer(Buffer.concat([Buffer.from('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nX-A: 1\r\nX-A: 2\r\n\r\n'), body.subarray(0, 70_000)]));
    try {
      const response = await directGet(raw.url, { headers: {} });
      assert.equal(response.status, 200);
      assert.equal(response.framing, 'close');
      assert.equal(response.headers['x-a'], '1, 2');
      assert.ok((await collect(response)).equals(body.subarray(0, 70_000)));
    } finally {
      raw.close();
    }
  });

  it('fails a body cut short with a retryable premature-close error', async () => {
    const raw = await rawServer(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n'), body.subarray(0, 40_000)]));
    try {
      const response = await directGet(raw.url, { headers: {} });
      await assert.rejects(collect(response), (error: Error & { code?: string }) => error.code === 'ERR_STREAM_PREMATURE_CLOSE');
    } finally {
      raw.close();
    }
  });

  it('names a response that is not HTTP, and an invalid Content-Length', async () => {
    const garbage = await rawServer('SSH-2.0-OpenSSH_9.2\r\n\r\n');
    const badLength = await rawServer('HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n');
    try {
      await assert.rejects(directGet(garbage.url, { headers: {} }), /not an HTTP\/1\.1 response: 'SSH-2\.0/);
      await assert.rejects(directGet(badLength.url, { headers: {} }), /invalid Content-Length '-5'/);
    } finally {
      garbage.close();
      badLength.close();
    }
  });

  it('times out a silent server and stops at once when aborted', async () => {
    const silent = await rawServer(Buffer.concat([Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n'), body.subarray(0, 10)]), 'hang');
    try {
      const response = await directGet(silent.url, { headers: {}, idleTimeoutMs: 200 });
      await assert.rejects(collect(response), (error: Error & { code?: string }) => error.code === 'ETIMEDOUT');
      const controller = new AbortController();
      const aborted = await directGet(silent.url, { headers: {}, signal: controller.signal });
      const reading = collect(aborted);
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(reading, { name: 'AbortError' });
      await assert.rejects(directGet(silent.url, { headers: {}, signal: AbortSignal.abort() }), { name: 'AbortError' });
    } finally {
      silent.close();
    }
  });

  it('speaks TLS with the certificate verified (and refuses an untrusted one)', async (t) => {
    const folder = scratchDir('tls');
    try {
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-x509',
            '-newkey',
            'rsa:2048',
            '-nodes',
            '-keyout',
            join(folder, 'key.pem'),
            '-out',
            join(folder, 'cert.pem'),
            '-days',
            '1',
            '-subj',
            '/CN=localhost',
            '-addext',
            'subjectAltName=DNS:localhost',
          ],
          { stdio: 'ignore' },
        );
      } catch {
        t.skip('openssl is not installed to make a test certificate');
        return;
      }
      const cert = readFileSync(join(folder, 'cert.pem'));
      const secure = https.createServer({ key: readFileSync(join(folder, 'key.pem')), cert }, (req, res) => {
        res.writeHead(200, { 'content-length': String(body.length) });
        res.end(body);
      });
      const port = await listen(secure);
      try {
        const url = new URL(`https://localhost:${port}/file`);
        const response = await directGet(url, { headers: {}, ca: cert });
        assert.ok((await collect(response)).equals(body));
        await assert.rejects(directGet(url, { headers: {} }), /self[- ]signed|unable to verify|certificate/i);
      } finally {
        secure.close();
      }
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
