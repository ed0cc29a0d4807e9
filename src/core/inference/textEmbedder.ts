import type * as Ort from 'onnxruntime-node';
import { type Tokenizer } from '@huggingface/tokenizers';
import { type EmbeddingRole, type TextEmbedder } from './embedding';
import { embeddingRecipe, l2Normalize, poolTokens, type EmbeddingRecipe } from './embeddingConfig';
import { configNumber, ModelError, openModelFolder, selectOnnxFile, type ModelDtype, type ModelFolder } from './modelFolder';
import { loadOnnxRuntime, openOnnxSession, requireSessionIO, type SessionOptions } from './onnxSession';
import { throwIfAborted } from './abort';
import { checkVocabulary, createTokenizer } from './modelTokenizer';

export interface EmbedderOptions extends SessionOptions {
  dtype?: ModelDtype;
  /** Upper bound on padded tokens per batch: batches are grouped by length so little is spent on padding. */
  maxBatchTokens?: number;
  maxBatchSize?: number;
  /** Overrides the model's maximum input length (never above it). */
  maxTokens?: number;
}

/** A feature-extraction model (BERT, MiniLM, BGE, E5, GTE, Nomic, …) run with onnxruntime-node. */
export class OnnxTextEmbedder implements TextEmbedder {
  readonly modelKey: string;
  readonly dimensions: number;
  readonly maxTokens: number;
  readonly recipe: EmbeddingRecipe;
  readonly dtype: string;
  readonly file: string;
  private readonly outputName: string;
  private readonly wantsTokenTypes: boolean;
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly model: ModelFolder,
    private readonly tokenizer: Tokenizer,
    private readonly session: Ort.InferenceSession,
    readonly provider: 'cpu' | 'cuda',
    readonly fallbackReason: string | undefined,
    file: string,
    dtype: string,
    private readonly options: EmbedderOptions,
  ) {
    this.file = file;
    this.dtype = dtype;
    this.modelKey = `${model.modelKey}#${dtype}`;
    this.recipe = embeddingRecipe(model);
    const outputs = session.outputNames;
    this.outputName = ['sentence_embedding', 'last_hidden_state', 'token_embeddings'].find((name) => outputs.includes(name)) ?? outputs[0]!;
    this.wantsTokenTypes = session.inputNames.includes('token_type_ids');
    const modelMax = configNumber(model.config, 'max_position_embeddings', 'n_positions', 'max_seq_len') ?? 512;
    const tokenizerMax = configNumber(model.tokenizerConfig, 'model_max_length');
    let limit = tokenizerMax !== undefined && tokenizerMax < 1e6 ? Math.min(modelMax, tokenizerMax) : modelMax;
    if (options.maxTokens !== undefined) limit = Math.min(limit, options.maxTokens);
    this.maxTokens = limit;
    this.dimensions = configNumber(model.config, 'hidden_size', 'd_model', 'n_embd', 'dim') ?? 0;
  }

  static async load(idOrPath: string, options: EmbedderOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<OnnxTextEmbedder> {
    const model = openModelFolder(idOrPath, env);
    const { file, dtype } = selectOnnxFile(model, options.dtype ?? 'auto');
    const tokenizer = createTokenizer(model);
    const { session, provider, fallbackReason } = await openOnnxSession(file, options);
    requireSessionIO(session, file, 'a feature-extraction (embedding) model', ['input_ids', 'attention_mask'], []);
    if (session.inputNames.some((name) => name.startsWith('past_key_values'))) {
      throw new ModelError(`${file} is a text-generation model (it takes past_key_values), not an embedding model`, file);
    }
    return new OnnxTextEmbedder(model, tokenizer, session, provider, fallbackReason, file, dtype, options);
  }

  countTokens(text: string): number {
    return this.tokenizer.encode(text).ids.length;
  }

  /** Token ids of a text as the model sees it: prefixed for its role and truncated to maxTokens (keeping the final special token). */
  encode(text: string, role: EmbeddingRole): number[] {
    const ids = this.tokenizer.encode(this.recipe.prefixes[role] + text).ids;
    if (ids.length <= this.maxTokens) return ids;
    const last = ids.at(-1)!;
    const keepLast = this.tokenizer.get_added_tokens_decoder().get(last)?.special === true;
    return keepLast ? [...ids.slice(0, this.maxTokens - 1), last] : ids.slice(0, this.maxTokens);
  }

  embed(texts: readonly string[], role: EmbeddingRole, signal?: AbortSignal): Promise<Float32Array[]> {
    // One batch at a time per model: concurrent runs would only fight over the same cores.
    const run = this.queue.then(() => this.embedNow(texts, role, signal));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async embedNow(texts: readonly string[], role: EmbeddingRole, signal?: AbortSignal): Promise<Float32Array[]> {
    const ort = await loadOnnxRuntime();
    const encoded = texts.map((text, index) => ({ index, ids: this.encode(text, role) }));
    for (const item of encoded) checkVocabulary(item.ids, this.model);
    // Longest first: the first batch shows at once whether memory suffices.
    encoded.sort((a, b) => b.ids.length - a.ids.length);
    const results: Float32Array[] = new Array<Float32Array>(texts.length);
    const maxBatchTokens = this.options.maxBatchTokens ?? 8192;
    const maxBatchSize = this.options.maxBatchSize ?? 64;
    let start = 0;
    while (start < encoded.length) {
      throwIfAborted(signal);
      const width = Math.max(1, encoded[start]!.ids.length);
      const size = Math.max(1, Math.min(maxBatchSize, Math.floor(maxBatchTokens / width), encoded.length - start));
      const batch = encoded.slice(start, start + size);
      start += size;
      const count = batch.length;
      const ids = new BigInt64Array(count * width);
      const mask = new BigInt64Array(count * width);
      batch.forEach((item, row) => {
        item.ids.forEach((id, column) => {
          ids[row * width + column] = BigInt(id);
          mask[row * width + column] = 1n;
        });
      });
      const feeds: Record<string, Ort.Tensor> = {
        input_ids: new ort.Tensor('int64', ids, [count, width]),
        attention_mask: new ort.Tensor('int64', mask, [count, width]),
      };
      if (this.wantsTokenTypes) feeds.token_type_ids = new ort.Tensor('int64', new BigInt64Array(count * width), [count, width]);
      const output = (await this.session.run(feeds, [this.outputName]))[this.outputName]!;
      const data = output.data as Float32Array;
      const pooled = output.dims.length === 2;
      const dim = Number(output.dims.at(-1));
      batch.forEach((item, row) => {
        const vector = pooled ? data.slice(row * dim, (row + 1) * dim) : poolTokens(data, row * width * dim, Math.max(1, item.ids.length), dim, this.recipe.pooling);
        results[item.index] = this.recipe.normalize ? l2Normalize(vector) : vector;
      });
      output.dispose();
    }
    return results;
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}
