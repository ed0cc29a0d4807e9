import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Layers, type WeightFormat } from './layers';
import { DType, GraphBuilder, WeightRandom } from './onnxGraph';
import { bertTokenizerConfig, bertTokenizerJson, bertUncasedVocab } from './tokenizers';

export interface EncoderOptions {
  hiddenSize?: number;
  layers?: number;
  heads?: number;
  intermediateSize?: number;
  maxPositions?: number;
  /** Which ONNX files to write: fp32 → onnx/model.onnx, q8 → onnx/model_quantized.onnx. */
  formats?: WeightFormat[];
  /** Sentence-transformers pooling written to 1_Pooling/config.json. */
  pooling?: 'mean' | 'cls';
  normalize?: boolean;
  seed?: number;
}

export interface GeneratedModel {
  dir: string;
  files: string[];
  /** Parameters of the network (weights of every layer). */
  parameters: number;
  /** Multiply-accumulates per token of the forward pass' matrix products (without attention scores). */
  macsPerToken: number;
}

/** The shape of sentence-transformers/all-MiniLM-L6-v2, for benchmarks. */
export const miniLmL6Shape: EncoderOptions = { hiddenSize: 384, layers: 6, heads: 12, intermediateSize: 1536, maxPositions: 512 };

/**
 * Writes a BERT-style encoder (word + position + token-type embeddings, post-LayerNorm blocks, GELU feed-forward) in
 * the Hugging Face / transformers.js layout with bert-base-uncased's real WordPiece tokenizer and random weights.
 * I/O names are those of Optimum's exports: input_ids, attention_mask, token_type_ids → last_hidden_state.
 */
export function generateEncoderModel(dir: string, options: EncoderOptions = {}): GeneratedModel {
  const hidden = options.hiddenSize ?? 32;
  const layerCount = options.layers ?? 2;
  const heads = options.heads ?? 4;
  const intermediate = options.intermediateSize ?? hidden * 4;
  const maxPositions = options.maxPositions ?? 512;
  const formats = options.formats ?? ['fp32'];
  if (hidden % heads !== 0) throw new Error(`hiddenSize ${hidden} is not divisible by heads ${heads}`);
  const vocab = bertUncasedVocab();
  const eps = 1e-12;

  mkdirSync(join(dir, 'onnx'), { recursive: true });
  const files: string[] = [];
  const write = (relative: string, content: string | Uint8Array): void => {
    mkdirSync(join(dir, relative, '..'), { recursive: true });
    writeFileSync(join(dir, relative), content);
    files.push(relative);
  };
  let parameters = 0;
  for (const format of formats) {
    const g = new GraphBuilder();
    const nn = new Layers(g, new WeightRandom(options.seed ?? 1234), format);
    const random = nn.random;
    const headDim = hidden / heads;
    const word = g.o('Gather', [g.initializer('embeddings.word_embeddings.weight', DType.float, [vocab.length, hidden], random.matrix(vocab.length * hidden, 0.5)), 'input_ids']);
    const seqLength = g.o('Gather', [g.o('Shape', ['input_ids']), g.ints([1])]);
    const positions = g.o('Range', [g.ints([0]), seqLength, g.ints([1])]);
    const position = g.o('Gather', [g.initializer('embeddings.position_embeddings.weight', DType.float, [maxPositions, hidden], random.matrix(maxPositions * hidden, 0.5)), positions]);
    const tokenType = g.o('Gather', [g.initializer('embeddings.token_type_embeddings.weight', DType.float, [2, hidden], random.matrix(2 * hidden, 0.5)), 'token_type_ids']);
    let x = nn.layerNorm(g.o('Add', [g.o('Add', [word, position]), tokenType]), 'embeddings.LayerNorm', hidden, eps);

    // Padding positions get a large negative score before the softmax: [batch, 1, 1, keys].
    const keep = g.o('Cast', ['attention_mask'], { to: DType.float });
    const maskBias = g.o('Unsqueeze', [g.o('Mul', [g.o('Sub', [g.floats([1]), keep]), g.floats([-1e9])]), g.intVector([1, 2])]);
    const splitHeads = g.intVector([0, 0, heads, headDim]);
    for (let layer = 0; layer < layerCount; layer++) {
      const p = `encoder.layer.${layer}`;
      const project = (name: string): string => g.o('Reshape', [nn.linear(x, `${p}.attention.self.${name}`, hidden, hidden, { bias: true }), splitHeads]);
      const q = g.o('Transpose', [project('query')], { perm: [0, 2, 1, 3] });
      const kT = g.o('Transpose', [project('key')], { perm: [0, 2, 3, 1] });
      const v = g.o('Transpose', [project('value')], { perm: [0, 2, 1, 3] });
      const scores = g.o('Add', [g.o('Mul', [g.o('MatMul', [q, kT]), g.floats([1 / Math.sqrt(headDim)])]), maskBias]);
      const context = g.o('MatMul', [g.o('Softmax', [scores], { axis: -1 }), v]);
      const merged = g.o('Reshape', [g.o('Transpose', [context], { perm: [0, 2, 1, 3] }), g.intVector([0, 0, hidden])]);
      const attention = nn.linear(merged, `${p}.attention.output.dense`, hidden, hidden, { bias: true });
      x = nn.layerNorm(g.o('Add', [x, attention]), `${p}.attention.output.LayerNorm`, hidden, eps);
      const up = nn.gelu(nn.linear(x, `${p}.intermediate.dense`, hidden, intermediate, { bias: true }));
      const down = nn.linear(up, `${p}.output.dense`, intermediate, hidden, { bias: true });
      x = nn.layerNorm(g.o('Add', [x, down]), `${p}.output.LayerNorm`, hidden, eps);
    }
    g.o('Identity', [x], {}, 'last_hidden_state');
    const bytes = g.encode(
      [
        { name: 'input_ids', type: DType.int64, shape: ['batch_size', 'sequence_length'] },
        { name: 'attention_mask', type: DType.int64, shape: ['batch_size', 'sequence_length'] },
        { name: 'token_type_ids', type: DType.int64, shape: ['batch_size', 'sequence_length'] },
      ],
      [{ name: 'last_hidden_state', type: DType.float, shape: ['batch_size', 'sequence_length', hidden] }],
      'chatwright-test-generator',
    );
    write(format === 'fp32' ? 'onnx/model.onnx' : 'onnx/model_quantized.onnx', bytes);
  }
  const perLayer = 4 * hidden * hidden + 2 * hidden * intermediate;
  parameters = vocab.length * hidden + maxPositions * hidden + 2 * hidden + layerCount * (perLayer + 9 * hidden + intermediate);

  write(
    'config.json',
    JSON.stringify(
      {
        architectures: ['BertModel'],
        model_type: 'bert',
        hidden_size: hidden,
        num_hidden_layers: layerCount,
        num_attention_heads: heads,
        intermediate_size: intermediate,
        hidden_act: 'gelu',
        max_position_embeddings: maxPositions,
        type_vocab_size: 2,
        vocab_size: vocab.length,
        layer_norm_eps: eps,
        pad_token_id: 0,
        transformers_version: '4.46.0',
      },
      null,
      2,
    ),
  );
  write('tokenizer.json', JSON.stringify(bertTokenizerJson(vocab)));
  write('tokenizer_config.json', JSON.stringify(bertTokenizerConfig(maxPositions), null, 2));
  write('special_tokens_map.json', JSON.stringify({ cls_token: '[CLS]', sep_token: '[SEP]', pad_token: '[PAD]', unk_token: '[UNK]', mask_token: '[MASK]' }, null, 2));
  const pooling = options.pooling ?? 'mean';
  const modules: object[] = [
    { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
    { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
  ];
  if (options.normalize ?? true) modules.push({ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' });
  write('modules.json', JSON.stringify(modules, null, 2));
  write(
    '1_Pooling/config.json',
    JSON.stringify(
      {
        word_embedding_dimension: hidden,
        pooling_mode_cls_token: pooling === 'cls',
        pooling_mode_mean_tokens: pooling === 'mean',
        pooling_mode_max_tokens: false,
        pooling_mode_mean_sqrt_len_tokens: false,
      },
      null,
      2,
    ),
  );
  write('sentence_bert_config.json', JSON.stringify({ max_seq_length: Math.min(256, maxPositions), do_lower_case: false }, null, 2));
  return { dir, files, parameters, macsPerToken: layerCount * perLayer };
}
