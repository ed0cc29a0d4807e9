import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ChatBackendError, type ChatBackendEvent } from '../../../src/core/chat/backend';
import { OpenAiCompatibleBackend } from '../../../src/core/chat/openAiCompatibleBackend';

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
    const stats = await backend.generate({ model: 'small', messages: [{ role: 'user', content: 'hi' }], options: { temperature: 0, maxTokens: 3 } }, (e) => events.push(e), new AbortController().signal);
    assert.deepEqual(events.filter((e) => e.type === 'token').map((e) => (e as { text: string }).text), ['Hé', 'llo', ' ✓']);
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
