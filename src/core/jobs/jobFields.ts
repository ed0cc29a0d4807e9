/**
 * Every field of a fine-tuning job, once: its type, bounds, default and the reason for the default. The job file's
 * checker (`jobFile.ts`) and its JSON Schema (`schemas/job.schema.json`, generated from here by `jobSchema()` and held
 * to it by a unit test) both read this table, so they cannot drift apart. The bounds and defaults mirror
 * `python/chatwright_train/config.py`, which checks the resolved config again; a unit test runs both on the same files.
 */

export type FieldRule =
  | { kind: 'string'; default: string | null; nullable?: boolean; pathKind?: 'file' | 'model' | 'resume'; description: string }
  | { kind: 'enum'; default: string; choices: readonly string[]; description: string }
  | { kind: 'integer'; default: number; minimum?: number; maximum?: number; description: string }
  | { kind: 'number'; default: number | null; minimum?: number; maximum?: number; exclusiveMinimum?: boolean; nullable?: boolean; description: string }
  | { kind: 'boolean'; default: boolean; description: string }
  /** `data.eval`: a file, "auto" or null (false is accepted as null). */
  | { kind: 'evalSource'; description: string }
  /** `data.packing`: a mode, or true/false as shorthands. */
  | { kind: 'packing'; choices: readonly string[]; description: string }
  /** `method.lora.target_modules`: "all-linear" or a list of module names. */
  | { kind: 'modules'; description: string };

export interface SectionRule {
  kind: 'section';
  description: string;
  required?: readonly string[];
  fields: Record<string, FieldRule | SectionRule>;
}

export const methods = ['lora', 'qlora', 'prompt_tuning'] as const;
export type JobMethod = (typeof methods)[number];

/** Python's DEFAULT_LEARNING_RATE: the QLoRA paper's 2e-4 for adapters; soft prompts need a far larger rate. */
export const defaultLearningRate: Record<JobMethod, number> = { lora: 2e-4, qlora: 2e-4, prompt_tuning: 3e-2 };

/** The largest value Python accepts for a 32-bit seed. */
const maxSeed = 2 ** 32 - 1;

export const jobRules: SectionRule = {
  kind: 'section',
  description:
    "A Chatwright fine-tuning job: the base model, the data, the method (LoRA, QLoRA, DoRA, rsLoRA, prompt tuning) and the training hyperparameters. Relative paths are resolved against the job file's folder.",
  required: ['model', 'data'],
  fields: {
    name: { kind: 'string', default: null, nullable: true, description: "A short name for the job, used in the run folder's name (default: the job file's name)." },
    model: {
      kind: 'section',
      description: 'The base model to adapt.',
      required: ['path'],
      fields: {
        path: {
          kind: 'string',
          default: null,
          pathKind: 'model',
          description:
            'A Hugging Face Hub id (`Qwen/Qwen3-0.6B`, downloaded into the cache first) or a local model folder (config.json, safetensors weights, tokenizer files); relative to the job file.',
        },
        attn_implementation: {
          kind: 'enum',
          default: 'auto',
          choices: ['auto', 'sdpa', 'eager', 'flash_attention_2', 'flash_attention_3', 'flex_attention'],
          description: 'The attention kernel; `auto` lets transformers pick (sdpa where available). Eager attention turns padding-free packing off.',
        },
        trust_remote_code: { kind: 'boolean', default: false, description: 'Run Python code shipped with the model. Off by default: only for models you trust.' },
      },
    },
    data: {
      kind: 'section',
      description: 'The training data: JSON Lines of `messages`, `prompt`/`completion` or `text` rows.',
      required: ['train'],
      fields: {
        train: { kind: 'string', default: null, pathKind: 'file', description: 'The training set (.jsonl), relative to the job file.' },
        eval: {
          kind: 'evalSource',
          description: 'The evaluation set: a .jsonl path; `auto` (default) takes a sibling valid/validation/eval/dev file, else holds out `eval_fraction` of the training rows; null for none.',
        },
        eval_fraction: { kind: 'number', default: 0.05, minimum: 0, maximum: 0.5, description: 'Share of training rows held out when `eval` is auto and no sibling file exists (none under 20 rows).' },
        format: { kind: 'enum', default: 'auto', choices: ['auto', 'messages', 'prompt_completion', 'text'], description: "The row format; `auto` takes the first row's." },
        max_seq_length: { kind: 'integer', default: 2048, minimum: 16, maximum: 1_048_576, description: 'Tokens per example; longer rows are truncated or dropped (`overlong`).' },
        packing: {
          kind: 'packing',
          choices: ['auto', 'padding_free', 'grouped', 'padded'],
          description:
            'How rows are batched: `padding_free` concatenates a batch with restarting positions (no padding), `grouped` pads rows of similar length, `padded` pads to the longest; `auto` is padding_free except with eager attention. true = padding_free, false = padded.',
        },
        overlong: { kind: 'enum', default: 'truncate', choices: ['truncate', 'drop'], description: 'What to do with rows longer than `max_seq_length`.' },
        chat_template: { kind: 'string', default: null, nullable: true, description: "A Jinja chat template that overrides the tokenizer's (needed for chat data on a base model without one)." },
        max_file_bytes: { kind: 'integer', default: 4 * 1024 ** 3, minimum: 1, description: 'The largest dataset file read, in bytes.' },
      },
    },
    method: {
      kind: 'section',
      description: 'The parameter-efficient method (PEFT).',
      fields: {
        type: {
          kind: 'enum',
          default: 'lora',
          choices: methods,
          description:
            '`lora` (bf16 base), `qlora` (4-bit NF4 base, CUDA only, for models that do not fit in bf16) or `prompt_tuning` (learned virtual tokens). DoRA and rsLoRA are LoRA options (`lora.use_dora`, `lora.use_rslora`).',
        },
        lora: {
          kind: 'section',
          description: 'LoRA settings (also for QLoRA).',
          fields: {
            r: {
              kind: 'integer',
              default: 16,
              minimum: 1,
              maximum: 4096,
              description: "The adapter rank. 16 is PEFT's and the QLoRA paper's usual start; servers cap it (vLLM's `max_lora_rank` defaults to 16).",
            },
            alpha: {
              kind: 'number',
              default: 32,
              minimum: 0,
              exclusiveMinimum: true,
              description: 'The scaling numerator; alpha = 2r is the usual starting point (scale alpha/r, or alpha/sqrt(r) with rsLoRA).',
            },
            dropout: { kind: 'number', default: 0, minimum: 0, maximum: 0.9, description: "LoRA dropout. 0 is PEFT's default; above 0 PEFT copies every adapted layer's input (time and memory)." },
            target_modules: {
              kind: 'modules',
              description:
                'Which layers get adapters: `all-linear` (default; the QLoRA paper found adapting every linear layer matters more than the rank; never the output layer) or a list of module names (`q_proj`, `v_proj`, …).',
            },
            use_rslora: { kind: 'boolean', default: false, description: 'Rank-stabilized LoRA: scale by alpha/sqrt(r), which keeps high ranks stable.' },
            use_dora: { kind: 'boolean', default: false, description: 'DoRA: learn magnitude and direction apart; slower per step, helps most at low rank.' },
          },
        },
        quantization: {
          kind: 'section',
          description: "QLoRA's 4-bit base (the QLoRA paper's recipe: NF4, double quantization, bf16 compute).",
          fields: {
            quant_type: { kind: 'enum', default: 'nf4', choices: ['nf4', 'fp4'], description: "4-bit data type; NF4 is the QLoRA paper's." },
            double_quant: { kind: 'boolean', default: true, description: 'Quantize the quantization constants too (about 0.37 bits per parameter saved).' },
            compute_dtype: {
              kind: 'enum',
              default: 'bfloat16',
              choices: ['bfloat16', 'float16'],
              description: 'The dtype matrix products run in; bf16 per the QLoRA paper (float16 for GPUs without bf16).',
            },
          },
        },
        prompt_tuning: {
          kind: 'section',
          description: 'Prompt tuning settings.',
          fields: {
            num_virtual_tokens: { kind: 'integer', default: 20, minimum: 1, maximum: 1024, description: "Learned tokens put before every prompt (20 is PEFT's examples' choice)." },
            init: { kind: 'enum', default: 'random', choices: ['random', 'text'], description: 'Start from random vectors or from the embeddings of `init_text`.' },
            init_text: { kind: 'string', default: null, nullable: true, description: 'The text whose embeddings start the virtual tokens (required when `init` is text).' },
          },
        },
      },
    },
    training: {
      kind: 'section',
      description: "The training loop (transformers' Trainer).",
      fields: {
        epochs: {
          kind: 'number',
          default: 3,
          minimum: 0,
          maximum: 10_000,
          exclusiveMinimum: true,
          description: 'Passes over the training set; 3 is a common start for small sets (watch the eval loss).',
        },
        max_steps: { kind: 'integer', default: -1, minimum: -1, description: 'Stop after this many optimizer steps; -1 uses `epochs`.' },
        per_device_batch_size: {
          kind: 'integer',
          default: 4,
          minimum: 1,
          maximum: 65_536,
          description: 'Rows per step per GPU; lower it (and raise gradient_accumulation_steps) when memory is short.',
        },
        gradient_accumulation_steps: {
          kind: 'integer',
          default: 1,
          minimum: 1,
          maximum: 65_536,
          description: 'Steps whose gradients are summed before an update: the effective batch is this times the batch size.',
        },
        learning_rate: {
          kind: 'number',
          default: null,
          nullable: true,
          minimum: 0,
          maximum: 10,
          exclusiveMinimum: true,
          description: "Peak learning rate; omitted: 2e-4 for LoRA/QLoRA (the QLoRA paper's), 3e-2 for prompt tuning.",
        },
        lr_scheduler: {
          kind: 'enum',
          default: 'cosine',
          choices: ['linear', 'cosine', 'constant', 'constant_with_warmup', 'cosine_with_min_lr'],
          description: 'The learning-rate schedule after warm-up.',
        },
        warmup_ratio: { kind: 'number', default: 0.03, minimum: 0, maximum: 0.5, description: "Share of steps spent warming up (3%, as in the QLoRA paper's scripts)." },
        weight_decay: { kind: 'number', default: 0, minimum: 0, maximum: 1, description: 'AdamW weight decay (0: PEFT adapters are small).' },
        max_grad_norm: { kind: 'number', default: 1, minimum: 0, description: 'Gradient clipping norm.' },
        seed: { kind: 'integer', default: 42, minimum: 0, maximum: maxSeed, description: 'Seed for shuffling, held-out rows and initialisation.' },
        precision: { kind: 'enum', default: 'auto', choices: ['auto', 'bf16', 'fp16', 'fp32'], description: '`auto`: bf16 where the GPU supports it, else fp16 on CUDA, fp32 on CPU.' },
        gradient_checkpointing: { kind: 'boolean', default: false, description: 'Recompute activations in the backward pass: much less memory, about 30% slower.' },
        logging_steps: { kind: 'integer', default: 1, minimum: 1, description: 'Steps between step events (loss, learning rate, tokens/s).' },
        eval_steps: { kind: 'integer', default: 0, minimum: 0, description: 'Steps between evaluations; 0 evaluates at every save.' },
        save_steps: { kind: 'integer', default: 100, minimum: 1, description: 'Steps between checkpoints.' },
        save_total_limit: { kind: 'integer', default: 2, minimum: 1, description: 'Checkpoints kept in the run folder.' },
        resume: {
          kind: 'string',
          default: 'auto',
          pathKind: 'resume',
          description: "`auto` resumes from the run folder's latest checkpoint, `never` starts fresh, or a checkpoint folder (relative to the job file).",
        },
        dataloader_workers: { kind: 'integer', default: 0, minimum: 0, maximum: 64, description: 'Data-loading worker processes (0: in the training process; the rows are pre-tokenized).' },
        deterministic: { kind: 'boolean', default: false, description: 'Deterministic kernels: reproducible runs, somewhat slower.' },
      },
    },
    output: {
      kind: 'section',
      description: 'What the run writes besides the adapter.',
      fields: {
        merge: { kind: 'boolean', default: false, description: 'Also write the base model with the adapter merged in (never into a 4-bit model; not for prompt tuning).' },
        merged_dtype: { kind: 'enum', default: 'bfloat16', choices: ['bfloat16', 'float16', 'float32'], description: "The merged model's dtype." },
      },
    },
  },
};

function fieldSchema(rule: FieldRule | SectionRule): Record<string, unknown> {
  switch (rule.kind) {
    case 'section':
      return {
        type: 'object',
        description: rule.description,
        additionalProperties: false,
        ...(rule.required ? { required: [...rule.required] } : {}),
        properties: Object.fromEntries(Object.entries(rule.fields).map(([key, value]) => [key, fieldSchema(value)])),
      };
    case 'string':
      return {
        type: rule.nullable ? ['string', 'null'] : 'string',
        ...(rule.nullable ? {} : { minLength: 1 }),
        ...(rule.default !== null ? { default: rule.default } : {}),
        description: rule.description,
      };
    case 'enum':
      return { type: 'string', enum: [...rule.choices], default: rule.default, description: rule.description };
    case 'integer':
      return {
        type: 'integer',
        ...(rule.minimum !== undefined ? { minimum: rule.minimum } : {}),
        ...(rule.maximum !== undefined ? { maximum: rule.maximum } : {}),
        default: rule.default,
        description: rule.description,
      };
    case 'number': {
      const bounds = {
        ...(rule.minimum !== undefined ? (rule.exclusiveMinimum ? { exclusiveMinimum: rule.minimum } : { minimum: rule.minimum }) : {}),
        ...(rule.maximum !== undefined ? { maximum: rule.maximum } : {}),
      };
      return { type: rule.nullable ? ['number', 'null'] : 'number', ...bounds, ...(rule.default !== null ? { default: rule.default } : {}), description: rule.description };
    }
    case 'boolean':
      return { type: 'boolean', default: rule.default, description: rule.description };
    case 'evalSource':
      return { anyOf: [{ type: 'string', minLength: 1 }, { type: 'null' }, { const: false }], default: 'auto', description: rule.description };
    case 'packing':
      return { anyOf: [{ type: 'string', enum: [...rule.choices] }, { type: 'boolean' }], default: 'auto', description: rule.description };
    case 'modules':
      return {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        ],
        default: 'all-linear',
        description: rule.description,
      };
  }
}

/** The job file's JSON Schema (draft-07), as written to `schemas/job.schema.json`. */
export function jobSchema(): Record<string, unknown> {
  const { type, description, additionalProperties, required, properties } = fieldSchema(jobRules);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    $id: 'https://chatwright.dev/schemas/job.schema.json',
    title: 'Chatwright fine-tuning job',
    description,
    type,
    additionalProperties,
    required,
    properties: { $schema: { type: 'string', description: 'The JSON Schema this job file follows.' }, ...(properties as Record<string, unknown>) },
  };
}
