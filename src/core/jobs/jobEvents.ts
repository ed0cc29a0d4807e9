/**
 * The trainer's event protocol, version 1 (python/README.md, "Events"; `python/chatwright_train/events.py` writes it):
 * one JSON object a line in `RUN/events.jsonl`, also echoed on the trainer's stdout. Types only here; the reader and
 * the follower live beside them.
 */

export const eventProtocolVersion = 1;
export const eventsFileName = 'events.jsonl';

/** A serving job (issue 17) goes `loading_model` → `serving` → `stopped` | `failed`; a training job never reports `serving`. */
export type TrainerPhase = 'probing' | 'loading_model' | 'preparing_data' | 'training' | 'saving' | 'merging' | 'serving' | 'done' | 'failed' | 'stopped';
export const terminalPhases: readonly TrainerPhase[] = ['done', 'failed', 'stopped'];

interface EventBase {
  v: number;
  /** 1, 2, 3 … across restarts of the same run folder. */
  seq: number;
  /** Unix seconds. */
  time: number;
}

export interface GpuInfo {
  index: number;
  name: string;
  memory_bytes: number;
  free_memory_bytes?: number;
  compute_capability: string;
  bf16: boolean;
}

/** How the processes of a run share the training (the `run` event's `distributed`; one process reports world_size 1). */
export interface DistributedInfo {
  world_size: number;
  nodes: number;
  strategy: string;
  per_device_batch_size: number;
  gradient_accumulation_steps: number;
  effective_batch_size: number;
  requested_effective_batch_size: number;
  /** torch.distributed's backend (`nccl`, `gloo`), when several processes run. */
  backend?: string | null;
}

export type RunEvent = EventBase & { event: 'run'; config: Record<string, unknown>; run_dir: string; distributed?: DistributedInfo };
export type PhaseEvent = EventBase & {
  event: 'phase';
  phase: TrainerPhase;
  code?: string;
  model?: string;
  train?: string;
  resumed_from?: string | null;
  fused_loss?: boolean;
  adapter?: string;
  step?: number;
  train_loss?: number | null;
  train_tokens?: number;
  runtime_seconds?: number;
  gpu_memory_peak_bytes?: number | null;
  merged?: string;
  reason?: string;
};
export type EnvironmentEvent = EventBase & { event: 'environment'; precision?: string; attn_implementation?: string; packing?: string; cuda?: string | null; torch?: string | null; gpus?: GpuInfo[] };
export type DataEvent = EventBase & {
  event: 'data';
  format?: string;
  train_examples?: number;
  eval_examples?: number;
  eval_source?: string | null;
  train_tokens?: number;
  trained_tokens?: number;
  truncated?: number;
  dropped?: number;
  batches_per_epoch?: number;
};
export type ModelEvent = EventBase & { event: 'model'; method?: string; trainable_parameters?: number; total_parameters?: number };
export type StepEvent = EventBase & {
  event: 'step';
  step: number;
  total_steps?: number;
  epoch?: number;
  loss?: number | null;
  learning_rate?: number | null;
  grad_norm?: number | null;
  tokens_per_second?: number | null;
  eta_seconds?: number | null;
  gpu_memory_bytes?: number | null;
  gpu_memory_peak_bytes?: number | null;
};
export type EvalEvent = EventBase & { event: 'eval'; step: number; eval_loss: number | null; eval_runtime_seconds?: number };
export type CheckpointEvent = EventBase & { event: 'checkpoint'; step: number; path: string; reason: string };
export type WarningEvent = EventBase & { event: 'warning'; code: string; message: string; [field: string]: unknown };
export type ErrorEvent = EventBase & { event: 'error'; code: string; message: string; action?: string; install_command?: string; errors?: string[]; traceback?: string };

/** A served model as a serving job announces it (what its `GET /v1/models` lists). */
export interface ServedModelEntry {
  id: string;
  /** For an adapter: the base model's id (vLLM's `parent`). */
  parent?: string | null;
  kind?: 'chat' | 'embedding';
}

/**
 * Written by a serving job once its port is bound and it answers `GET /health` (the host checks again before it
 * reports the server ready). `engine` says which one runs: the built-in ONNX engine, transformers (+PEFT) on the
 * Python GPU server, or vLLM.
 */
export type ServingEvent = EventBase & {
  event: 'serving';
  /** Base URL ending before `/chat/completions`, e.g. `http://127.0.0.1:8765/v1`. */
  url: string;
  host: string;
  port: number;
  engine: 'builtin' | 'transformers' | 'vllm' | 'standin';
  models: ServedModelEntry[];
  /** Whether requests need `Authorization: Bearer <key>` (always when listening beyond loopback). */
  api_key_required: boolean;
  /** Concurrency the server admits before queueing, and the queue's length before 429. */
  max_concurrent?: number;
  max_queue?: number;
  /** How concurrent requests are run, in words (e.g. "batched per model, up to 8 rows"). */
  batching?: string;
  /** GPUs the model is spread over (`--tensor-parallel-size`; 1 on one GPU). */
  tensor_parallel_size?: number;
  /** How the model is spread over them, in words (vLLM's tensor parallelism, or transformers' layers split); absent on one GPU. */
  parallelism?: string;
  /** This machine's name (fully qualified when it resolves) when the server listens on every interface (0.0.0.0 or ::): the host a client elsewhere (the login node) connects to. */
  node?: string;
};

/** A serving job's running totals, written at most once a second while requests come in. */
export type ServingStatsEvent = EventBase & {
  event: 'serving_stats';
  requests: number;
  active: number;
  queued: number;
  rejected: number;
  completion_tokens: number;
  prompt_tokens: number;
};

export type TrainerEvent = ServingEvent | ServingStatsEvent | RunEvent | PhaseEvent | EnvironmentEvent | DataEvent | ModelEvent | StepEvent | EvalEvent | CheckpointEvent | WarningEvent | ErrorEvent;
export type TrainerEventKind = TrainerEvent['event'];
