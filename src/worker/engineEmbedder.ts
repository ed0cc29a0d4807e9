import { type Tokenizer } from '@huggingface/tokenizers';
import { CancelledError } from '../core/inference/abort';
import { type EmbeddingRole, type TextEmbedder } from '../core/inference/embedding';
import { configNumber, openModelFolder, selectOnnxFile } from '../core/inference/modelFolder';
import { createTokenizer } from '../core/inference/modelTokenizer';
import { sendRequest, type MessageConnection } from '../core/rpc/connection';
import { indexEmbedRequest } from '../shared/ragProtocol';

/**
 * A TextEmbedder for the index worker whose vectors come from the inference engine's process, through the host:
 * onnxruntime never loads in the extension host process. Token counts (chunk budgets) stay local and synchronous with
 * the model's own tokenizer, which is pure JS.
 */
export class EngineTextEmbedder implements TextEmbedder {
  /** Aborted when the model changes or the worker stops: the requests still waiting are cancelled. */
  private readonly disposed = new AbortController();

  private constructor(
    readonly model: string,
    private readonly tokenizer: Tokenizer,
    readonly maxTokens: number,
    private readonly host: MessageConnection,
    public modelKey: string,
    public dimensions: number,
  ) {}

  /** Reads the model's tokenizer and config in the worker (no onnxruntime); throws a ModelError naming a bad file. */
  static open(model: string, host: MessageConnection): EngineTextEmbedder {
    const folder = openModelFolder(model);
    const { dtype } = selectOnnxFile(folder, 'auto');
    const tokenizer = createTokenizer(folder);
    const modelMax = configNumber(folder.config, 'max_position_embeddings', 'n_positions', 'max_seq_len') ?? 512;
    const tokenizerMax = configNumber(folder.tokenizerConfig, 'model_max_length');
    const maxTokens = tokenizerMax !== undefined && tokenizerMax < 1e6 ? Math.min(modelMax, tokenizerMax) : modelMax;
    const dimensions = configNumber(folder.config, 'hidden_size', 'd_model', 'n_embd', 'dim') ?? 0;
    // Same key as OnnxTextEmbedder (the CLI), so indexes built either way stay valid; the engine's answer confirms it.
    return new EngineTextEmbedder(model, tokenizer, maxTokens, host, `${folder.modelKey}#${dtype}`, dimensions);
  }

  /** Embeds one text in the engine: a model it cannot run, or an engine that is unavailable, fails here. */
  async probe(): Promise<void> {
    const [vector] = await this.embed(['probe'], 'document');
    if (vector) this.dimensions = vector.length;
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text).ids.length;
  }

  async embed(texts: readonly string[], role: EmbeddingRole, signal?: AbortSignal): Promise<Float32Array[]> {
    const cancel = signal ? AbortSignal.any([signal, this.disposed.signal]) : this.disposed.signal;
    if (cancel.aborted) throw new CancelledError();
    if (texts.length === 0) return [];
    let result;
    try {
      result = await sendRequest(this.host, indexEmbedRequest, { model: this.model, texts: [...texts], role }, cancel);
    } catch (error) {
      // However the host ended a cancelled request (the engine's CancelledError, an abort), the caller sees one kind.
      if (cancel.aborted) throw new CancelledError(this.disposed.signal.aborted ? 'the embedding model changed' : 'cancelled');
      throw error;
    }
    if (result.vectors.length > 0) this.modelKey = result.modelKey;
    return result.vectors;
  }

  /** The model changed or the worker stops: requests still waiting fail with a CancelledError. */
  dispose(): void {
    this.disposed.abort();
  }
}
