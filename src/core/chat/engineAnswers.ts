/**
 * What the chat and the built-in engine say to each other, in one place for both engine backends (the editor's, over
 * the engine's worker: src/host/chat/engineBackend.ts; the CLI's, in-process: src/core/eval/engineChatBackend.ts):
 * the chat's generation options as the engine's, the engine's stats as the chat's, and its errors in the chat's codes.
 */
import { type EngineGenerateOptions, type EngineGenerationStats } from '../../shared/engineProtocol';
import { ChatBackendError, type GenerationOptions, type GenerationStats } from './backend';

export function engineGenerateOptions(options: GenerationOptions): EngineGenerateOptions {
  return {
    maxNewTokens: options.maxTokens,
    temperature: options.temperature,
    doSample: options.temperature > 0,
    ...(options.topP !== undefined ? { topP: options.topP } : {}),
    ...(options.seed !== undefined ? { seed: options.seed } : {}),
    ...(options.stop ? { stop: options.stop } : {}),
  };
}

/** The engine's stats as the chat's: `eos` and `stop` end an answer, `length` and `context` cut it. */
export function chatStatsOfEngine(stats: EngineGenerationStats): GenerationStats {
  return {
    promptTokens: stats.promptTokens,
    completionTokens: stats.generatedTokens,
    timeToFirstTokenMs: stats.timeToFirstTokenMs,
    tokensPerSecond: stats.tokensPerSecond,
    totalMs: stats.totalMs,
    finishReason: stats.finishReason === 'cancelled' ? 'cancelled' : stats.finishReason === 'length' || stats.finishReason === 'context' ? 'length' : 'stop',
  };
}

/** Maps the engine's error names (ModelError, RangeError / PromptTooLongError, CancelledError, EngineCrashedError) to the chat's codes. */
export function engineChatError(error: unknown, model: string, signal: AbortSignal): ChatBackendError {
  if (error instanceof ChatBackendError) return error;
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (signal.aborted || name === 'CancelledError' || name === 'AbortError') return new ChatBackendError('cancelled', 'The answer was stopped.', { cause: error });
  if (name === 'ModelError' && /not found|no such|missing|does not exist|not in the local/i.test(message)) {
    return new ChatBackendError('model-missing', `${model} is not available locally: ${message}`, { cause: error });
  }
  if (name === 'RangeError' || name === 'PromptTooLongError' || /context (window|length)|too long/i.test(message)) return new ChatBackendError('context-too-long', message, { cause: error });
  return new ChatBackendError('engine-failure', `The inference engine failed: ${message}`, { cause: error });
}
