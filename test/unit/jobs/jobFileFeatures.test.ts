import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { jobFileCompletions, jobFileDiagnostics, jobFileHover, jobFileReferences, type JobTextPosition } from '../../../src/core/jobs/jobFileFeatures';
import { jobRules, type FieldRule, type SectionRule } from '../../../src/core/jobs/jobFields';
import { serverDocumentFilters } from '../../../src/shared/languageServerProtocol';
import { scratchDir } from '../../support/scratchDir';

/** A job folder: two datasets, an empty one, a folder where a dataset should be, a model folder and a bare folder. */
function jobFolder(): string {
  const dir = scratchDir('jobfeatures');
  mkdirSync(join(dir, 'data', 'nested'), { recursive: true });
  writeFileSync(join(dir, 'data', 'chat-train.jsonl'), '{"text": "hello"}\n');
  writeFileSync(join(dir, 'data', 'chat-valid.jsonl'), '{"text": "hello"}\n');
  writeFileSync(join(dir, 'data', 'empty.jsonl'), '');
  mkdirSync(join(dir, 'models', 'tiny'), { recursive: true });
  writeFileSync(join(dir, 'models', 'tiny', 'config.json'), '{}');
  writeFileSync(join(dir, 'models', 'tiny', 'tokenizer.json'), '{}');
  mkdirSync(join(dir, 'models', 'bare'), { recursive: true });
  return dir;
}

/** The position of the `occurrence`-th `needle` in `text`, plus `delta` characters. */
function at(text: string, needle: string, delta = 0): JobTextPosition {
  const offset = text.indexOf(needle) + delta;
  assert.ok(offset >= delta, `${needle} not in the text`);
  const before = text.slice(0, offset).split('\n');
  return { line: before.length - 1, character: before[before.length - 1]!.length };
}

function textIn(text: string, range: { start: JobTextPosition; end: JobTextPosition }): string {
  const lines = text.split('\n');
  assert.equal(range.start.line, range.end.line, 'a single-line range');
  return lines[range.start.line]!.slice(range.start.character, range.end.character);
}

const validJob = 'model:\n  path: ./models/tiny\ndata:\n  train: data/chat-train.jsonl\nmethod:\n  type: lora\n  lora:\n    r: 16\ntraining:\n  lr_scheduler: linear\n';

describe('job file diagnostics', () => {
  it('a valid job has none', () => {
    const dir = jobFolder();
    assert.deepEqual(jobFileDiagnostics(validJob, join(dir, 'a.job.yaml')), []);
  });

  it('marks a value out of bounds on the value itself: method.lora.r: 0', () => {
    const dir = jobFolder();
    const text = validJob.replace('r: 16', 'r: 0');
    const [problem, ...others] = jobFileDiagnostics(text, join(dir, 'a.job.yaml'));
    assert.deepEqual(others, []);
    assert.equal(problem!.severity, 'error');
    assert.equal(problem!.path, 'method.lora.r');
    assert.match(problem!.message, /^method\.lora\.r: must be at least 1, got 0$/);
    assert.deepEqual(problem!.range.start, at(text, 'r: 0', 3));
    assert.equal(textIn(text, problem!.range), '0');
  });

  it('marks an unknown key on the key and suggests the known one', () => {
    const dir = jobFolder();
    const text = validJob.replace('r: 16', 'r: 16\n    alhpa: 32');
    const [problem] = jobFileDiagnostics(text, join(dir, 'a.job.yaml'));
    assert.equal(textIn(text, problem!.range), 'alhpa');
    assert.match(problem!.message, /did you mean 'alpha'/);
  });

  it('marks a missing required field on the key of its section', () => {
    const dir = jobFolder();
    const text = 'model:\n  path: ./models/tiny\ndata:\n  format: text\n';
    const [problem] = jobFileDiagnostics(text, join(dir, 'a.job.yaml'));
    assert.equal(problem!.path, 'data.train');
    assert.equal(textIn(text, problem!.range), 'data');
  });

  it('marks the required field of a section written empty on the section key', () => {
    const dir = jobFolder();
    const text = 'model:\n  path: ./models/tiny\ndata:\n';
    const problems = jobFileDiagnostics(text, join(dir, 'a.job.yaml'));
    assert.deepEqual(
      problems.map((problem) => [problem.message, textIn(text, problem.range)]),
      [['data.train: is required', 'data']],
    );
  });

  it('marks a missing dataset file on the path', () => {
    const dir = jobFolder();
    const text = validJob.replace('chat-train.jsonl', 'nope.jsonl');
    const [problem] = jobFileDiagnostics(text, join(dir, 'a.job.yaml'));
    assert.equal(textIn(text, problem!.range), 'data/nope.jsonl');
    assert.match(problem!.message, /does not exist/);
  });

  it('reports a dataset that is a folder, an empty dataset, and an eval set that is the training set', () => {
    const dir = jobFolder();
    const folder = jobFileDiagnostics(validJob.replace('data/chat-train.jsonl', 'data/nested'), join(dir, 'a.job.yaml'));
    assert.equal(folder.length, 1);
    assert.match(folder[0]!.message, /^data\.train: .*nested is a folder/);
    const empty = jobFileDiagnostics(validJob.replace('chat-train.jsonl', 'empty.jsonl'), join(dir, 'a.job.yaml'));
    assert.match(empty[0]!.message, /is empty: there are no rows to train on/);
    assert.equal(empty[0]!.severity, 'error');
    const text = validJob.replace('train: data/chat-train.jsonl', 'train: data/chat-train.jsonl\n  eval: ./data/chat-train.jsonl');
    const same = jobFileDiagnostics(text, join(dir, 'a.job.yaml'));
    assert.equal(same.length, 1);
    assert.equal(same[0]!.severity, 'warning');
    assert.equal(same[0]!.path, 'data.eval');
    assert.equal(textIn(text, same[0]!.range), './data/chat-train.jsonl');
  });

  it('warns for a model folder transformers cannot load, and a resume checkpoint that is not there', () => {
    const dir = jobFolder();
    const text = validJob.replace('./models/tiny', './models/bare').replace('lr_scheduler: linear', 'resume: runs/checkpoint-9');
    const problems = jobFileDiagnostics(text, join(dir, 'a.job.yaml'));
    assert.deepEqual(
      problems.map((problem) => [problem.path, problem.severity, textIn(text, problem.range)]),
      [
        ['model.path', 'warning', './models/bare'],
        ['training.resume', 'error', 'runs/checkpoint-9'],
      ],
    );
    assert.match(problems[0]!.message, /has no config\.json/);
  });

  it('turns YAML being typed into a located syntax error', () => {
    const dir = jobFolder();
    const text = 'model:\n  path: "./models/tiny\ndata:\n  train: data/chat-train.jsonl\n';
    const problems = jobFileDiagnostics(text, join(dir, 'a.job.yaml'));
    assert.ok(problems.length > 0);
    assert.ok(problems.every((problem) => problem.severity === 'error' && problem.path === ''));
    assert.ok(problems[0]!.range.start.line >= 1, 'located at the broken string, not at the top');
  });

  it('a cross-field rule is marked on the field that decides it', () => {
    const dir = jobFolder();
    const text = validJob.replace('  type: lora\n  lora:\n    r: 16\n', '  type: prompt_tuning\n  prompt_tuning:\n    init: text\n');
    const [problem] = jobFileDiagnostics(text, join(dir, 'a.job.yaml'));
    assert.equal(problem!.path, 'method.prompt_tuning.init_text');
    assert.equal(textIn(text, problem!.range), 'text');
  });

  it('marks a refused #SBATCH option on its own line of the list, and a bad Slurm time on the value', () => {
    const dir = jobFolder();
    const text = `${validJob}target:\n  type: slurm\n  slurm:\n    time: 8 hours\n    sbatch:\n      - --mail-type=END\n      - --time=10\n`;
    const diagnostics = jobFileDiagnostics(text, join(dir, 'a.job.yaml'));
    assert.deepEqual(
      diagnostics.map((diagnostic) => [diagnostic.path, textIn(text, diagnostic.range)]),
      [
        ['target.slurm.time', '8 hours'],
        ['target.slurm.sbatch', '--time=10'],
      ],
    );
    assert.match(diagnostics[1]!.message, /Chatwright sets --time\/-t itself; use `target\.slurm\.time`/);
  });

  it('no prefix of a job file (one being typed) makes diagnostics, hover or completion throw', () => {
    const dir = jobFolder();
    const full = `${validJob}  epochs: 2\noutput:\n  merge: true\ntarget:\n  type: slurm\n  gpus: 2\n  slurm:\n    time: "1-00"\n    sbatch: [--mail-type=END]\n    setup:\n      - module load cuda\n`;
    const jsonFull = JSON.stringify({ model: { path: './models/tiny' }, data: { train: 'data/chat-train.jsonl' }, method: { type: 'lora', lora: { r: 8 } } }, null, 2);
    for (const [text, file] of [
      [full, join(dir, 'a.job.yaml')],
      [jsonFull, join(dir, 'a.job.json')],
    ] as const) {
      for (let length = 0; length <= text.length; length++) {
        const prefix = text.slice(0, length);
        const lines = prefix.split('\n');
        const end = { line: lines.length - 1, character: lines[lines.length - 1]!.length };
        for (const diagnostic of jobFileDiagnostics(prefix, file)) assert.ok(diagnostic.range.start.line <= end.line, `${JSON.stringify(prefix)}: inside the text`);
        jobFileHover(prefix, end);
        jobFileHover(prefix, { line: end.line, character: Math.max(0, end.character - 1) });
        jobFileCompletions(prefix, file, end);
      }
    }
  });
});

describe('what a job file depends on', () => {
  it('the datasets and local model it names, or the folder a missing one would appear in; never a Hub id', () => {
    const dir = jobFolder();
    const text = 'model:\n  path: Qwen/Qwen3-0.6B\ndata:\n  train: data/chat-train.jsonl\n  eval: data/later.jsonl\n';
    assert.deepEqual(jobFileReferences(text, join(dir, 'a.job.yaml')).sort(), [join(dir, 'data'), join(dir, 'data', 'chat-train.jsonl')]);
    assert.deepEqual(jobFileReferences('model:\n  path: ./models/tiny\n', join(dir, 'a.job.yaml')), [join(dir, 'models', 'tiny')]);
    assert.deepEqual(jobFileReferences('model: [', join(dir, 'a.job.yaml')), []);
  });
});

describe('job file hover', () => {
  it('on a key: type, bounds, the default and where the default comes from', () => {
    const hover = jobFileHover(validJob, at(validJob, 'r: 16'))!;
    assert.equal(textIn(validJob, hover.range), 'r');
    assert.match(hover.markdown, /`method\.lora\.r`/);
    assert.match(hover.markdown, /integer ≥ 1, ≤ 4096/);
    assert.match(hover.markdown, /default `16`/);
    assert.match(hover.markdown, /vLLM serves without raising its `max_lora_rank`/);
    assert.match(hover.markdown, /PEFT's LoraConfig default \(8\)/);
  });

  it('on learning_rate: the default of each method and its source', () => {
    const text = 'training:\n  learning_rate: 0.001\n';
    const hover = jobFileHover(text, at(text, 'learning_rate'))!;
    assert.match(hover.markdown, /default `2e-4 \(lora\), 2e-4 \(qlora\), 0\.03 \(prompt_tuning\)`/);
    assert.match(hover.markdown, /the QLoRA paper's/);
  });

  it('on a section key: its description and fields', () => {
    const hover = jobFileHover(validJob, at(validJob, 'lora:'))!;
    assert.match(hover.markdown, /LoRA settings/);
    assert.match(hover.markdown, /Fields: `r`, `alpha`/);
  });

  it('on an enum value: what the choice means, beside the others', () => {
    const hover = jobFileHover(validJob, at(validJob, 'linear', 2))!;
    assert.equal(textIn(validJob, hover.range), 'linear');
    assert.match(hover.markdown, /^\*\*`linear`\*\* \(`training\.lr_scheduler`\): falls linearly to 0/);
    assert.match(hover.markdown, /`cosine` \(falls along a half cosine to 0\)/);
    const method = jobFileHover(validJob, at(validJob, 'type: lora', 7))!;
    assert.match(method.markdown, /`lora`\*\* \(`method\.type`, the default\): low-rank adapters/);
  });

  it('on a value that is not an enum: the field, and nothing on an unknown key', () => {
    const hover = jobFileHover(validJob, at(validJob, '16'))!;
    assert.match(hover.markdown, /`method\.lora\.r`/);
    assert.equal(jobFileHover('model:\n  colour: red\n', { line: 1, character: 3 }), undefined);
  });

  it('on a list of lines (target.slurm.sbatch) and on one of its lines: the field, what it refuses and its default', () => {
    const text = 'target:\n  type: slurm\n  slurm:\n    sbatch: ["--mail-type=END", "--constraint=ib"]\n    setup:\n      - module load cuda\n';
    const key = jobFileHover(text, at(text, 'sbatch'))!;
    assert.match(key.markdown, /`target\.slurm\.sbatch`\*\* — list of lines of text · default `\[\]`/);
    assert.match(key.markdown, /Refused, because Chatwright writes them or they would fight what it writes: .*--cpus-per-task, --mem.*--export.*--requeue/);
    const item = jobFileHover(text, at(text, 'constraint'))!;
    assert.equal(textIn(text, item.range), '"--constraint=ib"');
    assert.match(item.markdown, /`target\.slurm\.sbatch`/);
    const setup = jobFileHover(text, at(text, 'module load'))!;
    assert.match(setup.markdown, /your own shell code, run on the cluster under your account/);
  });

  it('on a target strategy: what it means and why ddp is the default', () => {
    const text = 'target:\n  gpus: 4\n  strategy: deepspeed_zero3\n';
    const value = jobFileHover(text, at(text, 'deepspeed_zero3'))!;
    assert.match(value.markdown, /\*\*`deepspeed_zero3`\*\* \(`target\.strategy`\): DeepSpeed ZeRO stage 3/);
    const key = jobFileHover(text, at(text, 'strategy'))!;
    assert.match(key.markdown, /Default `ddp`: with adapters the trainable weights/);
  });

  it('works in a JSON job file', () => {
    const text = '{\n  "method": {"lora": {"r": 8}}\n}';
    assert.match(jobFileHover(text, at(text, '"r"', 1))!.markdown, /default `16`/);
  });

  it('every field says where its default comes from (or that it has none)', () => {
    const walk = (section: SectionRule, path: string): string[] =>
      Object.entries(section.fields).flatMap(([key, rule]: [string, FieldRule | SectionRule]) =>
        rule.kind === 'section' ? walk(rule, `${path}${key}.`) : /Default|Required|No default|omitted/.test(rule.description) ? [] : [`${path}${key}`],
      );
    assert.deepEqual(walk(jobRules, ''), ['model.path']);
  });
});

describe('job file completion', () => {
  const file = (dir: string) => join(dir, 'a.job.yaml');

  it('offers the keys of the section at the cursor that are not there yet, with the default as a snippet', () => {
    const dir = jobFolder();
    const text = 'model:\n  path: x\nmethod:\n  lora:\n    r: 8\n    \n    dropout: 0.1\n';
    const items = jobFileCompletions(text, file(dir), { line: 5, character: 4 });
    const labels = items.map((item) => item.label);
    assert.deepEqual(labels.sort(), ['alpha', 'target_modules', 'use_dora', 'use_rslora']);
    const alpha = items.find((item) => item.label === 'alpha')!;
    assert.equal(alpha.insertText, 'alpha: ${1:32}');
    assert.ok(alpha.snippet);
    assert.match(alpha.documentation!, /Raschka/);
  });

  it('at the top level: the missing sections, required ones first, as a key and an indented line', () => {
    const dir = jobFolder();
    const text = 'model:\n  path: x\nd';
    const items = jobFileCompletions(text, file(dir), { line: 2, character: 1 });
    assert.deepEqual(items.map((item) => item.label).sort(), ['data', 'method', 'name', 'output', 'target', 'training']);
    const data = items.find((item) => item.label === 'data')!;
    assert.equal(data.insertText, 'data:\n  $0');
    assert.ok(data.sortText < items.find((item) => item.label === 'training')!.sortText);
    assert.deepEqual(data.range, { start: { line: 2, character: 0 }, end: { line: 2, character: 1 } });
  });

  it("learning_rate's snippet has the rate of the job's method", () => {
    const dir = jobFolder();
    const text = 'method:\n  type: prompt_tuning\ntraining:\n  ';
    const item = jobFileCompletions(text, file(dir), { line: 3, character: 2 }).find((candidate) => candidate.label === 'learning_rate')!;
    assert.equal(item.insertText, 'learning_rate: ${1:0.03}');
  });

  it('offers the choices of method.type, enums and booleans, the default first', () => {
    const dir = jobFolder();
    const method = jobFileCompletions('method:\n  type: ', file(dir), { line: 1, character: 8 });
    assert.deepEqual(
      method.map((item) => item.label),
      ['lora', 'qlora', 'prompt_tuning'],
    );
    assert.match(method.find((item) => item.label === 'qlora')!.documentation!, /4-bit NF4/);
    const sorted = (items: { label: string; sortText: string }[]) => [...items].sort((a, b) => a.sortText.localeCompare(b.sortText)).map((item) => item.label);
    assert.deepEqual(sorted(jobFileCompletions('method:\n  lora:\n    use_dora: ', file(dir), { line: 2, character: 14 })), ['false', 'true']);
    const noSpace = jobFileCompletions('training:\n  precision:', file(dir), { line: 1, character: 12 });
    assert.equal(noSpace.find((item) => item.label === 'bf16')!.insertText, ' bf16');
    const inside = jobFileCompletions('training:\n  precision: bf16 # fast', file(dir), { line: 1, character: 15 });
    assert.deepEqual(inside.find((item) => item.label === 'fp16')!.range, { start: { line: 1, character: 13 }, end: { line: 1, character: 17 } });
  });

  it('offers the .jsonl files near the job file for data.train and data.eval, the likely one first', () => {
    const dir = jobFolder();
    const sorted = (items: { label: string; sortText: string }[]) => [...items].sort((a, b) => a.sortText.localeCompare(b.sortText)).map((item) => item.label);
    const train = jobFileCompletions('data:\n  train: da', file(dir), { line: 1, character: 11 });
    assert.deepEqual(sorted(train), ['data/chat-train.jsonl', 'data/chat-valid.jsonl', 'data/empty.jsonl']);
    assert.deepEqual(train[0]!.range, { start: { line: 1, character: 9 }, end: { line: 1, character: 11 } });
    const evaluation = jobFileCompletions('data:\n  eval: ', file(dir), { line: 1, character: 8 });
    assert.deepEqual(sorted(evaluation).slice(0, 3), ['auto', 'data/chat-valid.jsonl', 'data/chat-train.jsonl']);
    assert.ok(sorted(evaluation).includes('null'));
  });

  it('offers the model folders near the job file and the cached Hub ids for model.path', () => {
    const dir = jobFolder();
    const items = jobFileCompletions('model:\n  path: ', file(dir), { line: 1, character: 8 }, { modelIds: ['Qwen/Qwen3-0.6B'] });
    assert.deepEqual(
      items.map((item) => [item.label, item.detail]),
      [
        ['./models/tiny', 'model folder'],
        ['Qwen/Qwen3-0.6B', 'in the Hugging Face cache'],
      ],
    );
  });

  it('offers the target keys, a list of lines with an empty list as its default, and null for a nullable integer', () => {
    const dir = jobFolder();
    const text = 'target:\n  type: slurm\n  slurm:\n    nodes: 2\n    \n';
    const items = jobFileCompletions(text, file(dir), { line: 4, character: 4 });
    assert.ok(['partition', 'time', 'sbatch', 'setup', 'python', 'cpus_per_task'].every((key) => items.some((item) => item.label === key)));
    assert.equal(items.find((item) => item.label === 'sbatch')!.insertText, 'sbatch: ${1:[]}');
    assert.equal(items.find((item) => item.label === 'time')!.insertText, 'time: ${1:04:00:00}');
    assert.match(items.find((item) => item.label === 'cpus_per_task')!.detail, /integer ≥ 1, ≤ 100000 or null · no default/);
    const value = jobFileCompletions('target:\n  slurm:\n    cpus_per_task: ', file(dir), { line: 2, character: 19 });
    assert.deepEqual(
      value.map((item) => item.label),
      ['null'],
    );
    const strategies = jobFileCompletions('target:\n  strategy: ', file(dir), { line: 1, character: 12 });
    assert.deepEqual(strategies.map((item) => item.label).sort(), ['ddp', 'deepspeed_zero2', 'deepspeed_zero3', 'fsdp']);
  });

  it('offers nothing inside a list or for a field that takes free text', () => {
    const dir = jobFolder();
    assert.deepEqual(jobFileCompletions('method:\n  lora:\n    target_modules:\n      - ', file(dir), { line: 3, character: 8 }), []);
    assert.deepEqual(jobFileCompletions('training:\n  epochs: ', file(dir), { line: 1, character: 10 }), []);
  });

  it('completes keys and values in a JSON job file, with quotes', () => {
    const dir = jobFolder();
    const jsonFile = join(dir, 'a.job.json');
    const keys = jobFileCompletions('{\n  "model": {"path": "x"},\n  "method": {"lora": {"r": 8, "', jsonFile, { line: 2, character: 32 });
    assert.ok(keys.some((item) => item.label === 'alpha' && item.insertText === '"alpha": ${1:32}'));
    assert.ok(!keys.some((item) => item.label === 'r'));
    const values = jobFileCompletions('{"method": {"type": "q"}}', jsonFile, { line: 0, character: 22 });
    const qlora = values.find((item) => item.label === 'qlora')!;
    assert.equal(qlora.insertText, '"qlora"');
    assert.equal(qlora.filterText, '"qlora"');
    assert.deepEqual(qlora.range, { start: { line: 0, character: 20 }, end: { line: 0, character: 23 } });
  });
});

describe('which documents the server serves', () => {
  it('YAML job files only while Red Hat YAML is absent; JSON job files always', () => {
    const without = serverDocumentFilters({ redHatYamlInstalled: false });
    assert.ok(without.some((filter) => filter.language === 'yaml' && filter.pattern === '**/*.job.{yaml,yml}'));
    assert.ok(without.some((filter) => filter.language === 'json' && filter.pattern === '**/*.job.json'));
    const withRedHat = serverDocumentFilters({ redHatYamlInstalled: true });
    assert.ok(!withRedHat.some((filter) => filter.language === 'yaml'));
    assert.ok(withRedHat.some((filter) => filter.language === 'json'));
    assert.ok(withRedHat.some((filter) => filter.language === 'jsonl' && filter.pattern === undefined));
  });
});
