import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { healthUrlOf, ServerUnhealthyError, waitUntilHealthy } from '../../../src/core/serving/healthCheck';

/** A server whose /health answers `statuses` in turn (the last one forever); resolves its /v1 base URL. */
async function healthServer(t: TestContext, statuses: number[]): Promise<{ url: string; asked: () => number }> {
  let asked = 0;
  const server: Server = createServer((request, response) => {
    const status = request.url === '/health' ? statuses[Math.min(asked++, statuses.length - 1)]! : 404;
    response.writeHead(status).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, asked: () => asked };
}

describe('health check of a served model', () => {
  it('asks /health beside /v1, not under it', () => {
    assert.equal(healthUrlOf('http://127.0.0.1:8765/v1'), 'http://127.0.0.1:8765/health');
    assert.equal(healthUrlOf('http://127.0.0.1:8765/v1/'), 'http://127.0.0.1:8765/health');
    assert.equal(healthUrlOf('https://gpu.example/proxy/v1'), 'https://gpu.example/proxy/health');
    assert.equal(healthUrlOf('http://[::1]:9000'), 'http://[::1]:9000/health');
  });

  it('waits through 503 answers until /health answers 200', async (t) => {
    const server = await healthServer(t, [503, 503, 200]);
    await waitUntilHealthy(server.url, { timeoutMs: 10_000, intervalMs: 10 });
    assert.equal(server.asked(), 3);
  });

  it('gives up with the last answer when the server never gets healthy', async (t) => {
    const server = await healthServer(t, [503]);
    await assert.rejects(waitUntilHealthy(server.url, { timeoutMs: 200, intervalMs: 20 }), (error: unknown) => error instanceof ServerUnhealthyError && error.lastAnswer === 'HTTP 503');
  });

  it('says the connection was refused when nothing listens', async (t) => {
    const server = await healthServer(t, [200]);
    const closedPort = new URL(server.url).port;
    // A port that was just free: listen and close to find one nothing listens on.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const freePort = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    assert.notEqual(String(freePort), closedPort);
    await assert.rejects(
      waitUntilHealthy(`http://127.0.0.1:${freePort}/v1`, { timeoutMs: 100, intervalMs: 20 }),
      (error: unknown) => error instanceof ServerUnhealthyError && error.lastAnswer === 'ECONNREFUSED',
    );
  });

  it('stops waiting when its signal aborts', async (t) => {
    const server = await healthServer(t, [503]);
    const controller = new AbortController();
    const waiting = waitUntilHealthy(server.url, { timeoutMs: 60_000, intervalMs: 20, signal: controller.signal });
    controller.abort(new Error('the server ended'));
    await assert.rejects(waiting, /the server ended/);
  });
});
