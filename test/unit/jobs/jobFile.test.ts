import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { jobSchema } from '../../../src/core/jobs/jobFields';
import { formatJobProblem, readJobFile, resolveJobText } from '../../../src/core/jobs/jobFile';
import { scratchDir } from '../../support/scratchDir';

const repo = join(__dirname, '..', '..', '..');

/** Python's own checker on a config: its resolved JSON, or its CONFIG_INVALID error list. */
function pythonResolve(config: unknown): { config?: unknown; errors?: string[] } {
  const script = [
    'import json, sys',
    'from chatwright_train.config import resolve_config',
    'from chatwright_train.errors import TrainError',
    'try:',
    '    print(json.dumps({"config": resolve_config(json.load(sys.stdin)).to_json()}))',
    'except TrainError as error:',
    '    print(json.dumps({"errors": error.details.get("errors", [])}))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(config), encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(repo, 'python'), PYTHONDONTWRITEBYTECODE: '1' } });
  assert.equal(run.status, 0, run.stderr);
  return JSON.parse(run.stdout) as { config?: unknown; errors?: string[] };
}

function jobFolder(): string {
  const dir = scratchDir('job');
  mkdirSync(join(dir, 'data'));
  mkdirSync(join(dir, 'models', 'tiny'), { recursive: true });
  writeFileSync(join(dir, 'data', 'chat-train.jsonl'), '{"text": "hello"}\n');
  writeFileSync(join(dir, 'data', 'chat-valid.jsonl'), '{"text": "hello"}\n');
  return dir;
}

describe('job file', () => {
  it('schemas/job.schema.json is the schema generated from the field table', () => {
    const onDisk = JSON.parse(readFileSync(join(repo, 'schemas', 'job.schema.json'), 'utf8')) as unknown;
    assert.deepEqual(onDisk, jobSchema(), 'regenerate schemas/job.schema.json from jobSchema() in src/core/jobs/jobFields.ts');
  });

  it('package.json registers the schema for *.job.yaml (YAML extension) but not for *.job.json, which the language server serves alone', () => {
    const manifest = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as {
      contributes: { yamlValidation: { fileMatch: string[]; url: string }[]; jsonValidation?: { fileMatch: string | string[]; url: string }[] };
    };
    assert.ok(manifest.contributes.yamlValidation.some((entry) => entry.fileMatch.includes('*.job.yaml') && entry.url === './schemas/job.schema.json'));
    // VS Code's built-in JSON service would check *.job.json against the schema a second time, beside the server.
    assert.ok(!(manifest.contributes.jsonValidation ?? []).some((entry) => entry.url === './schemas/job.schema.json'));
  });

  it('resolves a minimal job: relative paths against its folder, every default filled, and Python accepts it unchanged', () => {
    const dir = jobFolder();
    const result = resolveJobText('model:\n  path: ./models/tiny\ndata:\n  train: data/chat-train.jsonl\n', join(dir, 'persona.job.yaml'));
    assert.deepEqual(result.problems, []);
    assert.equal(result.name, 'persona');
    assert.equal(result.config!.model.path, join(dir, 'models', 'tiny'));
    assert.equal(result.config!.data.train, join(dir, 'data', 'chat-train.jsonl'));
    assert.equal(result.config!.training.learning_rate, 2e-4);
    const python = pythonResolve(result.config);
    assert.equal(python.errors, undefined, String(python.errors));
    assert.deepEqual(python.config, result.config);
    // Python's own defaults, from the same minimal input, are the ones the job file filled in.
    assert.deepEqual(pythonResolve({ model: { path: result.config!.model.path }, data: { train: result.config!.data.train } }).config, result.config);
  });

  it('resolves QLoRA with DoRA and rsLoRA, a Hub id, an explicit eval file and packing shorthand as Python does', () => {
    const dir = jobFolder();
    const text = [
      'name: persona-dora',
      'model: { path: Qwen/Qwen3-0.6B }',
      'data:',
      '  train: data/chat-train.jsonl',
      '  eval: data/chat-valid.jsonl',
      '  packing: false',
      '  max_seq_length: 1024',
      'method:',
      '  type: qlora',
      '  lora: { r: 8, alpha: 16, use_dora: true, use_rslora: true, target_modules: [q_proj, v_proj] }',
      'training: { epochs: 1.5, learning_rate: 1e-4, gradient_checkpointing: true, resume: never }',
    ].join('\n');
    const result = resolveJobText(text, join(dir, 'x.job.yaml'));
    assert.deepEqual(result.problems, []);
    assert.equal(result.name, 'persona-dora');
    assert.equal(result.config!.model.path, 'Qwen/Qwen3-0.6B');
    assert.equal(result.config!.data.packing, 'padded');
    assert.equal(result.config!.data.eval, join(dir, 'data', 'chat-valid.jsonl'));
    const python = pythonResolve(result.config);
    assert.deepEqual(python.config, result.config);
  });

  it("resolves a prompt-tuning job written as JSON, with the method's own default learning rate", () => {
    const dir = jobFolder();
    writeFileSync(
      join(dir, 'robot.job.json'),
      JSON.stringify(
        { model: { path: 'models/tiny' }, data: { train: 'data/chat-train.jsonl', eval: null }, method: { type: 'prompt_tuning', prompt_tuning: { init: 'text', init_text: 'You are a robot.' } } },
        null,
        2,
      ),
    );
    const result = readJobFile(join(dir, 'robot.job.json'));
    assert.deepEqual(result.problems, []);
    assert.equal(result.config!.training.learning_rate, 3e-2);
    assert.equal(result.config!.data.eval, null);
    assert.deepEqual(pythonResolve(result.config).config, result.config);
  });

  const badFields: { name: string; yaml: string; path: string; line: number; column: number; message: RegExp }[] = [
    { name: 'a rank below 1', yaml: 'method:\n  lora:\n    r: 0\n', path: 'method.lora.r', line: 7, column: 8, message: /must be at least 1, got 0/ },
    { name: 'a misspelt field', yaml: 'training:\n  learningrate: 0.001\n', path: 'training.learningrate', line: 6, column: 3, message: /unknown field \(did you mean 'learning_rate'\?\)/ },
    { name: 'a typo in a field name', yaml: 'training:\n  epocs: 2\n', path: 'training.epocs', line: 6, column: 3, message: /did you mean 'epochs'/ },
    {
      name: 'an unknown method',
      yaml: 'method:\n  type: lora\n  quantization: { quant_type: nf5 }\n',
      path: 'method.quantization.quant_type',
      line: 7,
      column: 31,
      message: /must be one of nf4, fp4; got 'nf5' \(did you mean 'nf4'\?\)/,
    },
    { name: 'a string for a number', yaml: 'training:\n  warmup_ratio: lots\n', path: 'training.warmup_ratio', line: 6, column: 17, message: /must be a finite number/ },
    { name: 'merging a prompt-tuning job', yaml: 'method: { type: prompt_tuning }\noutput: { merge: true }\n', path: 'output.merge', line: 6, column: 18, message: /no weights to merge/ },
  ];
  for (const bad of badFields) {
    it(`rejects ${bad.name} at line:column with the dotted path Python names too`, () => {
      const dir = jobFolder();
      const text = `model:\n  path: models/tiny\ndata:\n  train: data/chat-train.jsonl\n${bad.yaml}`;
      const file = join(dir, 'bad.job.yaml');
      const result = resolveJobText(text, file);
      assert.equal(result.config, undefined);
      assert.equal(result.problems.length, 1, JSON.stringify(result.problems));
      const [problem] = result.problems;
      assert.equal(problem!.path, bad.path);
      assert.match(problem!.message, bad.message);
      assert.deepEqual([problem!.line, problem!.column], [bad.line, bad.column], formatJobProblem(file, problem!));
      const raw = parse(text) as { model: { path: string }; data: { train: string } };
      raw.model.path = join(dir, raw.model.path);
      raw.data.train = join(dir, raw.data.train);
      const python = pythonResolve(raw);
      assert.ok(
        python.errors?.some((error) => error.startsWith(`${bad.path}: `)),
        `Python said: ${String(python.errors)}`,
      );
    });
  }

  it('reports the required fields of a section written empty, as Python does', () => {
    const dir = jobFolder();
    const cases: [string, unknown, string][] = [
      ['model:\n  path: ./models/tiny\ndata:\n', { model: { path: join(dir, 'models', 'tiny') }, data: null }, 'data.train'],
      ['model:\ndata:\n  train: data/chat-train.jsonl\n', { model: null, data: { train: join(dir, 'data', 'chat-train.jsonl') } }, 'model.path'],
    ];
    for (const [text, config, path] of cases) {
      const result = resolveJobText(text, join(dir, 'a.job.yaml'));
      assert.equal(result.config, undefined);
      assert.deepEqual(
        result.problems.map((problem) => `${problem.path}: ${problem.message}`),
        [`${path}: is required`],
      );
      assert.deepEqual(pythonResolve(config).errors, [`${path}: is required`]);
    }
  });

  it('reports every problem at once, missing required fields included', () => {
    const result = resolveJobText('model: {}\ntraining:\n  seed: -1\n  precision: bf17\n', '/tmp/a.job.yaml');
    assert.deepEqual(result.problems.map((problem) => problem.path).sort(), ['data', 'model.path', 'training.precision', 'training.seed']);
  });

  it('locates a YAML syntax error and a missing model folder or dataset', () => {
    const syntax = resolveJobText('model:\n  path: [unclosed\n', '/tmp/a.job.yaml');
    assert.equal(syntax.problems.length > 0, true);
    assert.equal(syntax.problems[0]!.line >= 2, true);
    const dir = jobFolder();
    const missing = resolveJobText('model: { path: ./nowhere }\ndata: { train: data/none.jsonl }\n', join(dir, 'a.job.yaml'));
    assert.deepEqual(
      missing.problems.map((problem) => [problem.path, problem.line]),
      [
        ['model.path', 1],
        ['data.train', 2],
      ],
    );
    assert.match(missing.problems[0]!.message, /model folder .*nowhere does not exist/);
  });
});
