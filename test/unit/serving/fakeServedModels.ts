/**
 * A served-model provider for the server's tests: token `i` of every answer is the text `tok<i> `, with a
 * controllable delay before the first token and between tokens; it honours `maxTokens` and `stop` the way a real
 * generator does, stops at the first token after its signal aborts, and records what it was asked and how far it got.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type ServedChatRequest, type ServedChatResult, type ServedEmbeddingResult, type ServedModel, type ServedModelProvider } from '../../../src/core/serving/servedModels';

export interface FakeGeneration {
  request: ServedChatRequest;
  tokens: number;
  aborted: boolean;
  done: boolean;
}

export class FakeServedModels implements ServedModelProvider {
  readonly models: ServedModel[] = [
    { id: 'tiny-chat', kind: 'chat', ownedBy: 'chatwright', contextLength: 2048 },
    { id: 'tiny-chat-support', kind: 'chat', ownedBy: 'chatwright', parent: 'tiny-chat' },
    { id: 'tiny-embed', kind: 'embedding', ownedBy: 'chatwright' },
  ];
  firstTokenDelayMs = 0;
  tokenDelayMs = 1;
  defaultMaxTokens = 8;
  /** Thrown by `chat` after this many tokens (0: before any). */
  failure: { error: Error; afterTokens: number } | undefined;
  readonly generations: FakeGeneration[] = [];
  running = 0;
  mostRunning = 0;

  listModels(): Promise<ServedModel[]> {
    return Promise.resolve(this.models);
  }

  async chat(request: ServedChatRequest, onText: (delta: string) => void, signal: AbortSignal): Promise<ServedChatResult> {
    const generation: FakeGeneration = { request, tokens: 0, aborted: false, done: false };
    this.generations.push(generation);
    this.running += 1;
    this.mostRunning = Math.max(this.mostRunning, this.running);
    const promptTokens = request.messages.reduce((sum, message) => sum + message.content.split(/\s+/).filter(Boolean).length, 0);
    const result = (completionTokens: number, finishReason: ServedChatResult['finishReason']): ServedChatResult => ({ promptTokens, completionTokens, finishReason });
    try {
      await sleep(this.firstTokenDelayMs, undefined, { signal }).catch(() => undefined);
      const maxTokens = request.maxTokens ?? this.defaultMaxTokens;
      let text = '';
      let emitted = 0;
      for (let index = 0; index < maxTokens; index++) {
        if (signal.aborted) {
          generation.aborted = true;
          return result(generation.tokens, 'cancelled');
        }
        if (this.failure !== undefined && generation.tokens >= this.failure.afterTokens) throw this.failure.error;
        text += `tok${index} `;
        generation.tokens += 1;
        const stopAt = Math.min(...(request.stop ?? []).map((stop) => text.indexOf(stop)).filter((at) => at >= 0));
        if (Number.isFinite(stopAt)) {
          if (stopAt > emitted) onText(text.slice(emitted, stopAt));
          return result(generation.tokens, 'stop');
        }
        onText(text.slice(emitted));
        emitted = text.length;
        if (this.tokenDelayMs > 0) await sleep(this.tokenDelayMs);
      }
      return result(generation.tokens, 'length');
    } finally {
      generation.done = true;
      this.running -= 1;
    }
  }

  embed(_model: string, inputs: readonly string[]): Promise<ServedEmbeddingResult> {
    const vectors = inputs.map((input) => Float32Array.from([input.length, [...input].reduce((sum, char) => sum + char.charCodeAt(0), 0) % 97, 0.1, -1.25]));
    return Promise.resolve({ vectors, promptTokens: inputs.reduce((sum, input) => sum + input.split(/\s+/).filter(Boolean).length, 0) });
  }
}
