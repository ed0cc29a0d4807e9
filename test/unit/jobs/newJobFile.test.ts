import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseDocument } from 'yaml';
import { resolveJobText } from '../../../src/core/jobs/jobFile';
import { jobFileHover } from '../../../src/core/jobs/jobFileFeatures';
import { defaultLearningRate } from '../../../src/core/jobs/jobFields';
import { defaultTarget } from '../../../src/core/jobs/jobTarget';
import { newJobFileText } from '../../../src/core/jobs/newJobFile';
import { scratchDir } from '../../support/scratchDir';

function jobFolder(): string {
  const dir = scratchDir('newjob');
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'models', 'tiny'), { recursive: true });
  writeFileSync(join(dir, 'data', 'train.jsonl'), '{"text": "hello"}\n');
  writeFileSync(join(dir, 'data', 'held-out.jsonl'), '{"text": "hello"}\n');
  return dir;
}

describe('new job file', () => {
  it('a LoRA job resolves to the answers, relative paths against the job file, and the rest at the defaults', () => {
    const dir = jobFolder();
    const text = newJobFileText({
      name: 'support bot',
      model: './models/tiny',
      train: 'data/train.jsonl',
      eval: 'data/held-out.jsonl',
      method: 'lora',
      r: 8,
      alpha: 24,
      epochs: 2,
      learningRate: 1e-4,
      maxSeqLength: 1024,
    });
    const result = resolveJobText(text, join(dir, 'support.job.yaml'));
    assert.deepEqual(result.problems, []);
    const config = result.config!;
    assert.equal(result.name, 'support bot');
    assert.equal(config.model.path, join(dir, 'models', 'tiny'));
    assert.equal(config.data.train, join(dir, 'data', 'train.jsonl'));
    assert.equal(config.data.eval, join(dir, 'data', 'held-out.jsonl'));
    assert.equal(config.data.max_seq_length, 1024);
    assert.deepEqual([config.method.type, config.method.lora.r, config.method.lora.alpha, config.method.lora.target_modules], ['lora', 8, 24, 'all-linear']);
    assert.deepEqual([config.training.epochs, config.training.learning_rate], [2, 1e-4]);
    assert.equal(config.training.lr_scheduler, 'cosine');
    assert.equal(config.method.prompt_tuning.num_virtual_tokens, 20);
    // Written as given: the file stays valid when the folder moves.
    assert.match(text, /^ {2}path: \.\/models\/tiny$/m);
  });

  it("a prompt tuning job with the fewest answers gets its method's learning rate, shown but not pinned", () => {
    const dir = jobFolder();
    const text = newJobFileText({ model: 'Qwen/Qwen3-0.6B', train: join(dir, 'data', 'train.jsonl'), method: 'prompt_tuning', virtualTokens: 12 });
    const result = resolveJobText(text, join(dir, 'persona.job.yaml'));
    assert.deepEqual(result.problems, []);
    assert.equal(result.name, 'persona');
    assert.equal(result.config!.model.path, 'Qwen/Qwen3-0.6B');
    assert.equal(result.config!.data.train, join(dir, 'data', 'train.jsonl'));
    assert.equal(result.config!.data.eval, 'auto');
    assert.equal(result.config!.method.prompt_tuning.num_virtual_tokens, 12);
    assert.equal(result.config!.training.learning_rate, defaultLearningRate.prompt_tuning);
    assert.match(text, /^ {2}# learning_rate: 0\.03$/m);
    assert.doesNotMatch(text, /^\s*lora:/m);
  });

  it("a QLoRA job writes the QLoRA paper's quantization, and alpha follows a given rank", () => {
    const dir = jobFolder();
    const text = newJobFileText({ model: './models/tiny', train: 'data/train.jsonl', method: 'qlora', r: 32 });
    const config = resolveJobText(text, join(dir, 'q.job.yaml')).config!;
    assert.deepEqual(config.method.quantization, { quant_type: 'nf4', double_quant: true, compute_dtype: 'bfloat16' });
    assert.deepEqual([config.method.lora.r, config.method.lora.alpha], [32, 64]);
    assert.match(text, /^ {2}# learning_rate: 2\.0e-4$/m);
  });

  it('values YAML would misread are quoted', () => {
    const dir = jobFolder();
    const text = newJobFileText({ name: 'yes: no # not a comment', model: './models/tiny', train: 'data/train.jsonl', method: 'lora' });
    assert.equal(resolveJobText(text, join(dir, 'a.job.yaml')).name, 'yes: no # not a comment');
  });

  it('every key has a comment above it saying what it is and where its default comes from', () => {
    const text = newJobFileText({ model: 'Qwen/Qwen3-0.6B', train: 'data/train.jsonl', method: 'qlora' });
    const lines = text.split('\n');
    const keyLines = lines.map((line, index) => ({ line, index })).filter(({ line }) => /^\s*[a-z_]+:/.test(line));
    assert.ok(keyLines.length >= 20);
    for (const { line, index } of keyLines) assert.match(lines[index - 1]!, /^\s*# /, `no comment above ${line}`);
    const commentAbove = (key: string): string => {
      const index = lines.findIndex((line) => line.trimStart().startsWith(`${key}:`));
      const block: string[] = [];
      for (let at = index - 1; at >= 0 && lines[at]!.trimStart().startsWith('#'); at--) block.unshift(lines[at]!.trim().slice(2));
      return block.join(' ');
    };
    assert.match(commentAbove('r'), /Default 16: .*vLLM.*PEFT's LoraConfig default \(8\)/);
    assert.match(commentAbove('epochs'), /transformers' Trainer default/);
    assert.match(commentAbove('quant_type'), /the QLoRA paper's/);
    assert.ok(
      lines.every((line) => line.length <= 120),
      'comments are wrapped',
    );
    // The comments are comments: the parsed document holds only the job.
    assert.deepEqual(Object.keys(parseDocument(text).toJS() as object), ['model', 'data', 'method', 'training']);
  });

  it("the editor's hover on a written key says the same default and source", () => {
    const text = newJobFileText({ model: 'Qwen/Qwen3-0.6B', train: 'data/train.jsonl', method: 'lora' });
    const line = text.split('\n').findIndex((candidate) => candidate.trimStart().startsWith('warmup_ratio:'));
    const hover = jobFileHover(text, { line, character: 4 })!;
    assert.match(hover.markdown, /default `0\.03`/);
    assert.match(hover.markdown, /QLoRA paper's and Stanford Alpaca's scripts/);
  });

  it('a job for this machine with one process gets no target section: the default target', () => {
    const dir = jobFolder();
    const text = newJobFileText({ model: './models/tiny', train: 'data/train.jsonl', method: 'lora', target: { type: 'local', gpus: 1 } });
    assert.doesNotMatch(text, /^target:/m);
    assert.deepEqual(resolveJobText(text, join(dir, 'a.job.yaml')).config!.target, defaultTarget);
  });

  it('a job on 4 GPUs of this machine resolves to a local target with its strategy, the rest at the defaults', () => {
    const dir = jobFolder();
    const text = newJobFileText({ model: './models/tiny', train: 'data/train.jsonl', method: 'lora', target: { type: 'local', gpus: 4, strategy: 'deepspeed_zero3' } });
    const result = resolveJobText(text, join(dir, 'a.job.yaml'));
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.config!.target, { ...defaultTarget, gpus: 4, strategy: 'deepspeed_zero3' });
    assert.doesNotMatch(text, /^ {2}slurm:/m);
  });

  it('a Slurm job resolves to its partition, nodes, GPUs per node and time; setup is shown commented out', () => {
    const dir = jobFolder();
    const text = newJobFileText({
      model: './models/tiny',
      train: 'data/train.jsonl',
      method: 'lora',
      target: { type: 'slurm', gpus: 4, strategy: 'fsdp', partition: 'gpu', nodes: 2, time: '1-12:00:00' },
    });
    const result = resolveJobText(text, join(dir, 'a.job.yaml'));
    assert.deepEqual(result.problems, []);
    const target = result.config!.target;
    assert.deepEqual([target.type, target.gpus, target.strategy], ['slurm', 4, 'fsdp']);
    assert.deepEqual(target.slurm, { ...defaultTarget.slurm, partition: 'gpu', nodes: 2, time: '1-12:00:00' });
    assert.match(text, /^ {4}time: "1-12:00:00"$/m);
    assert.match(text, /^ {4}# setup: \["module load cuda", "source \$HOME\/venvs\/chatwright\/bin\/activate"\]$/m);
    // The commented-out line is valid YAML once uncommented.
    const uncommented = text.replace(/^ {4}# setup:/m, '    setup:');
    assert.deepEqual(resolveJobText(uncommented, join(dir, 'a.job.yaml')).config!.target.slurm.setup, ['module load cuda', 'source $HOME/venvs/chatwright/bin/activate']);
  });

  it("a Slurm job with the fewest answers takes the cluster's default partition and one process writes no strategy", () => {
    const dir = jobFolder();
    const text = newJobFileText({ model: './models/tiny', train: 'data/train.jsonl', method: 'lora', target: { type: 'slurm', gpus: 0 } });
    const result = resolveJobText(text, join(dir, 'a.job.yaml'));
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.config!.target, { ...defaultTarget, type: 'slurm', gpus: 0 });
    assert.match(text, /^ {4}partition: null$/m);
    assert.doesNotMatch(text, /strategy:/);
    const lines = text.split('\n');
    const keyLines = lines.map((line, index) => ({ line, index })).filter(({ line }) => /^\s*[a-z_]+:/.test(line));
    for (const { line, index } of keyLines) assert.match(lines[index - 1]!, /^\s*# /, `no comment above ${line}`);
  });
});
