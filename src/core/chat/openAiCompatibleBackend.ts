import {
  ChatBackendError,
  statsFromTimings,
  type ChatBackend,
  type ChatBackendEvent,
  type ChatGenerateRequest,
  type ChatModelInfo,
  type FinishReason,
  type GenerationStats,
} from './backend';

export interface OpenAiCompatibleOptions {
  id: string;
  label: string;
  /** Base URL ending before `/chat/completions`, e.g. `http://localhost:8000/v1`. */
  baseUrl: string;
  apiKey?: string;
  fetch?: typeof fetch;
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

  constructor(private readonly options: OpenAiCompatibleOptions) {
    this.id = options.id;
    this.label = options.label;
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.fetch = options.fetch ?? fetch;
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
      const response = await this.fetch(`${this.baseUrl}/models`, { headers: this.headers(), redirect: this.redirect, signal: signal ?? AbortSignal.timeout(5000) });
      if (!response.ok || OpenAiCompatibleBackend.isRedirect(response)) return [];
      const body = (await response.json()) as { data?: { id?: unknown; context_length?: unknown; max_model_len?: unknown }[] };
      return (body.data ?? []).flatMap((m) => {
        if (typeof m.id !== 'string') return [];
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
    let response: Response;
    try {
      response = await this.fetch(`${this.baseUrl}/chat/completions`, { method: 'POST', headers: this.headers(), redirect: this.redirect, body: JSON.stringify(body), signal });
    } catch (error) {
      if (signal.aborted) return this.finish(onEvent, { startedAt, firstTokenAt, promptTokens, completionTokens, finishReason: 'cancelled' });
      throw new ChatBackendError('backend-unavailable', `${this.label} at ${this.baseUrl} cannot be reached: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (OpenAiCompatibleBackend.isRedirect(response)) {
      throw new ChatBackendError('backend-unavailable', `${this.label} at ${this.baseUrl} answered with a redirect${response.headers.get('location') ? ` to ${response.headers.get('location')}` : ''}; the API key is sent only to ${new URL(this.baseUrl).origin}, so it is not followed. Set \`baseUrl\` to the final address.`);
    }
    if (!response.ok || !response.body) {
      const text = (await response.text().catch(() => '')).slice(0, 500);
      const code = response.status === 404 && /model/i.test(text) ? 'model-missing' : /context|too long|maximum.*length/i.test(text) ? 'context-too-long' : 'engine-failure';
      throw new ChatBackendError(code, `${this.label} answered ${response.status} ${response.statusText}${text ? `: ${text}` : ''}`);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, newline).replace(/\r$/, '');
          buffer = buffer.slice(newline + 1);
          if (!line.startsWith('data:')) continue;
          const data = line.slice(5).trim();
          if (data === '[DONE]') continue;
          let event: { choices?: { delta?: { content?: unknown }; finish_reason?: unknown }[]; usage?: { prompt_tokens?: unknown; completion_tokens?: unknown }; error?: { message?: unknown } };
          try {
            event = JSON.parse(data) as typeof event;
          } catch {
            continue;
          }
          if (event.error) throw new ChatBackendError('engine-failure', `${this.label}: ${typeof event.error.message === 'string' ? event.error.message : 'error'}`);
          const choice = event.choices?.[0];
          const text = choice?.delta?.content;
          if (typeof text === 'string' && text.length > 0) {
            firstTokenAt ??= performance.now();
            completionTokens++;
            onEvent({ type: 'token', text });
          }
          if (choice?.finish_reason === 'length') finishReason = 'length';
          if (typeof event.usage?.prompt_tokens === 'number') promptTokens = event.usage.prompt_tokens;
          if (typeof event.usage?.completion_tokens === 'number') usageCompletion = event.usage.completion_tokens;
        }
      }
    } catch (error) {
      if (signal.aborted) return this.finish(onEvent, { startedAt, firstTokenAt, promptTokens, completionTokens, finishReason: 'cancelled' });
      if (error instanceof ChatBackendError) throw error;
      throw new ChatBackendError('engine-failure', `${this.label} stopped streaming: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    return this.finish(onEvent, { startedAt, firstTokenAt, promptTokens, completionTokens: usageCompletion ?? completionTokens, finishReason: signal.aborted ? 'cancelled' : finishReason });
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
