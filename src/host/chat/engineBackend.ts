import { ChatBackendError, type ChatBackend, type ChatBackendEvent, type ChatGenerateRequest, type ChatModelInfo, type GenerationStats } from '../../core/chat/backend';
import { type EngineChatMessage, type EngineGenerateOptions, type EngineGenerationResult } from '../../shared/engineProtocol';

/**
 * The part of the inference engine (#6, `src/host/engine`) the chat uses: one streaming generate call. The engine
 * host hands its client in as this; tests hand in a fake.
 */
export interface EngineGenerate {
  generate(
    params: { model: string; messages: EngineChatMessage[]; options: EngineGenerateOptions },
    onToken: (text: string) => void,
    signal: AbortSignal,
  ): Promise<EngineGenerationResult>;
}

/**
 * The built-in ONNX engine as a chat backend. It runs the chat model chosen in the Models feature (a Hub id in the
 * local cache, or a model folder); the engine itself applies the model's chat template and sampling defaults.
 */
export class EngineChatBackend implements ChatBackend {
  readonly id = 'engine';
  readonly label = 'Built-in engine (ONNX)';

  constructor(
    private readonly engine: () => EngineGenerate | undefined,
    private readonly selectedModel: () => string | undefined,
  ) {}

  listModels(): Promise<ChatModelInfo[]> {
    const model = this.selectedModel();
    return Promise.resolve(model ? [{ id: model, label: model }] : []);
  }

  async generate(request: ChatGenerateRequest, onEvent: (event: ChatBackendEvent) => void, signal: AbortSignal): Promise<GenerationStats> {
    const engine = this.engine();
    if (!engine) throw new ChatBackendError('backend-unavailable', 'The built-in inference engine is not running in this window. See the Chatwright log for why it did not start.');
    let result: EngineGenerationResult;
    try {
      result = await engine.generate(
        {
          model: request.model,
          messages: request.messages,
          options: {
            maxNewTokens: request.options.maxTokens,
            temperature: request.options.temperature,
            doSample: request.options.temperature > 0,
            ...(request.options.topP !== undefined ? { topP: request.options.topP } : {}),
            ...(request.options.seed !== undefined ? { seed: request.options.seed } : {}),
            ...(request.options.stop ? { stop: request.options.stop } : {}),
          },
        },
        (text) => onEvent({ type: 'token', text }),
        signal,
      );
    } catch (error) {
      throw engineError(error, request.model, signal);
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

/** Maps the engine's error names (ModelError, RangeError, CancelledError, EngineCrashedError) to the chat's codes. */
export function engineError(error: unknown, model: string, signal: AbortSignal): ChatBackendError {
  if (error instanceof ChatBackendError) return error;
  const name = error instanceof Error ? error.name : '';
  const message = error instanceof Error ? error.message : String(error);
  if (signal.aborted || name === 'CancelledError' || name === 'AbortError') return new ChatBackendError('cancelled', 'The answer was stopped.', { cause: error });
  if (name === 'ModelError' && /not found|no such|missing|does not exist|not in the local/i.test(message)) {
    return new ChatBackendError('model-missing', `${model} is not available locally: ${message}`, { cause: error });
  }
  if (name === 'RangeError' || /context (window|length)|too long/i.test(message)) return new ChatBackendError('context-too-long', message, { cause: error });
  return new ChatBackendError('engine-failure', `The inference engine failed: ${message}`, { cause: error });
}
