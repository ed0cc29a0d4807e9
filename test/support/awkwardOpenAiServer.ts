/**
 * A deliberately awkward OpenAI-compatible server for tests, on node:http and loopback. Each behaviour is one way real
 * servers differ from OpenAI's (vLLM, llama.cpp, TGI, Ollama, LM Studio, proxies), switched on per test with
 * `behave()`. It generates nothing: answers are the scripted `answer` pieces, and prompt tokens are counted as
 * whitespace-separated words of the messages (a stand-in tokenizer, named as one).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';

export type RefusalStyle = 'openai' | 'vllm' | 'tgi';
export type ContextCapStyle = 'openai' | 'vllm' | 'llama.cpp';

export interface AwkwardBehaviour {
  /** The answer's pieces, one per streamed chunk. */
  answer: string[];
  /** Reasoning pieces streamed before the answer, in `delta.reasoning_content` (vLLM, DeepSeek) or `delta.reasoning`. */
  reasoning?: { field: 'reasoning_content' | 'reasoning'; pieces: string[] };
  /** The stream just ends, without `data: [DONE]`. */
  noDone?: boolean;
  /** A `: keep-alive` comment line between chunks. */
  keepAlives?: boolean;
  /** After this many answer chunks, an `error` payload and the end of the stream. */
  errorAfterChunks?: number;
  /** A parameter refused with a 400 whenever a request carries it, in one server's wording. */
  rejectParameter?: { name: string; style: RefusalStyle };
  /** The context window: a request whose prompt and `max_tokens` exceed it gets a 400 in one server's wording. */
  contextLength?: { tokens: number; style: ContextCapStyle };
  /** Wait this long after the headers before the first chunk (a slow first token). */
  firstTokenDelayMs?: number;
  /** Wait this long before sending anything, headers included. */
  headersDelayMs?: number;
  /** Wait this long between chunks. */
  chunkDelayMs?: number;
  /** Repeat the answer until the client hangs up. */
  endless?: boolean;
  /** Answer with one JSON body, as if `stream: true` had not been asked. */
  nonStreaming?: boolean;
  /** Requests need `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Answer every request with a 307 to this origin (the same path). */
  redirectTo?: string;
  models?: { id: string; max_model_len?: number }[];
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown> | undefined;
}

export interface AwkwardOpenAiServer {
  /** `http://127.0.0.1:PORT/v1` */
  readonly url: string;
  readonly origin: string;
  readonly requests: RecordedRequest[];
  /** Replaces the behaviour for the requests that follow. */
  behave(behaviour: Partial<AwkwardBehaviour>): void;
  /** Resolves when the next chat response closes; `early` is true when the client hung up before the end. */
  nextChatClose(): Promise<{ early: boolean }>;
  close(): Promise<void>;
}

/** The stand-in tokenizer: one token per whitespace-separated word. */
export function standInTokenCount(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

const defaultBehaviour: AwkwardBehaviour = { answer: ['Hello', ', ', 'world', '.'], models: [{ id: 'awkward-small', max_model_len: 2048 }, { id: 'awkward-big' }] };

export async function startAwkwardOpenAiServer(initial: Partial<AwkwardBehaviour> = {}): Promise<AwkwardOpenAiServer> {
  let behaviour: AwkwardBehaviour = { ...defaultBehaviour, ...initial };
  const requests: RecordedRequest[] = [];
  const closeWaiters: ((result: { early: boolean }) => void)[] = [];
  const sleep = (ms: number | undefined) => new Promise<void>((resolve) => setTimeout(resolve, ms ?? 0));

  const json = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json' });
    response.end(JSON.stringify(body));
  };

  async function chat(body: Record<string, unknown>, response: ServerResponse): Promise<void> {
    const b = behaviour;
    const refused = b.rejectParameter;
    if (refused && refused.name in body) {
      if (refused.style === 'openai')
        return json(response, 400, { error: { message: `Unrecognized request argument supplied: ${refused.name}`, type: 'invalid_request_error', param: null, code: null } });
      if (refused.style === 'vllm')
        return json(response, 400, {
          object: 'error',
          message: `[{'type': 'extra_forbidden', 'loc': ('body', '${refused.name}'), 'msg': 'Extra inputs are not permitted'}]`,
          type: 'BadRequestError',
          code: 400,
        });
      return json(response, 422, {
        error: `Failed to deserialize the JSON body into the target type: unknown field \`${refused.name}\`, expected one of \`model\`, \`messages\``,
        error_type: 'validation',
      });
    }
    const messages = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
    const promptTokens = messages.reduce((sum, m) => sum + (typeof m.content === 'string' ? standInTokenCount(m.content) : 0), 0);
    const maxTokens = typeof body.max_tokens === 'number' ? body.max_tokens : typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : 16;
    const cap = b.contextLength;
    if (cap && promptTokens + maxTokens > cap.tokens) {
      const n = cap.tokens;
      if (cap.style === 'openai')
        return json(response, 400, {
          error: {
            message: `This model's maximum context length is ${n} tokens. However, you requested ${promptTokens + maxTokens} tokens (${promptTokens} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`,
            type: 'invalid_request_error',
            param: 'messages',
            code: 'context_length_exceeded',
          },
        });
      if (cap.style === 'vllm')
        return json(response, 400, {
          error: {
            message: `'max_tokens' or 'max_completion_tokens' is too large: ${maxTokens}. This model's maximum context length is ${n} tokens and your request has ${promptTokens} input tokens (${maxTokens} > ${n} - ${promptTokens}).`,
            type: 'BadRequestError',
            param: null,
            code: 400,
          },
        });
      // llama.cpp refuses only a prompt that does not fit; it stops an answer at the context's end by itself.
      if (promptTokens > n)
        return json(response, 400, {
          error: {
            code: 400,
            message: `request (${promptTokens} tokens) exceeds the available context size (${n} tokens), try increasing it`,
            type: 'exceed_context_size_error',
            n_prompt_tokens: promptTokens,
            n_ctx: n,
          },
        });
    }
    const completionTokens = b.answer.length + (b.reasoning?.pieces.length ?? 0);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
    const model = typeof body.model === 'string' ? body.model : 'awkward';
    if (b.nonStreaming || body.stream !== true) {
      const message: Record<string, unknown> = { role: 'assistant', content: b.answer.join('') };
      if (b.reasoning) message[b.reasoning.field] = b.reasoning.pieces.join('');
      return json(response, 200, { id: 'cmpl-awkward', object: 'chat.completion', created: 0, model, choices: [{ index: 0, message, finish_reason: 'stop' }], usage });
    }

    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    response.flushHeaders();
    const chunk = (delta: Record<string, unknown>, finish: string | null = null) =>
      `data: ${JSON.stringify({ id: 'cmpl-awkward', object: 'chat.completion.chunk', created: 0, model, choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    const send = async (text: string) => {
      if (response.destroyed) return false;
      if (b.keepAlives) response.write(': keep-alive\n\n');
      response.write(text);
      if (b.chunkDelayMs) await sleep(b.chunkDelayMs);
      return !response.destroyed;
    };
    if (b.firstTokenDelayMs) await sleep(b.firstTokenDelayMs);
    if (!(await send(chunk({ role: 'assistant', content: '' })))) return;
    for (const piece of b.reasoning?.pieces ?? []) if (!(await send(chunk({ [b.reasoning!.field]: piece })))) return;
    let sent = 0;
    do {
      for (const piece of b.answer) {
        if (b.errorAfterChunks !== undefined && sent === b.errorAfterChunks) {
          await send(`data: ${JSON.stringify({ error: { object: 'error', message: 'CUDA out of memory while decoding', type: 'InternalServerError', code: 500 } })}\n\n`);
          response.end();
          return;
        }
        if (!(await send(chunk({ content: piece })))) return;
        sent++;
      }
    } while (b.endless && !response.destroyed);
    if (!(await send(chunk({}, 'stop')))) return;
    const includeUsage = typeof body.stream_options === 'object' && body.stream_options !== null && (body.stream_options as { include_usage?: unknown }).include_usage === true;
    if (includeUsage) await send(`data: ${JSON.stringify({ id: 'cmpl-awkward', object: 'chat.completion.chunk', created: 0, model, choices: [], usage })}\n\n`);
    if (!b.noDone) response.write('data: [DONE]\n\n');
    response.end();
  }

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (data: Buffer) => {
      size += data.length;
      if (size <= 1024 * 1024) chunks.push(data);
    });
    request.on('end', () => {
      void (async () => {
        const path = (request.url ?? '/').split('?')[0] ?? '/';
        let body: Record<string, unknown> | undefined;
        try {
          body = chunks.length ? (JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>) : undefined;
        } catch {
          body = undefined;
        }
        requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
        const b = behaviour;
        if (b.redirectTo) {
          response.writeHead(307, { location: `${b.redirectTo}${request.url ?? '/'}` });
          response.end();
          return;
        }
        await sleep(b.headersDelayMs);
        if (b.apiKey !== undefined && request.headers.authorization !== `Bearer ${b.apiKey}`)
          return json(response, 401, { error: { message: 'Incorrect API key provided.', type: 'invalid_request_error', code: 'invalid_api_key' } });
        if (request.method === 'GET' && path === '/v1/models') return json(response, 200, { object: 'list', data: (b.models ?? []).map((m) => ({ object: 'model', owned_by: 'awkward', ...m })) });
        if (request.method === 'POST' && path === '/v1/chat/completions') {
          if (!body) return json(response, 400, { error: { message: 'The body is not JSON.', type: 'invalid_request_error' } });
          const known = (b.models ?? []).some((m) => m.id === body.model);
          if (!known) return json(response, 404, { error: { message: `The model \`${String(body.model)}\` does not exist.`, type: 'NotFoundError', code: 404 } });
          let finished = false;
          response.on('finish', () => (finished = true));
          response.on('close', () => closeWaiters.shift()?.({ early: !finished }));
          await chat(body, response);
          return;
        }
        json(response, 404, { error: { message: `No route ${request.method ?? ''} ${path}`, type: 'NotFoundError' } });
      })().catch((error: unknown) => {
        if (!response.headersSent) json(response, 500, { error: { message: String(error) } });
        else response.destroy();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/v1`,
    origin,
    requests,
    behave(next) {
      behaviour = { ...defaultBehaviour, ...next };
    },
    nextChatClose() {
      return new Promise((resolve) => closeWaiters.push(resolve));
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
