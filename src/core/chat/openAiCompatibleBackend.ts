import { ChatBackendError, statsFromTimings, type ChatBackend, type ChatBackendEvent, type ChatGenerateRequest, type ChatModelInfo, type FinishReason, type GenerationStats } from './backend';
import { formatBinaryBytes } from '../text/byteSize';

export interface OpenAiCompatibleOptions {
  id: string;
  label: string;
  /** Base URL ending before `/chat/completions`, e.g. `http://localhost:8000/v1`. */
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
}

type CompletionChunk = {
  choices?: { delta?: { content?: unknown }; message?: { content?: unknown }; finish_reason?: unknown }[];
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown };
  error?: { message?: unknown };
};

/** The longest server-sent-events line read: a chunk carries a few tokens, so a megabyte is far past any real one. */
export const sseLineByteLimit = 1024 * 1024;
/** A model list is a few kilobytes to a few megabytes (routers list thousands of models, with descriptions). */
const modelListByteLimit = 16 * 1024 * 1024;
/** An error body is shown in one line: its start is enough. */
const errorBodyByteLimit = 64 * 1024;

/**
 * How much of an answer is read, from the request's own `max_tokens`. Tokens are not characters and servers may split
 * a token over deltas, so the bounds are generous multiples (64 characters and 4 deltas a token, plus slack): an
 * honest server never reaches them, and a server that streams forever stops being read soon after the answer should
 * have ended.
 */
export function answerLimits(maxTokens: number): { chars: number; deltas: number; streamBytes: number; jsonBodyBytes: number } {
  const tokens = Number.isFinite(maxTokens) && maxTokens > 0 ? Math.floor(maxTokens) : 4096;
  const chars = tokens * 64 + 1024;
  const deltas = tokens * 4 + 64;
  // Each streamed chunk repeats its id, model and timestamps (200-400 bytes), and keep-alive comments come in between.
  return { chars, deltas, streamBytes: 1024 * 1024 + deltas * 4096, jsonBodyBytes: 1024 * 1024 + chars * 8 };
}

/** Plain `http` to a machine other than this one sends the prompts (and the API key) readable on the network. */
export function insecureTransportWarning(label: string, baseUrl: string, hasApiKey: boolean): string | undefined {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' || isLoopbackHost(url.hostname)) return undefined;
  return `${label} is reached over plain http at ${url.host}: the conversation${hasApiKey ? ' and the API key' : ''} travel unencrypted and can be read or changed on the network. Use https, or a server on this machine.`;
}

function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return host === 'localhost' || host.endsWith('.localhost') || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host) || /^::ffff:127\./.test(host);
}

/**
 * Reads server-sent events line by line, handing each `data:` payload to `onData` until it returns false or the stream
 * ends; then cancels the body. A line or a whole stream past its limit is an error that names the endpoint.
 */
async function readServerSentEvents(body: ReadableStream<Uint8Array>, limits: { streamBytes: number }, endpoint: string, onData: (data: string) => boolean): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > limits.streamBytes)
        throw new ChatBackendError('engine-failure', `${endpoint} streamed more than ${formatBinaryBytes(limits.streamBytes)} for one answer without ending it; the request was closed.`);
      buffer += decoder.decode(value, { stream: true });
      let newline: number;
      while ((newline = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, newline).replace(/\r$/, '');
        buffer = buffer.slice(newline + 1);
        if (!line.startsWith('data:')) continue;
        if (!onData(line.slice(5).trim())) return;
      }
      // UTF-16 length is at most the byte length, so this never refuses a line within the byte limit.
      if (buffer.length > sseLineByteLimit)
        throw new ChatBackendError('engine-failure', `${endpoint} sent a server-sent-events line longer than ${formatBinaryBytes(sseLineByteLimit)}; the request was closed.`);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** The whole body as text, refusing (and cancelling) one past `limit` bytes with an error that names the endpoint. */
async function readBodyCapped(response: Response, limit: number, endpoint: string): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    throw new ChatBackendError('engine-failure', `${endpoint} answered with a body of ${formatBinaryBytes(declared)}, more than the ${formatBinaryBytes(limit)} read.`);
  }
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > limit) throw new ChatBackendError('engine-failure', `${endpoint} answered with a body of more than ${formatBinaryBytes(limit)}; the request was closed.`);
      chunks.push(value);
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Up to `limit` bytes of the body as text (an error message's start), never failing. */
async function readBodyPrefix(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const chunks: Uint8Array[] = [];
  let bytes = 0;
  try {
    while (bytes < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      bytes += value.byteLength;
    }
  } catch {
    // What was read so far is the message.
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}

/**
 * A backend for any server that speaks OpenAI's chat completions API with streaming (vLLM, llama.cpp's server,
 * Ollama, LM Studio, TGI, a Python GPU worker…). Server-sent events are parsed by hand: the format is a few lines.
 */
export class OpenAiCompatibleBackend implements ChatBackend {
  readonly id: string;
  readonly label: string;
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  /** Why this endpoint's traffic can be read on the way (plain http to another machine), shown with every answer. */
  readonly insecureTransport: string | undefined;

  constructor(private readonly options: OpenAiCompatibleOptions) {
    this.id = options.id;
    this.label = options.label;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? fetch;
    this.insecureTransport = insecureTransportWarning(this.label, this.baseUrl, options.apiKey !== undefined && options.apiKey !== '');
  }

  private headers(): Record<string, string> {
    return { 'content-type': 'application/json', ...(this.options.apiKey ? { authorization: `Bearer ${this.options.apiKey}` } : {}) };
  }

  /**
   * With an API key, redirects are not followed: the key goes to the endpoint's own origin only, whatever a fetch
   * implementation does with credentials on a redirect.
   */
  private get redirect(): 'manual' | 'follow' {
    return this.options.apiKey ? 'manual' : 'follow';
  }

  private static isRedirect(response: Response): boolean {
    return response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400);
  }

  async listModels(signal?: AbortSignal): Promise<ChatModelInfo[]> {
    try {
      const url = `${this.baseUrl}/models`;
      const response = await this.fetch(url, { headers: this.headers(), redirect: this.redirect, signal: signal ?? AbortSignal.timeout(5000) });
      if (!response.ok || OpenAiCompatibleBackend.isRedirect(response)) {
        await response.body?.cancel().catch(() => undefined);
        return [];
      }
      const body = JSON.parse(await readBodyCapped(response, modelListByteLimit, this.describe(url))) as { data?: { id?: unknown; context_length?: unknown; max_model_len?: unknown }[] };
      return (Array.isArray(body.data) ? body.data : []).flatMap((m) => {
        if (!m || typeof m.id !== 'string') return [];
        const contextLength = typeof m.max_model_len === 'number' ? m.max_model_len : typeof m.context_length === 'number' ? m.context_length : undefined;
        return [{ id: m.id, label: m.id, ...(contextLength ? { contextLength } : {}) }];
      });
    } catch {
      return [];
    }
  }

  async generate(request: ChatGenerateRequest, onEvent: (event: ChatBackendEvent) => void, signal: AbortSignal): Promise<GenerationStats> {
    const startedAt = performance.now();
    let firstTokenAt: number | undefined;
    let completionTokens = 0;
    let promptTokens = 0;
    let usageCompletion: number | undefined;
    let finishReason: FinishReason = 'stop';
    const body = {
      model: request.model,
      messages: request.messages,
      stream: true,
      stream_options: { include_usage: true },
      temperature: request.options.temperature,
      max_tokens: request.options.maxTokens,
      ...(request.options.topP !== undefined ? { top_p: request.options.topP } : {}),
      ...(request.options.seed !== undefined ? { seed: request.options.seed } : {}),
      ...(request.options.stop ? { stop: request.options.stop } : {}),
    };
    const url = `${this.baseUrl}/chat/completions`;
    const endpoint = this.describe(url);
    const limits = answerLimits(request.options.maxTokens);
    if (this.insecureTransport) onEvent({ type: 'warning', code: 'insecure-transport', message: this.insecureTransport });
    // Our own abort, besides the caller's: a server that sends more than was asked is hung up on.
    const hangUp = new AbortController();
    const requestSignal = AbortSignal.any([signal, hangUp.signal]);
    let response: Response;
    try {
      response = await this.fetch(url, { method: 'POST', headers: this.headers(), redirect: this.redirect, body: JSON.stringify(body), signal: requestSignal });
    } catch (error) {
      if (signal.aborted) return this.finish(onEvent, { startedAt, firstTokenAt, promptTokens, completionTokens, finishReason: 'cancelled' });
      throw new ChatBackendError('backend-unavailable', `${this.label} at ${this.baseUrl} cannot be reached: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (OpenAiCompatibleBackend.isRedirect(response)) {
      hangUp.abort();
      throw new ChatBackendError(
        'backend-unavailable',
        `${this.label} at ${this.baseUrl} answered with a redirect${response.headers.get('location') ? ` to ${response.headers.get('location')}` : ''}; the API key is sent only to ${new URL(this.baseUrl).origin}, so it is not followed. Set \`baseUrl\` to the final address.`,
      );
    }
    if (!response.ok || !response.body) {
      const text = (await readBodyPrefix(response, errorBodyByteLimit)).slice(0, 500);
      hangUp.abort();
      const code = response.status === 404 && /model/i.test(text) ? 'model-missing' : /context|too long|maximum.*length/i.test(text) ? 'context-too-long' : 'engine-failure';
      throw new ChatBackendError(code, `${this.label} answered ${response.status} ${response.statusText}${text ? `: ${text}` : ''}`);
    }

    let answerChars = 0;
    let cutShort = false;
    let finished = false;
    /** Takes one completion chunk (streamed or whole); false once the answer is over and nothing more is read. */
    const take = (event: CompletionChunk): boolean => {
      if (event.error) throw new ChatBackendError('engine-failure', `${this.label}: ${typeof event.error.message === 'string' ? event.error.message : 'error'}`);
      if (typeof event.usage?.prompt_tokens === 'number') promptTokens = event.usage.prompt_tokens;
      if (typeof event.usage?.completion_tokens === 'number') usageCompletion = event.usage.completion_tokens;
      const choice = Array.isArray(event.choices) ? event.choices[0] : undefined;
      const text = choice?.delta?.content ?? choice?.message?.content;
      if (typeof text === 'string' && text.length > 0) {
        if (finished) return false;
        if (completionTokens + 1 > limits.deltas || answerChars + text.length > limits.chars) {
          cutShort = true;
          return false;
        }
        firstTokenAt ??= performance.now();
        completionTokens++;
        answerChars += text.length;
        onEvent({ type: 'token', text });
      }
      if (typeof choice?.finish_reason === 'string') {
        finished = true;
        if (choice.finish_reason === 'length') finishReason = 'length';
      }
      return true;
    };
    try {
      const isEventStream = /^text\/event-stream\b/i.test(response.headers.get('content-type') ?? '') || !/json/i.test(response.headers.get('content-type') ?? '');
      if (isEventStream) {
        await readServerSentEvents(response.body, limits, endpoint, (data) => {
          // `[DONE]` ends the stream: whatever a server sends after it is not read.
          if (data === '[DONE]') return false;
          let event: CompletionChunk;
          try {
            event = JSON.parse(data) as CompletionChunk;
          } catch {
            return true;
          }
          return event && typeof event === 'object' ? take(event) : true;
        });
      } else {
        // A server that ignores `stream: true` answers with one JSON body.
        const text = await readBodyCapped(response, limits.jsonBodyBytes, endpoint);
        let whole: CompletionChunk;
        try {
          whole = JSON.parse(text) as CompletionChunk;
        } catch (error) {
          throw new ChatBackendError('engine-failure', `${endpoint} answered with JSON that does not parse: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
        if (whole && typeof whole === 'object') take(whole);
      }
    } catch (error) {
      if (signal.aborted) return this.finish(onEvent, { startedAt, firstTokenAt, promptTokens, completionTokens, finishReason: 'cancelled' });
      if (error instanceof ChatBackendError) throw error;
      throw new ChatBackendError('engine-failure', `${this.label} stopped streaming: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      hangUp.abort();
    }
    if (cutShort) {
      finishReason = 'length';
      onEvent({
        type: 'warning',
        code: 'answer-truncated',
        message: `${endpoint} kept sending past the ${request.options.maxTokens} tokens asked for (max_tokens); the answer was cut there and the request closed.`,
      });
    }
    const completion = cutShort ? completionTokens : (usageCompletion ?? completionTokens);
    return this.finish(onEvent, { startedAt, firstTokenAt, promptTokens, completionTokens: completion, finishReason: signal.aborted ? 'cancelled' : finishReason });
  }

  private describe(url: string): string {
    return `${this.label} (${url})`;
  }

  private finish(
    onEvent: (event: ChatBackendEvent) => void,
    timing: { startedAt: number; firstTokenAt: number | undefined; promptTokens: number; completionTokens: number; finishReason: FinishReason },
  ): GenerationStats {
    const stats = statsFromTimings({ ...timing, endedAt: performance.now() });
    onEvent({ type: 'stats', stats });
    return stats;
  }
}
