import { defaultTarget, distributedStrategies, targetTypes } from './jobTarget';

/**
 * Every field of a fine-tuning job, once: its type, bounds, default and the reason for the default. The job file's
 * checker (`jobFile.ts`) and its JSON Schema (`schemas/job.schema.json`, generated from here by `jobSchema()` and held
 * to it by a unit test) both read this table, so they cannot drift apart. The bounds and defaults mirror
 * `python/chatwright_train/config.py`, which checks the resolved config again; a unit test runs both on the same files.
 */

export type FieldRule =
  /** `numberAsText`: a whole number written without quotes is taken as its text (`time: 90`, `mem: 65536`). */
  | { kind: 'string'; default: string | null; nullable?: boolean; pathKind?: 'file' | 'model' | 'resume'; numberAsText?: boolean; description: string }
  | { kind: 'enum'; default: string; choices: readonly string[]; meanings?: ChoiceMeanings; description: string }
  | { kind: 'integer'; default: number | null; minimum?: number; maximum?: number; nullable?: boolean; description: string }
  | { kind: 'number'; default: number | null; minimum?: number; maximum?: number; exclusiveMinimum?: boolean; nullable?: boolean; description: string }
  | { kind: 'boolean'; default: boolean; description: string }
  /** `data.eval`: a file, "auto" or null (false is accepted as null). */
  | { kind: 'evalSource'; description: string }
  /** `data.packing`: a mode, or true/false as shorthands. */
  | { kind: 'packing'; choices: readonly string[]; meanings?: ChoiceMeanings; description: string }
  /** `method.lora.target_modules`: "all-linear" or a list of module names. */
  | { kind: 'modules'; description: string }
  /** A list of lines of text (`target.slurm.sbatch`, `target.slurm.setup`): empty by default, each item one line. */
  | { kind: 'lines'; description: string };

/** What each choice of an enum means, by choice: shown when hovering a value and listed in the schema. */
export type ChoiceMeanings = Readonly<Record<string, string>>;

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
    name: { kind: 'string', default: null, nullable: true, description: "A short name for the job, used in the run folder's name. Default: the job file's name without `.job.yaml`." },
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
          meanings: {
            auto: "transformers' own choice (sdpa where the model supports it)",
            sdpa: "PyTorch's scaled_dot_product_attention",
            eager: 'the plain PyTorch implementation; slowest, turns padding-free packing off',
            flash_attention_2: 'the flash-attn 2 package (CUDA, Ampere or newer)',
            flash_attention_3: 'the flash-attn 3 package (Hopper GPUs)',
            flex_attention: "PyTorch's FlexAttention",
          },
          description: "The attention kernel. Default `auto`: transformers' `from_pretrained` default, which picks sdpa where available. Eager attention turns padding-free packing off.",
        },
        trust_remote_code: { kind: 'boolean', default: false, description: "Run Python code shipped with the model. Default false, as in transformers' `from_pretrained`: only for models you trust." },
      },
    },
    data: {
      kind: 'section',
      description: 'The training data: JSON Lines of `messages`, `prompt`/`completion` or `text` rows.',
      required: ['train'],
      fields: {
        train: { kind: 'string', default: null, pathKind: 'file', description: 'The training set (.jsonl), relative to the job file. Required: there is no default.' },
        eval: {
          kind: 'evalSource',
          description:
            "The evaluation set: a .jsonl path; `auto` takes a sibling valid/validation/eval/dev file, else holds out `eval_fraction` of the training rows; null for none. Default `auto`: Chatwright's, so every run reports an eval loss.",
        },
        eval_fraction: {
          kind: 'number',
          default: 0.05,
          minimum: 0,
          maximum: 0.5,
          description:
            "Share of training rows held out when `eval` is auto and no sibling file exists (none under 20 rows). Default 0.05: Chatwright's, a small held-out set that costs little training data.",
        },
        format: {
          kind: 'enum',
          default: 'auto',
          choices: ['auto', 'messages', 'prompt_completion', 'text'],
          meanings: {
            auto: "the first row's format",
            messages: "chat `messages`, rendered with the model's chat template; loss on the assistant turns only",
            prompt_completion: '`prompt` and `completion` fields; loss on the completion only',
            text: 'plain `text`; loss on every token',
          },
          description: "The row format. Default `auto`: Chatwright's, which takes the first row's format.",
        },
        max_seq_length: {
          kind: 'integer',
          default: 2048,
          minimum: 16,
          maximum: 1_048_576,
          description: "Tokens per example; longer rows are truncated or dropped (`overlong`). Default 2048: Chatwright's, long enough for most chat turns (TRL's SFTTrainer defaults to 1024).",
        },
        packing: {
          kind: 'packing',
          choices: ['auto', 'padding_free', 'grouped', 'padded'],
          meanings: {
            auto: 'padding_free, except with eager attention (padded)',
            padding_free: 'concatenates a batch with restarting positions: no padding tokens computed',
            grouped: 'pads rows of similar length together',
            padded: "pads every row to the batch's longest (the Hugging Face documentation's recipe)",
          },
          description:
            "How rows are batched: `padding_free` concatenates a batch with restarting positions (no padding), `grouped` pads rows of similar length, `padded` pads to the longest. true = padding_free, false = padded. Default `auto`: Chatwright's, padding_free except with eager attention.",
        },
        overlong: {
          kind: 'enum',
          default: 'truncate',
          choices: ['truncate', 'drop'],
          meanings: { truncate: 'keep the first `max_seq_length` tokens', drop: 'leave the row out of training' },
          description: "What to do with rows longer than `max_seq_length`. Default `truncate`, as TRL's SFTTrainer does.",
        },
        chat_template: {
          kind: 'string',
          default: null,
          nullable: true,
          description: "A Jinja chat template that overrides the tokenizer's (needed for chat data on a base model without one). Default: the tokenizer's own template.",
        },
        max_file_bytes: { kind: 'integer', default: 4 * 1024 ** 3, minimum: 1, description: "The largest dataset file read, in bytes. Default 4 GiB: Chatwright's bound on what is read into memory." },
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
          meanings: {
            lora: 'low-rank adapters on a bf16 base model (Hu et al., 2021)',
            qlora: 'LoRA on a 4-bit NF4 base model, CUDA only, for models that do not fit in bf16 (Dettmers et al., 2023)',
            prompt_tuning: 'learned virtual tokens before every prompt; the model itself is frozen (Lester et al., 2021)',
          },
          description:
            "`lora` (bf16 base), `qlora` (4-bit NF4 base, CUDA only, for models that do not fit in bf16) or `prompt_tuning` (learned virtual tokens). DoRA and rsLoRA are LoRA options (`lora.use_dora`, `lora.use_rslora`). Default `lora`: PEFT's LoraConfig is the most widely served adapter.",
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
              description:
                "The adapter rank. Default 16: the largest rank vLLM serves without raising its `max_lora_rank` (default 16), between PEFT's LoraConfig default (8) and the QLoRA paper's 64.",
            },
            alpha: {
              kind: 'number',
              default: 32,
              minimum: 0,
              exclusiveMinimum: true,
              description: "The scaling numerator (scale alpha/r, or alpha/sqrt(r) with rsLoRA). Default 32 = 2r: the rule of thumb from Raschka's LoRA experiments (PEFT's LoraConfig default is 8).",
            },
            dropout: {
              kind: 'number',
              default: 0,
              minimum: 0,
              maximum: 0.9,
              description: "LoRA dropout. Default 0: PEFT's LoraConfig default (the QLoRA paper used 0.05–0.1); above 0 PEFT copies every adapted layer's input (time and memory).",
            },
            target_modules: {
              kind: 'modules',
              description:
                "Which layers get adapters: `all-linear` or a list of module names (`q_proj`, `v_proj`, …). Default `all-linear` (PEFT's shorthand; never the output layer): the QLoRA paper found adapting every linear layer matters more than the rank.",
            },
            use_rslora: {
              kind: 'boolean',
              default: false,
              description: "Rank-stabilized LoRA: scale by alpha/sqrt(r), which keeps high ranks stable (Kalajdzievski, 2023). Default false: PEFT's LoraConfig default.",
            },
            use_dora: {
              kind: 'boolean',
              default: false,
              description: "DoRA: learn magnitude and direction apart; slower per step, helps most at low rank (Liu et al., 2024). Default false: PEFT's LoraConfig default.",
            },
          },
        },
        quantization: {
          kind: 'section',
          description: "QLoRA's 4-bit base (the QLoRA paper's recipe: NF4, double quantization, bf16 compute).",
          fields: {
            quant_type: {
              kind: 'enum',
              default: 'nf4',
              choices: ['nf4', 'fp4'],
              meanings: { nf4: '4-bit NormalFloat, built for normally distributed weights', fp4: 'plain 4-bit floating point' },
              description: "4-bit data type. Default `nf4`: the QLoRA paper's (bitsandbytes' own default is fp4).",
            },
            double_quant: { kind: 'boolean', default: true, description: "Quantize the quantization constants too (about 0.37 bits per parameter saved). Default true: the QLoRA paper's recipe." },
            compute_dtype: {
              kind: 'enum',
              default: 'bfloat16',
              choices: ['bfloat16', 'float16'],
              meanings: { bfloat16: 'bf16: the range of float32, needs Ampere or newer', float16: 'fp16: for GPUs without bf16' },
              description: "The dtype matrix products run in. Default `bfloat16`: the QLoRA paper's (float16 for GPUs without bf16).",
            },
          },
        },
        prompt_tuning: {
          kind: 'section',
          description: 'Prompt tuning settings.',
          fields: {
            num_virtual_tokens: {
              kind: 'integer',
              default: 20,
              minimum: 1,
              maximum: 1024,
              description: 'Learned tokens put before every prompt. Default 20: Lester et al. (2021) found little gain beyond 20 tokens.',
            },
            init: {
              kind: 'enum',
              default: 'random',
              choices: ['random', 'text'],
              meanings: { random: 'random vectors', text: 'the embeddings of `init_text` (often converges faster)' },
              description: "Start from random vectors or from the embeddings of `init_text`. Default `random`: PEFT's PromptTuningConfig default.",
            },
            init_text: { kind: 'string', default: null, nullable: true, description: 'The text whose embeddings start the virtual tokens (required when `init` is text). No default.' },
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
          description: "Passes over the training set (watch the eval loss). Default 3: transformers' Trainer default (`num_train_epochs`).",
        },
        max_steps: { kind: 'integer', default: -1, minimum: -1, description: "Stop after this many optimizer steps; -1 uses `epochs`. Default -1: transformers' Trainer default." },
        per_device_batch_size: {
          kind: 'integer',
          default: 4,
          minimum: 1,
          maximum: 65_536,
          description: "Rows per step per GPU; lower it (and raise gradient_accumulation_steps) when memory is short. Default 4: half the Trainer's 8, leaving memory for 2048-token rows.",
        },
        gradient_accumulation_steps: {
          kind: 'integer',
          default: 1,
          minimum: 1,
          maximum: 65_536,
          description: "Steps whose gradients are summed before an update: the effective batch is this times the batch size. Default 1: transformers' Trainer default.",
        },
        learning_rate: {
          kind: 'number',
          default: null,
          nullable: true,
          minimum: 0,
          maximum: 10,
          exclusiveMinimum: true,
          description:
            "Peak learning rate. Default by method: 2e-4 for LoRA/QLoRA (the QLoRA paper's rate for 7B–13B models), 3e-2 for prompt tuning (PEFT's prompt tuning example; soft prompts need a far larger rate).",
        },
        lr_scheduler: {
          kind: 'enum',
          default: 'cosine',
          choices: ['linear', 'cosine', 'constant', 'constant_with_warmup', 'cosine_with_min_lr'],
          meanings: {
            linear: 'falls linearly to 0',
            cosine: 'falls along a half cosine to 0',
            constant: 'stays at the peak, no warm-up',
            constant_with_warmup: 'warms up, then stays at the peak',
            cosine_with_min_lr: 'falls along a half cosine to a floor',
          },
          description: "The learning-rate schedule after warm-up. Default `cosine`: the Stanford Alpaca recipe's (transformers' Trainer default is linear).",
        },
        warmup_ratio: { kind: 'number', default: 0.03, minimum: 0, maximum: 0.5, description: "Share of steps spent warming up. Default 0.03: the QLoRA paper's and Stanford Alpaca's scripts." },
        weight_decay: { kind: 'number', default: 0, minimum: 0, maximum: 1, description: "AdamW weight decay. Default 0: transformers' Trainer default (adapters are small)." },
        max_grad_norm: { kind: 'number', default: 1, minimum: 0, description: "Gradient clipping norm. Default 1: transformers' Trainer default (the QLoRA scripts use 0.3)." },
        seed: { kind: 'integer', default: 42, minimum: 0, maximum: maxSeed, description: "Seed for shuffling, held-out rows and initialisation. Default 42: transformers' Trainer default." },
        precision: {
          kind: 'enum',
          default: 'auto',
          choices: ['auto', 'bf16', 'fp16', 'fp32'],
          meanings: {
            auto: 'bf16 where the GPU supports it, else fp16 on CUDA, fp32 on CPU',
            bf16: 'bfloat16 mixed precision (Ampere or newer)',
            fp16: 'float16 mixed precision with loss scaling',
            fp32: 'full precision: slowest, most memory',
          },
          description: "Training precision. Default `auto`: Chatwright's, chosen from the hardware (the Trainer's own default is fp32).",
        },
        gradient_checkpointing: {
          kind: 'boolean',
          default: false,
          description: "Recompute activations in the backward pass: much less memory, about 30% slower. Default false: transformers' Trainer default.",
        },
        logging_steps: {
          kind: 'integer',
          default: 1,
          minimum: 1,
          description: "Steps between step events (loss, learning rate, tokens/s). Default 1: Chatwright's, for a live chart (the Trainer's is 500).",
        },
        eval_steps: { kind: 'integer', default: 0, minimum: 0, description: "Steps between evaluations; 0 evaluates at every save. Default 0: Chatwright's." },
        save_steps: { kind: 'integer', default: 100, minimum: 1, description: "Steps between checkpoints. Default 100: Chatwright's, so a crash loses little (the Trainer's is 500)." },
        save_total_limit: { kind: 'integer', default: 2, minimum: 1, description: "Checkpoints kept in the run folder. Default 2: Chatwright's, to bound disk use (the Trainer keeps all)." },
        resume: {
          kind: 'string',
          default: 'auto',
          pathKind: 'resume',
          description:
            "`auto` resumes from the run folder's latest checkpoint, `never` starts fresh, or a checkpoint folder (relative to the job file). Default `auto`: Chatwright's, so a stopped run continues.",
        },
        dataloader_workers: {
          kind: 'integer',
          default: 0,
          minimum: 0,
          maximum: 64,
          description: "Data-loading worker processes (0: in the training process; the rows are pre-tokenized). Default 0: transformers' Trainer default.",
        },
        deterministic: {
          kind: 'boolean',
          default: false,
          description: "Deterministic kernels: reproducible runs, somewhat slower. Default false: transformers' Trainer default (`full_determinism`).",
        },
      },
    },
    output: {
      kind: 'section',
      description: 'What the run writes besides the adapter.',
      fields: {
        merge: {
          kind: 'boolean',
          default: false,
          description: "Also write the base model with the adapter merged in (never into a 4-bit model; not for prompt tuning). Default false: Chatwright's; the adapter alone loads everywhere.",
        },
        merged_dtype: {
          kind: 'enum',
          default: 'bfloat16',
          choices: ['bfloat16', 'float16', 'float32'],
          meanings: { bfloat16: 'bf16: half the size of float32', float16: 'fp16: for runtimes without bf16', float32: 'full precision: twice the size' },
          description: "The merged model's dtype. Default `bfloat16`: Chatwright's, the dtype most current models are published in.",
        },
      },
    },
    target: {
      kind: 'section',
      description:
        'Where the job runs: this machine (one process, or one per GPU through `accelerate launch`) or a Slurm cluster (a generated `sbatch` script). Without this section the job runs as one process on this machine.',
      fields: {
        type: {
          kind: 'enum',
          default: defaultTarget.type,
          choices: targetTypes,
          meanings: {
            local: 'this machine: one process, or one per GPU through `accelerate launch`',
            slurm: 'an `sbatch` script submitted to the Slurm cluster whose login node this is; the run folder must be on a filesystem the compute nodes share',
          },
          description: 'Where the job runs. Default `local`: a job file without a target runs on this machine, as it always did.',
        },
        gpus: {
          kind: 'integer',
          default: defaultTarget.gpus,
          minimum: 0,
          maximum: 1024,
          description:
            'GPUs per node, one training process each: on this machine for `local` (at least 1), `--gpus-per-node` on each node for `slurm` (0: a CPU-only job). The effective batch (per_device_batch_size × gradient_accumulation_steps) is kept over the processes. Default 1: one process, the command line of a plain run.',
        },
        strategy: {
          kind: 'enum',
          default: defaultTarget.strategy,
          choices: distributedStrategies,
          meanings: {
            ddp: 'data parallel (PyTorch DDP): every GPU holds the whole model and takes its share of each batch; gradients are averaged',
            deepspeed_zero2: 'DeepSpeed ZeRO stage 2: gradients and optimizer state sharded over the GPUs, the base weights replicated (needs `deepspeed`)',
            deepspeed_zero3: 'DeepSpeed ZeRO stage 3: the base weights sharded too, for models that do not fit on one GPU (needs `deepspeed`; not with qlora)',
            fsdp: 'PyTorch FSDP through accelerate: weights, gradients and optimizer state sharded over the GPUs (not with qlora)',
          },
          description:
            'How several processes share the training; a single process ignores it. Default `ddp`: with adapters the trainable weights and their optimizer state are small, so sharding them saves little, and DDP needs no extra package and communicates least. Choose ZeRO-3 or FSDP when the base model does not fit on one GPU.',
        },
        main_port: {
          kind: 'integer',
          default: defaultTarget.main_port,
          minimum: 1024,
          maximum: 65535,
          description:
            "The TCP port the processes meet on at the first node (`--main_process_port`). Default 29500 (torch.distributed's and accelerate's own). On Slurm, at this default each job's script takes 20000 + job id % 20000, so jobs sharing a node do not collide; set a port to use that one instead. Locally, change it when two multi-GPU jobs share the machine.",
        },
        slurm: {
          kind: 'section',
          description: 'What the generated `sbatch` script asks the scheduler for. Used only when `type` is slurm, and kept when the type is switched back to local.',
          fields: {
            partition: {
              kind: 'string',
              default: defaultTarget.slurm.partition,
              nullable: true,
              description: "The partition (`--partition`). Default null: the cluster's default partition, as `sbatch` without the option.",
            },
            nodes: {
              kind: 'integer',
              default: defaultTarget.slurm.nodes,
              minimum: 1,
              maximum: 100_000,
              description: 'Nodes (`--nodes`); processes in all = nodes × `target.gpus`. Default 1: one node needs no network between the processes.',
            },
            time: {
              kind: 'string',
              default: defaultTarget.slurm.time,
              numberAsText: true,
              description:
                "The time limit (`--time`) in a format Slurm accepts: minutes, mm:ss, hh:mm:ss, d-hh, d-hh:mm or d-hh:mm:ss. Default 04:00:00: Chatwright's, enough for most adapter runs while queues still schedule it; the trainer saves a checkpoint before the limit and the job resumes from it.",
            },
            account: {
              kind: 'string',
              default: defaultTarget.slurm.account,
              nullable: true,
              description: 'The account charged (`--account`). Default null: your default account, as `sbatch` without the option.',
            },
            qos: {
              kind: 'string',
              default: defaultTarget.slurm.qos,
              nullable: true,
              description: "The quality of service (`--qos`). Default null: the association's default, as `sbatch` without the option.",
            },
            cpus_per_task: {
              kind: 'integer',
              default: defaultTarget.slurm.cpus_per_task,
              nullable: true,
              minimum: 1,
              maximum: 100_000,
              description: "CPUs for the one task on each node (`--cpus-per-task`), shared by its training processes and their data loaders. Default null: Slurm's default (usually 1 per task).",
            },
            mem: {
              kind: 'string',
              default: defaultTarget.slurm.mem,
              nullable: true,
              numberAsText: true,
              description: "Memory per node (`--mem`): a number with K, M, G or T (`64G`), or a plain number of megabytes. Default null: the partition's default memory per node.",
            },
            gpu_type: {
              kind: 'string',
              default: defaultTarget.slurm.gpu_type,
              nullable: true,
              description:
                'The GPU type asked for (`--gpus-per-node=<type>:<gpus>`, e.g. `a100`); preflight also checks memory for it. Default null: any GPU of the partition, as `--gpus-per-node=<gpus>`.',
            },
            sbatch: {
              kind: 'lines',
              description:
                "Extra `#SBATCH` options, one option each, without the `#SBATCH` prefix (`--mail-type=END`, `--constraint=ib`). Refused, because Chatwright writes them or they would fight what it writes: --time, --partition, --account, --qos, --nodes, --cpus-per-task, --mem, the GPUs (--gpus-per-node, --gpus, --gpus-per-task, --gres=gpu…), --signal (use the fields of the same names, `target.gpus`, `gpu_type` and `save_before_limit_seconds`); --job-name (the job's `name`); --output, --error, --open-mode, --chdir, --parsable (the run folder and its train.log); --ntasks and --ntasks-per-node (one task per node); --export (sbatch carries the launch's environment); --requeue and --no-requeue (a requeued job would run again under the same id: resume instead). Default none.",
            },
            setup: {
              kind: 'lines',
              description:
                "Shell lines the script runs on the compute node before the trainer (`module load cuda/12.4`, `source ~/venvs/chatwright/bin/activate`), one command each. They are your own shell code, run on the cluster under your account as written. Default none: the trainer starts in the job's environment as sbatch exports it.",
            },
            python: {
              kind: 'string',
              default: defaultTarget.slurm.python,
              nullable: true,
              description:
                "The Python on the compute nodes: an absolute path or a command name found on the node's PATH after `setup`. Default null: the interpreter the job was started with, which works when it lives on a filesystem the nodes share.",
            },
            save_before_limit_seconds: {
              kind: 'integer',
              default: defaultTarget.slurm.save_before_limit_seconds,
              minimum: 1,
              maximum: 65_535,
              description:
                'Seconds before the time limit at which Slurm signals the job script (`--signal=B:USR2@N`), whose trap creates RUN/stop-now, so the trainer saves a checkpoint and exits before it is killed. Default 300: time to write an adapter checkpoint; Slurm accepts at most 65535.',
            },
          },
        },
      },
    },
  },
};

/** `enumDescriptions`, the keyword VS Code's JSON and YAML services show beside each choice. */
function choiceDescriptions(rule: { choices: readonly string[]; meanings?: ChoiceMeanings }): { enumDescriptions?: string[] } {
  return rule.meanings ? { enumDescriptions: rule.choices.map((choice) => rule.meanings?.[choice] ?? '') } : {};
}

/** JSON Schema's `type`: one name alone, several as a list. */
function schemaType(types: string[]): string | string[] {
  return types.length === 1 ? types[0]! : types;
}

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
        type: schemaType(['string', ...(rule.numberAsText ? ['integer'] : []), ...(rule.nullable ? ['null'] : [])]),
        ...(rule.nullable ? {} : { minLength: 1 }),
        ...(rule.default !== null ? { default: rule.default } : {}),
        description: rule.description,
      };
    case 'enum':
      return { type: 'string', enum: [...rule.choices], ...choiceDescriptions(rule), default: rule.default, description: rule.description };
    case 'integer':
      return {
        type: rule.nullable ? ['integer', 'null'] : 'integer',
        ...(rule.minimum !== undefined ? { minimum: rule.minimum } : {}),
        ...(rule.maximum !== undefined ? { maximum: rule.maximum } : {}),
        ...(rule.default !== null ? { default: rule.default } : {}),
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
      return { anyOf: [{ type: 'string', enum: [...rule.choices], ...choiceDescriptions(rule) }, { type: 'boolean' }], default: 'auto', description: rule.description };
    case 'modules':
      return {
        anyOf: [
          { type: 'string', minLength: 1 },
          { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
        ],
        default: 'all-linear',
        description: rule.description,
      };
    case 'lines':
      return { type: 'array', items: { type: 'string', minLength: 1, pattern: '^[^\\n\\r\\u0000]*$' }, default: [], description: rule.description };
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
