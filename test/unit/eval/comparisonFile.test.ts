import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { isComparisonFilePath, parseComparison } from '../../../src/core/eval/comparisonFile';
import { type ComparisonProblem } from '../../../src/core/eval/evalTypes';
import { defaultJudgeRubric } from '../../../src/core/eval/judge';
import { scratchDir } from '../../support/scratchDir';

const runFolder = '.chatwright/runs/20261201-101500-support';

/** A workspace with the files the example comparison names. */
function workspace(): string {
  const root = scratchDir('compare');
  const files: Record<string, string> = {
    'data/support.eval.jsonl': '{"question": "How do I reset my password?", "answer": "Use Settings > Account > Reset."}\n',
    'data/examples.jsonl': '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}\n',
    'data/train.jsonl': '{"messages": [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}\n',
    'prompts/support.prompty': '---\nname: support\n---\nuser:\n{{question}}\n',
    [`${runFolder}/run.json`]: '{}\n',
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

const example = `name: support-bot
description: Which strategy answers support questions best
eval_set: data/support.eval.jsonl
strategies:
  - name: zero-shot
    model: engine/Qwen/Qwen2.5-0.5B-Instruct
    description: The base model alone
  - name: few-shot
    model: engine/Qwen/Qwen2.5-0.5B-Instruct
    template: prompts/support.prompty
    few_shot: { k: 3, selection: similar, examples: data/examples.jsonl, seed: 7 }
  - name: rag
    model: engine/Qwen/Qwen2.5-0.5B-Instruct
    retrieval: { k: 4, index: docs }
  - name: fine-tuned
    model: gpu/support-lora
    fine_tuned: { run: ${runFolder} }
    temperature: 0.2
    max_tokens: 256
    seed: 3
endpoints:
  - { id: gpu, url: http://127.0.0.1:8766/v1, api_key_env: CHATWRIGHT_SERVE_API_KEY }
concurrency: 8
primary_metric: rouge_l
embedding_model: engine/Xenova/all-MiniLM-L6-v2
judge:
  model: gpu/judge
  rubric: |-
    Score 1 to 10.
  max_score: 10
  pass_score: 7
threshold: { metric: token_f1, min: 0.5, strategy: rag }
training_data: [data/train.jsonl]
documents: ['docs/**']
output: .chatwright/evals/support-v2
seed: 11
bootstrap_samples: 5000
`;

/** Parses `text` as `<root>/<name>` with the workspace root given. */
function parse(root: string, text: string, name = 'support.compare.yaml'): ReturnType<typeof parseComparison> {
  return parseComparison(text, join(root, name), { workspaceRoot: root });
}

/** The one problem at `path` (fails when there is none or several). */
function problemAt(problems: readonly ComparisonProblem[], path: string): ComparisonProblem {
  const found = problems.filter((problem) => problem.path === path);
  assert.equal(found.length, 1, `one problem at ${path}: ${JSON.stringify(problems)}`);
  return found[0]!;
}

/** The text a problem's range covers (ranges within one line). */
function marked(text: string, problem: ComparisonProblem): string {
  const line = text.split('\n')[problem.range.start.line]!;
  assert.equal(problem.range.end.line, problem.range.start.line);
  return line.slice(problem.range.start.character, problem.range.end.character);
}

const minimal = (extra = '', strategy = ''): string => `eval_set: data/support.eval.jsonl\nstrategies:\n  - name: base\n    model: engine/Qwen/Qwen3-0.6B\n${strategy}${extra}`;

describe('comparison file: names', () => {
  it('recognises *.compare.yaml, .yml and .json, nothing else', () => {
    assert.ok(isComparisonFilePath('/w/support.compare.yaml'));
    assert.ok(isComparisonFilePath('C:\\w\\a.compare.YML'));
    assert.ok(isComparisonFilePath('a.compare.json'));
    assert.ok(!isComparisonFilePath('a.compare.yaml.bak'));
    assert.ok(!isComparisonFilePath('compare.yaml'));
    assert.ok(!isComparisonFilePath('a.job.yaml'));
  });
});

describe('comparison file: the full example', () => {
  it('resolves every field, with paths workspace-relative or absolute as ComparisonSpec documents', () => {
    const root = workspace();
    const { spec, problems } = parse(root, example);
    assert.deepEqual(problems, []);
    assert.ok(spec);
    assert.deepEqual(spec, {
      file: join(root, 'support.compare.yaml'),
      root,
      name: 'support-bot',
      description: 'Which strategy answers support questions best',
      evalSet: join(root, 'data/support.eval.jsonl'),
      strategies: [
        { name: 'zero-shot', description: 'The base model alone', model: 'engine/Qwen/Qwen2.5-0.5B-Instruct', temperature: 0, maxTokens: 512 },
        {
          name: 'few-shot',
          model: 'engine/Qwen/Qwen2.5-0.5B-Instruct',
          template: 'prompts/support.prompty',
          fewShot: { k: 3, selection: 'similar', examples: 'data/examples.jsonl', seed: 7 },
          temperature: 0,
          maxTokens: 512,
        },
        { name: 'rag', model: 'engine/Qwen/Qwen2.5-0.5B-Instruct', retrieval: { k: 4, index: 'docs' }, temperature: 0, maxTokens: 512 },
        { name: 'fine-tuned', model: 'gpu/support-lora', fineTuned: { run: runFolder }, temperature: 0.2, maxTokens: 256, seed: 3 },
      ],
      endpoints: [{ id: 'gpu', url: 'http://127.0.0.1:8766/v1', apiKeyEnv: 'CHATWRIGHT_SERVE_API_KEY' }],
      concurrency: 8,
      primaryMetric: 'rouge_l',
      embeddingModel: 'engine/Xenova/all-MiniLM-L6-v2',
      judge: { model: 'gpu/judge', rubric: 'Score 1 to 10.', maxScore: 10, passScore: 7 },
      threshold: { metric: 'token_f1', min: 0.5, strategy: 'rag' },
      trainingData: [join(root, 'data/train.jsonl')],
      documents: ['docs/**'],
      outputDir: join(root, '.chatwright/evals/support-v2'),
      seed: 11,
      bootstrapSamples: 5000,
    });
  });

  it('reads the same comparison written as JSON', () => {
    const root = workspace();
    const json = JSON.stringify({ eval_set: 'data/support.eval.jsonl', strategies: [{ name: 'a', model: 'engine/x/y', few_shot: 2, template: 'prompts/support.prompty' }] });
    const { spec, problems } = parse(root, json, 'bot.compare.json');
    assert.deepEqual(problems, []);
    assert.equal(spec?.name, 'bot');
    assert.deepEqual(spec?.strategies[0]?.fewShot, { k: 2, selection: 'first', seed: 0 });
  });
});

describe('comparison file: defaults', () => {
  it('fills every default: name from the file, concurrency 4, greedy 512-token answers, seed 0, 2000 resamples, the output folder', () => {
    const root = workspace();
    const { spec, problems } = parse(root, minimal(), 'My Bot.compare.yml');
    assert.deepEqual(problems, []);
    assert.equal(spec?.name, 'My-Bot');
    assert.equal(spec?.concurrency, 4);
    assert.equal(spec?.primaryMetric, 'token_f1');
    assert.equal(spec?.seed, 0);
    assert.equal(spec?.bootstrapSamples, 2000);
    assert.equal(spec?.outputDir, join(root, '.chatwright', 'evals', 'My-Bot'));
    assert.deepEqual(spec?.endpoints, []);
    assert.deepEqual(spec?.trainingData, []);
    assert.deepEqual(spec?.documents, []);
    assert.deepEqual(spec?.strategies, [{ name: 'base', model: 'engine/Qwen/Qwen3-0.6B', temperature: 0, maxTokens: 512 }]);
    assert.equal(spec?.judge, undefined);
    assert.equal(spec?.embeddingModel, undefined);
  });

  it('the primary metric defaults to judge_score with a judge, else embedding_similarity with an embedding model', () => {
    const root = workspace();
    const judged = parse(root, minimal('judge: { model: engine/Qwen/Qwen3-0.6B }\nembedding_model: engine/e/m\n'));
    assert.equal(judged.spec?.primaryMetric, 'judge_score');
    assert.deepEqual(judged.spec?.judge, { model: 'engine/Qwen/Qwen3-0.6B', rubric: defaultJudgeRubric, maxScore: 5, passScore: 4 });
    assert.equal(parse(root, minimal('embedding_model: engine/e/m\n')).spec?.primaryMetric, 'embedding_similarity');
  });

  it('relative paths resolve against the workspace root, and the file’s folder when none is given', () => {
    const root = workspace();
    mkdirSync(join(root, 'evals'));
    const nested = parseComparison(minimal(), join(root, 'evals', 'a.compare.yaml'), { workspaceRoot: root });
    assert.equal(nested.spec?.evalSet, join(root, 'data/support.eval.jsonl'));
    const alone = parseComparison(minimal(), join(root, 'a.compare.yaml'));
    assert.equal(alone.spec?.root, root);
  });
});

describe('comparison file: shorthands', () => {
  it('`few_shot: 3` is { k: 3 } with selection first and the comparison’s seed; `retrieval: 4` is { k: 4 }; `fine_tuned: <folder>` is { run }', () => {
    const root = workspace();
    const { spec, problems } = parse(root, minimal('seed: 5\n', `    template: prompts/support.prompty\n    few_shot: 3\n    retrieval: 4\n    fine_tuned: ${runFolder}\n`));
    assert.deepEqual(problems, []);
    const [strategy] = spec!.strategies;
    assert.deepEqual(strategy!.fewShot, { k: 3, selection: 'first', seed: 5 });
    assert.deepEqual(strategy!.retrieval, { k: 4 });
    assert.deepEqual(strategy!.fineTuned, { run: runFolder });
  });

  it('`false` (or leaving them out) turns few-shot and retrieval off', () => {
    const root = workspace();
    const { spec, problems } = parse(root, minimal('', '    few_shot: false\n    retrieval: false\n'));
    assert.deepEqual(problems, []);
    assert.equal(spec!.strategies[0]!.fewShot, undefined);
    assert.equal(spec!.strategies[0]!.retrieval, undefined);
  });

  it('a shorthand is checked as the field it stands for', () => {
    const root = workspace();
    const text = minimal('', '    template: prompts/support.prompty\n    few_shot: 0\n');
    const problem = problemAt(parse(root, text).problems, 'strategies[0].few_shot.k');
    assert.match(problem.message, /between 1 and 50, got 0/);
    assert.equal(marked(text, problem), '0');
  });
});

describe('comparison file: problems, located', () => {
  it('an unknown key, with the closest known ones, on the key', () => {
    const root = workspace();
    const text = minimal('concurency: 4\n', '    temprature: 0\n');
    const { spec, problems } = parse(root, text);
    assert.equal(spec, undefined);
    const top = problemAt(problems, 'concurency');
    assert.match(top.message, /^unknown field; did you mean `concurrency`/);
    assert.equal(marked(text, top), 'concurency');
    assert.match(problemAt(problems, 'strategies[0].temprature').message, /`temperature`/);
  });

  it('a wrong type, on the value', () => {
    const root = workspace();
    const text = minimal('concurrency: many\n', '    max_tokens: [1]\n');
    const { problems } = parse(root, text);
    const concurrency = problemAt(problems, 'concurrency');
    assert.equal(concurrency.message, "must be an integer, got 'many'");
    assert.equal(marked(text, concurrency), 'many');
    assert.equal(problemAt(problems, 'strategies[0].max_tokens').message, 'must be a single value, got a list');
    assert.equal(problemAt(parse(root, minimal('judge: gpu/judge\n')).problems, 'judge').message, "must be a mapping of fields, got 'gpu/judge'");
  });

  it('out-of-range numbers, and too many strategies', () => {
    const root = workspace();
    const text = minimal('bootstrap_samples: 10\nconcurrency: 65\n', '    temperature: 3\n');
    const { problems } = parse(root, text);
    assert.equal(problemAt(problems, 'bootstrap_samples').message, 'must be between 200 and 100000, got 10');
    assert.equal(problemAt(problems, 'concurrency').message, 'must be between 1 and 64, got 65');
    assert.equal(problemAt(problems, 'strategies[0].temperature').message, 'must be between 0 and 2, got 3');
    const thirteen = `eval_set: data/support.eval.jsonl\nstrategies:\n${Array.from({ length: 13 }, (_, index) => `  - { name: s${index}, model: engine/m/x }\n`).join('')}`;
    assert.equal(problemAt(parse(root, thirteen).problems, 'strategies').message, 'must have 1 to 12 entries, has 13');
    assert.equal(problemAt(parse(root, 'eval_set: data/support.eval.jsonl\nstrategies: []\n').problems, 'strategies').message, 'must have 1 to 12 entries, has 0');
  });

  it('required fields, on the mapping that lacks them', () => {
    const root = workspace();
    const text = 'strategies:\n  - name: a\n';
    const { problems } = parse(root, text);
    assert.equal(problemAt(problems, 'eval_set').message, 'is required');
    const model = problemAt(problems, 'strategies[0].model');
    assert.equal(model.message, 'is required');
    // On the item's first key, not across the whole item.
    assert.equal(marked(text, model), 'name');
    assert.equal(marked(text, problemAt(problems, 'eval_set')), 'strategies');
    const empty = 'eval_set:\nstrategies:\n  - name: a\n    model:\n';
    const emptyProblems = parse(root, empty).problems;
    assert.equal(problemAt(emptyProblems, 'eval_set').message, 'is required and has no value');
    assert.equal(marked(empty, problemAt(emptyProblems, 'strategies[0].model')), 'model');
  });

  it('duplicate strategy names, on the second', () => {
    const root = workspace();
    const text = `${minimal()}  - name: base\n    model: engine/other/model\n`;
    const problem = problemAt(parse(root, text).problems, 'strategies[1].name');
    assert.match(problem.message, /'base' names two strategies/);
    assert.equal(problem.range.start.line, 4);
  });

  it('a strategy name outside [A-Za-z0-9._-]{1,40}', () => {
    const root = workspace();
    const text = 'eval_set: data/support.eval.jsonl\nstrategies:\n  - name: few shot\n    model: engine/m/x\n';
    assert.match(problemAt(parse(root, text).problems, 'strategies[0].name').message, /letters, digits/);
  });

  it('a comparison name of only dots, which would make the output folder .chatwright/evals itself or its parent', () => {
    const root = workspace();
    for (const name of ['.', '..', '...']) {
      const { spec, problems } = parse(root, `name: '${name}'\n${minimal()}`);
      assert.match(problemAt(problems, 'name').message, /not only dots/, name);
      assert.notEqual(spec?.outputDir, join(root, '.chatwright', 'evals'));
    }
    assert.equal(parse(root, `name: '.v2'\n${minimal()}`).spec?.outputDir, join(root, '.chatwright', 'evals', '.v2'));
    // The default name from a file called `...compare.yaml` is not `..` either.
    assert.equal(parse(root, minimal(), '...compare.yaml').spec?.outputDir, join(root, '.chatwright', 'evals', 'comparison'));
  });

  it('a model reference that does not parse is an error; an undeclared backend a warning that keeps the spec', () => {
    const root = workspace();
    const bad = 'eval_set: data/support.eval.jsonl\nstrategies:\n  - name: a\n    model: qwen\n';
    const problem = problemAt(parse(root, bad).problems, 'strategies[0].model');
    assert.equal(problem.severity, 'error');
    assert.match(problem.message, /<backend>\/<model>/);
    assert.equal(marked(bad, problem), 'qwen');
    const undeclared = 'eval_set: data/support.eval.jsonl\nstrategies:\n  - name: a\n    model: lab/llama\n';
    const { spec, problems } = parse(root, undeclared);
    assert.equal(problemAt(problems, 'strategies[0].model').severity, 'warning');
    assert.match(problems[0]!.message, /'lab' is not an endpoint of this file/);
    assert.equal(spec?.strategies[0]?.model, 'lab/llama');
    const declared = `${undeclared}endpoints:\n  - id: lab\n    url: https://lab.example.com/v1\n`;
    assert.deepEqual(parse(root, declared).problems, []);
  });

  it('files that do not exist: eval set, template, examples, training data, run folder', () => {
    const root = workspace();
    const text = [
      'eval_set: data/missing.eval.jsonl',
      'strategies:',
      '  - name: a',
      '    model: engine/m/x',
      '    template: prompts/missing.prompty',
      '    few_shot: { k: 2, examples: data/missing-examples.jsonl }',
      '    fine_tuned: .chatwright/runs/missing',
      'training_data: [data/missing-train.jsonl]',
      '',
    ].join('\n');
    const { spec, problems } = parse(root, text);
    assert.equal(spec, undefined);
    assert.match(problemAt(problems, 'eval_set').message, /the eval set .*missing\.eval\.jsonl does not exist/);
    assert.match(problemAt(problems, 'strategies[0].template').message, /the template .*missing\.prompty does not exist/);
    assert.match(problemAt(problems, 'strategies[0].few_shot.examples').message, /the examples file .*missing-examples\.jsonl does not exist/);
    assert.match(problemAt(problems, 'strategies[0].fine_tuned.run').message, /there is no run folder at .*missing/);
    const training = problemAt(problems, 'training_data[0]');
    assert.match(training.message, /does not exist/);
    assert.equal(marked(text, training), 'data/missing-train.jsonl');
  });

  it('an eval set that is not .jsonl is read as JSON Lines, with a warning', () => {
    const root = workspace();
    writeFileSync(join(root, 'data/questions.json'), '{"question": "q", "answer": "a"}\n');
    const { spec, problems } = parse(root, minimal().replace('data/support.eval.jsonl', 'data/questions.json'));
    assert.equal(problemAt(problems, 'eval_set').severity, 'warning');
    assert.equal(spec?.evalSet, join(root, 'data/questions.json'));
  });

  it('paths that leave the workspace: .., absolute outside, the output folder too', () => {
    const root = workspace();
    const outside = join(dirname(root), 'elsewhere.jsonl');
    writeFileSync(outside, '{}\n');
    const relativeOut = parse(root, minimal().replace('data/support.eval.jsonl', '../elsewhere.jsonl'));
    assert.match(problemAt(relativeOut.problems, 'eval_set').message, /is outside the workspace/);
    const absoluteOut = parse(root, minimal().replace('data/support.eval.jsonl', outside));
    assert.match(problemAt(absoluteOut.problems, 'eval_set').message, /is outside the workspace/);
    const absoluteIn = parse(root, minimal().replace('data/support.eval.jsonl', join(root, 'data/support.eval.jsonl')));
    assert.deepEqual(absoluteIn.problems, []);
    assert.match(problemAt(parse(root, minimal('output: ../../tmp/out\n')).problems, 'output').message, /outside the workspace/);
    assert.match(problemAt(parse(root, minimal("documents: ['../other/**']\n")).problems, 'documents[0]').message, /inside the workspace/);
  });

  it('endpoints: not http(s) is an error, plain http off this machine a warning, a key in api_key_env an error', () => {
    const root = workspace();
    const withEndpoint = (endpoint: string): ComparisonProblem[] => parse(root, minimal(`endpoints:\n  - ${endpoint}\n`)).problems;
    assert.match(problemAt(withEndpoint('{ id: a, url: ftp://host/v1 }'), 'endpoints[0].url').message, /not an http\(s\) URL/);
    const clear = problemAt(withEndpoint('{ id: a, url: http://gpu.lan:8000/v1 }'), 'endpoints[0].url');
    assert.equal(clear.severity, 'warning');
    assert.match(clear.message, /travel in clear/);
    assert.deepEqual(withEndpoint('{ id: a, url: http://localhost:8000/v1 }'), []);
    assert.deepEqual(withEndpoint('{ id: a, url: https://api.example.com/v1, api_key_env: OPENAI_API_KEY }'), []);
    const key = problemAt(withEndpoint('{ id: a, url: https://api.example.com/v1, api_key_env: sk-proj-abcdefghijklmnop1234 }'), 'endpoints[0].api_key_env');
    assert.equal(key.severity, 'error');
    assert.match(key.message, /put the key in the environment, not in the file/);
    assert.match(problemAt(withEndpoint('{ id: a, url: https://h/v1, api_key_env: 1KEY }'), 'endpoints[0].api_key_env').message, /not an environment variable name/);
    assert.match(problemAt(withEndpoint('{ id: a, url: https://h/v1, api_key_env: Xk29fjQpL0aZ8mNvB7cD4eRt }'), 'endpoints[0].api_key_env').message, /looks like an API key/);
    assert.deepEqual(withEndpoint('{ id: a, url: https://h/v1, api_key_env: MY_LAB_SERVER_API_KEY_2026 }'), []);
    assert.match(problemAt(withEndpoint('{ id: engine, url: https://h/v1 }'), 'endpoints[0].id').message, /built-in engine/);
  });

  it('few-shot without examples needs a template that has its own', () => {
    const root = workspace();
    const text = minimal('', '    few_shot: { k: 2, selection: random }\n');
    const problem = problemAt(parse(root, text).problems, 'strategies[0].few_shot');
    assert.match(problem.message, /has no examples/);
    assert.deepEqual(parse(root, minimal('', '    template: prompts/support.prompty\n    few_shot: { k: 2 }\n')).problems, []);
  });

  it('a run folder without run.json is a warning that keeps the spec', () => {
    const root = workspace();
    mkdirSync(join(root, '.chatwright/runs/bare'), { recursive: true });
    const { spec, problems } = parse(root, minimal('', '    fine_tuned: .chatwright/runs/bare\n'));
    assert.equal(problemAt(problems, 'strategies[0].fine_tuned.run').severity, 'warning');
    assert.deepEqual(spec?.strategies[0]?.fineTuned, { run: '.chatwright/runs/bare' });
  });

  it('threshold.strategy must name a strategy; pass_score at most max_score; judge_score needs a judge', () => {
    const root = workspace();
    const problems = parse(root, minimal('threshold: { metric: token_f1, min: 0.5, strategy: bse }\njudge: { model: engine/j/m, max_score: 3, pass_score: 4 }\n')).problems;
    assert.match(problemAt(problems, 'threshold.strategy').message, /'bse' is not a strategy of this comparison; did you mean `base`/);
    assert.match(problemAt(problems, 'judge.pass_score').message, /at most max_score \(3\)/);
    assert.match(problemAt(parse(root, minimal('primary_metric: judge_score\n')).problems, 'primary_metric').message, /needs a judge/);
    assert.match(problemAt(parse(root, minimal('threshold: { metric: judge_pass, min: 0.8 }\n')).problems, 'threshold.metric').message, /needs a judge/);
    assert.match(problemAt(parse(root, minimal('primary_metric: embedding_similarity\n')).problems, 'primary_metric').message, /needs an embedding_model/);
    assert.match(problemAt(parse(root, minimal('primary_metric: tokenf1\n')).problems, 'primary_metric').message, /did you mean `token_f1`/);
  });

  it('a syntax error is located, with an empty path', () => {
    const root = workspace();
    const { spec, problems } = parse(root, 'eval_set: [a\nstrategies:\n');
    assert.equal(spec, undefined);
    assert.ok(problems.length > 0);
    assert.ok(problems.every((problem) => problem.path === '' && problem.severity === 'error'));
    assert.match(problemAt(parse(root, '- a\n- b\n').problems, '').message, /must be a mapping/);
  });
});

describe('comparison file: a job file as the eval set', () => {
  const job = (evalLine: string): string => `model:\n  path: Qwen/Qwen3-0.6B\ndata:\n  train: data/train.jsonl\n${evalLine}`;

  it("reuses the job's data.eval file", () => {
    const root = workspace();
    writeFileSync(join(root, 'support.job.yaml'), job('  eval: data/support.eval.jsonl\n'));
    const { spec, problems } = parse(root, minimal().replace('data/support.eval.jsonl', 'support.job.yaml'));
    assert.deepEqual(problems, []);
    assert.equal(spec?.evalSet, join(root, 'data/support.eval.jsonl'));
  });

  it('a job whose eval split is auto says to make an eval set with "Make Eval Set from Dataset…"', () => {
    const root = workspace();
    writeFileSync(join(root, 'support.job.yaml'), job(''));
    const text = minimal().replace('data/support.eval.jsonl', 'support.job.yaml');
    const problem = problemAt(parse(root, text).problems, 'eval_set');
    assert.match(problem.message, /data\.eval: auto/);
    assert.match(problem.message, /Make Eval Set from Dataset…/);
    assert.equal(marked(text, problem), 'support.job.yaml');
  });

  it('a job without an eval set, or with problems, is an error naming the job file', () => {
    const root = workspace();
    writeFileSync(join(root, 'none.job.yaml'), job('  eval: null\n'));
    assert.match(problemAt(parse(root, minimal().replace('data/support.eval.jsonl', 'none.job.yaml')).problems, 'eval_set').message, /has no eval set/);
    writeFileSync(join(root, 'broken.job.yaml'), 'model: {}\n');
    assert.match(problemAt(parse(root, minimal().replace('data/support.eval.jsonl', 'broken.job.yaml')).problems, 'eval_set').message, /broken\.job\.yaml has problems/);
  });
});
