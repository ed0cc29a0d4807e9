import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { comparisonFileCompletions, comparisonFileDiagnostics, comparisonFileHover, comparisonFileReferences, type ComparisonCompletion } from '../../../src/core/eval/comparisonFileFeatures';
import { type TextPosition } from '../../../src/core/text/lineIndex';
import { serverDocumentFilters } from '../../../src/shared/languageServerProtocol';
import { scratchDir } from '../../support/scratchDir';

function workspace(): string {
  const root = scratchDir('compare-features');
  for (const path of ['data/support.eval.jsonl', 'data/train.jsonl', 'data/notes.txt', 'prompts/support.prompty', 'support.job.yaml', '.chatwright/runs/20261201-101500-support/run.json']) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), '{}\n');
  }
  mkdirSync(join(root, '.chatwright/runs/20261202-090000-support'), { recursive: true });
  return root;
}

/** The text with `|` marking the cursor: the text without it, and the cursor's position. */
function cursor(marked: string): { text: string; position: TextPosition } {
  const offset = marked.indexOf('|');
  const before = marked.slice(0, offset).split('\n');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), position: { line: before.length - 1, character: before[before.length - 1]!.length } };
}

function complete(root: string, marked: string, name = 'a.compare.yaml', modelIds: string[] = []): ComparisonCompletion[] {
  const { text, position } = cursor(marked);
  return comparisonFileCompletions(text, join(root, name), position, { workspaceRoot: root, modelIds });
}

function labels(items: readonly ComparisonCompletion[]): string[] {
  return items.map((item) => item.label).sort();
}

function hover(marked: string): string | undefined {
  const { text, position } = cursor(marked);
  return comparisonFileHover(text, position)?.markdown;
}

const strategyOpen = 'eval_set: data/support.eval.jsonl\nstrategies:\n  - name: base\n    model: engine/m/x\n';

describe('comparison file diagnostics', () => {
  it("are the checker's problems, each message prefixed with its field", () => {
    const root = workspace();
    const text = `${strategyOpen}concurrency: 0\n`;
    const diagnostics = comparisonFileDiagnostics(text, join(root, 'a.compare.yaml'), { workspaceRoot: root });
    assert.deepEqual(diagnostics, [
      { path: 'concurrency', range: { start: { line: 4, character: 13 }, end: { line: 4, character: 14 } }, severity: 'error', message: 'concurrency: must be between 1 and 64, got 0' },
    ]);
  });

  it('are watched through the files the comparison names, or their folders while they are missing', () => {
    const root = workspace();
    const text = `eval_set: data/support.eval.jsonl\nstrategies:\n  - name: a\n    model: engine/m/x\n    template: prompts/later.prompty\n    fine_tuned: .chatwright/runs/20261201-101500-support\ntraining_data: [data/train.jsonl]\n`;
    assert.deepEqual(comparisonFileReferences(text, join(root, 'a.compare.yaml'), { workspaceRoot: root }).sort(), [
      join(root, '.chatwright/runs/20261201-101500-support'),
      join(root, '.chatwright/runs/20261201-101500-support/run.json'),
      join(root, 'data/support.eval.jsonl'),
      join(root, 'data/train.jsonl'),
      join(root, 'prompts'),
    ]);
  });
});

describe('comparison file hover', () => {
  it('on a key: its type, default, why the default, at any depth', () => {
    const temperature = hover(`${strategyOpen}    temp|erature: 0\n`)!;
    assert.match(temperature, /\*\*`strategies\.temperature`\*\* — number 0\.\.2 · default `0`/);
    assert.match(temperature, /greedy/);
    assert.match(temperature, /sampling would add noise/);
    const selection = hover(`${strategyOpen}    few_shot:\n      sel|ection: similar\n`)!;
    assert.match(selection, /default `first`/);
    assert.match(selection, /- `similar`: the k rows closest to the question/);
    assert.match(hover('concur|rency: 4\n')!, /Requests in flight at once, per backend/);
    assert.match(hover('endpoints:\n  - id: gpu\n    api_k|ey_env: KEY\n')!, /never the key itself/);
    assert.match(hover(`${strategyOpen}    few_s|hot: 3\n`)!, /section, or `k` alone, or `false` for off/);
  });

  it("on an enum value: that choice's meaning", () => {
    assert.match(hover(`${strategyOpen}    few_shot: { k: 3, selection: ran|dom }\n`)!, /\*\*`random`\*\* \(`strategies\[0\]\.few_shot\.selection`\): k rows drawn with `seed`/);
    assert.match(hover('primary_metric: rou|ge_l\n')!, /longest common word subsequence/);
    assert.match(hover('primary_metric: rog|ue\n')!, /is not a choice of `primary_metric`/);
  });

  it("on a strategy's model: which backend it names", () => {
    assert.match(hover('strategies:\n  - name: a\n    model: engine/Qwen/Qw|en3-0.6B\n')!, /\*\*`Qwen\/Qwen3-0\.6B`\*\* on the built-in ONNX engine/);
    const declared = hover('strategies:\n  - name: a\n    model: gpu/sup|port\nendpoints:\n  - { id: gpu, url: http://127.0.0.1:8766/v1 }\n')!;
    assert.match(declared, /on the endpoint `gpu` declared in this file \(http:\/\/127\.0\.0\.1:8766\/v1\)/);
    assert.match(hover('judge:\n  model: lab/jud|ge\n')!, /which this file does not declare: the editor takes it from the chat's registered backends/);
  });

  it('nothing on unknown keys or outside any field', () => {
    assert.equal(hover('conc|urency_typo: 4\n'), undefined);
    assert.equal(hover('# a com|ment\nseed: 0\n'), undefined);
  });
});

describe('comparison file completion (YAML)', () => {
  it('the top-level keys not written yet, required ones first', () => {
    const root = workspace();
    const items = complete(root, 'eval_set: data/support.eval.jsonl\n|\n');
    assert.ok(!items.some((item) => item.label === 'eval_set'));
    const strategies = items.find((item) => item.label === 'strategies')!;
    assert.equal(strategies.insertText, 'strategies:\n  - $0');
    assert.equal(strategies.sortText, '0strategies');
    assert.equal(items.find((item) => item.label === 'concurrency')!.insertText, 'concurrency: ${1:4}');
  });

  it("a strategy's keys, in an item started on the dash line and on the lines below", () => {
    const root = workspace();
    assert.deepEqual(labels(complete(root, `${strategyOpen}    |\n`)), ['description', 'few_shot', 'fine_tuned', 'max_tokens', 'retrieval', 'seed', 'temperature', 'template']);
    assert.ok(labels(complete(root, `${strategyOpen}  - |\n`)).includes('name'));
    const unindented = complete(root, 'strategies:\n- name: a\n  |\n');
    assert.ok(labels(unindented).includes('model') && !labels(unindented).includes('name'));
  });

  it('the keys of few_shot, retrieval, judge, threshold and an endpoint', () => {
    const root = workspace();
    assert.deepEqual(labels(complete(root, `${strategyOpen}    few_shot:\n      k: 3\n      |\n`)), ['examples', 'seed', 'selection']);
    assert.deepEqual(labels(complete(root, `${strategyOpen}    retrieval:\n      |\n`)), ['index', 'k']);
    assert.deepEqual(labels(complete(root, 'judge:\n  model: engine/j/m\n  |\n')), ['max_score', 'pass_score', 'rubric']);
    assert.deepEqual(labels(complete(root, 'threshold:\n  |\n')), ['metric', 'min', 'strategy']);
    assert.deepEqual(labels(complete(root, 'endpoints:\n  - id: gpu\n    |\n')), ['api_key_env', 'url']);
  });

  it('enum values: few-shot selection, primary_metric and threshold.metric', () => {
    const root = workspace();
    const selection = complete(root, `${strategyOpen}    few_shot:\n      selection: |\n`);
    assert.deepEqual(labels(selection), ['first', 'random', 'similar']);
    assert.equal(selection.find((item) => item.label === 'first')!.sortText, '0first');
    assert.ok(labels(complete(root, 'primary_metric: tok|\n')).includes('token_f1'));
    const metric = complete(root, 'threshold:\n  metric:|\n');
    assert.equal(metric.find((item) => item.label === 'rouge_l')!.insertText, ' rouge_l');
    assert.equal(metric.length, 12);
  });

  it('file paths: .jsonl (and job files) for eval_set, .prompty for template, .jsonl for examples and training data, run folders for fine_tuned', () => {
    const root = workspace();
    assert.deepEqual(labels(complete(root, 'eval_set: |\n')), ['data/support.eval.jsonl', 'data/train.jsonl', 'support.job.yaml']);
    assert.deepEqual(labels(complete(root, `${strategyOpen}    template: |\n`)), ['prompts/support.prompty']);
    assert.deepEqual(labels(complete(root, `${strategyOpen}    few_shot:\n      examples: data/|\n`)), ['data/support.eval.jsonl', 'data/train.jsonl']);
    assert.deepEqual(labels(complete(root, 'training_data:\n  - |\n')), ['data/support.eval.jsonl', 'data/train.jsonl']);
    assert.deepEqual(
      complete(root, `${strategyOpen}    fine_tuned: |\n`).map((item) => item.label),
      ['.chatwright/runs/20261202-090000-support', '.chatwright/runs/20261201-101500-support'],
    );
    assert.deepEqual(labels(complete(root, `${strategyOpen}    fine_tuned:\n      run: |\n`)), ['.chatwright/runs/20261201-101500-support', '.chatwright/runs/20261202-090000-support']);
  });

  it("model references: the file's own endpoints and the Hub cache's models on the engine", () => {
    const root = workspace();
    const items = complete(root, 'strategies:\n  - name: a\n    model: |\nendpoints:\n  - { id: gpu, url: http://127.0.0.1:8766/v1 }\n', 'a.compare.yaml', ['Qwen/Qwen3-0.6B']);
    assert.deepEqual(labels(items), ['engine/Qwen/Qwen3-0.6B', 'gpu/']);
    assert.deepEqual(labels(complete(root, 'judge:\n  model: |\n', 'a.compare.yaml', ['Qwen/Qwen3-0.6B'])), ['engine/Qwen/Qwen3-0.6B']);
  });

  it('replaces the word the cursor is in', () => {
    const root = workspace();
    const [item] = complete(root, 'primary_metric: token|_f1\n').filter((candidate) => candidate.label === 'token_f1');
    assert.deepEqual(item!.range, { start: { line: 0, character: 16 }, end: { line: 0, character: 24 } });
    const key = complete(root, 'concu|rrency: 4\n').find((candidate) => candidate.label === 'concurrency')!;
    assert.deepEqual(key.range, { start: { line: 0, character: 0 }, end: { line: 0, character: 11 } });
  });
});

describe('comparison file completion (JSON)', () => {
  it('keys inside a strategy, with quotes, and enum values quoted', () => {
    const root = workspace();
    const keys = complete(root, '{"strategies": [{"name": "a", "|', 'a.compare.json');
    assert.ok(!labels(keys).includes('name'));
    assert.equal(keys.find((item) => item.label === 'max_tokens')!.insertText, '"max_tokens": ${1:512}');
    const values = complete(root, '{"primary_metric": "|"}', 'a.compare.json');
    assert.equal(values.find((item) => item.label === 'rouge_l')!.insertText, '"rouge_l"');
    assert.deepEqual(labels(complete(root, '{"training_data": [|', 'a.compare.json')), ['data/support.eval.jsonl', 'data/train.jsonl']);
  });
});

describe('which documents the server serves', () => {
  it('YAML comparison files only while Red Hat YAML is absent (it serves the schema); JSON ones always', () => {
    assert.ok(serverDocumentFilters({ redHatYamlInstalled: false }).some((filter) => filter.language === 'yaml' && filter.pattern === '**/*.compare.{yaml,yml}'));
    assert.ok(!serverDocumentFilters({ redHatYamlInstalled: true }).some((filter) => filter.language === 'yaml'));
    assert.ok(serverDocumentFilters({ redHatYamlInstalled: true }).some((filter) => filter.language === 'json' && filter.pattern === '**/*.compare.json'));
  });
});
