/** Whether a text is a search query or a document passage: embedding models prefix them differently. */
export type EmbeddingRole = 'query' | 'document';

/**
 * Something that turns texts into vectors. The inference engine (onnxruntime, in its worker) implements it; RAG and
 * few-shot selection use it. Vectors are L2-normalised when the model's configuration says so.
 */
export interface TextEmbedder {
  /** The model's id (Hub id or folder path) and revision, so an index knows when it must re-embed. */
  readonly modelKey: string;
  readonly dimensions: number;
  /** The model's maximum input length, in its own tokens. */
  readonly maxTokens: number;
  embed(texts: readonly string[], role: EmbeddingRole, signal?: AbortSignal): Promise<Float32Array[]>;
  /** Token count of a text with the model's tokenizer (for chunk budgets). */
  countTokens(text: string): number;
}
