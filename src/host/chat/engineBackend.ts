import { chatStatsOfEngine, engineChatError, engineGenerateOptions } from '../../core/chat/engineAnswers';
import { ChatBackendError, type ChatBackend, type ChatBackendEvent, type ChatGenerateRequest, type ChatModelInfo, type GenerationStats } from '../../core/chat/backend';
import { type CachedModel } from '../../core/hub/cacheScan';
import { describeModelFiles, modelCapabilities, roleFromFiles } from '../../core/hub/modelFormats';
import { type EngineGenerationResult } from '../../shared/engineProtocol';
import type { EngineHost } from '../engine/engineHost';

/** The part of the inference engine the chat uses: one streaming, cancellable generate call (tests hand in a fake). */
export type EngineGenerate = Pick<EngineHost, 'generate'>;

/**
 * The models the engine can answer with: the workspace's chosen chat model (a Hub id, `id@revision`, or a folder, even
 * when the cache does not hold it), then every cached repository with ONNX weights and a tokenizer that is not an
 * embedding model, so each conversation can choose any of them.
 */
export function runnableChatModels(cached: readonly CachedModel[], selected: string | undefined): ChatModelInfo[] {
  const selectedRepo = selected?.split('@')[0];
  const runnable = cached
    .filter((model) => model.repoId !== selectedRepo)
    .filter((model) => {
      const paths = model.revisions[0]?.files.filter((file) => file.present).map((file) => file.path) ?? [];
      return modelCapabilities(describeModelFiles(paths)).onnxEngine && roleFromFiles(paths) !== 'embedding';
    })
    .map((model) => ({ id: model.repoId, label: model.repoId }))
    .sort((a, b) => a.id.localeCompare(b.id));
  return [...(selected ? [{ id: selected, label: selected }] : []), ...runnable];
}

/**
 * The built-in ONNX engine as a chat backend. It runs the chat model chosen in the Models feature or any runnable
 * model in the local cache; the engine itself applies the model's chat template and sampling defaults.
 */
export class EngineChatBackend implements ChatBackend {
  readonly id = 'engine';
  readonly label = 'Built-in engine (ONNX)';

  constructor(
    /** Undefined when the engine did not start in this window: answers then fail with `backend-unavailable`. */
    private readonly engine: EngineGenerate | undefined,
    private readonly selectedModel: () => string | undefined,
    private readonly cachedModels: () => Promise<CachedModel[]> = () => Promise.resolve([]),
  ) {}

  async listModels(): Promise<ChatModelInfo[]> {
    // A cache that cannot be read leaves the chosen model: the chat must still open.
    const cached = await this.cachedModels().catch(() => []);
    return runnableChatModels(cached, this.selectedModel());
  }

  async generate(request: ChatGenerateRequest, onEvent: (event: ChatBackendEvent) => void, signal: AbortSignal): Promise<GenerationStats> {
    const engine = this.engine;
    if (!engine) throw new ChatBackendError('backend-unavailable', 'The built-in inference engine is not running in this window. See the Chatwright log for why it did not start.');
    let result: EngineGenerationResult;
    try {
      result = await engine.generate(request.model, request.messages, engineGenerateOptions(request.options), (text) => onEvent({ type: 'token', text }), signal);
    } catch (error) {
      throw engineChatError(error, request.model, signal);
    }
    const stats = chatStatsOfEngine(result.stats);
    onEvent({ type: 'stats', stats });
    return stats;
  }
}

/** The engine's errors in the chat's codes (kept under this name for the chat's callers). */
export const engineError = engineChatError;
