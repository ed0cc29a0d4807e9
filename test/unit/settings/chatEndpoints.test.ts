import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ChatBackendError } from '../../../src/core/chat/backend';
import { OpenAiCompatibleBackend } from '../../../src/core/chat/openAiCompatibleBackend';
import {
  chatEndpointsFrom,
  decodeEndpointSecret,
  encodeEndpointSecret,
  endpointApiKey,
  httpOrigin,
  checkEndpointUrl,
  endpointIdsIn,
  suggestEndpointId,
  withEndpointAdded,
  withEndpointRemoved,
} from '../../../src/core/settings/chatEndpoints';

const hostile = [{ id: 'corp', baseUrl: 'https://evil.example/v1', apiKeyEnvironmentVariable: 'HOME' }];

describe('chat endpoints from settings', () => {
  it('drops apiKeyEnvironmentVariable when the endpoints come from a workspace', () => {
    assert.deepEqual(chatEndpointsFrom(hostile, 'workspace'), [{ id: 'corp', label: 'corp', baseUrl: 'https://evil.example/v1', origin: 'https://evil.example' }]);
    assert.equal(chatEndpointsFrom(hostile, 'workspaceFolder')[0]?.apiKeyEnvironmentVariable, undefined);
  });

  it('keeps apiKeyEnvironmentVariable from the user settings', () => {
    assert.equal(chatEndpointsFrom(hostile, 'user')[0]?.apiKeyEnvironmentVariable, 'HOME');
  });

  it('drops entries without an http(s) URL, with credentials in the URL, with a bad id, or a repeated id', () => {
    const entries = [
      { id: 'a', baseUrl: 'file:///etc' },
      { id: 'b', baseUrl: 'http://u:p@host/v1' },
      { id: 'c d', baseUrl: 'http://x' },
      { id: 'e', baseUrl: 'http://one' },
      { id: 'e', baseUrl: 'http://two' },
      null,
      'x',
    ];
    assert.deepEqual(
      chatEndpointsFrom(entries, 'user').map((e) => e.baseUrl),
      ['http://one'],
    );
    assert.deepEqual(chatEndpointsFrom({ id: 'x' }, 'user'), []);
  });

  it('takes the origin of a base URL', () => {
    assert.equal(httpOrigin('http://localhost:8000/v1'), 'http://localhost:8000');
    assert.equal(httpOrigin('javascript:alert(1)'), undefined);
  });
});

describe('endpoint API keys in SecretStorage', () => {
  const endpoint = chatEndpointsFrom([{ id: 'mine', baseUrl: 'https://api.example/v1' }], 'user')[0]!;

  it('gives the stored key to the origin it was entered for', () => {
    assert.equal(decodeEndpointSecret(encodeEndpointSecret('https://api.example', 'sk-1'), 'https://api.example'), 'sk-1');
  });

  it('gives nothing when the same id now points to another origin', () => {
    assert.equal(decodeEndpointSecret(encodeEndpointSecret('https://api.example', 'sk-1'), 'https://evil.example'), undefined);
    assert.equal(decodeEndpointSecret('not json', 'https://api.example'), undefined);
    assert.equal(decodeEndpointSecret(JSON.stringify({ origin: 'https://api.example', apiKey: 7 }), 'https://api.example'), undefined);
  });

  it('prefers the stored key and falls back to the user-named environment variable', () => {
    const legacy = { ...endpoint, apiKeyEnvironmentVariable: 'MY_KEY' };
    assert.equal(endpointApiKey(legacy, encodeEndpointSecret(endpoint.origin, 'stored'), { MY_KEY: 'env' }), 'stored');
    assert.equal(endpointApiKey(legacy, undefined, { MY_KEY: 'env' }), 'env');
    assert.equal(endpointApiKey(endpoint, undefined, { MY_KEY: 'env' }), undefined);
  });
});

describe('an endpoint with an API key sends it only to its own origin', () => {
  const seen: { server: 'endpoint' | 'elsewhere'; headers: IncomingHttpHeaders }[] = [];
  let endpointServer: Server;
  let elsewhere: Server;
  let baseUrl: string;
  const port = (server: Server) => (server.address() as AddressInfo).port;
  before(async () => {
    elsewhere = createServer((request, response) => {
      seen.push({ server: 'elsewhere', headers: request.headers });
      response.setHeader('content-type', 'application/json');
      response.end('{"data":[{"id":"stolen"}]}');
    });
    await new Promise<void>((resolve) => elsewhere.listen(0, '127.0.0.1', resolve));
    endpointServer = createServer((request, response) => {
      seen.push({ server: 'endpoint', headers: request.headers });
      response.statusCode = 307;
      response.setHeader('location', `http://127.0.0.1:${port(elsewhere)}${request.url ?? '/'}`);
      response.end();
    });
    await new Promise<void>((resolve) => endpointServer.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${port(endpointServer)}/v1`;
  });
  after(() => {
    endpointServer.close();
    elsewhere.close();
  });

  it('does not follow a redirect to another origin when listing models or generating', async () => {
    const backend = new OpenAiCompatibleBackend({ id: 'mine', label: 'Mine', baseUrl, apiKey: 'sk-secret' });
    assert.deepEqual(await backend.listModels(), []);
    await assert.rejects(
      backend.generate({ model: 'm', messages: [{ role: 'user', content: 'hi' }], options: { temperature: 0, maxTokens: 4 } }, () => undefined, new AbortController().signal),
      (error: unknown) => error instanceof ChatBackendError && /redirect/.test(error.message),
    );
    assert.deepEqual(
      seen.map((s) => s.server),
      ['endpoint', 'endpoint'],
    );
    assert.ok(seen.every((s) => s.headers.authorization === 'Bearer sk-secret'));
  });
});

describe('checkEndpointUrl', () => {
  it('takes http and https URLs and stores them without a trailing slash or /chat/completions', () => {
    assert.deepEqual(checkEndpointUrl(' http://localhost:8000/v1/ '), { ok: true, baseUrl: 'http://localhost:8000/v1', origin: 'http://localhost:8000' });
    assert.deepEqual(checkEndpointUrl('https://api.example.com/v1/chat/completions'), { ok: true, baseUrl: 'https://api.example.com/v1', origin: 'https://api.example.com' });
  });
  it('refuses other schemes, credentials in the URL, queries and what is not a URL, saying what to enter', () => {
    for (const [input, reason] of [
      ['ftp://host/v1', /Only http and https/],
      ['http://user:pw@host/v1', /credentials/],
      ['http://host/v1?key=1', /no query/],
      ['localhost:8000', /Only http and https|not a URL/],
      ['not a url', /not a URL/],
      ['', /Enter the base URL/],
    ] as const) {
      const check = checkEndpointUrl(input);
      assert.ok(!check.ok && reason.test(check.error), `${input}: ${JSON.stringify(check)}`);
    }
  });
  it('warns about plain http to another machine only', () => {
    const remote = checkEndpointUrl('http://10.0.0.5:8000/v1');
    assert.ok(remote.ok && /unencrypted/.test(remote.warning ?? ''));
    for (const local of ['http://127.0.0.1:8000/v1', 'http://localhost/v1', 'http://[::1]:8000/v1', 'https://10.0.0.5/v1']) {
      const check = checkEndpointUrl(local);
      assert.ok(check.ok && check.warning === undefined, local);
    }
  });
});

describe('adding and removing endpoints in the user settings', () => {
  const existing = [{ id: 'gpu', label: 'GPU', baseUrl: 'http://gpu:8000/v1', apiKeyEnvironmentVariable: 'GPU_KEY' }, 'a malformed entry kept as it was'];
  it('suggests an id from the name that no endpoint has', () => {
    assert.equal(suggestEndpointId('GPU box (vLLM)', []), 'gpu-box-vllm');
    assert.equal(suggestEndpointId('gpu', ['gpu', 'gpu-2']), 'gpu-3');
    assert.equal(suggestEndpointId('***', []), 'endpoint');
    assert.match(suggestEndpointId('x'.repeat(100), []), /^[\w.-]{1,64}$/);
  });
  it('appends an entry, keeping every other one as it was', () => {
    assert.deepEqual(withEndpointAdded(existing, { id: 'local', label: 'Local', baseUrl: 'http://localhost:8000/v1' }, { replace: false }), [
      ...existing,
      { id: 'local', label: 'Local', baseUrl: 'http://localhost:8000/v1' },
    ]);
    assert.deepEqual(withEndpointAdded(undefined, { id: 'a', label: 'A', baseUrl: 'http://a/v1' }, { replace: false }), [{ id: 'a', label: 'A', baseUrl: 'http://a/v1' }]);
  });
  it('never overwrites an existing id unless told to, and then in place', () => {
    assert.throws(() => withEndpointAdded(existing, { id: 'gpu', label: 'New', baseUrl: 'http://new/v1' }, { replace: false }), /exists already/);
    assert.deepEqual(withEndpointAdded(existing, { id: 'gpu', label: 'New', baseUrl: 'http://new/v1' }, { replace: true }), [{ id: 'gpu', label: 'New', baseUrl: 'http://new/v1' }, existing[1]]);
    assert.throws(() => withEndpointAdded([], { id: 'bad id', label: 'x', baseUrl: 'http://x/v1' }, { replace: false }), /cannot be an endpoint id/);
  });
  it('removes one entry by id and lists the ids present', () => {
    assert.deepEqual(withEndpointRemoved(existing, 'gpu'), [existing[1]]);
    assert.deepEqual(endpointIdsIn(existing), ['gpu']);
    assert.deepEqual(endpointIdsIn('not a list'), []);
  });
});
