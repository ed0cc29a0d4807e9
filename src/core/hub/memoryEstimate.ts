import { onnxBytesPerParameter, type OnnxVariant } from './modelFormats';

/**
 * Memory estimates for running and fine-tuning a model, from its config.json and file sizes.
 *
 * How this compares with `accelerate estimate-memory`: accelerate instantiates the model on the meta device, sums the
 * parameter bytes per dtype ("Total Size"), reports the largest layer, and gives training with Adam as 4× the model
 * size (weights + gradients + two optimizer states), noting that inference needs "up to 20%" more (EleutherAI's rule).
 * It knows nothing of sequence length, batch size, KV cache, LoRA or quantized runtimes. Here:
 *   - the parameter count comes from the safetensors headers (exact, like accelerate's meta-device sum) or, when there
 *     are none, from the architecture's formula over config.json;
 *   - weights: ONNX file sizes as they are on disk (per quantization); GPU fp16/bf16 at 2 bytes per parameter; int4
 *     (AWQ/GPTQ-style) at 0.5 bytes plus an fp16 scale per group of 128, with embeddings and lm_head kept in fp16;
 *   - plus the KV cache at the context length and batch: 2 × layers × kv_heads × head_dim × tokens × element bytes;
 *   - plus activations: on the CPU, ONNX Runtime's attention materialises the score matrix (heads × tokens²); on the
 *     GPU, SDPA/flash attention does not, so only the per-layer hidden and MLP buffers count;
 *   - then accelerate's 20% on top for the runtime, allocator and CUDA context (the same factor, applied everywhere);
 *   - LoRA/QLoRA training: frozen base weights (bf16, or NF4 at ~4.13 bits with embeddings and lm_head in bf16 for
 *     QLoRA), adapters on every attention and MLP projection at rank r kept in fp32 with gradients and Adam's two
 *     moments (16 bytes per trainable parameter), activations with gradient checkpointing (each layer's input,
 *     b·s·h·2 bytes, plus one layer recomputed, 34·b·s·h bytes after Korthikanti et al. 2022 without the score term),
 *     and the fp32 logits and their gradient (8·b·s·vocab bytes), then the same 20%.
 * For full fine-tuning with Adam in fp32, accelerate's 4× rule and this file agree on the weight part (16 bytes per
 * parameter); this file does not estimate full fine-tuning because Chatwright's Python backend trains adapters only.
 */

export interface ModelArchitecture {
  modelType: string;
  hiddenSize: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediateSize: number;
  vocabSize: number;
  maxPositions: number;
  tiedEmbeddings: boolean;
  /** Encoder-only (BERT-like): no KV cache, no generation. */
  encoderOnly: boolean;
}

const encoderTypes = new Set(['bert', 'roberta', 'xlm-roberta', 'distilbert', 'mpnet', 'electra', 'deberta', 'deberta-v2', 'nomic_bert', 'modernbert', 'camembert']);

function numberField(config: Record<string, unknown>, ...names: string[]): number | undefined {
  for (const name of names) {
    const value = config[name];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  }
  return undefined;
}

/** Reads the architecture fields of a transformers config.json (Llama, Qwen2, Mistral, Gemma, Phi, GPT-2, BERT…). */
export function architectureFromConfig(raw: unknown): ModelArchitecture {
  if (typeof raw !== 'object' || raw === null) throw new Error('config.json is not a JSON object');
  const outer = raw as Record<string, unknown>;
  // Multimodal configs nest the language model's fields.
  const config = typeof outer.text_config === 'object' && outer.text_config !== null ? { ...outer, ...(outer.text_config as Record<string, unknown>) } : outer;
  const hiddenSize = numberField(config, 'hidden_size', 'n_embd', 'd_model', 'dim');
  const layers = numberField(config, 'num_hidden_layers', 'n_layer', 'num_layers', 'n_layers');
  const heads = numberField(config, 'num_attention_heads', 'n_head', 'num_heads', 'n_heads');
  if (!hiddenSize || !layers || !heads) throw new Error('config.json lacks hidden_size, num_hidden_layers or num_attention_heads');
  const modelType = typeof config.model_type === 'string' ? config.model_type : 'unknown';
  return {
    modelType,
    hiddenSize,
    layers,
    heads,
    kvHeads: numberField(config, 'num_key_value_heads', 'num_kv_heads') ?? heads,
    headDim: numberField(config, 'head_dim') ?? hiddenSize / heads,
    intermediateSize: numberField(config, 'intermediate_size', 'n_inner', 'ffn_dim', 'hidden_dim') ?? 4 * hiddenSize,
    vocabSize: numberField(config, 'vocab_size') ?? 32000,
    maxPositions: numberField(config, 'max_position_embeddings', 'n_positions', 'max_seq_len') ?? 2048,
    tiedEmbeddings: config.tie_word_embeddings === true || (config.tie_word_embeddings === undefined && encoderTypes.has(modelType)),
    encoderOnly: encoderTypes.has(modelType),
  };
}

/** Parameters of the token embedding (and of the LM head when it is not tied). */
export function embeddingParameters(arch: ModelArchitecture): number {
  return arch.vocabSize * arch.hiddenSize * (arch.tiedEmbeddings || arch.encoderOnly ? 1 : 2);
}

/**
 * The parameter count from the config alone, for when no safetensors header is available. Decoders: gated MLP (three
 * projections) and RMSNorm, as in Llama/Qwen2/Mistral; encoders: BERT's layout with biases and LayerNorms.
 */
export function parametersFromConfig(arch: ModelArchitecture): number {
  const h = arch.hiddenSize;
  const i = arch.intermediateSize;
  const kv = arch.kvHeads * arch.headDim;
  const q = arch.heads * arch.headDim;
  if (arch.encoderOnly) {
    const embeddings = (arch.vocabSize + arch.maxPositions + 2) * h + 2 * h;
    const attention = h * q + q + 2 * (h * kv + kv) + q * h + h + 2 * h;
    const mlp = h * i + i + i * h + h + 2 * h;
    return embeddings + arch.layers * (attention + mlp) + h * h + h;
  }
  const attention = h * q + 2 * h * kv + q * h;
  const mlp = 3 * h * i;
  const norms = 2 * h;
  return embeddingParameters(arch) + arch.layers * (attention + mlp + norms) + h;
}

/** LoRA adapter parameters at rank r on q, k, v, o, gate, up and down of every layer (peft's "all-linear"). */
export function loraParameters(arch: ModelArchitecture, rank: number): number {
  const h = arch.hiddenSize;
  const q = arch.heads * arch.headDim;
  const kv = arch.kvHeads * arch.headDim;
  const i = arch.intermediateSize;
  const perLayer = rank * (h + q + 2 * (h + kv) + q + h + 2 * (h + i) + (i + h));
  return arch.layers * perLayer;
}

/** KV cache bytes: 2 (K and V) × layers × kv_heads × head_dim × tokens × batch × element bytes. */
export function kvCacheBytes(arch: ModelArchitecture, tokens: number, batch: number, elementBytes: number): number {
  if (arch.encoderOnly) return 0;
  return 2 * arch.layers * arch.kvHeads * arch.headDim * tokens * batch * elementBytes;
}

export const runtimeOverhead = 1.2;

export type Scenario = 'onnx-cpu' | 'gpu-inference' | 'lora' | 'qlora';

export interface MemoryBreakdown {
  weights: number;
  kvCache: number;
  activations: number;
  /** Adapter weights, gradients and optimizer states (training only). */
  trainingState: number;
  overhead: number;
}

export interface MemoryEstimate {
  scenario: Scenario;
  /** e.g. `onnx q4`, `fp16`, `int4`, `LoRA r16 bf16`. */
  variant: string;
  device: 'cpu' | 'gpu';
  bytes: number;
  breakdown: MemoryBreakdown;
  /** The context (inference) or sequence length (training) and batch the estimate is for. */
  tokens: number;
  batch: number;
}

export interface EstimateOptions {
  parameters: number;
  /** ONNX weight bytes per variant (the .onnx file plus its external data), from the repository's file sizes. */
  onnxWeights?: Partial<Record<OnnxVariant, number>>;
  /** Inference context length (default: min(max_position_embeddings, 4096); 512 for encoders). */
  contextLength?: number;
  batch?: number;
  trainingSequenceLength?: number;
  trainingBatch?: number;
  loraRank?: number;
}

function total(breakdown: Omit<MemoryBreakdown, 'overhead'>): { bytes: number; breakdown: MemoryBreakdown } {
  const base = breakdown.weights + breakdown.kvCache + breakdown.activations + breakdown.trainingState;
  const bytes = Math.round(base * runtimeOverhead);
  return { bytes, breakdown: { ...breakdown, overhead: bytes - base } };
}

/** Every scenario Chatwright offers for this model. */
export function estimateMemory(arch: ModelArchitecture, options: EstimateOptions): MemoryEstimate[] {
  const batch = options.batch ?? 1;
  const context = options.contextLength ?? (arch.encoderOnly ? Math.min(arch.maxPositions, 512) : Math.min(arch.maxPositions, 4096));
  const h = arch.hiddenSize;
  const estimates: MemoryEstimate[] = [];

  // ONNX on the CPU: fp32 activations; the KV cache follows the variant's float type (fp16 graphs keep fp16 caches).
  for (const [variant, weights] of Object.entries(options.onnxWeights ?? {}) as [OnnxVariant, number][]) {
    const element = variant === 'fp16' || variant === 'q4f16' ? 2 : 4;
    const activations = batch * context * (4 * h + 2 * arch.intermediateSize) * 4 + batch * arch.heads * context * context * 4 + batch * arch.vocabSize * 4;
    estimates.push({
      scenario: 'onnx-cpu',
      variant: `onnx ${variant}`,
      device: 'cpu',
      tokens: context,
      batch,
      ...total({ weights, kvCache: kvCacheBytes(arch, context, batch, element), activations, trainingState: 0 }),
    });
  }

  const embeddings = embeddingParameters(arch);
  const gpuActivations = batch * context * (4 * h + 2 * arch.intermediateSize) * 2 + batch * arch.vocabSize * 4;
  const kv16 = kvCacheBytes(arch, context, batch, 2);
  estimates.push({
    scenario: 'gpu-inference',
    variant: 'fp16/bf16',
    device: 'gpu',
    tokens: context,
    batch,
    ...total({ weights: options.parameters * 2, kvCache: kv16, activations: gpuActivations, trainingState: 0 }),
  });
  const int4Weights = Math.max(0, options.parameters - embeddings) * (0.5 + 2 / 128) + embeddings * 2;
  estimates.push({
    scenario: 'gpu-inference',
    variant: 'int4',
    device: 'gpu',
    tokens: context,
    batch,
    ...total({ weights: int4Weights, kvCache: kv16, activations: gpuActivations, trainingState: 0 }),
  });

  if (!arch.encoderOnly) {
    const s = options.trainingSequenceLength ?? Math.min(2048, arch.maxPositions);
    const b = options.trainingBatch ?? 1;
    const rank = options.loraRank ?? 16;
    const trainingState = loraParameters(arch, rank) * 16;
    const activations = arch.layers * b * s * h * 2 + 34 * b * s * h + 8 * b * s * arch.vocabSize;
    estimates.push({ scenario: 'lora', variant: `LoRA r${rank} bf16`, device: 'gpu', tokens: s, batch: b, ...total({ weights: options.parameters * 2, kvCache: 0, activations, trainingState }) });
    const nf4Weights = Math.max(0, options.parameters - embeddings) * nf4BytesPerParameter + embeddings * 2;
    estimates.push({ scenario: 'qlora', variant: `QLoRA r${rank} nf4`, device: 'gpu', tokens: s, batch: b, ...total({ weights: nf4Weights, kvCache: 0, activations, trainingState }) });
  }
  return estimates;
}

/** NF4 with double quantization: 4 bits + an 8-bit absmax per 64 weights + an fp32 per 256 of those ≈ 4.127 bits. */
export const nf4BytesPerParameter = (4 + 8 / 64 + 32 / (64 * 256)) / 8;

/** ONNX weight bytes when only the parameter count is known (no file sizes): bytes per parameter of the variant. */
export function onnxWeightsFromParameters(parameters: number, variants: readonly OnnxVariant[]): Partial<Record<OnnxVariant, number>> {
  return Object.fromEntries(variants.map((variant) => [variant, Math.round(parameters * onnxBytesPerParameter[variant])]));
}

export type Fit = 'fits' | 'tight' | 'does-not-fit' | 'no-device';

export interface FitVerdict {
  estimate: MemoryEstimate;
  fit: Fit;
  /** The memory it was compared with (system RAM, or the largest GPU's memory). */
  capacityBytes: number | undefined;
  deviceName: string;
}

/** What memory the machine has: system RAM and every NVIDIA GPU `nvidia-smi` reports. */
export interface Hardware {
  ramBytes: number;
  freeRamBytes: number;
  cpuCount: number;
  gpus: { name: string; memoryBytes: number; freeBytes: number | undefined }[];
}

/**
 * fits: at most 70% of RAM (the editor, the OS and the rest keep the remainder) or 85% of the GPU's memory;
 * tight: up to 90% of RAM or all of the GPU's memory (it loads, but with little room); otherwise does not fit.
 */
export function judgeFit(estimate: MemoryEstimate, hardware: Hardware): FitVerdict {
  if (estimate.device === 'cpu') {
    const capacity = hardware.ramBytes;
    const fit: Fit = estimate.bytes <= 0.7 * capacity ? 'fits' : estimate.bytes <= 0.9 * capacity ? 'tight' : 'does-not-fit';
    return { estimate, fit, capacityBytes: capacity, deviceName: `${hardware.cpuCount}-core CPU, ${(capacity / 2 ** 30).toFixed(0)} GiB RAM` };
  }
  const gpu = [...hardware.gpus].sort((a, b) => b.memoryBytes - a.memoryBytes)[0];
  if (!gpu) return { estimate, fit: 'no-device', capacityBytes: undefined, deviceName: 'no NVIDIA GPU found' };
  const fit: Fit = estimate.bytes <= 0.85 * gpu.memoryBytes ? 'fits' : estimate.bytes <= gpu.memoryBytes ? 'tight' : 'does-not-fit';
  return { estimate, fit, capacityBytes: gpu.memoryBytes, deviceName: `${gpu.name}, ${(gpu.memoryBytes / 2 ** 30).toFixed(0)} GiB` };
}

/**
 * A first hint for search results, before config.json is read: the weights of the smallest ONNX variant on the CPU
 * (or fp16 on the GPU for Python-only models) plus the 20% overhead. `chatwright models fit` gives the full estimate.
 */
export function quickFit(parameters: number | undefined, onnxVariantsAvailable: readonly OnnxVariant[], hardware: Hardware): { fit: Fit; bytes: number; label: string } | undefined {
  if (parameters === undefined || parameters <= 0) return undefined;
  const smallest = [...onnxVariantsAvailable].sort((a, b) => onnxBytesPerParameter[a] - onnxBytesPerParameter[b])[0];
  const estimate = (device: 'cpu' | 'gpu', variant: string, weights: number): MemoryEstimate => ({
    scenario: device === 'cpu' ? 'onnx-cpu' : 'gpu-inference',
    variant,
    device,
    bytes: Math.round(weights * runtimeOverhead),
    tokens: 0,
    batch: 1,
    breakdown: { weights, kvCache: 0, activations: 0, trainingState: 0, overhead: Math.round(weights * (runtimeOverhead - 1)) },
  });
  const verdict = smallest ? judgeFit(estimate('cpu', `onnx ${smallest}`, parameters * onnxBytesPerParameter[smallest]), hardware) : judgeFit(estimate('gpu', 'fp16', parameters * 2), hardware);
  return { fit: verdict.fit, bytes: verdict.estimate.bytes, label: verdict.estimate.device === 'cpu' ? `CPU ${verdict.estimate.variant}` : 'GPU fp16' };
}
