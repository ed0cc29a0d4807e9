import assert from 'node:assert/strict';
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveJobText, type ResolvedJobConfig } from '../../../src/core/jobs/jobFile';
import { chatmlTemplate, preflight, type PreflightFinding } from '../../../src/core/jobs/preflight';
import { type Hardware } from '../../../src/core/hub/memoryEstimate';
import { gpuTypeMemory, shardEstimate } from '../../../src/core/jobs/targetPreflight';
import { generateDecoderModel } from '../../support/modelGenerator';
import { scratchDir } from '../../support/scratchDir';

const repo = join(__dirname, '..', '..', '..');
const fixtures = join(repo, 'test', 'python', 'fixtures');
const gib = 2 ** 30;

let generated: string | undefined;

/**
 * A small Llama-architecture model folder with Qwen3's real tokenizer and chat template (test/support/modelGenerator),
 * generated once; each test gets its own copy of the files training reads (no ONNX weights: a training base model
 * has safetensors, which preflight does not open).
 */
function modelFolder(edit?: (tokenizerConfig: Record<string, unknown>) => void): string {
  if (!generated) {
    generated = scratchDir('preflight-generated');
    generateDecoderModel(generated, { architecture: 'llama', hiddenSize: 32, layers: 2, heads: 2, kvHeads: 1 });
  }
  const dir = scratchDir('preflight-model');
  for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) copyFileSync(join(generated, name), join(dir, name));
  if (edit) {
    const file = join(dir, 'tokenizer_config.json');
    const config = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
    edit(config);
    writeFileSync(file, JSON.stringify(config));
  }
  return dir;
}

/** A job in a scratch folder holding the GPU check's persona fixtures (train + its valid sibling). */
function job(model: string, extra = '', files: Record<string, string> = {}): ResolvedJobConfig {
  const dir = scratchDir('preflight-job');
  copyFileSync(join(fixtures, 'persona-train.jsonl'), join(dir, 'persona-train.jsonl'));
  copyFileSync(join(fixtures, 'persona-valid.jsonl'), join(dir, 'persona-valid.jsonl'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  const result = resolveJobText(`model: { path: ${JSON.stringify(model)} }\ndata:\n  train: persona-train.jsonl\n${extra}`, join(dir, 'persona.job.yaml'));
  assert.deepEqual(result.problems, []);
  return result.config!;
}

function codes(findings: readonly PreflightFinding[]): string[] {
  return findings.map((finding) => `${finding.severity}:${finding.code}`);
}

const bigGpu: Hardware = { ramBytes: 64 * gib, freeRamBytes: 32 * gib, cpuCount: 16, gpus: [{ name: 'H200', memoryBytes: 139 * gib, freeBytes: undefined }] };

describe('preflight', () => {
  it("passes the GPU check's persona job, with a loss-mask preview and the train/valid overlap said", () => {
    const result = preflight(job(modelFolder()), { hardware: bigGpu });
    assert.equal(result.ok, true, JSON.stringify(result.findings, null, 1));
    assert.deepEqual(codes(result.findings), ['warning:train-eval-overlap']);
    assert.match(result.findings[0]!.message, /^6 eval row\(s\) are also training rows/);
    assert.equal(result.stats.rows, 52);
    assert.equal(result.stats.labelled, 52);
    assert.equal(result.preview.length, 3);
    assert.ok(result.stats.trainedTokens > 0 && result.stats.trainedTokens < result.stats.tokens);
  });

  it('refuses a job whose rows would train zero tokens (every reply cut off by max_seq_length)', () => {
    const result = preflight(job(modelFolder(), '  max_seq_length: 16\n  eval: null\n'), { hardware: bigGpu });
    assert.equal(result.ok, false);
    assert.ok(codes(result.findings).includes('error:loss-mask-empty'), codes(result.findings).join());
    assert.ok(codes(result.findings).includes('warning:rows-overlong'));
  });

  it('refuses chat data on a base model without a chat template, naming ChatML; accepts it once data.chat_template is set', () => {
    const base = modelFolder((config) => delete config.chat_template);
    const refused = preflight(job(base, '  eval: null\n'), { hardware: bigGpu });
    assert.equal(refused.ok, false);
    const finding = refused.findings.find((item) => item.code === 'no-chat-template')!;
    assert.match(finding.action, /ChatML/);
    assert.equal(finding.location?.field, 'data.chat_template');
    const fixed = preflight(job(base, `  eval: null\n  chat_template: ${JSON.stringify(chatmlTemplate)}\n`), { hardware: bigGpu });
    assert.equal(fixed.ok, true, JSON.stringify(fixed.findings));
    assert.ok(fixed.stats.trainedTokens > 0);
  });

  it("blocks on the dataset validator's errors, located at the row, and shows its warnings", () => {
    const good = readFileSync(join(fixtures, 'persona-train.jsonl'), 'utf8');
    const bad = `${good}{"messages": [{"role": "user", "content": "Only a question?"}]}\n${good.split('\n')[0]}\n`;
    const result = preflight(job(modelFolder(), '  eval: null\n', { 'persona-train.jsonl': bad }), { hardware: bigGpu });
    assert.equal(result.ok, false);
    const error = result.findings.find((item) => item.code === 'dataset-error')!;
    assert.match(error.message, /no-assistant-message/);
    assert.equal(error.location?.line, 53);
    assert.ok(result.findings.some((item) => item.code === 'dataset-warning' && /duplicate/.test(item.message)));
  });

  it('says the trainer will pad with <|endoftext|> when the pad token is EOS', () => {
    const result = preflight(
      job(
        modelFolder((config) => (config.pad_token = '<|im_end|>')),
        '  eval: null\n',
      ),
      { hardware: bigGpu },
    );
    const finding = result.findings.find((item) => item.code === 'pad-token-is-eos')!;
    assert.equal(finding.severity, 'information');
    assert.match(finding.message, /pad with <\|endoftext\|> instead \(PAD_TOKEN_CHANGED\)/);
  });

  it("picks the pad token from the vocabulary in the trainer's order when EOS is <|endoftext|> (Qwen3 has a plain <unk>)", () => {
    const result = preflight(
      job(
        modelFolder((config) => Object.assign(config, { pad_token: '<|endoftext|>', eos_token: '<|endoftext|>' })),
        '  eval: null\n',
      ),
      { hardware: bigGpu },
    );
    const finding = result.findings.find((item) => item.code === 'pad-token-is-eos')!;
    assert.match(finding.message, /pad with <unk> instead/);
  });

  it('warns that EOS pads when the vocabulary has no other pad-like token', () => {
    const dir = modelFolder((config) => Object.assign(config, { pad_token: null, eos_token: '<|endoftext|>' }));
    const tokenizerFile = join(dir, 'tokenizer.json');
    const tokenizer = JSON.parse(readFileSync(tokenizerFile, 'utf8')) as { model: { vocab: Record<string, number> } };
    delete tokenizer.model.vocab['<unk>'];
    writeFileSync(tokenizerFile, JSON.stringify(tokenizer));
    const result = preflight(job(dir, '  eval: null\n'), { hardware: bigGpu });
    const finding = result.findings.find((item) => item.code === 'pad-token-is-eos')!;
    assert.equal(finding.severity, 'warning');
    assert.match(finding.message, /^The tokenizer has no pad token .*PAD_TOKEN_IS_EOS/);
  });

  it('refuses a Hub id that is not in the Hugging Face cache and says how to download it, without reading a folder of that name', () => {
    const result = preflight(job('chatwright-test/not-downloaded', '  eval: null\n'), { hardware: bigGpu });
    const finding = result.findings.find((item) => item.code === 'model-unreadable')!;
    assert.equal(result.ok, false);
    assert.match(finding.message, /^chatwright-test\/not-downloaded is a Hugging Face Hub id that is not in the local Hugging Face cache/);
    assert.match(finding.action, /chatwright models download chatwright-test\/not-downloaded --runtime python/);
    assert.deepEqual(finding.location, { file: 'chatwright-test/not-downloaded', field: 'model.path' });
  });

  it('refuses a job that does not fit the GPU and names the smaller batch that does', () => {
    const smallGpu: Hardware = { ...bigGpu, gpus: [{ name: 'T4', memoryBytes: 4 * gib, freeBytes: undefined }] };
    const result = preflight(job(modelFolder(), '  eval: null\ntraining: { per_device_batch_size: 4, gradient_checkpointing: true }\n'), { hardware: smallGpu });
    const finding = result.findings.find((item) => item.code === 'memory-does-not-fit')!;
    assert.equal(result.ok, false);
    assert.match(finding.action, /per_device_batch_size: 1 with gradient_accumulation_steps: 4/);
  });

  it('suggests QLoRA when a 7B-shaped model in bf16 does not fit even at batch 1', () => {
    const dir = modelFolder();
    writeFileSync(
      join(dir, 'config.json'),
      JSON.stringify({
        model_type: 'qwen2',
        hidden_size: 3584,
        num_hidden_layers: 28,
        num_attention_heads: 28,
        num_key_value_heads: 4,
        intermediate_size: 18944,
        vocab_size: 152064,
        max_position_embeddings: 32768,
        tie_word_embeddings: false,
      }),
    );
    const gpu: Hardware = { ...bigGpu, gpus: [{ name: 'RTX 4080', memoryBytes: 16 * gib, freeBytes: undefined }] };
    const result = preflight(job(dir, '  eval: null\n  max_seq_length: 512\n'), { hardware: gpu });
    const finding = result.findings.find((item) => item.code === 'memory-does-not-fit')!;
    assert.match(finding.action, /method\.type: qlora/);
  });

  it("warns when the adapter rank is over the server's max_lora_rank (vLLM's 16 by default)", () => {
    const result = preflight(job(modelFolder(), '  eval: null\nmethod: { lora: { r: 64, alpha: 128 } }\n'), { hardware: bigGpu });
    const finding = result.findings.find((item) => item.code === 'rank-over-server-max')!;
    assert.match(finding.message, /rank 64 is over the serving limit of 16/);
    assert.match(finding.action, /--max-lora-rank 64/);
    assert.equal(
      preflight(job(modelFolder(), '  eval: null\nmethod: { lora: { r: 64, alpha: 128 } }\n'), { hardware: bigGpu, serverMaxLoraRank: 64 }).findings.some(
        (item) => item.code === 'rank-over-server-max',
      ),
      false,
    );
  });

  it("refuses a chat template that rewrites earlier turns, as the trainer's TEMPLATE_INCOMPATIBLE", () => {
    const rewriting =
      '{% for m in messages %}{% if loop.last %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% else %}[{{ m.role }}] {{ m.content }}\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';
    const result = preflight(job(modelFolder(), `  eval: null\n  chat_template: ${JSON.stringify(rewriting)}\n`), { hardware: bigGpu });
    const finding = result.findings.find((item) => item.code === 'template-incompatible')!;
    assert.equal(finding.severity, 'error');
    assert.match(finding.message, /^52 of 52 rows cannot be matched/);
  });
});

/** A model folder shaped like a 7B model (Qwen2.5-7B's config): about 15 GiB of bf16 weights. */
function sevenBModel(): string {
  const dir = modelFolder();
  writeFileSync(
    join(dir, 'config.json'),
    JSON.stringify({
      model_type: 'qwen2',
      hidden_size: 3584,
      num_hidden_layers: 28,
      num_attention_heads: 28,
      num_key_value_heads: 4,
      intermediate_size: 18944,
      vocab_size: 152064,
      max_position_embeddings: 32768,
      tie_word_embeddings: false,
    }),
  );
  return dir;
}

const gpus = (count: number, name: string, memory: number): Hardware => ({ ...bigGpu, gpus: Array.from({ length: count }, () => ({ name, memoryBytes: memory * gib, freeBytes: undefined })) });
const withAccelerate = { torch: { ok: true, version: '2.5.1' }, accelerate: { ok: true, version: '1.2.0' }, deepspeed: { ok: false, version: null } };

function finding(findings: readonly PreflightFinding[], code: string): PreflightFinding | undefined {
  return findings.find((item) => item.code === code);
}

describe('preflight of a job target', () => {
  it('refuses a batch the GPUs cannot share, at training.per_device_batch_size, with what to write', () => {
    const config = job(modelFolder(), '  eval: null\ntarget: { gpus: 4 }\ntraining: { per_device_batch_size: 2, gradient_accumulation_steps: 3 }\n');
    const result = preflight(config, { hardware: gpus(4, 'H100', 80), packages: withAccelerate });
    assert.equal(result.ok, false);
    const refused = finding(result.findings, 'batch-not-divisible')!;
    assert.equal(refused.severity, 'error');
    assert.equal(refused.location?.field, 'training.per_device_batch_size');
    assert.match(refused.message, /With 4 GPUs .* it must be a multiple of 4\. Write an effective batch of 4 \(per_device_batch_size: 2, gradient_accumulation_steps: 2\) or 8/);
  });

  it('says how the effective batch is kept over 4 GPUs', () => {
    const config = job(modelFolder(), '  eval: null\ntarget: { gpus: 4 }\ntraining: { per_device_batch_size: 2, gradient_accumulation_steps: 8 }\n');
    const result = preflight(config, { hardware: gpus(4, 'H100', 80), packages: withAccelerate });
    assert.equal(result.ok, true, JSON.stringify(result.findings));
    const said = finding(result.findings, 'batch-resplit')!;
    assert.equal(said.severity, 'information');
    assert.match(said.message, /^effective batch 16 kept: 2 per GPU × 2 steps × 4 GPUs \(the job file says 2 × 8 on one device\)/);
    // One process says nothing about the batch.
    assert.equal(finding(preflight(job(modelFolder(), '  eval: null\ntraining: { gradient_accumulation_steps: 8 }\n'), { hardware: bigGpu }).findings, 'batch-resplit'), undefined);
  });

  it('refuses more local GPUs than the machine shows, only when the GPUs are known', () => {
    const config = job(modelFolder(), '  eval: null\ntarget: { gpus: 4 }\n');
    const refused = finding(preflight(config, { hardware: gpus(2, 'A100', 80), packages: withAccelerate }).findings, 'target-gpus-unavailable')!;
    assert.equal(refused.severity, 'error');
    assert.equal(refused.location?.field, 'target.gpus');
    assert.match(refused.message, /asks for 4 GPUs and this machine shows 2: A100, A100/);
    assert.match(refused.action, /target\.gpus to 2 or less/);
    assert.equal(finding(preflight(config, { packages: withAccelerate }).findings, 'target-gpus-unavailable'), undefined);
    // The default single process on a machine without a GPU is today's job, not a target problem.
    const noGpu = { ...bigGpu, gpus: [] };
    assert.equal(finding(preflight(job(modelFolder(), '  eval: null\n'), { hardware: noGpu }).findings, 'target-gpus-unavailable'), undefined);
  });

  it('refuses several processes without accelerate, and DeepSpeed strategies without deepspeed, with the install command', () => {
    const folder = modelFolder();
    const noAccelerate = preflight(job(folder, '  eval: null\ntarget: { gpus: 2 }\n'), {
      hardware: gpus(2, 'A100', 80),
      packages: { torch: { ok: true, version: '2.5.1' } },
      python: '/venv/bin/python',
    });
    const missing = finding(noAccelerate.findings, 'target-package-missing')!;
    assert.equal(missing.severity, 'error');
    assert.match(missing.message, /lacks accelerate \(2 processes are started through accelerate launch\)/);
    assert.equal(missing.action, 'Install it: "/venv/bin/python" -m pip install "accelerate"');
    const zero3 = preflight(job(folder, '  eval: null\ntarget: { gpus: 2, strategy: deepspeed_zero3 }\n'), { hardware: gpus(2, 'A100', 80), packages: withAccelerate });
    assert.match(finding(zero3.findings, 'target-package-missing')!.message, /lacks deepspeed \(the deepspeed_zero3 strategy runs on DeepSpeed\)/);
    assert.equal(finding(zero3.findings, 'target-package-missing')!.location?.field, 'target.strategy');
    // One process ignores the strategy, and without the probe's packages nothing is claimed.
    assert.equal(finding(preflight(job(folder, '  eval: null\ntarget: { strategy: deepspeed_zero3 }\n'), { hardware: bigGpu, packages: {} }).findings, 'target-package-missing'), undefined);
    assert.equal(finding(preflight(job(folder, '  eval: null\ntarget: { gpus: 2 }\n'), { hardware: gpus(2, 'A100', 80) }).findings, 'target-package-missing'), undefined);
  });

  it('refuses QLoRA sharded by ZeRO-3 or FSDP, and explains why; QLoRA with ddp or ZeRO-2 runs', () => {
    const folder = modelFolder();
    for (const strategy of ['deepspeed_zero3', 'fsdp']) {
      const result = preflight(job(folder, `  eval: null\nmethod: { type: qlora }\ntarget: { gpus: 2, strategy: ${strategy} }\n`), { hardware: gpus(2, 'A100', 80) });
      const refused = finding(result.findings, 'target-strategy-unsupported')!;
      assert.equal(refused.severity, 'error', strategy);
      assert.equal(refused.location?.field, 'target.strategy');
      assert.match(refused.message, /bnb_4bit_quant_storage/);
      assert.match(refused.action, /ddp or deepspeed_zero2 with QLoRA/);
    }
    for (const strategy of ['ddp', 'deepspeed_zero2'])
      assert.equal(
        finding(
          preflight(job(folder, `  eval: null\nmethod: { type: qlora }\ntarget: { gpus: 2, strategy: ${strategy} }\n`), { hardware: gpus(2, 'A100', 80) }).findings,
          'target-strategy-unsupported',
        ),
        undefined,
      );
    assert.equal(finding(preflight(job(folder, '  eval: null\nmethod: { type: qlora }\ntarget: { strategy: fsdp }\n'), { hardware: bigGpu }).findings, 'target-strategy-unsupported'), undefined);
  });

  it('judges memory per GPU: a 7B model in bf16 fits 4 × 16 GiB with ZeRO-3 or FSDP, not with DDP', () => {
    const folder = sevenBModel();
    const hardware = gpus(4, 'V100', 16);
    const extra = (strategy: string): string =>
      `  eval: null\n  max_seq_length: 512\ntarget: { gpus: 4, strategy: ${strategy} }\ntraining: { per_device_batch_size: 1, gradient_accumulation_steps: 4, gradient_checkpointing: true }\n`;
    const ddp = preflight(job(folder, extra('ddp')), { hardware });
    const refused = finding(ddp.findings, 'memory-does-not-fit')!;
    assert.ok(refused, JSON.stringify(ddp.findings));
    assert.match(refused.message, /V100, 16 GiB/);
    for (const strategy of ['deepspeed_zero3', 'fsdp']) {
      const sharded = preflight(job(folder, extra(strategy)), { hardware });
      assert.equal(finding(sharded.findings, 'memory-does-not-fit'), undefined, `${strategy}: ${JSON.stringify(sharded.findings)}`);
      assert.equal(finding(sharded.findings, 'memory-tight'), undefined, strategy);
    }
  });

  it('keeps the single-GPU estimate unchanged, and shards only what each strategy shards', () => {
    const estimate = {
      scenario: 'lora' as const,
      variant: 'LoRA r16 bf16',
      device: 'gpu' as const,
      tokens: 512,
      batch: 1,
      bytes: 0,
      breakdown: { weights: 1600, kvCache: 0, activations: 100, trainingState: 160, overhead: 0 },
    };
    assert.equal(shardEstimate(estimate, undefined, 1), estimate);
    assert.equal(shardEstimate(estimate, 'ddp', 4), estimate);
    assert.deepEqual([shardEstimate(estimate, 'deepspeed_zero2', 4).breakdown.weights, shardEstimate(estimate, 'deepspeed_zero2', 4).breakdown.trainingState], [1600, 20 + 35]);
    assert.deepEqual([shardEstimate(estimate, 'fsdp', 4).breakdown.weights, shardEstimate(estimate, 'deepspeed_zero3', 4).breakdown.trainingState], [400, 40]);
    assert.equal(shardEstimate(estimate, 'fsdp', 4).breakdown.activations, 100);
  });

  it("says what it cannot check for Slurm, and judges memory only by the GPU type the job names, never by the login node's GPU", () => {
    const folder = sevenBModel();
    const loginNode = gpus(1, 'T4', 16);
    const extra = (slurm: string): string =>
      `  eval: null\n  max_seq_length: 512\ntarget: { type: slurm, gpus: 1, slurm: { ${slurm} } }\ntraining: { per_device_batch_size: 1, gradient_checkpointing: true }\n`;
    const unnamed = preflight(job(folder, extra('nodes: 1')), { hardware: loginNode, packages: {} });
    assert.deepEqual(
      codes(unnamed.findings).filter((code) => code.includes('memory') || code.includes('target')),
      ['information:target-not-checked'],
    );
    const said = finding(unnamed.findings, 'target-not-checked')!;
    assert.match(
      said.message,
      /cannot check the compute nodes' Python environment \(the interpreter the job starts with needs torch, transformers, peft\) nor their GPU memory: the login node's GPU says nothing/,
    );
    assert.equal(said.location?.field, 'target.slurm');
    const small = preflight(job(folder, extra('gpu_type: t4')), { hardware: loginNode });
    assert.match(finding(small.findings, 'memory-does-not-fit')!.message, /t4 \(target\.slurm\.gpu_type\), 16 GiB/);
    assert.match(finding(small.findings, 'target-not-checked')!.message, /judged for t4 with 16 GiB per GPU/);
    const large = preflight(job(folder, extra('gpu_type: a100_80gb')), { hardware: loginNode });
    assert.equal(finding(large.findings, 'memory-does-not-fit'), undefined);
    assert.equal(finding(large.findings, 'memory-tight'), undefined);
  });

  it('knows the memory of common Slurm GPU type names, a size in the name first', () => {
    assert.deepEqual(gpuTypeMemory('a100_80gb'), { name: 'a100_80gb', gib: 80 });
    assert.deepEqual(gpuTypeMemory('a100'), { name: 'a100', gib: 40 });
    assert.deepEqual(gpuTypeMemory('nvidia_h100_80gb_hbm3'), { name: 'nvidia_h100_80gb_hbm3', gib: 80 });
    assert.deepEqual(gpuTypeMemory('h200'), { name: 'h200', gib: 141 });
    assert.equal(gpuTypeMemory('gpu'), undefined);
  });

  it('reads a size only where it stands apart from the model name, and knows each family', () => {
    const cases: [string, number][] = [
      ['a10g', 24],
      ['nvidia_a10g', 24],
      ['l4', 24],
      ['l40s', 48],
      ['t4', 16],
      ['tesla_t4', 16],
      ['v100', 16],
      ['v100_32gb', 32],
      ['a100', 40],
      ['a100-40g', 40],
      ['a100_80gb', 80],
      ['h100', 80],
      ['H100 80GB', 80],
      ['h200', 141],
    ];
    for (const [type, gib] of cases) assert.equal(gpuTypeMemory(type)?.gib, gib, type);
  });

  it('warns when the trainer would be told to save right after it starts (the signal may come 60 s early)', () => {
    const folder = sevenBModel();
    const slurmJob = (slurm: string): ResolvedJobConfig =>
      job(folder, `  eval: null\n  max_seq_length: 512\ntarget: { type: slurm, gpus: 1, slurm: { gpu_type: h100, ${slurm} } }\ntraining: { per_device_batch_size: 1 }\n`);
    const early = finding(preflight(slurmJob('time: "5", save_before_limit_seconds: 240')).findings, 'slurm-save-signal-at-start');
    assert.equal(early?.severity, 'warning');
    assert.match(early.message, /save and stop 240 s before the time limit of 5 \(300 s\).*up to 60 s early/);
    assert.match(early.action, /below 240/);
    assert.equal(early.location?.field, 'target.slurm.save_before_limit_seconds');
    assert.equal(finding(preflight(slurmJob('time: "6", save_before_limit_seconds: 240')).findings, 'slurm-save-signal-at-start'), undefined);
    assert.ok(finding(preflight(slurmJob('time: "01:00:00", save_before_limit_seconds: 3540')).findings, 'slurm-save-signal-at-start'));
    assert.equal(finding(preflight(slurmJob('time: "01:00:00"')).findings, 'slurm-save-signal-at-start'), undefined);
  });
});
