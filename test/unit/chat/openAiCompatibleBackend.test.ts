import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ChatBackendError, type ChatBackendEvent } from '../../../src/core/chat/backend';
import { OpenAiCompatibleBackend } from '../../../src/core/chat/openAiCompatibleBackend';
import { standInTokenCount, startAwkwardOpenAiServer, type AwkwardOpenAiServer, type RefusalStyle } from '../../support/awkwardOpenAiServer';

let server: Server;
let baseUrl: string;
const bodies: unknown[] = [];

function handle(request: IncomingMessage, response: ServerResponse): void {
  let raw = '';
  request.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  request.on('end', () => {
    if (request.url === '/v1/models') {
      response.setHeader('content-type', 'application/json');
      response.end(JSON.stringify({ data: [{ id: 'small', max_model_len: 2048 }, { id: 'big' }] }));
      return;
    }
    const body = JSON.parse(raw) as { model: string; max_tokens: number };
    bodies.push(body);
    if (body.model === 'missing') {
      response.statusCode = 404;
      response.end('{"error":{"message":"The model `missing` does not exist"}}');
      return;
    }
    response.setHeader('content-type', 'text/event-stream');
    const pieces = ['Hé', 'llo', ' ✓'];
    const events = pieces.map((p) => `data: ${JSON.stringify({ choices: [{ delta: { content: p } }] })}\n\n`);
    events.push(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'length' }] })}\n\n`);
    events.push(`data: ${JSON.stringify({ choices: [], usage: { prompt_tokens: 17, completion_tokens: 3 } })}\n\n`, 'data: [DONE]\n\n');
    // Split the stream at awkward places: inside an event and inside a multi-byte character.
    const bytes = Buffer.from(events.join(''));
    const cuts = [5, 31, 32, 33, 70, bytes.length];
    let start = 0;
    const send = () => {
      const end = cuts.shift();
      if (end === undefined) return void response.end();
      response.write(bytes.subarray(start, end));
      start = end;
      setTimeout(send, 2);
    };
    send();
  });
}

before(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
after(() => server.close());

describe('OpenAiCompatibleBackend', () => {
  it('lists the server models with their context length', async () => {
    const backend = new OpenAiCompatibleBackend({ id: 'openai', label: 'Local server', baseUrl });
    assert.deepEqual(await backend.listModels(), [
      { id: 'small', label: 'small', contextLength: 2048 },
      { id: 'big', label: 'big' },
    ]);
  });

  it('streams server-sent deltas split anywhere, and reports usage and the finish reason', async () => {
    const backend = new OpenAiCompatibleBackend({ id: 'openai', label: 'Local server', baseUrl: `${baseUrl}/` });
    const events: ChatBackendEvent[] = [];
    const stats = await backend.generate(
      { model: 'small', messages: [{ role: 'user', content: 'hi' }], options: { temperature: 0, maxTokens: 3 } },
      (e) => events.push(e),
      new AbortController().signal,
    );
    assert.deepEqual(
      events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text),
      ['Hé', 'llo', ' ✓'],
    );
    assert.equal(events.at(-1)?.type, 'stats');
    assert.equal(stats.promptTokens, 17);
    assert.equal(stats.completionTokens, 3);
    assert.equal(stats.finishReason, 'length');
    assert.deepEqual((bodies.at(-1) as { max_tokens: number; stream: boolean }).max_tokens, 3);
  });

  it('names a model the server does not have as model-missing', async () => {
    const backend = new OpenAiCompatibleBackend({ id: 'openai', label: 'Local server', baseUrl });
    await assert.rejects(
      backend.generate({ model: 'missing', messages: [], options: { temperature: 0, maxTokens: 3 } }, () => undefined, new AbortController().signal),
      (error: unknown) => error instanceof ChatBackendError && error.code === 'model-missing',
    );
  });

  it('reports an unreachable server as backend-unavailable, and lists no models for it', async () => {
    const backend = new OpenAiCompatibleBackend({ id: 'openai', label: 'Nowhere', baseUrl: 'http://127.0.0.1:9/v1' });
    assert.deepEqual(await backend.listModels(), []);
    await assert.rejects(
      backend.generate({ model: 'x', messages: [], options: { temperature: 0, maxTokens: 3 } }, () => undefined, new AbortController().signal),
      (error: unknown) => error instanceof ChatBackendError && error.code === 'backend-unavailable',
    );
  });
});

/** A server that misbehaves on purpose, on loopback: each path is one way of sending too much. */
describe('OpenAiCompatibleBackend against a server that sends too much', () => {
  let hostile: Server;
  let hostileUrl: string;
  /** Bytes each response wrote before the client hung up, by path. */
  const written = new Map<string, number>();
  const closed = new Map<string, Promise<void>>();
  const megabyte = Buffer.alloc(1024 * 1024, 'a');
  const delta = (content: string, finish: string | null = null) =>
    `data: ${JSON.stringify({ id: 'x', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content }, finish_reason: finish }] })}\n\n`;

  /** Writes `next()` until it returns undefined or the client goes away; resolves `closed` then. */
  function pump(path: string, response: ServerResponse, next: () => string | Buffer | undefined): void {
    let bytes = 0;
    let finish!: () => void;
    closed.set(path, new Promise<void>((resolve) => (finish = resolve)));
    response.on('close', () => {
      written.set(path, bytes);
      finish();
    });
    const write = () => {
      if (response.destroyed) return;
      const piece = next();
      if (piece === undefined) return void response.end();
      bytes += Buffer.byteLength(piece);
      if (response.write(piece)) setImmediate(write);
      else response.once('drain', write);
    };
    write();
  }

  before(async () => {
    hostile = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        const path = request.url ?? '';
        if (path === '/forever/chat/completions') {
          response.setHeader('content-type', 'text/event-stream');
          pump(path, response, () => delta('token '));
        } else if (path === '/after-finish/chat/completions') {
          response.setHeader('content-type', 'text/event-stream');
          let sent = 0;
          pump(path, response, () => (sent++ === 0 ? delta('Done.', 'stop') : delta('more ')));
        } else if (path === '/after-done/chat/completions') {
          response.setHeader('content-type', 'text/event-stream');
          let sent = 0;
          pump(path, response, () => (sent++ === 0 ? `${delta('Done.', 'stop')}data: [DONE]\n\n` : ': keep-alive\n\n'));
        } else if (path === '/long-line/chat/completions') {
          response.setHeader('content-type', 'text/event-stream');
          let sent = 0;
          pump(path, response, () => (sent++ === 0 ? 'data: {"choices":[{"delta":{"content":"' : sent <= 100 ? megabyte : undefined));
        } else if (path === '/huge-json/chat/completions') {
          response.setHeader('content-type', 'application/json');
          let sent = 0;
          pump(path, response, () => (sent++ === 0 ? '{"choices":[{"message":{"content":"' : sent <= 100 ? megabyte : undefined));
        } else if (path === '/declared-huge-json/chat/completions') {
          response.setHeader('content-type', 'application/json');
          response.setHeader('content-length', String(100 * 1024 * 1024));
          let sent = 0;
          pump(path, response, () => (sent++ < 100 ? megabyte : undefined));
        } else if (path === '/whole-json/chat/completions') {
          response.setHeader('content-type', 'application/json');
          response.end(JSON.stringify({ choices: [{ message: { content: 'Whole answer.' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 3 } }));
        } else if (path === '/huge-models/models') {
          response.setHeader('content-type', 'application/json');
          let sent = 0;
          pump(path, response, () => (sent++ === 0 ? '{"data":[{"id":"' : sent <= 100 ? megabyte : undefined));
        } else {
          response.statusCode = 500;
          let sent = 0;
          pump(path, response, () => (sent++ < 100 ? megabyte : undefined));
        }
      });
    });
    await new Promise<void>((resolve) => hostile.listen(0, '127.0.0.1', resolve));
    hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  });
  after(() => {
    hostile.closeAllConnections();
    hostile.close();
  });

  const ask = (path: string, maxTokens = 16) => {
    const backend = new OpenAiCompatibleBackend({ id: 'openai', label: 'Hostile', baseUrl: `${hostileUrl}/${path}` });
    const events: ChatBackendEvent[] = [];
    const result = backend.generate({ model: 'm', messages: [{ role: 'user', content: 'hi' }], options: { temperature: 0, maxTokens } }, (e) => events.push(e), new AbortController().signal);
    return { result, events, text: () => events.flatMap((e) => (e.type === 'token' ? [e.text] : [])).join('') };
  };

  it('stops reading a stream that never ends soon after max_tokens, hangs up, and says the answer was cut', async () => {
    const { result, events, text } = ask('forever', 16);
    const stats = await result;
    assert.equal(stats.finishReason, 'length');
    assert.ok(text().length <= 16 * 64 + 1024, `kept ${text().length} characters`);
    assert.ok(stats.completionTokens <= 16 * 4 + 64);
    const warning = events.find((e) => e.type === 'warning');
    assert.equal(warning?.type === 'warning' && warning.code, 'answer-truncated');
    await closed.get('/forever/chat/completions');
    assert.ok(written.get('/forever/chat/completions')! < 4 * 1024 * 1024, `the server wrote ${written.get('/forever/chat/completions')} bytes`);
  });

  it('reads nothing after the finish reason, nor after [DONE]', async () => {
    const first = ask('after-finish');
    assert.equal((await first.result).finishReason, 'stop');
    assert.equal(first.text(), 'Done.');
    const second = ask('after-done');
    assert.equal((await second.result).finishReason, 'stop');
    assert.equal(second.text(), 'Done.');
    await Promise.all([closed.get('/after-finish/chat/completions'), closed.get('/after-done/chat/completions')]);
    assert.ok(written.get('/after-done/chat/completions')! < 4 * 1024 * 1024);
  });

  it('refuses a server-sent-events line over 1 MiB with an error naming the endpoint, without reading 100 MB', async () => {
    await assert.rejects(
      ask('long-line').result,
      (error: unknown) => error instanceof ChatBackendError && /line longer than 1 MiB/.test(error.message) && error.message.includes(`${hostileUrl}/long-line/chat/completions`),
    );
    await closed.get('/long-line/chat/completions');
    assert.ok(written.get('/long-line/chat/completions')! < 20 * 1024 * 1024, `the server wrote ${written.get('/long-line/chat/completions')} bytes`);
  });

  it('refuses a huge non-streamed JSON body, declared or not, with an error naming the endpoint', async () => {
    for (const path of ['huge-json', 'declared-huge-json']) {
      await assert.rejects(
        ask(path).result,
        (error: unknown) => error instanceof ChatBackendError && /body of (more than )?\d+ MiB/.test(error.message) && error.message.includes(`${hostileUrl}/${path}/chat/completions`),
      );
      await closed.get(`/${path}/chat/completions`);
      assert.ok(written.get(`/${path}/chat/completions`)! < 20 * 1024 * 1024, `${path}: the server wrote ${written.get(`/${path}/chat/completions`)} bytes`);
    }
  });

  it('reads an answer a server sends as one JSON body although streaming was asked', async () => {
    const { result, text } = ask('whole-json');
    const stats = await result;
    assert.equal(text(), 'Whole answer.');
    assert.equal(stats.completionTokens, 3);
  });

  it('reads only the start of a huge error body', async () => {
    await assert.rejects(ask('error').result, (error: unknown) => error instanceof ChatBackendError && error.message.startsWith('Hostile answered 500') && error.message.length < 1000);
    await closed.get('/error/chat/completions');
    assert.ok(written.get('/error/chat/completions')! < 20 * 1024 * 1024);
  });

  it('lists no models from a model list too big to be one, without reading all of it', async () => {
    const backend = new OpenAiCompatibleBackend({ id: 'openai', label: 'Hostile', baseUrl: `${hostileUrl}/huge-models` });
    assert.deepEqual(await backend.listModels(), []);
    await closed.get('/huge-models/models');
    assert.ok(written.get('/huge-models/models')! < 40 * 1024 * 1024);
  });
});

describe('OpenAiCompatibleBackend over plain http', () => {
  it('warns, in every answer, that plain http to another machine is readable on the network (and names the API key)', async () => {
    const seen: string[] = [];
    const fakeFetch = ((url: string) => {
      seen.push(url);
      return Promise.resolve(new Response('data: {"choices":[{"delta":{"content":"ok"},"finish_reason":"stop"}]}\n\n', { headers: { 'content-type': 'text/event-stream' } }));
    }) as typeof fetch;
    const backend = new OpenAiCompatibleBackend({ id: 'remote', label: 'GPU box', baseUrl: 'http://10.0.0.5:8000/v1', apiKey: 'secret', fetch: fakeFetch });
    const events: ChatBackendEvent[] = [];
    await backend.generate({ model: 'm', messages: [], options: { temperature: 0, maxTokens: 4 } }, (e) => events.push(e), new AbortController().signal);
    const warning = events.find((e) => e.type === 'warning');
    assert.ok(warning?.type === 'warning' && warning.code === 'insecure-transport' && /plain http.*10\.0\.0\.5:8000.*API key/.test(warning.message), JSON.stringify(warning));
    assert.deepEqual(seen, ['http://10.0.0.5:8000/v1/chat/completions']);
  });
  it('does not warn for https, nor for http to this machine (localhost, 127.x, ::1)', () => {
    for (const baseUrl of ['https://api.example.com/v1', 'http://localhost:8000/v1', 'http://127.0.0.1:8000/v1', 'http://127.8.0.1/v1', 'http://[::1]:8000/v1']) {
      assert.equal(new OpenAiCompatibleBackend({ id: 'x', label: 'x', baseUrl }).insecureTransport, undefined, baseUrl);
    }
    assert.ok(new OpenAiCompatibleBackend({ id: 'x', label: 'x', baseUrl: 'http://example.com/v1' }).insecureTransport);
    assert.ok(new OpenAiCompatibleBackend({ id: 'x', label: 'x', baseUrl: 'http://localhost.example.com/v1' }).insecureTransport);
  });
});

/** The chat backend against a server that is awkward on purpose, one behaviour at a time. */
describe('OpenAiCompatibleBackend against an awkward server', () => {
  let awkward: AwkwardOpenAiServer;
  before(async () => (awkward = await startAwkwardOpenAiServer()));
  after(() => awkward.close());

  const ask = async (
    options: {
      model?: string;
      maxTokens?: number;
      prompt?: string;
      apiKey?: string;
      firstByteTimeoutMs?: number;
      signal?: AbortSignal;
      topP?: number;
      seed?: number;
      onEvent?: (e: ChatBackendEvent) => void;
    } = {},
  ) => {
    const backend = new OpenAiCompatibleBackend({
      id: 'awkward',
      label: 'Awkward',
      baseUrl: awkward.url,
      ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
      ...(options.firstByteTimeoutMs !== undefined ? { firstByteTimeoutMs: options.firstByteTimeoutMs } : {}),
    });
    const events: ChatBackendEvent[] = [];
    const stats = await backend.generate(
      {
        model: options.model ?? 'awkward-small',
        messages: [{ role: 'user', content: options.prompt ?? 'say hello to the world' }],
        options: { temperature: 0, maxTokens: options.maxTokens ?? 16, ...(options.topP !== undefined ? { topP: options.topP } : {}), ...(options.seed !== undefined ? { seed: options.seed } : {}) },
      },
      (e) => {
        events.push(e);
        options.onEvent?.(e);
      },
      options.signal ?? new AbortController().signal,
    );
    return {
      stats,
      events,
      text: events.flatMap((e) => (e.type === 'token' ? [e.text] : [])).join(''),
      reasoning: events.flatMap((e) => (e.type === 'reasoning' ? [e.text] : [])).join(''),
      warnings: events.flatMap((e) => (e.type === 'warning' ? [e] : [])),
    };
  };
  const lastChatBody = () => awkward.requests.filter((r) => r.path === '/v1/chat/completions').at(-1)?.body ?? {};

  it('takes an answer whose stream just ends without [DONE]', async () => {
    awkward.behave({ noDone: true });
    const { text, stats } = await ask();
    assert.equal(text, 'Hello, world.');
    assert.equal(stats.finishReason, 'stop');
  });

  it('ignores keep-alive comments between chunks', async () => {
    awkward.behave({ keepAlives: true, answer: ['a', 'b', 'c'] });
    const { text, stats } = await ask();
    assert.equal(text, 'abc');
    assert.equal(stats.completionTokens, 3);
  });

  it('reports the usage chunk: prompt and completion tokens as the server counted them', async () => {
    awkward.behave({ answer: ['one', ' two'] });
    const { stats } = await ask({ prompt: 'five words in this prompt' });
    assert.equal(stats.promptTokens, standInTokenCount('five words in this prompt'));
    assert.equal(stats.completionTokens, 2);
    assert.deepEqual(lastChatBody().stream_options, { include_usage: true });
  });

  it("fails with the server's own message when an error event arrives mid-stream, after the text streamed so far", async () => {
    awkward.behave({ errorAfterChunks: 2 });
    const streamed: string[] = [];
    await assert.rejects(
      ask({ onEvent: (e) => e.type === 'token' && streamed.push(e.text) }),
      (error: unknown) => error instanceof ChatBackendError && error.code === 'engine-failure' && /CUDA out of memory while decoding/.test(error.message),
    );
    assert.deepEqual(streamed, ['Hello', ', ']);
  });

  for (const field of ['reasoning_content', 'reasoning'] as const) {
    it(`streams delta.${field} as reasoning, apart from the answer`, async () => {
      awkward.behave({ reasoning: { field, pieces: ['The user ', 'greets.'] }, answer: ['Hi', '!'] });
      const { text, reasoning, events, stats } = await ask();
      assert.equal(reasoning, 'The user greets.');
      assert.equal(text, 'Hi!');
      assert.deepEqual(
        events.filter((e) => e.type === 'reasoning' || e.type === 'token').map((e) => e.type),
        ['reasoning', 'reasoning', 'token', 'token'],
      );
      assert.equal(stats.completionTokens, 4);
    });
  }

  it('reads a whole JSON answer (with its reasoning) from a server that does not stream', async () => {
    awkward.behave({ nonStreaming: true, reasoning: { field: 'reasoning_content', pieces: ['Thinking.'] }, answer: ['Whole', ' answer.'] });
    const { text, reasoning, stats } = await ask();
    assert.equal(text, 'Whole answer.');
    assert.equal(reasoning, 'Thinking.');
    assert.equal(stats.completionTokens, 3);
  });

  it('waits for a slow first token: the timeout covers only the start of the answer', async () => {
    awkward.behave({ firstTokenDelayMs: 300, answer: ['late'] });
    const { text } = await ask({ firstByteTimeoutMs: 50 });
    assert.equal(text, 'late');
  });

  it('gives up on a server that sends nothing at all within the first-byte timeout, saying so', async () => {
    awkward.behave({ headersDelayMs: 1000 });
    await assert.rejects(
      ask({ firstByteTimeoutMs: 50 }),
      (error: unknown) => error instanceof ChatBackendError && error.code === 'backend-unavailable' && /did not start answering/.test(error.message),
    );
  });

  const refusals: { name: string; style: RefusalStyle }[] = [
    { name: 'seed', style: 'openai' },
    { name: 'stream_options', style: 'vllm' },
    { name: 'top_p', style: 'tgi' },
  ];
  for (const refusal of refusals) {
    it(`retries once without a parameter the server refuses (${refusal.name}, ${refusal.style} wording) and says which`, async () => {
      awkward.behave({ rejectParameter: refusal });
      const before = awkward.requests.length;
      const { text, warnings, stats } = await ask({ seed: 7, topP: 0.9 });
      assert.equal(text, 'Hello, world.');
      const sent = awkward.requests.slice(before).map((r) => r.body ?? {});
      assert.equal(sent.length, 2);
      assert.ok(refusal.name in sent[0]! && !(refusal.name in sent[1]!));
      assert.equal(warnings.length, 1);
      assert.equal(warnings[0]!.code, 'parameter-dropped');
      assert.ok(warnings[0]!.message.includes(`\`${refusal.name}\``), warnings[0]!.message);
      // Without `stream_options` there is no usage chunk: the streamed pieces are counted.
      assert.equal(stats.completionTokens, 4);
    });
  }

  for (const style of ['openai', 'vllm'] as const) {
    it(`lowers max_tokens to what the context leaves when the prompt fits (${style} wording), and says so`, async () => {
      awkward.behave({ contextLength: { tokens: 100, style } });
      const prompt = 'word '.repeat(40).trim();
      const before = awkward.requests.length;
      const { text, warnings } = await ask({ prompt, maxTokens: 500 });
      assert.equal(text, 'Hello, world.');
      const sent = awkward.requests.slice(before).map((r) => r.body ?? {});
      assert.deepEqual(
        sent.map((b) => b.max_tokens),
        [500, 60],
      );
      assert.equal(warnings[0]?.code, 'max-tokens-reduced');
      assert.match(warnings[0].message, /100 tokens.*40.*60 tokens instead of 500/);
    });
  }

  for (const style of ['openai', 'llama.cpp'] as const) {
    it(`says the conversation is too long, and what to do, when the prompt alone exceeds the context (${style} wording)`, async () => {
      awkward.behave({ contextLength: { tokens: 20, style } });
      const before = awkward.requests.length;
      await assert.rejects(
        ask({ prompt: 'word '.repeat(30).trim(), maxTokens: 10 }),
        (error: unknown) =>
          error instanceof ChatBackendError && error.code === 'context-too-long' && /30 tokens/.test(error.message) && /Shorten it/.test(error.message) && /few-shot/.test(error.message),
      );
      assert.equal(awkward.requests.length - before, 1);
    });
  }

  it('stops on cancel mid-stream: finish reason cancelled, and the server sees the connection closed', async () => {
    awkward.behave({ endless: true, chunkDelayMs: 5, answer: ['tick '] });
    const controller = new AbortController();
    const closed = awkward.nextChatClose();
    const { stats, text } = await ask({ maxTokens: 100_000, signal: controller.signal, onEvent: (e) => e.type === 'token' && controller.abort() });
    assert.equal(stats.finishReason, 'cancelled');
    assert.equal(text, 'tick ');
    assert.deepEqual(await closed, { early: true });
  });

  it('sends the API key as a Bearer token, and no Authorization header without a key', async () => {
    awkward.behave({});
    await ask({ apiKey: 'sk-test' });
    assert.equal(awkward.requests.at(-1)?.headers.authorization, 'Bearer sk-test');
    await ask();
    assert.equal(awkward.requests.at(-1)?.headers.authorization, undefined);
    assert.ok(!Object.keys(awkward.requests.at(-1)!.headers).some((h) => h.startsWith('x-stainless')));
  });

  it('says to set the API key when the server refuses it (401)', async () => {
    awkward.behave({ apiKey: 'right' });
    await assert.rejects(ask({ apiKey: 'wrong' }), (error: unknown) => error instanceof ChatBackendError && /401/.test(error.message) && /Chatwright: Set Endpoint API Key/.test(error.message));
    const backend = new OpenAiCompatibleBackend({ id: 'awkward', label: 'Awkward', baseUrl: awkward.url, apiKey: 'wrong' });
    await assert.rejects(backend.fetchModels(), (error: unknown) => error instanceof ChatBackendError && /Set Endpoint API Key/.test(error.message));
    assert.deepEqual(await backend.listModels(), []);
  });

  it('names the models the server has when the one asked for is missing', async () => {
    awkward.behave({});
    await assert.rejects(
      ask({ model: 'gone' }),
      (error: unknown) => error instanceof ChatBackendError && error.code === 'model-missing' && /"gone"/.test(error.message) && /awkward-small, awkward-big/.test(error.message),
    );
  });

  it('does not send the API key after a redirect, to another origin or anywhere', async () => {
    const elsewhere = await startAwkwardOpenAiServer();
    try {
      awkward.behave({ redirectTo: elsewhere.origin });
      await assert.rejects(ask({ apiKey: 'sk-secret' }), (error: unknown) => error instanceof ChatBackendError && /redirect/.test(error.message) && error.message.includes(elsewhere.origin));
      const backend = new OpenAiCompatibleBackend({ id: 'awkward', label: 'Awkward', baseUrl: awkward.url, apiKey: 'sk-secret' });
      assert.deepEqual(await backend.listModels(), []);
      assert.equal(elsewhere.requests.length, 0);
    } finally {
      await elsewhere.close();
    }
  });

  it('names the URL when the connection is refused', async () => {
    const closed = await startAwkwardOpenAiServer();
    await closed.close();
    const backend = new OpenAiCompatibleBackend({ id: 'x', label: 'Gone', baseUrl: closed.url });
    await assert.rejects(
      backend.generate({ model: 'm', messages: [], options: { temperature: 0, maxTokens: 3 } }, () => undefined, new AbortController().signal),
      (error: unknown) => {
        return error instanceof ChatBackendError && error.code === 'backend-unavailable' && error.message.includes(closed.url) && /ECONNREFUSED/.test(error.message);
      },
    );
    await assert.rejects(backend.fetchModels(), (error: unknown) => error instanceof ChatBackendError && error.code === 'backend-unavailable');
  });
});
