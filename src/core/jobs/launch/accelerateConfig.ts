/**
 * RUN/accelerate.yaml: the `accelerate launch` config for several training processes, one per GPU, on one machine or
 * on each node of a Slurm job. Keys as `accelerate config` writes them for a LOCAL_MACHINE; DeepSpeed's settings live
 * in RUN/deepspeed.json (`deepspeedConfig.ts`), FSDP's in the `fsdp_config` section here, with the settings PEFT's
 * FSDP guide gives for LoRA.
 */
import { stringify } from 'yaml';
import { type DistributedStrategy } from '../jobTarget';

/** The file's name in the run folder. */
export const accelerateConfigFile = 'accelerate.yaml';

export interface AccelerateConfigOptions {
  strategy: DistributedStrategy;
  /** All processes of the job (nodes × GPUs per node). */
  numProcesses: number;
  numMachines: number;
  /** Absolute path of RUN/deepspeed.json, for the DeepSpeed strategies. */
  deepspeedConfigPath?: string;
}

/** accelerate's name for how the processes share the work. */
export function accelerateDistributedType(strategy: DistributedStrategy): 'MULTI_GPU' | 'DEEPSPEED' | 'FSDP' {
  if (strategy === 'deepspeed_zero2' || strategy === 'deepspeed_zero3') return 'DEEPSPEED';
  return strategy === 'fsdp' ? 'FSDP' : 'MULTI_GPU';
}

/** accelerate.yaml's text. */
export function accelerateConfigYaml(options: AccelerateConfigOptions): string {
  const distributedType = accelerateDistributedType(options.strategy);
  const config: Record<string, unknown> = {
    compute_environment: 'LOCAL_MACHINE',
    debug: false,
    distributed_type: distributedType,
    main_training_function: 'main',
    // 'no', on purpose. The trainer chooses its precision at run time (training.precision auto: bf16 where the GPU
    // supports it, else fp16; or fp32) and passes bf16/fp16 to TrainingArguments, which overrides accelerate's
    // setting (ACCELERATE_MIXED_PRECISION) when one of them is true but keeps it when both are false: a config saying
    // bf16 would then turn on bf16 autocast in a run the trainer meant to be fp32. With 'no' the trainer alone decides.
    mixed_precision: 'no',
    num_machines: options.numMachines,
    num_processes: options.numProcesses,
    // Each node's rank comes from its command line (--machine_rank), which overrides this.
    machine_rank: 0,
    // Every node is started by Slurm at once and knows the first node's address: no rendezvous server is needed.
    rdzv_backend: 'static',
    same_network: true,
    use_cpu: false,
  };
  if (distributedType === 'DEEPSPEED') {
    if (options.deepspeedConfigPath === undefined) throw new Error('accelerateConfigYaml: a DeepSpeed strategy needs the path of deepspeed.json');
    config.deepspeed_config = {
      deepspeed_config_file: options.deepspeedConfigPath,
      // 'standard': accelerate starts each node's processes itself (torch's launcher) on the node it runs on, as srun
      // does; the default for several machines, pdsh, would log into the other nodes over ssh.
      deepspeed_multinode_launcher: 'standard',
      // ZeRO-3 can build the model already sharded (deepspeed.zero.Init) instead of whole on every process.
      zero3_init_flag: options.strategy === 'deepspeed_zero3',
    };
  }
  if (distributedType === 'FSDP') {
    config.fsdp_config = {
      // Wraps each transformer block (the model's `_no_split_modules`), so any architecture works without naming its layer class.
      fsdp_auto_wrap_policy: 'TRANSFORMER_BASED_WRAP',
      fsdp_backward_prefetch: 'BACKWARD_PRE',
      fsdp_forward_prefetch: false,
      fsdp_sharding_strategy: 'FULL_SHARD',
      // A save gathers the whole state on the main process, so the adapter is written as one ordinary PEFT adapter
      // (adapter_model.safetensors) that serving and merging read, not as per-process shards.
      fsdp_state_dict_type: 'FULL_STATE_DICT',
      // LoRA leaves most parameters frozen: FSDP must keep the original parameters to mix frozen and trainable ones in a unit.
      fsdp_use_orig_params: true,
      // Only the first process loads the base model's weights into CPU memory; the others get them broadcast
      // (which is why fsdp_sync_module_states must be true with it).
      fsdp_cpu_ram_efficient_loading: true,
      fsdp_sync_module_states: true,
      fsdp_offload_params: false,
    };
  }
  // accelerate reads the file with PyYAML, which follows YAML 1.1: there a bare `no` is the boolean false, so strings
  // such as mixed_precision's 'no' must be quoted, which writing as YAML 1.1 does.
  return stringify(config, { version: '1.1', lineWidth: 0 });
}
