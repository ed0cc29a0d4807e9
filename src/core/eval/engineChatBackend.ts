/**
 * The built-in ONNX engine as a chat backend in this process, for the CLI (the editor's runs in the engine's worker:
 * src/host/chat/engineBackend.ts). Models are named as in the chat (`engine/<Hub id or folder>`); a relative folder is
 * resolved against the workspace root. The engine loads each model on its first answer and keeps it.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { ChatBackendError, type ChatBackend, type ChatBackendEvent, type ChatGenerateRequest, type ChatModelInfo, type GenerationStats } from '../chat/backend';
import { type InferenceEngine } from '../inference/inferenceEngine';

/** The part of the engine answering needs (tests hand in a fake). */
export type EngineGenerator = Pick<InferenceEngine, 'generate'>;

/** The engine's error names in the chat's codes, so a missing model says so rather than "engine failure". */
function engineChatError(error: unknown, model: string, signal: AbortSignal): ChatBackendError {
  if (error instanceof ChatBackendError) return error;
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (signal.aborted || name === 'CancelledError' || name === 'AbortError') return new ChatBackendError('cancelled', 'The answer was stopped.', { cause: error });
  if (name === 'ModelError' && /not found|no such|missing|does not exist|not in the local/i.test(message)) {
    return new ChatBackendError('model-missing', `${model} is not available locally: ${message}`, { cause: error });
  }
  if (name === 'PromptTooLongError' || /context (window|length)|too long/i.test(message)) return new ChatBackendError('context-too-long', message, { cause: error });
  return new ChatBackendError('engine-failure', `The inference engine failed: ${message}`, { cause: error });
}

export class EngineChatBackend implements ChatBackend {
  readonly id = 'engine';
  readonly label = 'Built-in engine (ONNX)';

  constructor(
    private readonly engine: EngineGenerator,
    /** Relative model folders are resolved against it. */
    private readonly root: string,
  ) {}

  /** The engine answers with any model it can load; there is no list to offer here. */
  listModels(): Promise<ChatModelInfo[]> {
    return Promise.resolve([]);
  }

  /** A folder (absolute, or relative to the root) when there is one, else a Hub id for the cache lookup. */
  modelLocation(model: string): string {
    const folder = isAbsolute(model) ? model : resolve(this.root, model);
    return existsSync(folder) ? folder : model;
  }

  async generate(request: ChatGenerateRequest, onEvent: (event: ChatBackendEvent) => void, signal: AbortSignal): Promise<GenerationStats> {
    const options = request.options;
    let result: Awaited<ReturnType<EngineGenerator['generate']>>;
    try {
      result = await this.engine.generate(
        this.modelLocation(request.model),
        request.messages,
        {
          maxNewTokens: options.maxTokens,
          temperature: options.temperature,
          doSample: options.temperature > 0,
          ...(options.topP !== undefined ? { topP: options.topP } : {}),
          ...(options.seed !== undefined ? { seed: options.seed } : {}),
          ...(options.stop ? { stop: options.stop } : {}),
        },
        (text) => onEvent({ type: 'token', text }),
        signal,
      );
    } catch (error) {
      throw engineChatError(error, request.model, signal);
    }
    const s = result.stats;
    const stats: GenerationStats = {
      promptTokens: s.promptTokens,
      completionTokens: s.generatedTokens,
      timeToFirstTokenMs: s.timeToFirstTokenMs,
      tokensPerSecond: s.tokensPerSecond,
      totalMs: s.totalMs,
      finishReason: s.finishReason === 'cancelled' ? 'cancelled' : s.finishReason === 'length' || s.finishReason === 'context' ? 'length' : 'stop',
    };
    onEvent({ type: 'stats', stats });
    return stats;
  }
}
