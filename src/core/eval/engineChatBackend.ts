/**
 * The built-in ONNX engine as a chat backend in this process, for the CLI (the editor's runs in the engine's worker:
 * src/host/chat/engineBackend.ts). Models are named as in the chat (`engine/<Hub id or folder>`); a relative folder is
 * resolved against the workspace root. The engine loads each model on its first answer and keeps it.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { chatStatsOfEngine, engineChatError, engineGenerateOptions } from '../chat/engineAnswers';
import { type ChatBackend, type ChatBackendEvent, type ChatGenerateRequest, type ChatModelInfo, type GenerationStats } from '../chat/backend';
import { type InferenceEngine } from '../inference/inferenceEngine';

/** The part of the engine answering needs (tests hand in a fake). */
export type EngineGenerator = Pick<InferenceEngine, 'generate'>;

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
    let result: Awaited<ReturnType<EngineGenerator['generate']>>;
    try {
      result = await this.engine.generate(this.modelLocation(request.model), request.messages, engineGenerateOptions(request.options), (text) => onEvent({ type: 'token', text }), signal);
    } catch (error) {
      throw engineChatError(error, request.model, signal);
    }
    const stats = chatStatsOfEngine(result.stats);
    onEvent({ type: 'stats', stats });
    return stats;
  }
}
