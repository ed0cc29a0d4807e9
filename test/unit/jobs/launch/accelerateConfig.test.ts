import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { accelerateConfigYaml } from '../../../../src/core/jobs/launch/accelerateConfig';
import { deepspeedConfigJson } from '../../../../src/core/jobs/launch/deepspeedConfig';

/** As PyYAML (accelerate's reader) reads it: YAML 1.1, where a bare `no` is false. */
function readAsPyYaml(text: string): Record<string, unknown> {
  return parse(text, { version: '1.1' }) as Record<string, unknown>;
}

describe('accelerate.yaml', () => {
  it("keeps mixed_precision the string 'no' for a YAML 1.1 reader, so TrainingArguments alone decide the precision", () => {
    for (const strategy of ['ddp', 'fsdp'] as const) {
      assert.equal(readAsPyYaml(accelerateConfigYaml({ strategy, numProcesses: 4, numMachines: 1 })).mixed_precision, 'no');
    }
  });

  it('leaves mixed_precision out next to a deepspeed_config_file, which accelerate would refuse', () => {
    const config = readAsPyYaml(accelerateConfigYaml({ strategy: 'deepspeed_zero2', numProcesses: 4, numMachines: 1, deepspeedConfigPath: '/r/deepspeed.json' }));
    assert.equal('mixed_precision' in config, false);
    assert.deepEqual(config.deepspeed_config, { deepspeed_config_file: '/r/deepspeed.json', deepspeed_multinode_launcher: 'standard', zero3_init_flag: false });
  });

  it('names the distributed type of each strategy and the process counts', () => {
    const types = (['ddp', 'deepspeed_zero2', 'deepspeed_zero3', 'fsdp'] as const).map((strategy) =>
      readAsPyYaml(accelerateConfigYaml({ strategy, numProcesses: 8, numMachines: 2, deepspeedConfigPath: '/r/d.json' })),
    );
    assert.deepEqual(
      types.map((config) => config.distributed_type),
      ['MULTI_GPU', 'DEEPSPEED', 'DEEPSPEED', 'FSDP'],
    );
    for (const config of types) assert.deepEqual([config.num_processes, config.num_machines, config.machine_rank, config.use_cpu], [8, 2, 0, false]);
  });

  it('refuses a DeepSpeed strategy without the path of deepspeed.json', () => {
    assert.throws(() => accelerateConfigYaml({ strategy: 'deepspeed_zero3', numProcesses: 2, numMachines: 1 }), /deepspeed\.json/);
  });
});

describe('deepspeed.json', () => {
  it('leaves to the Trainer every value it sets from TrainingArguments', () => {
    const config = JSON.parse(deepspeedConfigJson(2)) as Record<string, unknown>;
    for (const key of ['train_micro_batch_size_per_gpu', 'gradient_accumulation_steps', 'train_batch_size', 'gradient_clipping']) assert.equal(config[key], 'auto', key);
    assert.deepEqual([(config.bf16 as { enabled: unknown }).enabled, (config.fp16 as { enabled: unknown }).enabled], ['auto', 'auto']);
  });

  it('gathers ZeRO-3 weights on save (the adapter is written whole) and has no stage-3 keys at stage 2', () => {
    const zero3 = (JSON.parse(deepspeedConfigJson(3)) as { zero_optimization: Record<string, unknown> }).zero_optimization;
    const zero2 = (JSON.parse(deepspeedConfigJson(2)) as { zero_optimization: Record<string, unknown> }).zero_optimization;
    assert.equal(zero3.stage, 3);
    assert.equal(zero3.stage3_gather_16bit_weights_on_model_save, true);
    assert.equal(zero2.stage, 2);
    assert.deepEqual(
      Object.keys(zero2).filter((key) => key.startsWith('stage3')),
      [],
    );
  });
});
