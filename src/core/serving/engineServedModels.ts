/**
 * The built-in ONNX engine behind the OpenAI-compatible server, in-process as the CLI runs it: chat models answer with
 * their own chat template (through `InferenceEngine.generate`), an optional embedding model embeds documents. Model
 * ids are what the user named (a Hub id or a folder as typed), so a client sends back what the user sees.
 */
import { type InferenceEngine } from '../inference/inferenceEngine';
import { type ModelDtype } from '../inference/modelFolder';
import { type FinishReason, PromptTooLongError } from '../inference/textGenerator';
import { type ServedChatRequest, type ServedChatResult, type ServedEmbeddingResult, type ServedFinishReason, type ServedModel, type ServedModelProvider, ServingError } from './servedModels';

export interface EngineServedModel {
  /** The id clients use: what the user passed. */
  id: string;
  /** What the engine loads: a Hub id or an absolute folder. */
  model: string;
  dtype?: ModelDtype;
}

export interface EngineServedModelsOptions {
  chat: EngineServedModel[];
  embedding?: EngineServedModel;
  /** `owned_by` in the model list. */
  ownedBy?: string;
}

/** The engine's finish reasons in OpenAI's terms: end of turn and stop strings are `stop`; the token or context limit is `length`. */
export function servedFinishReason(reason: FinishReason): ServedFinishReason {
  switch (reason) {
    case 'eos':
    case 'stop':
      return 'stop';
    case 'length':
    case 'context':
      return 'length';
    case 'cancelled':
      return 'cancelled';
  }
}

export class EngineServedModels implements ServedModelProvider {
  private readonly chatModels: Map<string, EngineServedModel>;
  private readonly ownedBy: string;

  constructor(
    private readonly engine: InferenceEngine,
    private readonly options: EngineServedModelsOptions,
  ) {
    if (options.chat.length === 0) throw new RangeError('serving needs at least one chat model');
    this.chatModels = new Map(options.chat.map((entry) => [entry.id, entry]));
    if (this.chatModels.size !== options.chat.length) throw new RangeError('each served chat model needs its own id');
    if (options.embedding && this.chatModels.has(options.embedding.id)) throw new RangeError(`'${options.embedding.id}' is served both as a chat and as an embedding model`);
    this.ownedBy = options.ownedBy ?? 'chatwright';
  }

  /** Loads every served model (so the first request does not wait for a load) and returns the listing. */
  async load(): Promise<ServedModel[]> {
    return this.listModels();
  }

  async listModels(): Promise<ServedModel[]> {
    const chat = await Promise.all(
      this.options.chat.map(async (entry): Promise<ServedModel> => {
        const info = await this.engine.info(entry.model, 'generator', entry.dtype);
        return { id: entry.id, kind: 'chat', ownedBy: this.ownedBy, ...(info.maxTokens !== undefined ? { contextLength: info.maxTokens } : {}) };
      }),
    );
    const embedding = this.options.embedding;
    if (!embedding) return chat;
    const info = await this.engine.info(embedding.model, 'embedder', embedding.dtype);
    return [...chat, { id: embedding.id, kind: 'embedding', ownedBy: this.ownedBy, ...(info.maxTokens !== undefined ? { contextLength: info.maxTokens } : {}) }];
  }

  /** The context window of a served chat model, in tokens. */
  async contextLength(id: string): Promise<number | undefined> {
    const entry = this.chatEntry(id);
    return (await this.engine.info(entry.model, 'generator', entry.dtype)).maxTokens;
  }

  async chat(request: ServedChatRequest, onText: (delta: string) => void, signal: AbortSignal): Promise<ServedChatResult> {
    const entry = this.chatEntry(request.model);
    const options = {
      ...(request.maxTokens !== undefined ? { maxNewTokens: request.maxTokens } : {}),
      ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
      ...(request.topP !== undefined ? { topP: request.topP } : {}),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(request.stop !== undefined && request.stop.length > 0 ? { stop: request.stop } : {}),
    };
    try {
      const result = await this.engine.generate(entry.model, request.messages, options, onText, signal, entry.dtype);
      return { promptTokens: result.stats.promptTokens, completionTokens: result.stats.generatedTokens, finishReason: servedFinishReason(result.stats.finishReason) };
    } catch (error) {
      if (error instanceof PromptTooLongError) {
        throw new ServingError(
          400,
          'invalid_request_error',
          `This model's maximum context length is ${error.contextLength} tokens. However, your messages resulted in ${error.promptTokens} tokens, which leaves no room for the answer. Please reduce the length of the messages.`,
          'messages',
          'context_length_exceeded',
        );
      }
      throw error;
    }
  }

  async embed(model: string, inputs: readonly string[], signal: AbortSignal): Promise<ServedEmbeddingResult> {
    const embedding = this.options.embedding;
    if (!embedding || embedding.id !== model) throw new ServingError(404, 'not_found_error', `The model '${model}' is not an embedding model served here.`, 'model', 'model_not_found');
    const { vectors } = await this.engine.embed(embedding.model, inputs, 'document', signal, embedding.dtype);
    const counts = await this.engine.countTokens(embedding.model, inputs, embedding.dtype);
    return { vectors, promptTokens: counts.reduce((sum, count) => sum + count, 0) };
  }

  private chatEntry(id: string): EngineServedModel {
    const entry = this.chatModels.get(id);
    if (!entry) throw new ServingError(404, 'not_found_error', `The model '${id}' does not exist or is not a chat model served here.`, 'model', 'model_not_found');
    return entry;
  }
}
