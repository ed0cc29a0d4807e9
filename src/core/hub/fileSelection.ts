import { type RepoFile } from './hubClient';
import { describeModelFiles, onnxVariants, type OnnxVariant } from './modelFormats';

/** Which runtime the files are for: the built-in ONNX engine, or the Python backend (transformers, peft). */
export type ModelRuntime = 'onnx' | 'python';

export interface FileSelection {
  files: RepoFile[];
  /** The ONNX variant chosen (onnx runtime only). */
  variant?: OnnxVariant;
  totalBytes: number;
}

/** Small files every runtime needs: configuration, tokenizer, chat templates (named ones too), sentence-transformers pooling. */
const supportFile =
  /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|added_tokens\.json|tokenizer\.model|spiece\.model|sentencepiece\.bpe\.model|vocab\.(txt|json)|merges\.txt|chat_template\.(jinja|json)|additional_chat_templates\/[^/]+\.jinja|preprocessor_config\.json|modules\.json|sentence_bert_config\.json|config_sentence_transformers\.json|\d+_[A-Za-z]+\/config\.json)$/;

/** Which variant the ONNX engine runs best on a CPU when the user does not say: small first, for decoders. */
const decoderPreference: readonly OnnxVariant[] = ['q4', 'q8', 'int8', 'uint8', 'fp16', 'fp32', 'q4f16', 'bnb4'];
const encoderPreference: readonly OnnxVariant[] = ['q8', 'int8', 'uint8', 'fp32', 'fp16', 'q4', 'q4f16', 'bnb4'];

/**
 * Picks only the files the chosen runtime needs, like `huggingface-cli download --include`, but derived from the
 * repository's layout: for ONNX, the chosen variant of each graph (the merged decoder when there is one) with its
 * external-data files (the default variant: 4-bit for generative models, 8-bit for encoders); for Python, the safetensors shards (or the PyTorch .bin files when there are none).
 */
export function selectFiles(repoFiles: readonly RepoFile[], runtime: ModelRuntime, requestedVariant?: OnnxVariant, task?: string): FileSelection {
  const byPath = new Map(repoFiles.map((file) => [file.path, file]));
  const chosen = new Set(repoFiles.filter((file) => supportFile.test(file.path)).map((file) => file.path));
  const described = describeModelFiles(repoFiles.map((file) => file.path));
  let variant: OnnxVariant | undefined;
  if (runtime === 'onnx') {
    if (described.onnx.length === 0)
      throw new Error(`This repository has no ONNX weights (formats: ${described.formats.join(', ') || 'none'}). Use --runtime python, or pick a model with an onnx/ folder.`);
    const graphs = new Set(described.onnx.map((file) => file.graph));
    // A merged decoder replaces the separate with/without-past graphs; encoder-decoder models also need the encoder.
    const wanted = graphs.has('decoder_model_merged') ? [...graphs].filter((graph) => graph !== 'decoder_model' && graph !== 'decoder_with_past_model') : [...graphs];
    const available = (graph: string): OnnxVariant[] => onnxVariants.filter((v) => described.onnx.some((file) => file.graph === graph && file.variant === v));
    const common = onnxVariants.filter((v) => wanted.every((graph) => available(graph).includes(v)));
    if (requestedVariant) {
      if (!common.includes(requestedVariant)) throw new Error(`No '${requestedVariant}' ONNX variant here; available: ${common.join(', ') || described.onnxVariants.join(', ')}.`);
      variant = requestedVariant;
    } else {
      // transformers.js exports name decoders `model*.onnx` too: the task (or a generation config) tells them apart.
      const generative = task !== undefined ? /generation/.test(task) : byPath.has('generation_config.json') || !graphs.has('model');
      const preference = generative ? decoderPreference : encoderPreference;
      variant = preference.find((v) => common.includes(v));
      if (!variant) throw new Error(`The ONNX graphs here share no variant (${[...graphs].join(', ')}); pass --variant.`);
    }
    for (const file of described.onnx) {
      if (!wanted.includes(file.graph) || file.variant !== variant) continue;
      chosen.add(file.path);
      for (const data of file.dataFiles) chosen.add(data);
    }
  } else {
    const weights = described.safetensors.length > 0 ? described.safetensors : repoFiles.map((file) => file.path).filter((path) => /^pytorch_model(-\d+-of-\d+)?\.bin$/.test(path));
    if (weights.length === 0) throw new Error(`This repository has no safetensors or PyTorch weights for the Python backend (formats: ${described.formats.join(', ') || 'none'}).`);
    for (const path of weights) chosen.add(path);
    for (const index of ['model.safetensors.index.json', 'pytorch_model.bin.index.json']) if (byPath.has(index)) chosen.add(index);
  }
  const files = [...chosen].map((path) => byPath.get(path)).filter((file): file is RepoFile => file !== undefined);
  return { files, ...(variant ? { variant } : {}), totalBytes: files.reduce((sum, file) => sum + file.size, 0) };
}
