import { basename, dirname, extname, isAbsolute, join } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { readBoundedTextSync } from '../files/boundedRead';
import { validateDataset, type DatasetFormat } from '../datasets/validateDataset';
import { architectureFromConfig, estimateMemory, judgeFit, parametersFromConfig, runtimeOverhead, type Hardware, type MemoryEstimate } from '../hub/memoryEstimate';
import { formatBinaryBytes } from '../text/byteSize';
import { type ResolvedJobConfig } from './jobFile';
import { detectRowFormat, labelExample, LossMaskError, type LabelledExample, type RowFormat } from './lossMaskPreview';
import { worldSizeOf } from './jobTarget';
import { batchPlanOf, effectiveStrategy, memoryFitHardware, shardEstimate, targetFindings, type ProbedPackages, type TargetFindingCode } from './targetPreflight';
import { openTrainingModel, type TrainingModel } from './trainingModel';

/**
 * Everything a fine-tuning job can be refused for, checked before any process starts or any GPU is touched, each
 * with what to do. Errors block the job; warnings and information are shown on the job page and in the CLI.
 */
export type PreflightCode =
  | 'model-unreadable'
  | 'dataset-unreadable'
  | 'dataset-error'
  | 'dataset-warning'
  | 'rows-overlong'
  | 'rows-no-trained-tokens'
  | 'loss-mask-empty'
  | 'template-incompatible'
  | 'no-end-of-turn'
  | 'no-chat-template'
  | 'pad-token-is-eos'
  | 'train-eval-overlap'
  | 'memory-does-not-fit'
  | 'memory-tight'
  | 'memory-unknown'
  | 'rank-over-server-max'
  | TargetFindingCode
  // Slurm targets (slurm/slurmPreflight.ts): what sinfo and scontrol tell about the partition asked for.
  | 'slurm-partitions-unreadable'
  | 'slurm-partition-unknown'
  | 'slurm-partition-down'
  | 'slurm-nodes-over-limit'
  | 'slurm-gpus-over-limit'
  | 'slurm-gpu-type-unknown'
  | 'slurm-time-over-limit'
  | 'slurm-account-not-allowed'
  | 'slurm-not-checked';

export type PreflightSeverity = 'error' | 'warning' | 'information';

export interface PreflightLocation {
  file: string;
  /** 1-based. */
  line?: number;
  column?: number;
  /** The job file's dotted field, when the fix is there. */
  field?: string;
}

export interface PreflightFinding {
  code: PreflightCode;
  severity: PreflightSeverity;
  message: string;
  /** What the user can do about it. */
  action: string;
  location?: PreflightLocation;
}

export interface PreflightOptions {
  /** The machine, for the memory fit (from `hub/hardware.ts`); without it the fit is not judged. */
  hardware?: Hardware;
  /** The largest LoRA rank the serving side loads: vLLM's `--max-lora-rank` defaults to 16. */
  serverMaxLoraRank?: number;
  /** Rows labelled with the tokenizer (token counts, loss mask); more are counted as not checked. */
  maxRowsLabelled?: number;
  /** Examples kept for the loss-mask preview. */
  previewExamples?: number;
  /** An already opened model (tests, the job page's cache); otherwise `config.model.path` is opened. */
  model?: TrainingModel;
  /** The environment probe's packages (as `chooseGpuEngine` takes them): a multi-GPU target needs accelerate, DeepSpeed strategies deepspeed. Unchecked without it. */
  packages?: ProbedPackages;
  /** The interpreter the job runs with, named in install commands. */
  python?: string;
}

export interface PreflightResult {
  findings: PreflightFinding[];
  /** Whether the job may start: no error finding. */
  ok: boolean;
  /** The first rows as the trainer will see them, for the loss-mask preview. */
  preview: LabelledExample[];
  stats: { rows: number; labelled: number; tokens: number; trainedTokens: number; truncated: number; dropped: number; evalFile?: string };
}

/** vLLM's default `max_lora_rank`. */
export const defaultServerMaxLoraRank = 16;
/** Tokens that can pad: `chatwright_train.trainer.PAD_CANDIDATES`, in the trainer's order. */
const padCandidates = ['<|finetune_right_pad_id|>', '<pad>', '<|pad|>', '[PAD]', '<|endoftext|>', '<unk>'];
/** A JS string cannot hold much more; bigger datasets are checked by the trainer itself. */
const largestDatasetRead = 512 * 1024 * 1024;

/** ChatML, the template to name when a base model has none: plain markers that any tokenizer can encode. */
export const chatmlTemplate =
  "{% for message in messages %}{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** `chatwright_train.rows.find_eval_sibling`: the eval file `data.eval: auto` picks, the same way. */
export function findEvalSibling(train: string): string | undefined {
  const extension = extname(train) || '.jsonl';
  const stem = basename(train, extname(train));
  const names = ['valid', 'validation', 'eval', 'dev'];
  const candidates: string[] = [];
  for (const marker of ['train', 'training']) {
    if (stem.includes(marker)) for (const name of names) candidates.push(join(dirname(train), stem.split(marker).join(name) + extension));
  }
  for (const name of names) candidates.push(join(dirname(train), name + extension));
  return candidates.find((candidate) => candidate !== train && existsSync(candidate) && statSync(candidate).isFile());
}

const validatorFormat: Record<RowFormat, DatasetFormat | undefined> = { messages: 'messages', prompt_completion: undefined, text: 'text' };

function readDataset(file: string, maxBytes: number, findings: PreflightFinding[]): string | undefined {
  try {
    return readBoundedTextSync(file, { kind: 'document', maxBytes: Math.min(maxBytes, largestDatasetRead) });
  } catch (error) {
    findings.push({
      code: 'dataset-unreadable',
      severity: 'error',
      message: error instanceof Error ? error.message : String(error),
      action: 'Check the dataset path, its permissions and size (data.max_file_bytes), and that it is UTF-8 JSON Lines.',
      location: { file },
    });
    return undefined;
  }
}

interface ParsedRow {
  line: number;
  value: unknown;
  key: string;
}

function parseRows(text: string): ParsedRow[] {
  const rows: ParsedRow[] = [];
  text.split('\n').forEach((line, index) => {
    if (!line.trim()) return;
    try {
      const value = JSON.parse(line) as unknown;
      rows.push({ line: index + 1, value, key: JSON.stringify(value) });
    } catch {
      // Invalid lines are the validator's findings.
    }
  });
  return rows;
}

function validatorFindings(file: string, text: string, format: RowFormat | undefined, split: 'train' | 'eval', findings: PreflightFinding[]): void {
  const validatorFormatName = format ? validatorFormat[format] : undefined;
  // The minimum row count is a training-set rule: a small eval set is normal.
  const { findings: found } = validateDataset(text, { trainingData: true, ...(split === 'eval' ? { minRows: 0 } : {}), ...(validatorFormatName ? { format: validatorFormatName } : {}) });
  const shown = { error: 0, warning: 0 };
  for (const item of found) {
    if (item.severity === 'information') continue;
    // The full list is the dataset report's; preflight shows the first of each kind and a count.
    if (++shown[item.severity] > 10) continue;
    findings.push({
      code: item.severity === 'error' ? 'dataset-error' : 'dataset-warning',
      severity: item.severity,
      message: `${item.code}: ${item.message}`,
      action: item.severity === 'error' ? 'Fix or remove the row (Chatwright: Validate Dataset File lists every finding, with quick fixes).' : 'Review the row; the job can run with it.',
      location: { file, line: item.range.start.line + 1, column: item.range.start.character + 1 },
    });
  }
  for (const severity of ['error', 'warning'] as const) {
    if (shown[severity] > 10)
      findings.push({
        code: severity === 'error' ? 'dataset-error' : 'dataset-warning',
        severity,
        message: `${shown[severity] - 10} more ${severity}(s) in ${basename(file)}`,
        action: 'Run Chatwright: Validate Dataset File for the full list.',
        location: { file },
      });
  }
}

function rowFormatOf(config: ResolvedJobConfig, rows: readonly ParsedRow[]): RowFormat | undefined {
  if (config.data.format !== 'auto') return config.data.format as RowFormat;
  return rows.length > 0 ? detectRowFormat(rows[0]!.value) : undefined;
}

function isChatFormat(format: RowFormat | undefined, rows: readonly ParsedRow[]): boolean {
  if (format === 'messages') return true;
  return format === 'prompt_completion' && Array.isArray((rows[0]?.value as { prompt?: unknown } | undefined)?.prompt);
}

function checkPadToken(model: TrainingModel, findings: PreflightFinding[], location: PreflightLocation): void {
  const { eosToken, padToken } = model;
  if (padToken !== undefined && padToken !== eosToken) return;
  const vocabulary = model.tokenizer.get_vocab(true);
  const replacement = padCandidates.find((candidate) => candidate !== eosToken && vocabulary.has(candidate));
  const was = padToken === undefined ? 'The tokenizer has no pad token' : `The pad token is the EOS token ${padToken}`;
  findings.push(
    replacement
      ? {
          code: 'pad-token-is-eos',
          severity: 'information',
          message: `${was}; the trainer will pad with ${replacement} instead (PAD_TOKEN_CHANGED), so EOS keeps its meaning.`,
          action: 'Nothing to do.',
          location,
        }
      : {
          code: 'pad-token-is-eos',
          severity: 'warning',
          message: `${was} and the vocabulary has no other pad-like token; the trainer pads with EOS (PAD_TOKEN_IS_EOS). Padded positions are masked out of attention and loss, so EOS is still trained at the end of each turn.`,
          action: 'Nothing is required; a model served by recipes that mask pad tokens may not stop well.',
          location,
        },
  );
}

function noTemplateAdvice(model: TrainingModel): string {
  const hasChatml = model.tokenizer.token_to_id('<|im_start|>') !== undefined;
  const family = typeof model.folder.config.model_type === 'string' ? model.folder.config.model_type : undefined;
  const instruct = family ? ` (or the ${family} family's instruct model, whose template matches its special tokens)` : '';
  return hasChatml
    ? `Set data.chat_template to ChatML${instruct}: the tokenizer already has its <|im_start|>/<|im_end|> tokens. ChatML: ${chatmlTemplate}`
    : `Pick an instruct/chat model${instruct}, or set data.chat_template to ChatML (its markers will be learned as plain text: ${chatmlTemplate}), or convert the data to prompt/completion or text.`;
}

/** The LoRA/QLoRA estimate with activations kept for every layer when gradient checkpointing is off. */
function trainingEstimate(config: ResolvedJobConfig, modelConfig: Record<string, unknown>, scenario: 'lora' | 'qlora', batch: number, checkpointing: boolean): MemoryEstimate | undefined {
  const arch = architectureFromConfig(modelConfig);
  const parameters = parametersFromConfig(arch);
  const s = config.data.max_seq_length;
  // Prompt tuning trains a few thousand parameters: rank 1 LoRA is the closest state the estimator knows.
  const rank = config.method.type === 'prompt_tuning' ? 1 : config.method.lora.r;
  const estimate = estimateMemory(arch, { parameters, trainingSequenceLength: s, trainingBatch: batch, loraRank: rank }).find((item) => item.scenario === scenario);
  if (!estimate || checkpointing) return estimate;
  // memoryEstimate.ts assumes checkpointing (one layer input kept per layer + one layer recomputed, 34·b·s·h each);
  // without it every layer keeps its 34·b·s·h (Korthikanti et al. 2022, without the score term).
  const h = arch.hiddenSize;
  const extra = Math.max(0, arch.layers * 34 * batch * s * h - (arch.layers * batch * s * h * 2 + 34 * batch * s * h));
  const activations = estimate.breakdown.activations + extra;
  const bytes = Math.round((estimate.breakdown.weights + activations + estimate.breakdown.trainingState) * runtimeOverhead);
  return { ...estimate, bytes, breakdown: { ...estimate.breakdown, activations, overhead: bytes - (estimate.breakdown.weights + activations + estimate.breakdown.trainingState) } };
}

/**
 * The memory fit of one GPU: the per-device batch of the batch plan, the base weights and training state shared as
 * the strategy shares them (`shardEstimate`), judged on this machine's GPUs for a local target and, for a Slurm
 * target, only on the memory of the GPU type the job names (the login node's GPU says nothing about the nodes').
 */
function checkMemory(config: ResolvedJobConfig, model: TrainingModel, localHardware: Hardware | undefined, findings: PreflightFinding[], location: PreflightLocation): void {
  const scenario = config.method.type === 'qlora' ? 'qlora' : 'lora';
  const world = worldSizeOf(config.target);
  const strategy = effectiveStrategy(config);
  const plan = batchPlanOf(config);
  const batch = plan.problem === undefined ? plan.perDeviceBatch : config.training.per_device_batch_size;
  const checkpointing = config.training.gradient_checkpointing;
  const hardware = memoryFitHardware(config, localHardware);
  const perGpu = (method: 'lora' | 'qlora', size: number, withCheckpointing: boolean): MemoryEstimate | undefined => {
    const single = trainingEstimate(config, model.folder.config, method, size, withCheckpointing);
    return single && shardEstimate(single, strategy, world);
  };
  let estimate: MemoryEstimate | undefined;
  try {
    estimate = perGpu(scenario, batch, checkpointing);
  } catch (error) {
    findings.push({
      code: 'memory-unknown',
      severity: 'information',
      message: `The memory need cannot be estimated: ${error instanceof Error ? error.message : String(error)}`,
      action: 'Check that the model folder has a complete config.json.',
      location: { file: join(model.folder.dir, 'config.json') },
    });
    return;
  }
  if (!estimate) return;
  if (!hardware) return;
  const verdict = judgeFit(estimate, hardware);
  if (verdict.fit === 'fits') return;
  if (verdict.fit === 'no-device') {
    findings.push({
      code: 'memory-unknown',
      severity: 'information',
      message: `No NVIDIA GPU was found here; the job needs about ${formatBinaryBytes(estimate.bytes)} of GPU memory (${estimate.variant}, ${config.data.max_seq_length} tokens × batch ${batch}; eval batches are the same size and need less, having no backward pass).`,
      action: 'Run the job on a machine with a CUDA GPU; the trainer probes the environment before it starts.',
      location,
    });
    return;
  }
  // Fallbacks, cheapest in quality first: checkpointing costs time only, a smaller batch keeps the effective batch
  // through accumulation, QLoRA changes the base's precision.
  const fallbacks: { change: string; estimate: MemoryEstimate | undefined }[] = [];
  if (!checkpointing) fallbacks.push({ change: 'training.gradient_checkpointing: true', estimate: perGpu(scenario, batch, true) });
  const requested = plan.requestedEffectiveBatch;
  for (let smaller = Math.floor(batch / 2); smaller >= 1; smaller = Math.floor(smaller / 2)) {
    // Several processes: only per-device batches the plan would keep, written so that the effective batch stays.
    if (world > 1 && requested % (smaller * world) !== 0) continue;
    const accumulation = world > 1 ? requested / smaller : config.training.gradient_accumulation_steps * Math.ceil(batch / smaller);
    fallbacks.push({
      change: `training.per_device_batch_size: ${smaller} with gradient_accumulation_steps: ${accumulation}${checkpointing ? '' : ' and gradient_checkpointing: true'}`,
      estimate: perGpu(scenario, smaller, true),
    });
  }
  // QLoRA cannot be sharded by ZeRO-3/FSDP (target-strategy-unsupported), so it is offered only where it can run.
  if (scenario === 'lora' && config.method.type === 'lora' && strategy !== 'deepspeed_zero3' && strategy !== 'fsdp')
    fallbacks.push({ change: 'method.type: qlora with gradient_checkpointing: true and per_device_batch_size: 1', estimate: perGpu('qlora', 1, true) });
  if (world > 1 && strategy !== 'deepspeed_zero3' && strategy !== 'fsdp' && config.method.type !== 'qlora') {
    const single = trainingEstimate(config, model.folder.config, scenario, batch, checkpointing);
    fallbacks.push({ change: 'target.strategy: deepspeed_zero3 (the base weights shared over the GPUs)', estimate: single && shardEstimate(single, 'deepspeed_zero3', world) });
  }
  const working = fallbacks.find((fallback) => fallback.estimate && judgeFit(fallback.estimate, hardware).fit === 'fits');
  const need = `about ${formatBinaryBytes(estimate.bytes)} (${estimate.variant}, ${config.data.max_seq_length} tokens × batch ${batch}${checkpointing ? ', gradient checkpointing' : ''}) on ${verdict.deviceName}`;
  const action = working
    ? `Set ${working.change} (about ${formatBinaryBytes(working.estimate!.bytes)}).`
    : 'Lower data.max_seq_length, pick a smaller model, or run on a GPU with more memory: no fallback fits.';
  findings.push(
    verdict.fit === 'tight'
      ? { code: 'memory-tight', severity: 'warning', message: `The job needs ${need}: it may run out of memory.`, action, location }
      : { code: 'memory-does-not-fit', severity: 'error', message: `The job needs ${need}, more than the GPU has.`, action, location },
  );
}

interface LabelTally {
  labelled: number;
  tokens: number;
  trained: number;
  truncated: number;
  dropped: number;
  noTrained: number[];
  overlong: number[];
  failures: string[];
  missingEnd: number;
}

function labelRows(
  config: ResolvedJobConfig,
  model: TrainingModel,
  file: string,
  rows: readonly ParsedRow[],
  format: RowFormat,
  limit: number,
  preview: LabelledExample[],
  previewCount: number,
): LabelTally {
  const tally: LabelTally = { labelled: 0, tokens: 0, trained: 0, truncated: 0, dropped: 0, noTrained: [], overlong: [], failures: [], missingEnd: 0 };
  const options = { maxSeqLength: config.data.max_seq_length, overlong: config.data.overlong as 'truncate' | 'drop' };
  for (const row of rows.slice(0, limit)) {
    if (detectRowFormat(row.value) !== format) continue;
    const source = `${file}:${row.line}`;
    tally.labelled++;
    let example: LabelledExample | undefined;
    try {
      example = labelExample(model, row.value, format, source, { ...options, overlong: 'truncate' });
    } catch (error) {
      if (!(error instanceof LossMaskError)) throw error;
      tally.failures.push(error.message);
      continue;
    }
    // Never undefined with `truncate`: the drop policy is applied below, where the row can be counted.
    if (!example) continue;
    tally.missingEnd += example.missingEndOfTurn;
    if (example.fullLength > options.maxSeqLength) {
      tally.overlong.push(row.line);
      if (options.overlong === 'drop') {
        tally.dropped++;
        continue;
      }
      tally.truncated++;
    }
    const trained = example.lossMask.reduce<number>((sum, flag) => sum + flag, 0);
    if (trained === 0) {
      tally.noTrained.push(row.line);
      continue;
    }
    tally.tokens += example.inputIds.length;
    tally.trained += trained;
    if (preview.length < previewCount) preview.push(example);
  }
  return tally;
}

function lineList(lines: readonly number[]): string {
  return lines.slice(0, 5).join(', ') + (lines.length > 5 ? ` and ${lines.length - 5} more` : '');
}

/**
 * Checks a resolved job before it runs: the data through the dataset validator, every row through the loss mask
 * (token counts against `max_seq_length`, rows with no trained token, none at all), the chat template, the pad token,
 * train/eval overlap, the memory fit with fallbacks, and the adapter's rank against the server's limit.
 */
export function preflight(config: ResolvedJobConfig, options: PreflightOptions = {}): PreflightResult {
  const findings: PreflightFinding[] = [];
  const preview: LabelledExample[] = [];
  const stats: PreflightResult['stats'] = { rows: 0, labelled: 0, tokens: 0, trainedTokens: 0, truncated: 0, dropped: 0 };
  const done = (): PreflightResult => ({ findings, ok: !findings.some((finding) => finding.severity === 'error'), preview, stats });
  const modelLocation: PreflightLocation = { file: config.model.path, field: 'model.path' };

  let model = options.model;
  if (!model && !isAbsolute(config.model.path)) {
    // The job file makes every local model folder absolute and swaps a Hub id for its snapshot in the Hugging Face
    // cache when it is there; a Hub id left as it is has not been downloaded, and preflight reads only local files.
    findings.push({
      code: 'model-unreadable',
      severity: 'error',
      message: `${config.model.path} is a Hugging Face Hub id that is not in the local Hugging Face cache: preflight reads the model's tokenizer and chat template from a downloaded copy.`,
      action: `Download it first (Chatwright: Download Model…, or: chatwright models download ${config.model.path} --runtime python), or point model.path at a local model folder with config.json, tokenizer.json and tokenizer_config.json.`,
      location: modelLocation,
    });
  } else if (!model) {
    try {
      model = openTrainingModel(config.model.path, config.data.chat_template);
    } catch (error) {
      findings.push({
        code: 'model-unreadable',
        severity: 'error',
        message: error instanceof Error ? error.message : String(error),
        action: 'Point model.path at a model folder with config.json, tokenizer.json and tokenizer_config.json (a Hub model downloaded for the Python backend has them).',
        location: modelLocation,
      });
    }
  }

  for (const finding of targetFindings(config, options)) {
    const { field, ...rest } = finding;
    findings.push({ ...rest, location: { file: config.model.path, field } });
  }

  const maxRank = options.serverMaxLoraRank ?? defaultServerMaxLoraRank;
  if (config.method.type !== 'prompt_tuning' && config.method.lora.r > maxRank) {
    findings.push({
      code: 'rank-over-server-max',
      severity: 'warning',
      message: `The adapter's rank ${config.method.lora.r} is over the serving limit of ${maxRank} (vLLM's max_lora_rank): the server would refuse to load it.`,
      action: `Set method.lora.r to ${maxRank} or less, or start the server with --max-lora-rank ${[8, 16, 32, 64, 128, 256, 320, 512].find((rank) => rank >= config.method.lora.r) ?? config.method.lora.r}.`,
      location: { file: config.model.path, field: 'method.lora.r' },
    });
  }

  const trainText = readDataset(config.data.train, config.data.max_file_bytes, findings);
  if (trainText === undefined) return done();
  const rows = parseRows(trainText);
  stats.rows = rows.length;
  const format = rowFormatOf(config, rows);
  validatorFindings(config.data.train, trainText, format, 'train', findings);

  const evalFile = config.data.eval === 'auto' ? findEvalSibling(config.data.train) : (config.data.eval ?? undefined);
  if (evalFile) {
    stats.evalFile = evalFile;
    const evalText = readDataset(evalFile, config.data.max_file_bytes, findings);
    if (evalText !== undefined) {
      validatorFindings(evalFile, evalText, format, 'eval', findings);
      const trainKeys = new Map(rows.map((row) => [row.key, row.line]));
      const shared = parseRows(evalText).filter((row) => trainKeys.has(row.key));
      if (shared.length > 0) {
        findings.push({
          code: 'train-eval-overlap',
          severity: 'warning',
          message: `${shared.length} eval row(s) are also training rows (eval lines ${lineList(shared.map((row) => row.line))}): the eval loss measures memorisation, not generalisation.`,
          action: 'Remove the shared rows from one of the files (or keep them on purpose, to watch memorisation).',
          location: { file: evalFile, line: shared[0]!.line },
        });
      }
    }
  }

  if (!model) return done();
  checkPadToken(model, findings, modelLocation);
  checkMemory(config, model, options.hardware, findings, modelLocation);
  if (!format) return done();

  if (isChatFormat(format, rows) && !model.hasChatTemplate) {
    findings.push({
      code: 'no-chat-template',
      severity: 'error',
      message: `${config.model.path} has no chat template, and ${basename(config.data.train)} is chat data: the trainer would stop with NO_CHAT_TEMPLATE.`,
      action: noTemplateAdvice(model),
      location: { file: config.model.path, field: 'data.chat_template' },
    });
    return done();
  }

  const tally = labelRows(config, model, config.data.train, rows, format, options.maxRowsLabelled ?? 5000, preview, options.previewExamples ?? 3);
  Object.assign(stats, { labelled: tally.labelled, tokens: tally.tokens, trainedTokens: tally.trained, truncated: tally.truncated, dropped: tally.dropped });
  const trainFile = config.data.train;
  if (tally.failures.length > 0) {
    const blocking = tally.failures.length * 10 >= Math.max(1, tally.labelled);
    findings.push({
      code: 'template-incompatible',
      severity: blocking ? 'error' : 'warning',
      message: `${tally.failures.length} of ${tally.labelled} rows cannot be matched to the chat template${blocking ? '' : ' and will be skipped'}; first: ${tally.failures[0]}`,
      action: 'Set data.chat_template to a standard template (ChatML) or use prompt/completion data.',
      location: { file: trainFile, field: 'data.chat_template' },
    });
  }
  if (tally.overlong.length > 0) {
    const what = config.data.overlong === 'drop' ? 'dropped' : 'truncated (the end of the reply is not trained)';
    findings.push({
      code: 'rows-overlong',
      severity: 'warning',
      message: `${tally.overlong.length} row(s) are longer than max_seq_length ${config.data.max_seq_length} tokens and will be ${what}: lines ${lineList(tally.overlong)}.`,
      action: 'Raise data.max_seq_length (more memory), shorten the rows, or set data.overlong.',
      location: { file: trainFile, line: tally.overlong[0]!, field: 'data.max_seq_length' },
    });
  }
  if (tally.noTrained.length > 0 && tally.trained > 0) {
    findings.push({
      code: 'rows-no-trained-tokens',
      severity: 'warning',
      message: `${tally.noTrained.length} row(s) would train no token after truncation and are dropped: lines ${lineList(tally.noTrained)}.`,
      action: 'Raise data.max_seq_length or shorten the prompts of these rows.',
      location: { file: trainFile, line: tally.noTrained[0]!, field: 'data.max_seq_length' },
    });
  }
  if (tally.labelled > 0 && tally.trained === 0 && tally.failures.length < tally.labelled) {
    findings.push({
      code: 'loss-mask-empty',
      severity: 'error',
      message: `No token would be trained on: every label of the ${tally.labelled} row(s) checked is masked (the trainer would stop with LOSS_MASK_EMPTY).`,
      action: 'Check that rows have assistant replies or completions and that data.max_seq_length keeps them.',
      location: { file: trainFile, field: 'data.max_seq_length' },
    });
  }
  if (tally.missingEnd > 0) {
    findings.push({
      code: 'no-end-of-turn',
      severity: 'warning',
      message: `${tally.missingEnd} trained turn(s) have no end-of-turn token after them: the model will not learn to stop.`,
      action: "Use a chat template that closes each turn with a special token (the tokenizer's EOS).",
      location: { file: trainFile, field: 'data.chat_template' },
    });
  }
  return done();
}
