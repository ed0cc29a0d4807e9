/**
 * RUN/deepspeed.json for the DeepSpeed strategies, written for the Hugging Face Trainer's DeepSpeed integration:
 * every value the Trainer knows from its TrainingArguments is `"auto"` (the Trainer fills it in, so the job file stays
 * the one place where batch, accumulation, clipping and precision are set and the two can never disagree); the
 * `zero_optimization` section holds what the integration's documentation recommends for ZeRO-2 and ZeRO-3.
 */

/** The file's name in the run folder. */
export const deepspeedConfigFile = 'deepspeed.json';

export type ZeroStage = 2 | 3;

/** deepspeed.json's text (two-space JSON, a final newline). */
export function deepspeedConfigJson(stage: ZeroStage): string {
  const config = {
    // The Trainer sets these from TrainingArguments (per_device_train_batch_size, gradient_accumulation_steps, their
    // product with the world size, max_grad_norm); DeepSpeed refuses a config whose three batch values disagree.
    train_micro_batch_size_per_gpu: 'auto',
    gradient_accumulation_steps: 'auto',
    train_batch_size: 'auto',
    gradient_clipping: 'auto',
    // The trainer decides the precision at run time (training.precision auto: bf16 where the GPU has it, else fp16);
    // the Trainer turns exactly one of these on from its bf16/fp16 arguments.
    bf16: { enabled: 'auto' },
    fp16: { enabled: 'auto', loss_scale: 0, loss_scale_window: 1000, initial_scale_power: 16, hysteresis: 2, min_loss_scale: 1 },
    zero_optimization: stage === 2 ? zeroStage2() : zeroStage3(),
    wall_clock_breakdown: false,
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

function zeroStage2(): Record<string, unknown> {
  return {
    stage: 2,
    // Gradients are reduced while the backward pass still runs, into one contiguous buffer (less fragmentation).
    overlap_comm: true,
    contiguous_gradients: true,
    allgather_partitions: true,
    reduce_scatter: true,
    allgather_bucket_size: 2e8,
    // "auto": hidden_size², filled in by the Trainer from the model's config (it fills only this one for ZeRO-2).
    reduce_bucket_size: 'auto',
  };
}

function zeroStage3(): Record<string, unknown> {
  return {
    stage: 3,
    overlap_comm: true,
    contiguous_gradients: true,
    sub_group_size: 1e9,
    // "auto": sized from the model's hidden size by the Trainer.
    reduce_bucket_size: 'auto',
    stage3_prefetch_bucket_size: 'auto',
    stage3_param_persistence_threshold: 'auto',
    stage3_max_live_parameters: 1e9,
    stage3_max_reuse_distance: 1e9,
    // Parameters are sharded across the processes: without this a save writes each process's empty placeholders
    // instead of the adapter's weights. With it the weights are gathered onto the main process when saving.
    stage3_gather_16bit_weights_on_model_save: true,
  };
}
