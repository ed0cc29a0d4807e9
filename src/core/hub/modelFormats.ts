/**
 * What a repository's file list says about a model: which weight formats it ships, which ONNX quantizations, and so what
 * Chatwright can do with it. Pure functions over paths (and sizes when known), shared by search results, the Models
 * view, `chatwright models` and the download planner.
 */

/** The ONNX variants transformers.js and Optimum publish, named by the file suffix (`model_q4.onnx` → `q4`). */
export type OnnxVariant = 'fp32' | 'fp16' | 'int8' | 'uint8' | 'q8' | 'q4' | 'q4f16' | 'bnb4';

export const onnxVariants: readonly OnnxVariant[] = ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4'];

/** Bytes per parameter each variant stores its weights in (int4 variants keep per-block scales: ~4.5 bits). */
export const onnxBytesPerParameter: Readonly<Record<OnnxVariant, number>> = {
  fp32: 4,
  fp16: 2,
  q8: 1,
  int8: 1,
  uint8: 1,
  q4: 0.5625,
  q4f16: 0.5625,
  bnb4: 0.5625,
};

export interface OnnxFile {
  /** Path in the repository, e.g. `onnx/model_q4.onnx` or `onnx/decoder_model_merged_int8.onnx`. */
  path: string;
  /** The graph's base name without variant suffix: `model`, `decoder_model_merged`, `encoder_model`. */
  graph: string;
  variant: OnnxVariant;
  /** External-data files that belong to it (`model.onnx_data`, `model.onnx_data_1`, …). */
  dataFiles: string[];
}

export type WeightFormat = 'onnx' | 'safetensors' | 'pytorch' | 'gguf';

export interface ModelFiles {
  formats: WeightFormat[];
  onnx: OnnxFile[];
  /** The ONNX variants available for the main graph (`model` for encoders, the merged decoder for decoders). */
  onnxVariants: OnnxVariant[];
  safetensors: string[];
  gguf: string[];
  /** GGUF quantization names found in file names (Q4_K_M, Q8_0, F16…). */
  ggufQuantizations: string[];
  hasConfig: boolean;
  hasTokenizer: boolean;
}

const variantSuffixes: readonly [string, OnnxVariant][] = [
  ['_q4f16', 'q4f16'],
  ['_bnb4', 'bnb4'],
  ['_q4', 'q4'],
  ['_fp16', 'fp16'],
  ['_int8', 'int8'],
  ['_uint8', 'uint8'],
  ['_quantized', 'q8'],
  ['_q8', 'q8'],
];

/** `onnx/model_q4.onnx` → { graph: 'model', variant: 'q4' }; undefined for non-ONNX paths. */
export function parseOnnxPath(path: string): { graph: string; variant: OnnxVariant } | undefined {
  if (!path.endsWith('.onnx')) return undefined;
  const name = path.slice(path.lastIndexOf('/') + 1, -'.onnx'.length);
  for (const [suffix, variant] of variantSuffixes) {
    if (name.endsWith(suffix)) return { graph: name.slice(0, -suffix.length), variant };
  }
  return { graph: name, variant: 'fp32' };
}

/** Which graphs matter for running the model: the merged decoder for generative models, else `model`. */
function mainGraph(graphs: Set<string>): string | undefined {
  for (const candidate of ['model', 'decoder_model_merged', 'decoder_with_past_model', 'decoder_model']) if (graphs.has(candidate)) return candidate;
  return graphs.values().next().value;
}

/** Classifies a repository's file paths. */
export function describeModelFiles(paths: readonly string[]): ModelFiles {
  const pathSet = new Set(paths);
  const onnx: OnnxFile[] = [];
  for (const path of paths) {
    const parsed = parseOnnxPath(path);
    if (!parsed) continue;
    const dataFiles = paths.filter((candidate) => candidate === `${path}_data` || candidate.startsWith(`${path}_data_`) || candidate === `${path}.data`);
    onnx.push({ path, ...parsed, dataFiles });
  }
  const graph = mainGraph(new Set(onnx.map((file) => file.graph)));
  const variants = onnxVariants.filter((variant) => onnx.some((file) => file.graph === graph && file.variant === variant));
  const safetensors = paths.filter((path) => path.endsWith('.safetensors') && !path.includes('/'));
  const gguf = paths.filter((path) => path.toLowerCase().endsWith('.gguf'));
  const ggufQuantizations = [
    ...new Set(gguf.map((path) => /[-._]((?:I?Q\d(?:_[A-Z0-9]+)*)|F16|BF16|F32|FP16|FP32)\.gguf$/i.exec(path)?.[1]?.toUpperCase().replace(/^FP/, 'F')).filter((q): q is string => q !== undefined)),
  ];
  const formats: WeightFormat[] = [];
  if (onnx.length > 0) formats.push('onnx');
  if (safetensors.length > 0) formats.push('safetensors');
  if (paths.some((path) => /^pytorch_model(-\d+-of-\d+)?\.bin$/.test(path))) formats.push('pytorch');
  if (gguf.length > 0) formats.push('gguf');
  return {
    formats,
    onnx,
    onnxVariants: variants,
    safetensors,
    gguf,
    ggufQuantizations,
    hasConfig: pathSet.has('config.json'),
    hasTokenizer: pathSet.has('tokenizer.json') || pathSet.has('tokenizer.model') || pathSet.has('vocab.txt'),
  };
}

/** What Chatwright can do with a model: each runtime that can load it, and why not when none can. */
export interface ModelCapabilities {
  /** The built-in ONNX engine (onnxruntime-node, CPU) can run it. */
  onnxEngine: boolean;
  /** The Python GPU backend (transformers + peft) can run and fine-tune it. */
  pythonBackend: boolean;
  /** One line for people: "ONNX engine (q4, fp16) · Python backend (run, fine-tune)", or why neither. */
  summary: string;
}

export function modelCapabilities(files: ModelFiles): ModelCapabilities {
  const onnxEngine = files.onnx.length > 0 && files.hasTokenizer;
  const pythonBackend = files.hasConfig && (files.formats.includes('safetensors') || files.formats.includes('pytorch'));
  const parts: string[] = [];
  if (onnxEngine) parts.push(`ONNX engine (${files.onnxVariants.join(', ') || 'onnx'})`);
  if (pythonBackend) parts.push('Python backend (run, fine-tune)');
  if (parts.length === 0) {
    if (files.formats.includes('gguf')) parts.push('neither: GGUF only (use llama.cpp or LM Studio)');
    else if (files.onnx.length > 0) parts.push('neither: ONNX weights without a tokenizer');
    else parts.push('neither: no ONNX or safetensors weights');
  }
  return { onnxEngine, pythonBackend, summary: parts.join(' · ') };
}

/**
 * Which role a repository's files suggest, without reading them: sentence-transformers files mean an embedding model,
 * a generation config means a generative one; undefined when the files do not say.
 */
export function roleFromFiles(paths: readonly string[]): 'chat' | 'embedding' | undefined {
  if (paths.some((path) => path === 'modules.json' || path === 'sentence_bert_config.json' || /^\d+_Pooling\//.test(path))) return 'embedding';
  if (paths.includes('generation_config.json')) return 'chat';
  return undefined;
}
