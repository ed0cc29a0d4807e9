import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { type GeneratedModel } from './encoder';
import { Layers, modelFileOf, type WeightFormat } from './layers';
import { contribDomain, DType, GraphBuilder, WeightRandom } from './onnxGraph';
import { qwen3TokenizerFiles } from './tokenizers';

export interface DecoderOptions {
  /** qwen2: biases on q/k/v (Qwen2/2.5); llama: none. Both: RMSNorm, RoPE, SwiGLU, grouped KV heads. */
  architecture?: 'qwen2' | 'llama';
  hiddenSize?: number;
  layers?: number;
  heads?: number;
  kvHeads?: number;
  intermediateSize?: number;
  /** Defaults to the tokenizer's size (151669 for Qwen3's). */
  vocabSize?: number;
  maxPositions?: number;
  ropeTheta?: number;
  tieWordEmbeddings?: boolean;
  formats?: WeightFormat[];
  seed?: number;
  /**
   * Makes the model a bigram machine that, after a chat prompt, answers exactly this text and then <|im_end|>: each
   * token's embedding is a distinct orthonormal direction and the LM head maps it to the next token of the script
   * with a large logit. The script's tokens must be distinct and fewer than hiddenSize.
   */
  script?: string;
  /** generation_config.json values. */
  generation?: Record<string, unknown>;
  /** Adds the `num_logits_to_keep` input of newer exports: logits only for the last N positions. */
  logitsToKeepInput?: boolean;
  /**
   * exported (default): the graph torch.onnx export + optimum write, attention and norms as elementary operators.
   * fused: the graph onnxruntime-genai's model builder writes (and newer onnx-community exports use): packed QKV and
   * gate/up products, GroupQueryAttention with rotary embedding, SkipSimplifiedLayerNormalization, no position_ids
   * input. The same seed gives the same weights, so both styles compute the same function.
   */
  graphStyle?: 'exported' | 'fused';
}

/** The shape of Qwen/Qwen2.5-0.5B-Instruct, for benchmarks. */
export const qwen25HalfBShape: DecoderOptions = {
  architecture: 'qwen2',
  hiddenSize: 896,
  layers: 24,
  heads: 14,
  kvHeads: 2,
  intermediateSize: 4864,
  vocabSize: 151936,
  maxPositions: 32768,
  ropeTheta: 1_000_000,
  tieWordEmbeddings: true,
};

const imEnd = '<|im_end|>';

/**
 * Writes a Llama/Qwen2-style decoder in the onnx-community / transformers.js layout: inputs input_ids,
 * attention_mask, position_ids, past_key_values.{i}.key/value ([batch, kv_heads, past, head_dim]); outputs logits
 * and present.{i}.key/value. Qwen3's real tokenizer and chat template; random weights (or a script, see options).
 */
export function generateDecoderModel(dir: string, options: DecoderOptions = {}): GeneratedModel & { scriptTokens?: number[] } {
  const architecture = options.architecture ?? 'qwen2';
  const hidden = options.hiddenSize ?? 64;
  const layerCount = options.layers ?? 2;
  const heads = options.heads ?? 4;
  const kvHeads = options.kvHeads ?? 2;
  const intermediate = options.intermediateSize ?? hidden * 3;
  const maxPositions = options.maxPositions ?? 4096;
  const ropeTheta = options.ropeTheta ?? 10000;
  const formats = options.formats ?? ['fp32'];
  const style = options.graphStyle ?? 'exported';
  const eps = 1e-6;
  if (hidden % heads !== 0) throw new Error(`hiddenSize ${hidden} is not divisible by heads ${heads}`);
  if (heads % kvHeads !== 0) throw new Error(`heads ${heads} is not a multiple of kvHeads ${kvHeads}`);
  const headDim = hidden / heads;
  if (headDim % 2 !== 0) throw new Error('head dimension must be even for rotary embeddings');

  const { tokenizerJson, tokenizerConfig } = qwen3TokenizerFiles();
  const tokenizer = new Tokenizer(JSON.parse(tokenizerJson) as object, tokenizerConfig);
  const tokenizerSize =
    (JSON.parse(tokenizerJson) as { model: { vocab: object }; added_tokens: unknown[] }).added_tokens.length +
    Object.keys((JSON.parse(tokenizerJson) as { model: { vocab: object } }).model.vocab).length;
  const vocabSize = options.vocabSize ?? tokenizerSize;
  const eosId = tokenizer.token_to_id(imEnd)!;
  const endOfTextId = tokenizer.token_to_id('<|endoftext|>')!;

  const files: string[] = [];
  const write = (relative: string, content: string | Uint8Array): void => {
    mkdirSync(join(dir, relative, '..'), { recursive: true });
    writeFileSync(join(dir, relative), content);
    files.push(relative);
  };

  // A script turns the embedding and LM head into a lookup table: token t → next(t).
  let scriptTokens: number[] | undefined;
  let embedTable: Float32Array | undefined;
  let lmHead: Float32Array | undefined;
  if (options.script !== undefined) {
    const prompt = tokenizer.encode('<|im_start|>assistant\n', { add_special_tokens: false }).ids;
    const answer = tokenizer.encode(options.script, { add_special_tokens: false }).ids;
    const chain = [prompt.at(-1)!, ...answer, eosId];
    if (new Set(chain.slice(0, -1)).size !== chain.length - 1) throw new Error(`script tokens must be distinct (and not the prompt's last token): ${JSON.stringify(answer)}`);
    if (chain.length > hidden) throw new Error(`a script of ${chain.length} tokens needs hiddenSize > ${chain.length}`);
    scriptTokens = answer;
    const random = new WeightRandom((options.seed ?? 99) + 7);
    embedTable = random.matrix(vocabSize * hidden, 1);
    lmHead = random.matrix(hidden * vocabSize, 0.02);
    const scale = Math.sqrt(hidden);
    for (let i = 0; i < chain.length - 1; i++) {
      const token = chain[i]!;
      const next = chain[i + 1]!;
      // Basis direction i: orthonormal across the script's tokens.
      for (let d = 0; d < hidden; d++) embedTable[token * hidden + d] = d === i ? scale : 0;
      lmHead[i * vocabSize + next] = 40;
    }
  }

  for (const format of formats) {
    const g = new GraphBuilder();
    const nn = new Layers(g, new WeightRandom(options.seed ?? 4321), format);
    const random = nn.random;
    const table = embedTable ?? random.matrix(vocabSize * hidden, 1);
    const embedded = nn.embedding('input_ids', 'model.embed_tokens', vocabSize, hidden, table);

    const inverseFrequencies = Float32Array.from({ length: headDim / 2 }, (_, i) => 1 / Math.pow(ropeTheta, (2 * i) / headDim));
    const inputs = [
      { name: 'input_ids', type: DType.int64, shape: ['batch_size', 'sequence_length'] },
      { name: 'attention_mask', type: DType.int64, shape: ['batch_size', 'total_sequence_length'] },
      ...(style === 'exported' ? [{ name: 'position_ids', type: DType.int64, shape: ['batch_size', 'sequence_length'] }] : []),
    ] as { name: string; type: (typeof DType)[keyof typeof DType]; shape: (string | number)[] }[];
    const outputs: typeof inputs = [{ name: 'logits', type: DType.float, shape: ['batch_size', 'sequence_length', vocabSize] }];
    for (let layer = 0; layer < layerCount; layer++) {
      inputs.push({ name: `past_key_values.${layer}.key`, type: DType.float, shape: ['batch_size', kvHeads, 'past_sequence_length', headDim] });
      inputs.push({ name: `past_key_values.${layer}.value`, type: DType.float, shape: ['batch_size', kvHeads, 'past_sequence_length', headDim] });
      outputs.push({ name: `present.${layer}.key`, type: DType.float, shape: ['batch_size', kvHeads, 'total_sequence_length', headDim] });
      outputs.push({ name: `present.${layer}.value`, type: DType.float, shape: ['batch_size', kvHeads, 'total_sequence_length', headDim] });
    }
    const shape = { hidden, heads, kvHeads, headDim, intermediate, eps, bias: architecture === 'qwen2' };
    let final = style === 'fused' ? fusedLayers(nn, embedded, layerCount, shape, rotaryTables(inverseFrequencies, maxPositions)) : exportedLayers(nn, embedded, layerCount, shape, inverseFrequencies);
    if (options.logitsToKeepInput) {
      inputs.push({ name: 'num_logits_to_keep', type: DType.int64, shape: [] });
      const start = g.o('Neg', [g.o('Unsqueeze', ['num_logits_to_keep', g.intVector([0])])]);
      final = g.o('Slice', [final, start, g.intVector([2 ** 31 - 1]), g.intVector([1])]);
    }
    let headWeights = lmHead;
    if (!headWeights && options.tieWordEmbeddings) {
      headWeights = new Float32Array(hidden * vocabSize);
      for (let t = 0; t < vocabSize; t++) for (let d = 0; d < hidden; d++) headWeights[d * vocabSize + t] = table[t * hidden + d]! * 0.05;
    }
    g.o('Identity', [nn.linear(final, 'lm_head', hidden, vocabSize, headWeights ? { weights: headWeights } : {})], {}, 'logits');
    write(modelFileOf(format), g.encode(inputs, outputs, 'chatwright-test-generator'));
  }

  const kvDim = kvHeads * headDim;
  const perLayer = hidden * hidden * 2 + hidden * kvDim * 2 + 3 * hidden * intermediate;
  write(
    'config.json',
    JSON.stringify(
      {
        architectures: [architecture === 'qwen2' ? 'Qwen2ForCausalLM' : 'LlamaForCausalLM'],
        model_type: architecture,
        hidden_size: hidden,
        intermediate_size: intermediate,
        num_hidden_layers: layerCount,
        num_attention_heads: heads,
        num_key_value_heads: kvHeads,
        head_dim: headDim,
        hidden_act: 'silu',
        max_position_embeddings: maxPositions,
        rms_norm_eps: eps,
        rope_theta: ropeTheta,
        vocab_size: vocabSize,
        tie_word_embeddings: options.tieWordEmbeddings ?? false,
        bos_token_id: endOfTextId,
        eos_token_id: eosId,
        torch_dtype: 'float32',
        use_cache: true,
        transformers_version: '4.46.0',
        'transformers.js_config': { kv_cache_dtype: { q8: 'float32', fp32: 'float32' } },
      },
      null,
      2,
    ),
  );
  write('generation_config.json', JSON.stringify({ bos_token_id: endOfTextId, eos_token_id: [eosId, endOfTextId], pad_token_id: endOfTextId, do_sample: false, ...options.generation }, null, 2));
  write('tokenizer.json', tokenizerJson);
  write('tokenizer_config.json', JSON.stringify({ ...tokenizerConfig, model_max_length: maxPositions }, null, 2));
  const result: GeneratedModel & { scriptTokens?: number[] } = {
    dir,
    files,
    parameters: vocabSize * hidden * (options.tieWordEmbeddings ? 1 : 2) + layerCount * perLayer,
    macsPerToken: layerCount * perLayer + hidden * vocabSize,
  };
  if (scriptTokens) result.scriptTokens = scriptTokens;
  return result;
}

interface LayerShape {
  hidden: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  eps: number;
  bias: boolean;
}

/**
 * The decoder layers as torch.onnx export + optimum write them: rotary embeddings from position_ids (HF's
 * rotate_half form), an explicit causal + padding mask, attention and RMSNorm in elementary operators, the KV cache
 * as Concat of past and new keys. Returns the final norm's output.
 */
function exportedLayers(nn: Layers, embedded: string, layerCount: number, shape: LayerShape, inverseFrequencies: Float32Array): string {
  const { g } = nn;
  const { hidden, heads, kvHeads, headDim, intermediate, eps, bias } = shape;
  // Angles [batch, 1, seq, head_dim]: the two halves repeat.
  const angles = g.o('Mul', [
    g.o('Unsqueeze', [g.o('Cast', ['position_ids'], { to: DType.float }), g.intVector([-1])]),
    g.initializer('rotary.inv_freq', DType.float, [headDim / 2], inverseFrequencies),
  ]);
  const fullAngles = g.o('Unsqueeze', [g.o('Concat', [angles, angles], { axis: -1 }), g.intVector([1])]);
  const cos = g.o('Cos', [fullAngles]);
  const sin = g.o('Sin', [fullAngles]);
  const rotate = (t: string): string => {
    const half = headDim / 2;
    const first = g.o('Slice', [t, g.intVector([0]), g.intVector([half]), g.intVector([-1])]);
    const second = g.o('Slice', [t, g.intVector([half]), g.intVector([headDim]), g.intVector([-1])]);
    const rotated = g.o('Concat', [g.o('Neg', [second]), first], { axis: -1 });
    return g.o('Add', [g.o('Mul', [t, cos]), g.o('Mul', [rotated, sin])]);
  };

  // Mask [batch, 1, 1, seq, total]: a key is visible when it is not padding and not after the query (causal).
  const total = g.o('Gather', [g.o('Shape', ['attention_mask']), g.ints([1])]);
  const seq = g.o('Gather', [g.o('Shape', ['input_ids']), g.ints([1])]);
  const past = g.o('Sub', [total, seq]);
  const queryPositions = g.o('Unsqueeze', [g.o('Range', [past, total, g.ints([1])]), g.intVector([1])]);
  const keyPositions = g.o('Unsqueeze', [g.o('Range', [g.ints([0]), total, g.ints([1])]), g.intVector([0])]);
  const causal = g.o('LessOrEqual', [keyPositions, queryPositions]);
  const notPadding = g.o('Unsqueeze', [g.o('Cast', ['attention_mask'], { to: DType.bool }), g.intVector([1, 2, 3])]);
  const maskBias = g.o('Where', [g.o('And', [causal, notPadding]), g.floats([0]), g.floats([-1e9])]);

  let x = embedded;
  for (let layer = 0; layer < layerCount; layer++) {
    const p = `model.layers.${layer}`;
    const h = nn.rmsNorm(x, `${p}.input_layernorm`, hidden, eps);
    const toHeads = (t: string, count: number): string => g.o('Transpose', [g.o('Reshape', [t, g.intVector([0, 0, count, headDim])])], { perm: [0, 2, 1, 3] });
    const q = rotate(toHeads(nn.linear(h, `${p}.self_attn.q_proj`, hidden, hidden, { bias }), heads));
    const k = rotate(toHeads(nn.linear(h, `${p}.self_attn.k_proj`, hidden, kvHeads * headDim, { bias }), kvHeads));
    const v = toHeads(nn.linear(h, `${p}.self_attn.v_proj`, hidden, kvHeads * headDim, { bias }), kvHeads);
    const presentKey = g.o('Concat', [`past_key_values.${layer}.key`, k], { axis: 2 }, `present.${layer}.key`);
    const presentValue = g.o('Concat', [`past_key_values.${layer}.value`, v], { axis: 2 }, `present.${layer}.value`);
    // Grouped heads without copying keys: queries [b, kv, groups, s, d] against keys [b, kv, 1, total, d].
    const groupedQ = g.o('Reshape', [q, g.intVector([0, kvHeads, heads / kvHeads, -1, headDim])]);
    const keys = g.o('Unsqueeze', [presentKey, g.intVector([2])]);
    const values = g.o('Unsqueeze', [presentValue, g.intVector([2])]);
    const scores = g.o('Add', [g.o('Mul', [g.o('MatMul', [groupedQ, g.o('Transpose', [keys], { perm: [0, 1, 2, 4, 3] })]), g.floats([1 / Math.sqrt(headDim)])]), maskBias]);
    const context = g.o('MatMul', [g.o('Softmax', [scores], { axis: -1 }), values]);
    const merged = g.o('Reshape', [g.o('Transpose', [g.o('Reshape', [context, g.intVector([0, heads, -1, headDim])])], { perm: [0, 2, 1, 3] }), g.intVector([0, 0, hidden])]);
    x = g.o('Add', [x, nn.linear(merged, `${p}.self_attn.o_proj`, hidden, hidden)]);

    const m = nn.rmsNorm(x, `${p}.post_attention_layernorm`, hidden, eps);
    const gate = nn.silu(nn.linear(m, `${p}.mlp.gate_proj`, hidden, intermediate));
    const up = nn.linear(m, `${p}.mlp.up_proj`, hidden, intermediate);
    x = g.o('Add', [x, nn.linear(g.o('Mul', [gate, up]), `${p}.mlp.down_proj`, intermediate, hidden)]);
  }
  return nn.rmsNorm(x, 'model.norm', hidden, eps);
}

/** GroupQueryAttention's rotary caches: cos and sin of position × inverse frequency, [maxPositions, headDim / 2]. */
function rotaryTables(inverseFrequencies: Float32Array, maxPositions: number): { cos: Float32Array; sin: Float32Array } {
  const half = inverseFrequencies.length;
  const cos = new Float32Array(maxPositions * half);
  const sin = new Float32Array(maxPositions * half);
  for (let position = 0; position < maxPositions; position++) {
    for (let i = 0; i < half; i++) {
      const angle = position * inverseFrequencies[i]!;
      cos[position * half + i] = Math.cos(angle);
      sin[position * half + i] = Math.sin(angle);
    }
  }
  return { cos, sin };
}

/**
 * The decoder layers in onnxruntime's fused operators, drawing the weights in the order the exported style does.
 * Each residual add is folded into the norm that follows it (SkipSimplifiedLayerNormalization), so the last layer's
 * output is already the final norm's. Returns that normed hidden state.
 */
function fusedLayers(nn: Layers, embedded: string, layerCount: number, shape: LayerShape, rotary: { cos: Float32Array; sin: Float32Array }): string {
  const { g } = nn;
  const { hidden, heads, kvHeads, headDim, intermediate, eps } = shape;
  const kvDim = kvHeads * headDim;
  const cosCache = g.initializer('cos_cache', DType.float, [rotary.cos.length / (headDim / 2), headDim / 2], rotary.cos);
  const sinCache = g.initializer('sin_cache', DType.float, [rotary.sin.length / (headDim / 2), headDim / 2], rotary.sin);
  // GroupQueryAttention reads the cache lengths from seqlens_k (tokens seen minus one) and the total length.
  const seqlensK = g.o('Cast', [g.o('Sub', [g.o('ReduceSum', ['attention_mask', g.intVector([1])], { keepdims: 0 }), g.ints([1])])], { to: DType.int32 });
  const totalLength = g.o('Cast', [g.o('Gather', [g.o('Shape', ['attention_mask']), g.ints([1])])], { to: DType.int32 });
  let normed = g.o('SimplifiedLayerNormalization', [embedded, nn.rmsNormWeight('model.layers.0.input_layernorm', hidden)], { axis: -1, epsilon: { float: eps } });
  let residual = embedded;
  for (let layer = 0; layer < layerCount; layer++) {
    const p = `model.layers.${layer}`;
    const qkv = nn.linearPacked(normed, hidden, [
      { name: `${p}.self_attn.q_proj`, outDim: hidden, bias: shape.bias },
      { name: `${p}.self_attn.k_proj`, outDim: kvDim, bias: shape.bias },
      { name: `${p}.self_attn.v_proj`, outDim: kvDim, bias: shape.bias },
    ]);
    const [attention] = g.op(
      'GroupQueryAttention',
      [qkv, '', '', `past_key_values.${layer}.key`, `past_key_values.${layer}.value`, seqlensK, totalLength, cosCache, sinCache],
      { num_heads: heads, kv_num_heads: kvHeads, do_rotary: 1 },
      [`${p}.attention`, `present.${layer}.key`, `present.${layer}.value`],
      contribDomain,
    );
    const skipNorm = (input: string, skip: string, weightName: string): [string, string] => {
      const [output, , , sum] = g.op('SkipSimplifiedLayerNormalization', [input, skip, nn.rmsNormWeight(weightName, hidden)], { epsilon: { float: eps } }, 4, contribDomain);
      return [output!, sum!];
    };
    const [mlpInput, afterAttention] = skipNorm(nn.linear(attention!, `${p}.self_attn.o_proj`, hidden, hidden), residual, `${p}.post_attention_layernorm`);
    const gateUp = nn.linearPacked(mlpInput, hidden, [
      { name: `${p}.mlp.gate_proj`, outDim: intermediate },
      { name: `${p}.mlp.up_proj`, outDim: intermediate },
    ]);
    const [gate, up] = g.op('Split', [gateUp, g.intVector([intermediate, intermediate])], { axis: -1 }, 2);
    const down = nn.linear(g.o('Mul', [nn.silu(gate!), up!]), `${p}.mlp.down_proj`, intermediate, hidden);
    [normed, residual] = skipNorm(down, afterAttention, layer + 1 < layerCount ? `model.layers.${layer + 1}.input_layernorm` : 'model.norm');
  }
  return normed;
}
