import { ChatBackendError, statsFromTimings, type ChatBackend, type ChatBackendEvent, type ChatGenerateRequest, type ChatModelInfo, type GenerationStats } from '../../src/core/chat/backend';

export interface Script {
  /** The answer's pieces, streamed one per `delayMs`. A function sees the request (e.g. to echo the prompt). */
  tokens: string[] | ((request: ChatGenerateRequest) => string[]);
  /** Reasoning pieces streamed before the answer, as a reasoning model's server sends `reasoning_content`. */
  reasoning?: string[];
  delayMs?: number;
  /** Fail with this after `failAfter` tokens. */
  fail?: ChatBackendError;
  failAfter?: number;
}

/** A backend that streams a fixed answer: the chat's tests drive the real code paths with it, no model needed. */
export class ScriptedBackend implements ChatBackend {
  readonly requests: ChatGenerateRequest[] = [];
  constructor(
    readonly id: string,
    private readonly script: Script,
    private readonly models: ChatModelInfo[] = [{ id: 'tiny', label: 'Tiny test model', contextLength: 4096 }],
    readonly label = 'Scripted',
  ) {}

  listModels(): Promise<ChatModelInfo[]> {
    return Promise.resolve(this.models);
  }

  async generate(request: ChatGenerateRequest, onEvent: (event: ChatBackendEvent) => void, signal: AbortSignal): Promise<GenerationStats> {
    this.requests.push(request);
    if (!this.models.some((m) => m.id === request.model)) throw new ChatBackendError('model-missing', `No model ${request.model}`);
    const startedAt = performance.now();
    let firstTokenAt: number | undefined;
    const tokens = typeof this.script.tokens === 'function' ? this.script.tokens(request) : this.script.tokens;
    let sent = 0;
    for (const thought of this.script.reasoning ?? []) {
      if (signal.aborted) break;
      firstTokenAt ??= performance.now();
      onEvent({ type: 'reasoning', text: thought });
    }
    for (const token of tokens) {
      if (signal.aborted) break;
      if (this.script.fail && sent === (this.script.failAfter ?? 0)) throw this.script.fail;
      if (this.script.delayMs) await new Promise((resolve) => setTimeout(resolve, this.script.delayMs));
      if (signal.aborted) break;
      firstTokenAt ??= performance.now();
      onEvent({ type: 'token', text: token });
      sent++;
    }
    if (this.script.fail && sent === (this.script.failAfter ?? 0) && !signal.aborted) throw this.script.fail;
    const stats = statsFromTimings({
      startedAt,
      firstTokenAt,
      endedAt: performance.now(),
      promptTokens: request.messages.reduce((n, m) => n + Math.ceil(m.content.length / 4), 0),
      completionTokens: sent,
      finishReason: signal.aborted ? 'cancelled' : 'stop',
    });
    onEvent({ type: 'stats', stats });
    return stats;
  }
}
