import type * as Ort from 'onnxruntime-node';
import { type Tokenizer } from '@huggingface/tokenizers';
import { type EngineFinishReason, type EngineGenerateOptions, type EngineGenerationResult, type EngineGenerationStats } from '../../shared/engineProtocol';
import { renderChatTemplate, specialTokensOf } from '../templates/chatTemplate';
import { type TemplateBudgets } from '../templates/guardedTemplates';
import { type ChatTurn } from '../text/chatTurn';
import { CancelledError } from './abort';
import { configNumber, ModelError, openModelFolder, selectOnnxFile, type ModelDtype, type ModelFolder } from './modelFolder';
import { loadOnnxRuntime, openOnnxSession, requireSessionIO, type SessionOptions } from './onnxSession';
import { resolveSampling, Sampler } from './sampling';
import { StepLock } from './stepLock';
import { checkVocabulary, createTokenizer } from './modelTokenizer';
import { StopStringMatcher, StreamingDetokenizer } from './textStream';

export type GenerateOptions = EngineGenerateOptions;
export type FinishReason = EngineFinishReason;
export type GenerationStats = EngineGenerationStats;
/** The engine's result record, with the generated token ids. */
export type GenerationResult = EngineGenerationResult & { tokens: number[] };

export interface GeneratorLoadOptions extends SessionOptions {
  dtype?: ModelDtype;
}

/** For tests and diagnostics: sees each step's last-position logits before sampling. */
export type LogitsObserver = (logits: Float32Array, step: number) => void;

/** Inputs of some exports that the generator knows how to feed: logits for the last position only; Optimum's merged decoders. */
const optionalInputs = ['num_logits_to_keep', 'logits_to_keep', 'use_cache_branch'];

interface KvLayout {
  names: { past: string; present: string }[];
  kvHeads: number;
  headDim: number;
  type: 'float32' | 'float16';
}

/**
 * The text a conversation becomes before it is tokenized: the model's chat template rendered with the assistant's turn
 * opened (the same render as the prompt preview's), or, for base models without a template, the messages' text joined
 * with no turn markers.
 */
export function chatPromptText(
  model: ModelFolder,
  messages: readonly ChatTurn[],
  templateVariables: Record<string, unknown> = {},
  budgets?: Partial<TemplateBudgets>,
): { text: string; templated: boolean } {
  if (messages.length === 0) throw new RangeError('a chat needs at least one message');
  if (!model.chatTemplate) return { text: messages.map((message) => message.content).join('\n\n'), templated: false };
  return { text: renderChatTemplate(model.chatTemplate, messages, { addGenerationPrompt: true, variables: templateVariables, ...(budgets ? { budgets } : {}) }), templated: true };
}

/** A prompt that leaves no room in the model's context window for even one generated token. */
export class PromptTooLongError extends RangeError {
  constructor(
    readonly model: string,
    readonly promptTokens: number,
    readonly contextLength: number,
  ) {
    super(`the prompt has ${promptTokens} tokens but ${model} has a context window of ${contextLength}: shorten it`);
    this.name = 'PromptTooLongError';
  }
}

/** A decoder-only language model (Llama, Qwen2/3, Phi-3, Gemma, SmolLM, Mistral) in the onnx-community layout. */
export class OnnxTextGenerator {
  readonly contextLength: number;
  readonly eosIds: ReadonlySet<number>;
  private readonly kv: KvLayout;
  private readonly wantsPositionIds: boolean;
  /** Held for one forward step at a time: concurrent generations take turns token by token (prefill is one step). */
  private readonly steps = new StepLock();

  private constructor(
    readonly model: ModelFolder,
    readonly tokenizer: Tokenizer,
    private readonly session: Ort.InferenceSession,
    readonly provider: 'cpu' | 'cuda',
    readonly fallbackReason: string | undefined,
    readonly file: string,
    readonly dtype: string,
  ) {
    this.contextLength = configNumber(model.config, 'max_position_embeddings', 'n_positions', 'seq_length') ?? 2048;
    this.eosIds = collectEosIds(model, tokenizer);
    this.wantsPositionIds = session.inputNames.includes('position_ids');
    this.kv = kvLayout(model, session, file);
  }

  static async load(idOrPath: string, options: GeneratorLoadOptions = {}, env: NodeJS.ProcessEnv = process.env): Promise<OnnxTextGenerator> {
    const model = openModelFolder(idOrPath, env);
    const { file, dtype } = selectOnnxFile(model, options.dtype ?? 'auto');
    const tokenizer = createTokenizer(model);
    const { session, provider, fallbackReason } = await openOnnxSession(file, options);
    requireSessionIO(session, file, 'a text-generation model with a KV cache', ['input_ids', 'attention_mask'], ['logits']);
    return new OnnxTextGenerator(model, tokenizer, session, provider, fallbackReason, file, dtype);
  }

  get modelKey(): string {
    return `${this.model.modelKey}#${this.dtype}`;
  }

  /** The prompt token ids for a conversation, through the model's chat template. */
  encodeChat(messages: readonly ChatTurn[], templateVariables: Record<string, unknown> = {}): number[] {
    const { text, templated } = chatPromptText(this.model, messages, templateVariables);
    return this.tokenizer.encode(text, { add_special_tokens: !templated }).ids;
  }

  generate(messages: readonly ChatTurn[], options: GenerateOptions = {}, onText?: (delta: string) => void, signal?: AbortSignal): Promise<GenerationResult> {
    const started = performance.now();
    const promptIds = this.encodeChat(messages, options.templateVariables);
    return this.generateFromIds(promptIds, options, onText, signal, undefined, started);
  }

  /** Continues a raw text (no chat template): for base models and benchmarks. */
  complete(prompt: string, options: GenerateOptions = {}, onText?: (delta: string) => void, signal?: AbortSignal): Promise<GenerationResult> {
    const started = performance.now();
    return this.generateFromIds(this.tokenizer.encode(prompt).ids, options, onText, signal, undefined, started);
  }

  /**
   * Generates from prompt token ids. Concurrent calls interleave: each holds the model for one forward step, then
   * waits behind the others (first come, first served), so N answers progress round-robin and the cores do the same
   * total work. Each call keeps its own KV cache while it runs: whoever starts generations bounds how many run at once
   * (the server's maxConcurrent), which bounds the memory.
   */
  async generateFromIds(
    promptIds: readonly number[],
    options: GenerateOptions = {},
    onText?: (delta: string) => void,
    signal?: AbortSignal,
    observe?: LogitsObserver,
    started = performance.now(),
  ): Promise<GenerationResult> {
    if (promptIds.length === 0) throw new RangeError('the prompt is empty');
    checkVocabulary(promptIds, this.model);
    if (promptIds.length >= this.contextLength) throw new PromptTooLongError(this.model.id, promptIds.length, this.contextLength);
    const sampler = new Sampler(resolveSampling(options, this.model.generationConfig));
    const requested = options.maxNewTokens ?? configNumber(this.model.generationConfig, 'max_new_tokens') ?? 512;
    if (!Number.isInteger(requested) || requested < 0) throw new RangeError(`maxNewTokens must be a non-negative integer, got ${requested}`);
    const budget = Math.min(requested, this.contextLength - promptIds.length);
    const detokenizer = new StreamingDetokenizer(this.tokenizer);
    const stops = new StopStringMatcher(options.stop ?? []);
    const context = [...promptIds];
    const generated: number[] = [];
    let text = '';
    let finishReason: FinishReason = budget < requested ? 'context' : 'length';
    let firstTokenAt: number | undefined;
    const emit = (delta: string): void => {
      if (!delta) return;
      text += delta;
      onText?.(delta);
    };

    let past = await this.emptyPast();
    let inputIds = [...promptIds];
    try {
      for (let step = 0; step < budget; step++) {
        const release = await this.steps.acquire(signal);
        if (release === undefined) {
          finishReason = 'cancelled';
          break;
        }
        let stepOutput: { logits: Float32Array; present: Ort.Tensor[] };
        try {
          stepOutput = await this.forward(inputIds, context.length - inputIds.length, past);
        } finally {
          release();
        }
        const { logits, present } = stepOutput;
        past = present;
        observe?.(logits, step);
        const token = sampler.next(logits, context);
        firstTokenAt ??= performance.now();
        if (this.eosIds.has(token)) {
          finishReason = 'eos';
          break;
        }
        generated.push(token);
        context.push(token);
        inputIds = [token];
        const matched = stops.push(detokenizer.push(token));
        emit(matched.text);
        if (matched.stopped) {
          finishReason = 'stop';
          break;
        }
        if (context.length >= this.contextLength) {
          finishReason = 'context';
          break;
        }
      }
      if (finishReason !== 'stop') {
        const tail = stops.push(detokenizer.flush());
        emit(tail.text);
        if (tail.stopped) finishReason = 'stop';
        else emit(stops.flush());
      }
    } finally {
      disposeAll(past);
    }
    const finished = performance.now();
    const decodeTokens = Math.max(0, generated.length - 1);
    const decodeMs = firstTokenAt === undefined ? 0 : finished - firstTokenAt;
    return {
      text,
      tokens: generated,
      stats: {
        promptTokens: promptIds.length,
        generatedTokens: generated.length,
        timeToFirstTokenMs: firstTokenAt === undefined ? 0 : firstTokenAt - started,
        tokensPerSecond: decodeTokens > 0 && decodeMs > 0 ? (decodeTokens * 1000) / decodeMs : 0,
        totalMs: finished - started,
        finishReason,
        provider: this.provider,
      },
    };
  }

  /** Last-position logits for a whole sequence computed from scratch (no cache): the reference the cache must match. */
  async logitsWithoutCache(ids: readonly number[]): Promise<Float32Array> {
    const past = await this.emptyPast();
    const release = (await this.steps.acquire())!;
    try {
      const { logits, present } = await this.forward(ids, 0, past);
      disposeAll(present);
      return logits;
    } finally {
      release();
    }
  }

  private async emptyPast(): Promise<Ort.Tensor[]> {
    const ort = await loadOnnxRuntime();
    const empty = this.kv.type === 'float16' ? new Uint16Array(0) : new Float32Array(0);
    return this.kv.names.flatMap(() => [new ort.Tensor(this.kv.type, empty, [1, this.kv.kvHeads, 0, this.kv.headDim]), new ort.Tensor(this.kv.type, empty, [1, this.kv.kvHeads, 0, this.kv.headDim])]);
  }

  private async forward(ids: readonly number[], pastLength: number, past: Ort.Tensor[]): Promise<{ logits: Float32Array; present: Ort.Tensor[] }> {
    const ort = await loadOnnxRuntime();
    const total = pastLength + ids.length;
    const feeds: Record<string, Ort.Tensor> = {
      input_ids: new ort.Tensor('int64', BigInt64Array.from(ids, BigInt), [1, ids.length]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(total).fill(1n), [1, total]),
    };
    if (this.wantsPositionIds)
      feeds.position_ids = new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (_, i) => BigInt(pastLength + i)),
        [1, ids.length],
      );
    for (const name of ['num_logits_to_keep', 'logits_to_keep']) {
      if (this.session.inputNames.includes(name)) feeds[name] = new ort.Tensor('int64', BigInt64Array.from([1n]), []);
    }
    if (this.session.inputNames.includes('use_cache_branch')) feeds.use_cache_branch = new ort.Tensor('bool', Uint8Array.from([pastLength > 0 ? 1 : 0]), [1]);
    this.kv.names.forEach((layer, index) => {
      feeds[`${layer.past}.key`] = past[index * 2]!;
      feeds[`${layer.past}.value`] = past[index * 2 + 1]!;
    });
    const outputs = await this.session.run(feeds);
    const logitsTensor = outputs.logits!;
    const vocab = Number(logitsTensor.dims.at(-1));
    const rows = Number(logitsTensor.dims.at(-2));
    const lastRow = toFloat32(logitsTensor.data as Float32Array | Uint16Array, (rows - 1) * vocab, vocab);
    logitsTensor.dispose();
    disposeAll(past);
    const present = this.kv.names.flatMap((layer) => [outputs[`${layer.present}.key`]!, outputs[`${layer.present}.value`]!]);
    return { logits: lastRow, present };
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

function disposeAll(tensors: Ort.Tensor[]): void {
  for (const tensor of tensors) {
    try {
      tensor.dispose();
    } catch {
      // Already released with its session.
    }
  }
}

/** Half-precision logits (fp16 exports) widened to float32; float32 logits are copied out of the output tensor. */
function toFloat32(data: Float32Array | Uint16Array, offset: number, length: number): Float32Array {
  if (data instanceof Float32Array) return data.slice(offset, offset + length);
  const out = new Float32Array(length);
  for (let i = 0; i < length; i++) {
    const h = data[offset + i]!;
    const sign = h & 0x8000 ? -1 : 1;
    const exponent = (h >> 10) & 0x1f;
    const fraction = h & 0x3ff;
    out[i] = exponent === 0 ? sign * 2 ** -14 * (fraction / 1024) : exponent === 31 ? (fraction ? NaN : sign * Infinity) : sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
  }
  return out;
}

function kvLayout(model: ModelFolder, session: Ort.InferenceSession, file: string): KvLayout {
  const pastKeys = session.inputNames.filter((name) => /^past_key_values\.\d+\.key$/.test(name));
  if (pastKeys.length === 0) {
    throw new ModelError(`${file} has no past_key_values inputs: Chatwright runs decoder models exported with a KV cache (onnx-community / Optimum "text-generation-with-past").`, file);
  }
  const unknown = session.inputNames.filter((name) => !['input_ids', 'attention_mask', 'position_ids', ...optionalInputs].includes(name) && !name.startsWith('past_key_values.'));
  if (unknown.length > 0) throw new ModelError(`${file} needs inputs Chatwright does not provide: ${unknown.join(', ')}`, file);
  const layers = pastKeys.map((name) => Number(name.split('.')[1])).sort((a, b) => a - b);
  const heads = configNumber(model.config, 'num_attention_heads', 'n_head');
  const hidden = configNumber(model.config, 'hidden_size', 'n_embd');
  const kvHeads = configNumber(model.config, 'num_key_value_heads') ?? heads;
  const headDim = configNumber(model.config, 'head_dim') ?? (hidden !== undefined && heads ? hidden / heads : undefined);
  if (kvHeads === undefined || headDim === undefined) throw new ModelError(`${model.dir}/config.json lacks num_attention_heads/hidden_size: cannot size the KV cache`, `${model.dir}/config.json`);
  const metadata = (session as unknown as { inputMetadata?: { name: string; type?: string }[] }).inputMetadata;
  const pastType = metadata?.find((entry) => entry.name === pastKeys[0])?.type;
  return {
    names: layers.map((layer) => ({ past: `past_key_values.${layer}`, present: `present.${layer}` })),
    kvHeads,
    headDim,
    type: pastType === 'float16' ? 'float16' : 'float32',
  };
}

function collectEosIds(model: ModelFolder, tokenizer: Tokenizer): Set<number> {
  const ids = new Set<number>();
  const add = (value: unknown): void => {
    if (typeof value === 'number') ids.add(value);
    else if (Array.isArray(value)) value.forEach(add);
  };
  add(model.generationConfig.eos_token_id);
  add(model.config.eos_token_id);
  const eosContent = specialTokensOf(model.tokenizerConfig).eos_token;
  if (eosContent) {
    const id = tokenizer.token_to_id(eosContent);
    if (id !== undefined) ids.add(id);
  }
  return ids;
}

export { CancelledError };
