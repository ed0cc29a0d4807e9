import { stringify } from 'yaml';
import { defaultLearningRate, jobRules, type FieldRule, type JobMethod, type SectionRule } from './jobFields';
import { type DistributedStrategy } from './jobTarget';

/**
 * Where the new job runs (the wizard's "Where will it run?" step). Absent: this machine, one process, and the file
 * gets no `target` section (the job file's default). Fields left out keep their defaults.
 */
export type NewJobTarget =
  | { type: 'local'; gpus: number; strategy?: DistributedStrategy }
  | {
      type: 'slurm';
      /** GPUs per node; 0 = a CPU-only job. */
      gpus: number;
      strategy?: DistributedStrategy;
      /** Left out: the cluster's default partition. */
      partition?: string;
      nodes?: number;
      /** Slurm's time formats (`hh:mm:ss`, `d-hh:mm:ss`, minutes …). */
      time?: string;
    };

/** What the New Fine-tuning Job wizard asks; everything else keeps its default. */
export interface NewJobAnswers {
  name?: string;
  /** A Hub id or a model folder (relative paths are relative to the job file, and written as given). */
  model: string;
  /** The training set (.jsonl), relative to the job file or absolute. */
  train: string;
  /** The evaluation set; `auto` when not given. */
  eval?: string;
  method: JobMethod;
  /** LoRA rank (LoRA, QLoRA). */
  r?: number;
  /** LoRA alpha (LoRA, QLoRA); when left out, 2 × `r` if `r` is given (the rule of thumb the field describes), else the default. */
  alpha?: number;
  /** Prompt tuning's virtual tokens. */
  virtualTokens?: number;
  epochs?: number;
  /** Left out, the method's default applies (the file shows it as a comment). */
  learningRate?: number;
  maxSeqLength?: number;
  target?: NewJobTarget;
}

const commentWidth = 110;

function ruleOf(path: string): FieldRule | SectionRule {
  let rule: FieldRule | SectionRule = jobRules;
  for (const key of path.split('.')) {
    if (rule.kind !== 'section' || !rule.fields[key]) throw new Error(`no job field ${path}`);
    rule = rule.fields[key];
  }
  return rule;
}

/** A scalar as YAML writes it; small numbers as `2.0e-4`, which every YAML reader takes for a number. */
function scalar(value: string | number | boolean | null | readonly string[]): string {
  // A list of strings (the `lines` fields) as a flow sequence: JSON's quoting is valid YAML.
  if (Array.isArray(value)) return `[${value.map((item) => JSON.stringify(item)).join(', ')}]`;
  // Digits and colons (a Slurm time such as 04:00:00) are quoted: YAML 1.1 readers (PyYAML) take them for sexagesimal numbers.
  if (typeof value === 'string' && /^[-+0-9.:_]+$/.test(value)) return JSON.stringify(value);
  if (typeof value === 'number' && value !== 0 && Math.abs(value) < 1e-3) {
    const [mantissa, exponent] = value.toExponential().split('e');
    return `${mantissa!.includes('.') ? mantissa : `${mantissa}.0`}e${exponent}`;
  }
  return stringify(value).trimEnd();
}

/** `text` as `# ` lines of at most `commentWidth` characters, at `indent`. */
function comment(text: string, indent: string): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line && indent.length + 2 + line.length + 1 + word.length > commentWidth) {
      lines.push(`${indent}# ${line}`);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(`${indent}# ${line}`);
  return lines;
}

class JobFileWriter {
  private readonly lines: string[] = [];

  /** A section's key, after a comment with its description. */
  section(path: string): void {
    const indent = this.indentOf(path);
    if (indent === '') this.lines.push('');
    this.add(comment(ruleOf(path).description, indent));
    this.lines.push(`${indent}${path.split('.').pop()}:`);
  }

  /** A field, after a comment that says what it is and where its default comes from (its description). */
  field(path: string, value: string | number | boolean | null | readonly string[], options: { commentedOut?: boolean } = {}): void {
    const indent = this.indentOf(path);
    this.add(comment(ruleOf(path).description, indent));
    this.lines.push(`${indent}${options.commentedOut ? '# ' : ''}${path.split('.').pop()}: ${scalar(value)}`);
  }

  private add(lines: readonly string[]): void {
    for (const line of lines) this.lines.push(line);
  }

  text(): string {
    return `${this.lines.join('\n')}\n`;
  }

  private indentOf(path: string): string {
    return '  '.repeat(path.split('.').length - 1);
  }

  header(lines: readonly string[]): void {
    for (const line of lines) this.add(comment(line, ''));
  }
}

function defaultOf(path: string): string | number | boolean {
  const rule = ruleOf(path);
  if (rule.kind === 'section' || !('default' in rule) || rule.default === null || typeof rule.default === 'object') throw new Error(`${path} has no default`);
  return rule.default;
}

/**
 * The `target` section: written only when the job leaves this machine's single process. The strategy is written
 * when several processes share the work; the Slurm fields the wizard asks about are written (a partition left out as
 * `null`, the cluster's default), with `setup` shown commented out since most clusters need a line there.
 */
function writeTarget(writer: JobFileWriter, target: NewJobTarget): void {
  writer.section('target');
  writer.field('target.type', target.type);
  writer.field('target.gpus', target.gpus);
  const processes = (target.type === 'slurm' ? (target.nodes ?? 1) : 1) * Math.max(1, target.gpus);
  if (processes > 1) writer.field('target.strategy', target.strategy ?? defaultOf('target.strategy'));
  if (target.type !== 'slurm') return;
  writer.section('target.slurm');
  writer.field('target.slurm.partition', target.partition ?? null);
  writer.field('target.slurm.nodes', target.nodes ?? defaultOf('target.slurm.nodes'));
  writer.field('target.slurm.time', target.time ?? defaultOf('target.slurm.time'));
  writer.field('target.slurm.setup', ['module load cuda', 'source $HOME/venvs/chatwright/bin/activate'], { commentedOut: true });
  writer.field('target.slurm.save_before_limit_seconds', defaultOf('target.slurm.save_before_limit_seconds'));
}

/**
 * A readable job file (YAML) for the wizard's answers: the fields a user is most likely to change, each after a
 * comment saying what it is and where its default comes from, read from the field table. `resolveJobText` resolves
 * it to exactly the answers (with every other field at its default).
 */
export function newJobFileText(answers: NewJobAnswers): string {
  const writer = new JobFileWriter();
  writer.header([
    'A Chatwright fine-tuning job. Run it with "Chatwright: Run Job" (the CodeLens above) or `chatwright train <this file>`.',
    'Hover a key for its type, bounds and default; every field not written here keeps its default.',
  ]);
  if (answers.name !== undefined) {
    writer.field('name', answers.name);
  }
  writer.section('model');
  writer.field('model.path', answers.model);
  writer.section('data');
  writer.field('data.train', answers.train);
  writer.field('data.eval', answers.eval ?? 'auto');
  writer.field('data.max_seq_length', answers.maxSeqLength ?? defaultOf('data.max_seq_length'));
  writer.section('method');
  writer.field('method.type', answers.method);
  if (answers.method === 'prompt_tuning') {
    writer.section('method.prompt_tuning');
    writer.field('method.prompt_tuning.num_virtual_tokens', answers.virtualTokens ?? defaultOf('method.prompt_tuning.num_virtual_tokens'));
    writer.field('method.prompt_tuning.init', defaultOf('method.prompt_tuning.init'));
  } else {
    writer.section('method.lora');
    writer.field('method.lora.r', answers.r ?? defaultOf('method.lora.r'));
    writer.field('method.lora.alpha', answers.alpha ?? (answers.r !== undefined ? 2 * answers.r : defaultOf('method.lora.alpha')));
    writer.field('method.lora.dropout', defaultOf('method.lora.dropout'));
    writer.field('method.lora.target_modules', 'all-linear');
    if (answers.method === 'qlora') {
      writer.section('method.quantization');
      for (const key of ['quant_type', 'double_quant', 'compute_dtype']) writer.field(`method.quantization.${key}`, defaultOf(`method.quantization.${key}`));
    }
  }
  writer.section('training');
  writer.field('training.epochs', answers.epochs ?? defaultOf('training.epochs'));
  if (answers.learningRate !== undefined) writer.field('training.learning_rate', answers.learningRate);
  else writer.field('training.learning_rate', defaultLearningRate[answers.method], { commentedOut: true });
  for (const key of ['per_device_batch_size', 'gradient_accumulation_steps', 'lr_scheduler', 'warmup_ratio', 'save_steps', 'seed']) {
    writer.field(`training.${key}`, defaultOf(`training.${key}`));
  }
  if (answers.target !== undefined && (answers.target.type === 'slurm' || answers.target.gpus > 1)) writeTarget(writer, answers.target);
  return writer.text();
}
