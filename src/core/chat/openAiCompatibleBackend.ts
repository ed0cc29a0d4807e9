import { isLoopbackHost } from '../text/listenAddress';
import OpenAI, { APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { type ChatCompletionChunk, type ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import { ChatBackendError, statsFromTimings, type ChatBackend, type ChatBackendEvent, type ChatGenerateRequest, type ChatModelInfo, type FinishReason, type GenerationStats } from './backend';
import { boundedEventStream, cappedBody, truncatedBody } from './boundedResponseBody';
import { contextCap, rejectedParameter, serverErrorBody } from './openAiRequestErrors';
import { formatBinaryBytes } from '../text/byteSize';

export interface OpenAiCompatibleOptions {
  id: string;
  label: string;
  /** Base URL ending before `/chat/completions`, e.g. `http://localhost:8000/v1`. */
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
  /**
   * How long a server may take to start answering (its response headers). Once it has, an answer takes as long as
   * it takes: a long answer on a slow machine is not an error.
   */
  firstByteTimeoutMs?: number;
}

/** Minutes: a CPU server reads a long prompt before it sends anything, and a busy vLLM queues requests. */
export const defaultFirstByteTimeoutMs = 5 * 60 * 1000;
/** The model list is a quick question: a server that takes longer is reported as not answering. */
const modelListTimeoutMs = 10 * 1000;
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
 * have ended. Reasoning counts with the answer, as servers count it in `max_tokens`.
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

/** The parameters a server may refuse that the answer can do without; each is dropped at most once per answer. */
const optionalParameters = ['stream_options', 'seed', 'top_p', 'stop', 'temperature', 'max_tokens'] as const;

/** What one request's fetch saw that the `openai` client does not keep: the raw error body, our own refusals. */
interface RequestTrace {
  errorText?: string;
  /** A refusal of ours (a redirect, a body too big) thrown from inside the client's fetch. */
  failure?: ChatBackendError;
}

/** Bounds on the bodies of one kind of request. */
interface BodyBounds {
  streamBytes: number;
  jsonBodyBytes: number;
}

/** Deltas as reasoning servers send them: vLLM and DeepSeek put the thinking in `reasoning_content`, others in `reasoning`. */
type ReasoningDelta = { content?: unknown; reasoning_content?: unknown; reasoning?: unknown };

const silentLogger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined };

/**
 * A backend for any server that speaks OpenAI's chat completions API with streaming (vLLM, llama.cpp's server,
 * Ollama, LM Studio, TGI, Chatwright's own servers…), on the official `openai` client. The client parses the
 * server-sent events; its fetch is ours, so that every body is read with bounds, the API key goes only to the
 * endpoint's origin, and what a server says when it refuses a request is kept for a retry the chat can explain.
 */
export class OpenAiCompatibleBackend implements ChatBackend {
  readonly id: string;
  readonly label: string;
  private readonly baseUrl: string;
  private readonly fetch: typeof fetch;
  private readonly firstByteTimeoutMs: number;
  /** Why this endpoint's traffic can be read on the way (plain http to another machine), shown with every answer. */
  readonly insecureTransport: string | undefined;

  constructor(private readonly options: OpenAiCompatibleOptions) {
    this.id = options.id;
    this.label = options.label;
    this.baseUrl = options.baseUrl.trim().replace(/\/+$/, '');
    this.fetch = options.fetch ?? fetch;
    this.firstByteTimeoutMs = options.firstByteTimeoutMs ?? defaultFirstByteTimeoutMs;
    this.insecureTransport = insecureTransportWarning(this.label, this.baseUrl, options.apiKey !== undefined && options.apiKey !== '');
  }

  /** The models this server lists, or nothing when it cannot be asked (the chat's model picker fails soft). */
  async listModels(signal?: AbortSignal): Promise<ChatModelInfo[]> {
    try {
      return await this.fetchModels(signal);
    } catch {
      return [];
    }
  }

  /** The models from `GET /models`, with their context length where the server says it; failures say what to do. */
  async fetchModels(signal?: AbortSignal): Promise<ChatModelInfo[]> {
    const trace: RequestTrace = {};
    const client = this.client({ streamBytes: modelListByteLimit, jsonBodyBytes: modelListByteLimit }, trace, modelListTimeoutMs);
    let page: { data: unknown[] };
    try {
      page = await client.models.list(signal ? { signal } : {});
    } catch (error) {
      throw this.requestFailure(error, trace, `${this.baseUrl}/models`);
    }
    return (Array.isArray(page.data) ? page.data : []).flatMap((entry): ChatModelInfo[] => {
      if (typeof entry !== 'object' || entry === null) return [];
      const { id, max_model_len: maxModelLen, context_length: contextLengthField } = entry as Record<string, unknown>;
      if (typeof id !== 'string' || id === '' || id.length > 512) return [];
      const contextLength = [maxModelLen, contextLengthField].find((n): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n > 0);
      return [{ id, label: id, ...(contextLength ? { contextLength } : {}) }];
    });
  }

  async generate(request: ChatGenerateRequest, onEvent: (event: ChatBackendEvent) => void, signal: AbortSignal): Promise<GenerationStats> {
    const startedAt = performance.now();
    const limits = answerLimits(request.options.maxTokens);
    const url = `${this.baseUrl}/chat/completions`;
    if (this.insecureTransport) onEvent({ type: 'warning', code: 'insecure-transport', message: this.insecureTransport });
    let body: ChatCompletionCreateParamsStreaming & Record<string, unknown> = {
      model: request.model,
      messages: request.messages,
      stream: true,
      stream_options: { include_usage: true },
      temperature: request.options.temperature,
      max_tokens: request.options.maxTokens,
      ...(request.options.topP !== undefined ? { top_p: request.options.topP } : {}),
      ...(request.options.seed !== undefined ? { seed: request.options.seed } : {}),
      ...(request.options.stop?.length ? { stop: request.options.stop } : {}),
    };
    const dropped = new Set<string>();
    let maxTokensReduced = false;
    for (;;) {
      const trace: RequestTrace = {};
      const client = this.client(limits, trace, this.firstByteTimeoutMs);
      let opened: { data: AsyncIterable<ChatCompletionChunk>; response: Response };
      try {
        opened = await client.chat.completions.create(body, { signal }).withResponse();
      } catch (error) {
        if (signal.aborted) return this.finish(onEvent, { startedAt, firstTokenAt: undefined, promptTokens: 0, completionTokens: 0, finishReason: 'cancelled' });
        const refusal = error instanceof APIError && (error.status === 400 || error.status === 422) ? serverErrorBody(trace.errorText ?? error.message) : undefined;
        const cap = refusal ? contextCap(refusal) : undefined;
        if (cap) {
          const asked = typeof body.max_tokens === 'number' ? body.max_tokens : typeof body.max_completion_tokens === 'number' ? body.max_completion_tokens : request.options.maxTokens;
          const room = cap.promptTokens !== undefined ? cap.contextLength - cap.promptTokens : 0;
          if (!maxTokensReduced && room > 0 && room < asked) {
            maxTokensReduced = true;
            body = 'max_completion_tokens' in body ? { ...body, max_completion_tokens: room } : { ...body, max_tokens: room };
            onEvent({
              type: 'warning',
              code: 'max-tokens-reduced',
              message: `${this.label} holds ${cap.contextLength} tokens and the prompt takes ${cap.promptTokens}: the answer was limited to ${room} tokens instead of ${asked}.`,
            });
            continue;
          }
          throw new ChatBackendError(
            'context-too-long',
            `The conversation${cap.promptTokens !== undefined ? ` (${cap.promptTokens} tokens)` : ''} does not fit ${this.label}'s context of ${cap.contextLength} tokens with room for an answer. Shorten it: start a new conversation or delete earlier turns, use fewer retrieved passages or few-shot examples, or pick a model with a longer context.`,
            { cause: error },
          );
        }
        const parameter = refusal
          ? rejectedParameter(
              refusal,
              optionalParameters.filter((name) => name in body && !dropped.has(name)),
            )
          : undefined;
        if (parameter) {
          dropped.add(parameter);
          const { [parameter]: removed, ...rest } = body;
          // A server that wants `max_completion_tokens` (OpenAI's reasoning models) still gets the limit, under that name.
          body = (parameter === 'max_tokens' ? { ...rest, max_completion_tokens: removed } : rest) as typeof body;
          onEvent({
            type: 'warning',
            code: 'parameter-dropped',
            message: `${this.label} refused the parameter \`${parameter}\` (${refusal!.message}); the request was sent again ${parameter === 'max_tokens' ? 'with `max_completion_tokens` instead' : 'without it'}.${parameter === 'stream_options' ? ' Token counts come from counting the streamed pieces.' : ''}`,
          });
          continue;
        }
        throw await this.generationFailure(error, trace, url, request.model);
      }
      return this.readAnswer(opened, { request, limits, url, startedAt }, onEvent, signal);
    }
  }

  /** Reads one answer, streamed or (from a server that ignores `stream: true`) whole, within the answer's limits. */
  private async readAnswer(
    opened: { data: AsyncIterable<ChatCompletionChunk>; response: Response },
    context: { request: ChatGenerateRequest; limits: ReturnType<typeof answerLimits>; url: string; startedAt: number },
    onEvent: (event: ChatBackendEvent) => void,
    signal: AbortSignal,
  ): Promise<GenerationStats> {
    const { request, limits, url, startedAt } = context;
    let firstTokenAt: number | undefined;
    let deltas = 0;
    let chars = 0;
    let promptTokens = 0;
    let usageCompletion: number | undefined;
    let finishReason: FinishReason = 'stop';
    let finished = false;
    let cutShort = false;
    /** Takes one completion chunk (streamed or whole); false once the answer is over and nothing more is read. */
    const take = (chunk: ChatCompletionChunk | Record<string, unknown>): boolean => {
      const { choices, usage } = chunk as { choices?: unknown; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } | null };
      if (typeof usage?.prompt_tokens === 'number') promptTokens = usage.prompt_tokens;
      if (typeof usage?.completion_tokens === 'number') usageCompletion = usage.completion_tokens;
      const choice = Array.isArray(choices) ? (choices[0] as { delta?: ReasoningDelta; message?: ReasoningDelta; finish_reason?: unknown } | undefined) : undefined;
      const delta = choice?.delta ?? choice?.message;
      const reasoning = typeof delta?.reasoning_content === 'string' ? delta.reasoning_content : typeof delta?.reasoning === 'string' ? delta.reasoning : '';
      const text = typeof delta?.content === 'string' ? delta.content : '';
      if (reasoning || text) {
        if (finished) return false;
        if (deltas + 1 > limits.deltas || chars + reasoning.length + text.length > limits.chars) {
          cutShort = true;
          return false;
        }
        firstTokenAt ??= performance.now();
        deltas++;
        chars += reasoning.length + text.length;
        if (reasoning) onEvent({ type: 'reasoning', text: reasoning });
        if (text) onEvent({ type: 'token', text });
      }
      if (typeof choice?.finish_reason === 'string') {
        finished = true;
        if (choice.finish_reason === 'length') finishReason = 'length';
      }
      // The usage chunk comes last; a server that keeps the connection open after it is not waited for.
      return !(finished && usageCompletion !== undefined);
    };
    try {
      const contentType = opened.response.headers.get('content-type') ?? '';
      if (/json/i.test(contentType) && !/event-stream/i.test(contentType)) {
        const text = await opened.response.text();
        let whole: unknown;
        try {
          whole = JSON.parse(text);
        } catch (error) {
          throw new ChatBackendError('engine-failure', `${this.describe(url)} answered with JSON that does not parse: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
        }
        if (whole && typeof whole === 'object') take(whole as Record<string, unknown>);
      } else {
        for await (const chunk of opened.data) if (!take(chunk)) break;
      }
    } catch (error) {
      if (signal.aborted) return this.finish(onEvent, { startedAt, firstTokenAt, promptTokens, completionTokens: deltas, finishReason: 'cancelled' });
      if (error instanceof ChatBackendError) throw error;
      if (error instanceof APIError && error.status === undefined && !(error instanceof APIUserAbortError))
        throw new ChatBackendError('engine-failure', `${this.label} reported an error while answering: ${error.message}`, { cause: error });
      if (error instanceof SyntaxError) throw new ChatBackendError('engine-failure', `${this.describe(url)} streamed an event that is not JSON: ${error.message}`, { cause: error });
      throw new ChatBackendError('engine-failure', `${this.label} stopped streaming: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (cutShort) {
      finishReason = 'length';
      onEvent({
        type: 'warning',
        code: 'answer-truncated',
        message: `${this.describe(url)} kept sending past the ${request.options.maxTokens} tokens asked for (max_tokens); the answer was cut there and the request closed.`,
      });
    }
    const completionTokens = cutShort ? deltas : (usageCompletion ?? deltas);
    return this.finish(onEvent, { startedAt, firstTokenAt, promptTokens, completionTokens, finishReason: signal.aborted ? 'cancelled' : finishReason });
  }

  /** An `openai` client whose every request goes through `boundedFetch` with these bounds and this trace. */
  private client(bounds: BodyBounds, trace: RequestTrace, timeoutMs: number): OpenAI {
    return new OpenAI({
      // The client insists on a key; without one, `boundedFetch` removes the header it makes from this placeholder.
      apiKey: this.options.apiKey || 'no-key',
      baseURL: this.baseUrl,
      organization: null,
      project: null,
      // The chat retries by itself, only where it can say why (a refused parameter, a capped context).
      maxRetries: 0,
      timeout: timeoutMs,
      logLevel: 'off',
      logger: silentLogger,
      fetch: (input: string | URL | Request, init?: RequestInit) => this.boundedFetch(input, init, bounds, trace),
    });
  }

  /**
   * The client's fetch: no redirect is followed while a key is set (the key goes to the endpoint's origin only),
   * error bodies are kept (up to 64 KiB) for the message, and answer bodies are bounded.
   */
  private async boundedFetch(input: string | URL | Request, init: RequestInit | undefined, bounds: BodyBounds, trace: RequestTrace): Promise<Response> {
    const headers = new Headers(init?.headers);
    if (!this.options.apiKey) headers.delete('authorization');
    // The client's telemetry headers (OS, runtime, versions) are nothing a self-hosted server needs to know.
    for (const name of [...headers.keys()]) if (name.startsWith('x-stainless-')) headers.delete(name);
    const response = await this.fetch(input, { ...init, headers, redirect: this.options.apiKey ? 'manual' : 'follow' });
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const fail = (error: ChatBackendError): never => {
      void response.body?.cancel().catch(() => undefined);
      trace.failure = error;
      throw error;
    };
    if (response.type === 'opaqueredirect' || (response.status >= 300 && response.status < 400)) {
      const location = response.headers.get('location');
      fail(
        new ChatBackendError(
          'backend-unavailable',
          `${this.label} at ${this.baseUrl} answered with a redirect${location ? ` to ${location}` : ''}; the API key is sent only to ${new URL(this.baseUrl).origin}, so it is not followed. Set \`baseUrl\` to the final address.`,
        ),
      );
    }
    const plainHeaders = { 'content-type': response.headers.get('content-type') ?? '' };
    if (!response.ok) {
      const text = response.body ? await new Response(truncatedBody(response.body, errorBodyByteLimit)).text().catch(() => '') : '';
      trace.errorText = text;
      return new Response(text, { status: response.status, statusText: response.statusText, headers: plainHeaders });
    }
    if (!response.body) return response;
    const endpoint = this.describe(url);
    const contentType = plainHeaders['content-type'];
    if (/json/i.test(contentType) && !/event-stream/i.test(contentType)) {
      const declared = Number(response.headers.get('content-length'));
      if (Number.isFinite(declared) && declared > bounds.jsonBodyBytes)
        fail(new ChatBackendError('engine-failure', `${endpoint} answered with a body of ${formatBinaryBytes(declared)}, more than the ${formatBinaryBytes(bounds.jsonBodyBytes)} read.`));
      const body = cappedBody(response.body, bounds.jsonBodyBytes, () => {
        trace.failure = new ChatBackendError('engine-failure', `${endpoint} answered with a body of more than ${formatBinaryBytes(bounds.jsonBodyBytes)}; the request was closed.`);
        return trace.failure;
      });
      return new Response(body, { status: response.status, statusText: response.statusText, headers: plainHeaders });
    }
    const body = boundedEventStream(
      response.body,
      { streamBytes: bounds.streamBytes, lineBytes: sseLineByteLimit },
      {
        tooBig: () => new ChatBackendError('engine-failure', `${endpoint} streamed more than ${formatBinaryBytes(bounds.streamBytes)} for one answer without ending it; the request was closed.`),
        lineTooLong: () => new ChatBackendError('engine-failure', `${endpoint} sent a server-sent-events line longer than ${formatBinaryBytes(sseLineByteLimit)}; the request was closed.`),
      },
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: plainHeaders });
  }

  /** A failed chat request as the user should see it: what happened and what to do. */
  private async generationFailure(error: unknown, trace: RequestTrace, url: string, model: string): Promise<ChatBackendError> {
    if (error instanceof APIError && error.status === 404) {
      const body = serverErrorBody(trace.errorText ?? '');
      if (/model/i.test(body.message)) {
        const available = await this.listModels(AbortSignal.timeout(5000));
        const listed = available.length
          ? ` It serves: ${available
              .slice(0, 12)
              .map((m) => m.id)
              .join(', ')}${available.length > 12 ? `, and ${available.length - 12} more` : ''}.`
          : '';
        return new ChatBackendError('model-missing', `${this.label} has no model "${model}" (${body.message}).${listed} Pick one of its models in the chat.`, { cause: error });
      }
    }
    return this.requestFailure(error, trace, url);
  }

  /** Any failed request (chat or model list) as a `ChatBackendError` that says what to do. */
  private requestFailure(error: unknown, trace: RequestTrace, url: string): ChatBackendError {
    if (trace.failure) return trace.failure;
    if (error instanceof ChatBackendError) return error;
    if (error instanceof APIConnectionTimeoutError)
      return new ChatBackendError(
        'backend-unavailable',
        `${this.label} at ${this.baseUrl} did not start answering within ${Math.round(this.firstByteTimeoutMs / 1000)} s. Check that the server is running and not stuck.`,
        {
          cause: error,
        },
      );
    if (error instanceof APIError && error.status !== undefined) {
      const body = serverErrorBody(trace.errorText ?? '');
      const said = `${this.label} answered ${error.status}${body.message ? `: ${body.message}` : ''}`;
      if (error.status === 401 || error.status === 403) return new ChatBackendError('backend-unavailable', `${said}. Set the API key with "Chatwright: Set Endpoint API Key…".`, { cause: error });
      if (error.status === 404) return new ChatBackendError('backend-unavailable', `${said}. Check the endpoint's URL (${this.baseUrl}): it usually ends in /v1.`, { cause: error });
      if (error.status === 429) return new ChatBackendError('engine-failure', `${said}. The server is busy: try again in a moment.`, { cause: error });
      return new ChatBackendError(error.status === 400 || error.status === 422 ? 'invalid-request' : 'engine-failure', said, { cause: error });
    }
    if (error instanceof SyntaxError) return new ChatBackendError('engine-failure', `${this.describe(url)} answered with JSON that does not parse: ${error.message}`, { cause: error });
    return new ChatBackendError(
      'backend-unavailable',
      `${this.label} at ${this.baseUrl} cannot be reached (${connectionProblem(error)}). Start the server, or check the URL in \`chatwright.chat.endpoints\`.`,
      {
        cause: error,
      },
    );
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

/** The innermost cause of a connection failure, e.g. "connect ECONNREFUSED 127.0.0.1:9". */
function connectionProblem(error: unknown): string {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error && current.cause instanceof Error; depth++) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}
