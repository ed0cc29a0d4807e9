import { type Tokenizer } from '@huggingface/tokenizers';
import { CancelledError } from '../core/inference/abort';
import { type EmbeddingRole, type TextEmbedder } from '../core/inference/embedding';
import { configNumber, openModelFolder, selectOnnxFile } from '../core/inference/modelFolder';
import { createTokenizer } from '../core/inference/modelTokenizer';
import { type IndexEmbedCancel, type IndexEmbedRequest, type IndexEmbedResponse } from '../shared/ragProtocol';

type Send = (message: IndexEmbedRequest | IndexEmbedCancel) => void;

/**
 * A TextEmbedder for the index worker whose vectors come from the inference engine's process, through the host:
 * onnxruntime never loads in the extension host process. Token counts (chunk budgets) stay local and synchronous with
 * the model's own tokenizer, which is pure JS.
 */
export class EngineTextEmbedder implements TextEmbedder {
  /** Shared by every instance: a late answer for a replaced model can never match a newer request. */
  private static nextId = 1;
  private readonly pending = new Map<number, { resolve: (vectors: Float32Array[]) => void; reject: (error: Error) => void }>();

  private constructor(
    readonly model: string,
    private readonly tokenizer: Tokenizer,
    readonly maxTokens: number,
    private readonly send: Send,
    public modelKey: string,
    public dimensions: number,
  ) {}

  /** Reads the model's tokenizer and config in the worker (no onnxruntime); throws a ModelError naming a bad file. */
  static open(model: string, send: Send): EngineTextEmbedder {
    const folder = openModelFolder(model);
    const { dtype } = selectOnnxFile(folder, 'auto');
    const tokenizer = createTokenizer(folder);
    const modelMax = configNumber(folder.config, 'max_position_embeddings', 'n_positions', 'max_seq_len') ?? 512;
    const tokenizerMax = configNumber(folder.tokenizerConfig, 'model_max_length');
    const maxTokens = tokenizerMax !== undefined && tokenizerMax < 1e6 ? Math.min(modelMax, tokenizerMax) : modelMax;
    const dimensions = configNumber(folder.config, 'hidden_size', 'd_model', 'n_embd', 'dim') ?? 0;
    // Same key as OnnxTextEmbedder (the CLI), so indexes built either way stay valid; the engine's answer confirms it.
    return new EngineTextEmbedder(model, tokenizer, maxTokens, send, `${folder.modelKey}#${dtype}`, dimensions);
  }

  /** Embeds one text in the engine: a model it cannot run, or an engine that is unavailable, fails here. */
  async probe(): Promise<void> {
    const [vector] = await this.embed(['probe'], 'document');
    if (vector) this.dimensions = vector.length;
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text).ids.length;
  }

  embed(texts: readonly string[], role: EmbeddingRole, signal?: AbortSignal): Promise<Float32Array[]> {
    if (signal?.aborted) return Promise.reject(new CancelledError());
    if (texts.length === 0) return Promise.resolve([]);
    const id = EngineTextEmbedder.nextId++;
    return new Promise<Float32Array[]>((resolve, reject) => {
      const onAbort = (): void => {
        if (!this.pending.delete(id)) return;
        this.send({ kind: 'embedCancel', id });
        reject(new CancelledError());
      };
      this.pending.set(id, {
        resolve: (vectors) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(vectors);
        },
        reject: (error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(error);
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      this.send({ kind: 'embedRequest', id, model: this.model, texts: [...texts], role });
    });
  }

  receive(message: IndexEmbedResponse): void {
    const waiter = this.pending.get(message.id);
    if (!waiter) return;
    this.pending.delete(message.id);
    if (!message.ok) {
      waiter.reject(message.cancelled ? new CancelledError() : new Error(message.error));
      return;
    }
    if (message.vectors.length > 0) this.modelKey = message.modelKey;
    waiter.resolve(message.vectors);
  }

  /** The model changed or the worker stops: requests still waiting fail. */
  dispose(): void {
    for (const waiter of this.pending.values()) waiter.reject(new CancelledError('the embedding model changed'));
    this.pending.clear();
  }
}
