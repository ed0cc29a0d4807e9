import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import OpenAI from 'openai';
import { type ChatCompletionChunk } from 'openai/resources/chat/completions';
import { APIError, AuthenticationError, BadRequestError, InternalServerError, NotFoundError, RateLimitError } from 'openai';
import { generateApiKey } from '../../../src/core/serving/apiKeyCheck';
import { type OpenAiServerOptions, type RunningOpenAiServer, startOpenAiServer } from '../../../src/core/serving/openAiServer';
import { ServingError } from '../../../src/core/serving/servedModels';
import { waitFor } from '../../support/waitFor';
import { FakeServedModels } from './fakeServedModels';

async function serve(t: TestContext, options: Partial<OpenAiServerOptions> = {}): Promise<{ server: RunningOpenAiServer; provider: FakeServedModels; client: OpenAI }> {
  const provider = options.provider instanceof FakeServedModels ? options.provider : new FakeServedModels();
  const server = await startOpenAiServer({ host: '127.0.0.1', port: 0, ...options, provider });
  t.after(() => server.close());
  // No retries: a test must see the first answer, 429 and 503 included.
  const client = new OpenAI({ baseURL: server.url, apiKey: options.apiKey ?? 'not-needed', maxRetries: 0 });
  return { server, provider, client };
}

/** The error a promise rejects with, checked to be of `type`. */
async function rejection<T extends Error>(promise: Promise<unknown>, type: abstract new (...args: never[]) => T): Promise<T> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof type, `expected ${type.name}, got ${String(error)}`);
    return error;
  }
  assert.fail(`expected ${type.name}, but the request succeeded`);
}

/** A raw HTTP exchange, for what the typed client cannot send (odd Host headers, chunked oversize bodies). */
function rawRequest(
  server: RunningOpenAiServer,
  options: { method: string; path: string; headers?: Record<string, string>; body?: Buffer | string; chunks?: Buffer[] },
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port: server.port, method: options.method, path: options.path, headers: options.headers ?? {} }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }));
    });
    request.on('error', reject);
    if (options.chunks) {
      // Write until the server answers or the chunks run out; the server may cut the connection once it has answered.
      for (const chunk of options.chunks) request.write(chunk);
      request.end();
    } else {
      request.end(options.body);
    }
  });
}

const hello = [{ role: 'user' as const, content: 'Say hello to the team' }];

describe('OpenAI-compatible server, driven by the openai client', () => {
  it('lists chat and embedding models with their parent and context length', async (t) => {
    const { client } = await serve(t);
    const models = [];
    for await (const model of client.models.list()) models.push(model);
    assert.deepEqual(
      models.map(({ id, object, owned_by, ...rest }) => ({ id, object, owned_by, parent: (rest as { parent?: string }).parent, max_model_len: (rest as { max_model_len?: number }).max_model_len })),
      [
        { id: 'tiny-chat', object: 'model', owned_by: 'chatwright', parent: undefined, max_model_len: 2048 },
        { id: 'tiny-chat-support', object: 'model', owned_by: 'chatwright', parent: 'tiny-chat', max_model_len: undefined },
        { id: 'tiny-embed', object: 'model', owned_by: 'chatwright', parent: undefined, max_model_len: undefined },
      ],
    );
    assert.ok(models.every((model) => Number.isInteger(model.created) && model.created > 0));
    assert.equal((await client.models.retrieve('tiny-chat-support')).id, 'tiny-chat-support');
  });

  it('answers a chat completion with the generated text, the length finish reason and usage, passing the sampling fields on', async (t) => {
    const { client, provider } = await serve(t);
    const completion = await client.chat.completions.create({
      model: 'tiny-chat',
      messages: [
        { role: 'developer', content: 'Be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'Say ' },
            { type: 'text', text: 'hello' },
          ],
        },
      ],
      max_tokens: 3,
      temperature: 0.7,
      top_p: 0.9,
      seed: 42,
      user: 'someone',
      metadata: { team: 'a' },
    });
    assert.match(completion.id, /^chatcmpl-\w+$/);
    assert.equal(completion.object, 'chat.completion');
    assert.equal(completion.model, 'tiny-chat');
    assert.deepEqual(completion.choices[0]?.message.role, 'assistant');
    assert.equal(completion.choices[0]?.message.content, 'tok0 tok1 tok2 ');
    assert.equal(completion.choices[0]?.finish_reason, 'length');
    assert.deepEqual(completion.usage, { prompt_tokens: 4, completion_tokens: 3, total_tokens: 7 });
    assert.deepEqual(provider.generations[0]?.request, {
      model: 'tiny-chat',
      messages: [
        { role: 'system', content: 'Be brief' },
        { role: 'user', content: 'Say hello' },
      ],
      maxTokens: 3,
      temperature: 0.7,
      topP: 0.9,
      seed: 42,
    });
  });

  it('takes max_completion_tokens as the limit and refuses one above the server limit, naming the field', async (t) => {
    const { client, provider } = await serve(t, { maxTokensLimit: 100 });
    const completion = await client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_completion_tokens: 5 });
    assert.equal(completion.usage?.completion_tokens, 5);
    assert.equal(provider.generations[0]?.request.maxTokens, 5);
    const error = await rejection(client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_completion_tokens: 101 }), BadRequestError);
    assert.equal(error.param, 'max_completion_tokens');
    assert.match(error.message, /100/);
  });

  it('ends at a stop string, passing the stop list to the provider', async (t) => {
    const { client, provider } = await serve(t);
    const completion = await client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_tokens: 10, stop: ['tok3', 'never'] });
    assert.equal(completion.choices[0]?.message.content, 'tok0 tok1 tok2 ');
    assert.equal(completion.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(provider.generations[0]?.request.stop, ['tok3', 'never']);
    await client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_tokens: 2, stop: 'tok9' });
    assert.deepEqual(provider.generations[1]?.request.stop, ['tok9']);
  });

  it('streams a role chunk, the text, and a chunk with the finish reason, and no usage unless asked', async (t) => {
    const { client } = await serve(t);
    const stream = await client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_tokens: 4, stream: true });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    assert.deepEqual(chunks[0]?.choices[0]?.delta, { role: 'assistant', content: '' });
    assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''), 'tok0 tok1 tok2 tok3 ');
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, 'length');
    assert.ok(chunks.slice(0, -1).every((chunk) => chunk.choices[0]?.finish_reason === null));
    assert.ok(chunks.every((chunk) => chunk.object === 'chat.completion.chunk' && chunk.id === chunks[0]?.id && !('usage' in chunk)));
  });

  it('streams a last chunk with empty choices and the usage when stream_options.include_usage is set', async (t) => {
    const { client } = await serve(t);
    const stream = await client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_tokens: 2, stream: true, stream_options: { include_usage: true }, stop: 'tok1' });
    const chunks: ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    const last = chunks.at(-1);
    assert.deepEqual(last?.choices, []);
    assert.deepEqual(last?.usage, { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 });
    assert.equal(chunks.at(-2)?.choices[0]?.finish_reason, 'stop');
    assert.ok(chunks.slice(0, -1).every((chunk) => chunk.usage === null));
    assert.equal(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join(''), 'tok0 ');
  });

  it('embeds texts, as floats and as base64 that decodes to the same vectors, with usage', async (t) => {
    const { client } = await serve(t);
    const floats = await client.embeddings.create({ model: 'tiny-embed', input: ['alpha beta', 'gamma'], encoding_format: 'float' });
    // The openai client asks for base64 when no format is given and decodes it into numbers itself.
    const decoded = await client.embeddings.create({ model: 'tiny-embed', input: ['alpha beta', 'gamma'] });
    assert.deepEqual(
      floats.data.map((item) => item.embedding),
      [
        Array.from(Float32Array.from([10, 'alpha beta'.split('').reduce((sum, c) => sum + c.charCodeAt(0), 0) % 97, 0.1, -1.25])),
        Array.from(Float32Array.from([5, [...'gamma'].reduce((sum, c) => sum + c.charCodeAt(0), 0) % 97, 0.1, -1.25])),
      ],
    );
    assert.deepEqual(
      decoded.data.map((item) => item.embedding),
      floats.data.map((item) => item.embedding),
    );
    assert.deepEqual(
      floats.data.map((item) => item.index),
      [0, 1],
    );
    assert.equal(floats.usage.prompt_tokens, 3);
    const single = await client.embeddings.create({ model: 'tiny-embed', input: 'gamma', dimensions: 4, encoding_format: 'float' });
    assert.deepEqual(single.data[0]?.embedding, floats.data[1]?.embedding);
  });

  it('refuses token-array input, a dimensions it cannot make, and a chat model for embeddings, naming the field', async (t) => {
    const { client } = await serve(t);
    assert.equal((await rejection(client.embeddings.create({ model: 'tiny-embed', input: [[1, 2, 3]] }), BadRequestError)).param, 'input');
    assert.equal((await rejection(client.embeddings.create({ model: 'tiny-embed', input: 'x', dimensions: 2 }), BadRequestError)).param, 'dimensions');
    assert.equal((await rejection(client.embeddings.create({ model: 'tiny-chat', input: 'x' }), BadRequestError)).param, 'model');
  });

  it('stops the generation when the client breaks out of the stream, and frees the slot', async (t) => {
    const { client, provider, server } = await serve(t, { maxConcurrent: 1 });
    provider.tokenDelayMs = 5;
    const stream = await client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_tokens: 2000, stream: true });
    let received = 0;
    for await (const chunk of stream) {
      if (chunk.choices[0]?.delta.content) received += 1;
      if (received === 3) break;
    }
    const generation = await waitFor(() => (provider.generations[0]?.done === true ? provider.generations[0] : undefined), 'the generation to end');
    assert.equal(generation.aborted, true);
    assert.ok(generation.tokens < 200, `generated ${generation.tokens} of 2000 tokens after the client left`);
    await waitFor(() => (server.stats().active === 0 ? true : undefined), 'the slot to be freed');
    // The one slot is free again: the next request runs.
    const next = await client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_tokens: 1 });
    assert.equal(next.choices[0]?.message.content, 'tok0 ');
  });

  it('answers a body that is not JSON with a 400', async (t) => {
    const { client } = await serve(t);
    const error = await rejection(client.post('/chat/completions', { body: '{"model": "tiny-chat", ', headers: { 'Content-Type': 'application/json' } }), BadRequestError);
    assert.equal(error.code, 'invalid_json');
    assert.equal(error.type, 'invalid_request_error');
  });

  it('answers a bad field with a 400 whose param names it', async (t) => {
    const { client } = await serve(t);
    const param = async (body: Record<string, unknown>) => (await rejection(client.chat.completions.create({ model: 'tiny-chat', messages: hello, ...body } as never), BadRequestError)).param;
    assert.equal(await param({ temperature: 3 }), 'temperature');
    assert.equal(await param({ top_p: 0 }), 'top_p');
    assert.equal(await param({ seed: 1.5 }), 'seed');
    assert.equal(await param({ n: 2 }), 'n');
    assert.equal(await param({ stop: ['a', 'b', 'c', 'd', 'e'] }), 'stop');
    assert.equal(await param({ tools: [{ type: 'function', function: { name: 'f' } }] }), 'tools');
    assert.equal(await param({ response_format: { type: 'json_schema', json_schema: { name: 's', schema: {} } } }), 'response_format');
    assert.equal(await param({ logprobs: true }), 'logprobs');
    assert.equal(
      await param({
        messages: [
          hello[0],
          {
            role: 'user',
            content: [
              { type: 'text', text: 'a' },
              { type: 'image_url', image_url: { url: 'x' } },
            ],
          },
        ],
      }),
      'messages[1].content[1].type',
    );
    assert.equal(await param({ messages: [{ role: 'tool', content: 'x', tool_call_id: 'c' }] }), 'messages[0].role');
    assert.equal(await param({ messages: [hello[0], hello[0], { role: 'user', content: 7 }] }), 'messages[2].content');
    assert.equal(await param({ messages: [] }), 'messages');
    const toolRole = await rejection(client.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'tool', content: 'x', tool_call_id: 'c' }] }), BadRequestError);
    assert.match(toolRole.message, /not supported/);
  });

  it('asks for a key with 401 and WWW-Authenticate when one is set, missing or wrong; health needs none', async (t) => {
    const apiKey = generateApiKey();
    const { server, client } = await serve(t, { apiKey });
    assert.equal((await client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_tokens: 1 })).choices[0]?.message.content, 'tok0 ');
    const wrong = new OpenAI({ baseURL: server.url, apiKey: `${apiKey}x`, maxRetries: 0 });
    const wrongKey = await rejection(wrong.models.list(), AuthenticationError);
    assert.equal(wrongKey.type, 'authentication_error');
    assert.equal(wrongKey.headers?.get('www-authenticate'), 'Bearer');
    const missing = await rawRequest(server, { method: 'GET', path: '/v1/models', headers: { Host: `127.0.0.1:${server.port}` } });
    assert.equal(missing.status, 401);
    assert.equal(missing.headers['www-authenticate'], 'Bearer');
    assert.deepEqual(Object.keys((JSON.parse(missing.body) as { error: object }).error).sort(), ['code', 'message', 'param', 'type']);
    assert.equal((await rawRequest(server, { method: 'GET', path: '/health' })).status, 200);
  });

  it('answers an unknown model and an unknown route with 404, a wrong method with 405', async (t) => {
    const { client } = await serve(t);
    const model = await rejection(client.chat.completions.create({ model: 'no-such-model', messages: hello }), NotFoundError);
    assert.equal(model.code, 'model_not_found');
    assert.equal(model.param, 'model');
    assert.equal((await rejection(client.get('/no/such/route'), NotFoundError)).code, 'unknown_url');
    assert.equal((await rejection(client.models.retrieve('no-such-model'), NotFoundError)).code, 'model_not_found');
    const method = await rejection<APIError>(client.post('/models', { body: {} }), APIError);
    assert.equal(method.status, 405);
    assert.equal(method.headers?.get('allow'), 'GET');
  });

  it('answers a body over the limit with 413, from its Content-Length or once it grows past the limit', async (t) => {
    const { client, server } = await serve(t, { maxRequestBytes: 2000 });
    const error = await rejection(client.chat.completions.create({ model: 'tiny-chat', messages: [{ role: 'user', content: 'x'.repeat(3000) }] }), APIError);
    assert.equal(error.status, 413);
    assert.equal(error.code, 'request_too_large');
    // Chunked, with no length declared: the server stops reading at the limit and answers.
    const chunked = await rawRequest(server, {
      method: 'POST',
      path: '/v1/chat/completions',
      headers: { 'Content-Type': 'application/json', Host: 'localhost' },
      chunks: [Buffer.alloc(1500, 0x20), Buffer.alloc(1500, 0x20)],
    });
    assert.equal(chunked.status, 413);
  });

  it('refuses a request with 429 and Retry-After when every slot and queue place is taken', async (t) => {
    const { client, provider, server } = await serve(t, { maxConcurrent: 1, maxQueue: 0 });
    provider.tokenDelayMs = 5;
    const running = await client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_tokens: 2000, stream: true });
    const iterator = running[Symbol.asyncIterator]();
    await iterator.next();
    const refused = await rejection(client.chat.completions.create({ model: 'tiny-chat', messages: hello }), RateLimitError);
    assert.equal(refused.type, 'rate_limit_error');
    assert.equal(refused.headers?.get('retry-after'), '1');
    assert.equal(server.stats().rejected, 1);
    running.controller.abort();
  });

  it('queues requests beyond the slots and never runs more than maxConcurrent at once', async (t) => {
    const { client, provider, server } = await serve(t, { maxConcurrent: 2, maxQueue: 10 });
    provider.tokenDelayMs = 3;
    const answers = await Promise.all(Array.from({ length: 7 }, () => client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_tokens: 5 })));
    assert.ok(answers.every((answer) => answer.choices[0]?.message.content === 'tok0 tok1 tok2 tok3 tok4 '));
    assert.equal(provider.generations.length, 7);
    assert.equal(provider.mostRunning, 2);
    assert.deepEqual(server.stats(), { requests: 7, active: 0, queued: 0, rejected: 0, promptTokens: 35, completionTokens: 35 });
  });

  it('answers 503 to requests that arrive while it closes, lets running ones finish within the grace, then stops', async (t) => {
    const { client, provider, server } = await serve(t);
    provider.tokenDelayMs = 5;
    const running = client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_tokens: 40 });
    await waitFor(() => provider.generations[0], 'the generation to start');
    const closed = server.close({ graceMs: 30_000 });
    const refused = await rejection(client.chat.completions.create({ model: 'tiny-chat', messages: hello }), InternalServerError);
    assert.equal(refused.status, 503);
    assert.equal((await rawRequest(server, { method: 'GET', path: '/health' })).status, 503);
    assert.equal((await running).choices[0]?.message.content?.split(' ').length, 41);
    await closed;
    await assert.rejects(rawRequest(server, { method: 'GET', path: '/health' }), /ECONNREFUSED/);
  });

  it('aborts running generations at close when the grace is over', async (t) => {
    const { client, provider, server } = await serve(t);
    provider.tokenDelayMs = 5;
    const stream = await client.chat.completions.create({ model: 'tiny-chat', messages: hello, max_tokens: 5000, stream: true });
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    await server.close();
    assert.equal(provider.generations[0]?.aborted, true);
    await assert.rejects(async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next());
    });
  });

  it('answers a provider failure with 500 and its message but no stack, also after a stream has begun', async (t) => {
    const lines: string[] = [];
    const { client, provider } = await serve(t, { log: (line) => lines.push(line) });
    provider.failure = { error: new Error('the model ran out of memory'), afterTokens: 0 };
    const error = await rejection(client.chat.completions.create({ model: 'tiny-chat', messages: hello }), InternalServerError);
    assert.equal(error.status, 500);
    assert.match(error.message, /the model ran out of memory/);
    assert.doesNotMatch(JSON.stringify(error.error), /openAiServer\.test|\bat /);
    assert.ok(
      lines.some((line) => line.includes('openAiServer.test')),
      'the stack goes to the log',
    );
    provider.failure = { error: new Error('lost the device'), afterTokens: 2 };
    const stream = await client.chat.completions.create({ model: 'tiny-chat', messages: hello, stream: true });
    const midStream = await rejection(
      (async () => {
        for await (const _chunk of stream);
      })(),
      APIError,
    );
    assert.match(midStream.message, /lost the device/);
  });

  it('passes a provider ServingError through with its status (a prompt too long is a 400, a model not ready a 503)', async (t) => {
    const { client, provider } = await serve(t);
    provider.failure = { error: new ServingError(400, 'invalid_request_error', 'The prompt is 5000 tokens; the context holds 2048.', 'messages', 'context_length_exceeded'), afterTokens: 0 };
    const tooLong = await rejection(client.chat.completions.create({ model: 'tiny-chat', messages: hello, stream: true }), BadRequestError);
    assert.equal(tooLong.code, 'context_length_exceeded');
    provider.failure = { error: new ServingError(503, 'service_unavailable', 'The model is loading.'), afterTokens: 0 };
    assert.equal((await rejection(client.chat.completions.create({ model: 'tiny-chat', messages: hello }), InternalServerError)).status, 503);
  });

  it('refuses to listen beyond loopback without an API key', async () => {
    await assert.rejects(startOpenAiServer({ provider: new FakeServedModels(), host: '0.0.0.0', port: 0 }), /without an API key/);
    await assert.rejects(startOpenAiServer({ provider: new FakeServedModels(), host: '::', port: 0 }), /without an API key/);
  });

  it('on loopback, refuses requests addressed to another host name (DNS rebinding) and sends no CORS header', async (t) => {
    const { server } = await serve(t);
    const rebound = await rawRequest(server, { method: 'GET', path: '/v1/models', headers: { Host: `evil.example:${server.port}`, Origin: 'http://evil.example' } });
    assert.equal(rebound.status, 403);
    assert.equal((JSON.parse(rebound.body) as { error: { code: string } }).error.code, 'host_not_allowed');
    for (const host of [`localhost:${server.port}`, `127.0.0.1:${server.port}`, `[::1]:${server.port}`]) {
      const allowed = await rawRequest(server, { method: 'GET', path: '/v1/models', headers: { Host: host, Origin: 'http://evil.example' } });
      assert.equal(allowed.status, 200, host);
      assert.equal(allowed.headers['access-control-allow-origin'], undefined);
    }
    const preflight = await rawRequest(server, { method: 'OPTIONS', path: '/v1/chat/completions', headers: { Host: 'localhost', Origin: 'http://evil.example' } });
    assert.equal(preflight.status, 405);
    assert.equal(preflight.headers['access-control-allow-origin'], undefined);
  });

  it('sends keep-alive comments while a stream waits for its first token', async (t) => {
    const { server, provider } = await serve(t, { keepAliveMs: 40 });
    provider.firstTokenDelayMs = 400;
    const body = JSON.stringify({ model: 'tiny-chat', messages: hello, max_tokens: 2, stream: true });
    const socket = connect(server.port, '127.0.0.1');
    t.after(() => socket.destroy());
    socket.write(
      `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (received += text));
    await new Promise((resolve) => socket.on('end', resolve));
    const events = received.slice(received.indexOf('\r\n\r\n') + 4);
    assert.match(received, /^HTTP\/1\.1 200/);
    assert.match(received, /content-type: text\/event-stream/i);
    const firstText = events.indexOf('tok0');
    const keepAlives = events.slice(0, firstText).match(/^: keep-alive$/gm) ?? [];
    assert.ok(keepAlives.length >= 1, `no keep-alive before the first token in: ${events}`);
    assert.match(events, /data: \[DONE\]/);
  });

  it('keeps a stream whole for a reader that pauses, joining pieces while the socket is full', async (t) => {
    const { server, provider } = await serve(t);
    provider.tokenDelayMs = 0;
    const tokens = 4000;
    const body = JSON.stringify({ model: 'tiny-chat', messages: hello, max_tokens: tokens, stream: true });
    const socket = connect(server.port, '127.0.0.1');
    t.after(() => socket.destroy());
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    socket.pause();
    await waitFor(() => provider.generations[0]?.done || undefined, 'the generation to end while the reader sleeps');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.resume();
    await new Promise((resolve) => socket.on('end', resolve));
    const text = Buffer.concat(chunks).toString('utf8');
    const deltas = [...text.matchAll(/^data: (\{.*\})$/gm)].map((match) => (JSON.parse(match[1] ?? '{}') as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '');
    assert.equal(deltas.join(''), Array.from({ length: tokens }, (_, index) => `tok${index} `).join(''));
  });
});
