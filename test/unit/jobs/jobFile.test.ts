import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { jobSchema } from '../../../src/core/jobs/jobFields';
import { formatJobProblem, readJobFile, resolveJobText } from '../../../src/core/jobs/jobFile';
import { defaultTarget } from '../../../src/core/jobs/jobTarget';
import { sbatchLineProblem, slurmTimeSeconds } from '../../../src/core/jobs/jobTargetChecks';
import { parseSlurmMinutes } from '../../../src/core/jobs/slurm/slurmParsers';
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
    assert.deepEqual(result.config!.target, defaultTarget);
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

  it('resolves a Slurm target with every field, numbers written as text, and Python resolves it to the same config', () => {
    const dir = jobFolder();
    const text = [
      'model: { path: models/tiny }',
      'data: { train: data/chat-train.jsonl }',
      'target:',
      '  type: slurm',
      '  gpus: 4',
      '  strategy: deepspeed_zero3',
      '  main_port: 29600',
      '  slurm:',
      '    partition: gpu,gpu-long',
      '    nodes: 2',
      '    time: 90',
      '    account: nlp-lab',
      '    qos: normal',
      '    cpus_per_task: 32',
      '    mem: 256G',
      '    gpu_type: a100',
      '    sbatch: ["--mail-type=END", "--constraint=ib", "--comment \\"two words\\"", "--gres=tmpfs:10G", "--mem-per-cpu=4G"]',
      '    setup:',
      '      - module load cuda/12.4',
      '      - source $HOME/venvs/chatwright/bin/activate',
      '    python: /opt/venv/bin/python',
      '    save_before_limit_seconds: 600',
    ].join('\n');
    const result = resolveJobText(text, join(dir, 'x.job.yaml'));
    assert.deepEqual(result.problems, []);
    assert.deepEqual(result.config!.target, {
      type: 'slurm',
      gpus: 4,
      strategy: 'deepspeed_zero3',
      main_port: 29600,
      slurm: {
        partition: 'gpu,gpu-long',
        nodes: 2,
        time: '90',
        account: 'nlp-lab',
        qos: 'normal',
        cpus_per_task: 32,
        mem: '256G',
        gpu_type: 'a100',
        sbatch: ['--mail-type=END', '--constraint=ib', '--comment "two words"', '--gres=tmpfs:10G', '--mem-per-cpu=4G'],
        setup: ['module load cuda/12.4', 'source $HOME/venvs/chatwright/bin/activate'],
        python: '/opt/venv/bin/python',
        save_before_limit_seconds: 600,
      },
    });
    assert.deepEqual(pythonResolve(result.config).config, result.config);
    // The raw section as written (`time: 90`, a number) resolves the same in Python.
    const raw = parse(text) as { model: { path: string }; data: { train: string } };
    raw.model.path = join(dir, raw.model.path);
    raw.data.train = join(dir, raw.data.train);
    assert.deepEqual(pythonResolve(raw).config, result.config);
  });

  it('keeps the slurm section of a local target, and a Slurm CPU-only job may ask for 0 GPUs', () => {
    const dir = jobFolder();
    const local = resolveJobText('model: { path: models/tiny }\ndata: { train: data/chat-train.jsonl }\ntarget: { gpus: 2, slurm: { nodes: 3 } }\n', join(dir, 'x.job.yaml'));
    assert.deepEqual(local.problems, []);
    assert.equal(local.config!.target.type, 'local');
    assert.equal(local.config!.target.slurm.nodes, 3);
    const cpu = resolveJobText('model: { path: models/tiny }\ndata: { train: data/chat-train.jsonl }\ntarget: { type: slurm, gpus: 0 }\n', join(dir, 'x.job.yaml'));
    assert.deepEqual(cpu.problems, []);
    assert.deepEqual(pythonResolve(cpu.config).config, cpu.config);
  });

  it("reads each of Slurm's time forms as Slurm does, and Python and the Slurm output parser read them the same", () => {
    const forms: [string, number | undefined][] = [
      ['90', 90 * 60],
      ['10:30', 10 * 60 + 30],
      ['90:00', 90 * 60],
      ['08:00:00', 8 * 3600],
      ['100:00:00', 100 * 3600],
      ['2-12', (2 * 24 + 12) * 3600],
      ['1-00:30', (24 * 60 + 30) * 60],
      ['1-02:03:04', ((24 + 2) * 60 + 3) * 60 + 4],
      ['0-1', 3600],
      ['1-23:59:59', ((24 + 23) * 60 + 59) * 60 + 59],
      ['0:59', 59],
      ['1-30', undefined],
      ['1-00:60', undefined],
      ['1-00:00:60', undefined],
      ['10:75', undefined],
      ['1:60:00', undefined],
      ['1-', undefined],
      ['1-2-3', undefined],
      ['8h', undefined],
      ['1-24', undefined],
      ['10:60', undefined],
      ['1:2:3:4', undefined],
      ['-5', undefined],
      ['UNLIMITED', undefined],
      ['', undefined],
      [' 10', undefined],
    ];
    const script = 'import json, sys\nfrom chatwright_train.config import slurm_time_seconds\nprint(json.dumps([slurm_time_seconds(text) for text in json.load(sys.stdin)]))';
    const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(forms.map(([text]) => text)), encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(repo, 'python') } });
    assert.equal(run.status, 0, run.stderr);
    const python = JSON.parse(run.stdout) as (number | null)[];
    forms.forEach(([text, seconds], index) => {
      assert.equal(slurmTimeSeconds(text), seconds, text);
      assert.equal(python[index], seconds ?? null, `Python on ${text}`);
      // Slurm's output is read trimmed, and may say UNLIMITED; otherwise the same reading in whole minutes.
      const trimmedSeconds = slurmTimeSeconds(text.trim());
      const minutes = /^unlimited$/i.test(text) ? null : trimmedSeconds === undefined ? undefined : Math.ceil(trimmedSeconds / 60);
      assert.equal(parseSlurmMinutes(text), minutes, `parseSlurmMinutes on ${text}`);
    });
  });

  it('refuses the extra #SBATCH options that fight the generated ones, with the same words in TypeScript and Python', () => {
    const lines: [string, RegExp | undefined][] = [
      ['-c 8', /sets --cpus-per-task\/-c itself; use `target\.slurm\.cpus_per_task`/],
      ['--cpus-per-task=8', /`target\.slurm\.cpus_per_task`/],
      ['--mem=64G', /sets --mem itself; use `target\.slurm\.mem`/],
      ['--qos=high', /`target\.slurm\.qos`/],
      ['-q high', /`target\.slurm\.qos`/],
      ['--gres=gpu:a100:2', /sets the GPUs \(--gpus-per-node\) itself; use `target\.gpus` and `target\.slurm\.gpu_type`/],
      ['--gres=tmpfs:10G,gpu:1', /sets the GPUs/],
      ['--gres gpu', /sets the GPUs/],
      ['--gpus=8', /sets the GPUs/],
      ['-G 8', /sets the GPUs/],
      ['--gpus-per-task=1', /sets the GPUs/],
      ['--gpus-per-node=a100:2', /sets the GPUs/],
      ['-n 4', /one task per node starts one process per GPU/],
      ['--ntasks=4', /one task per node/],
      ['--ntasks-per-node=4', /one task per node/],
      ['--export=NONE', /sets --export itself \(sbatch must carry the launch's environment to the job\); leave it out/],
      ['--signal=USR1@60', /`target\.slurm\.save_before_limit_seconds`/],
      ['--requeue', /Chatwright writes --no-requeue: a requeued job would run again under the same id while its run looks ended; resume the job instead/],
      ['--no-requeue', /a requeued job/],
      ['--gres=tmpfs:10G', undefined],
      ['--mem-per-cpu=4G', undefined],
      ['--export-file=vars', undefined],
      ['-C ib', undefined],
      ['--nice=10', undefined],
    ];
    const script = 'import json, sys\nfrom chatwright_train.config import sbatch_line_problem\nprint(json.dumps([sbatch_line_problem(line) for line in json.load(sys.stdin)]))';
    const run = spawnSync('python3', ['-c', script], { input: JSON.stringify(lines.map(([line]) => line)), encoding: 'utf8', env: { ...process.env, PYTHONPATH: join(repo, 'python') } });
    assert.equal(run.status, 0, run.stderr);
    const python = JSON.parse(run.stdout) as (string | null)[];
    lines.forEach(([line, expected], index) => {
      const problem = sbatchLineProblem(line);
      if (expected === undefined) assert.equal(problem, undefined, line);
      else assert.match(problem ?? '', expected, line);
      assert.equal(python[index], problem ?? null, `Python on ${line}`);
    });
  });

  const badTargets: { name: string; yaml: string; path: string; line: number; column: number; message: RegExp }[] = [
    { name: 'a local target without a GPU', yaml: 'target:\n  gpus: 0\n', path: 'target.gpus', line: 6, column: 9, message: /a local job runs at least one process/ },
    {
      name: 'an unknown strategy',
      yaml: 'target:\n  strategy: deepspeed_zero4\n',
      path: 'target.strategy',
      line: 6,
      column: 13,
      message: /must be one of ddp, deepspeed_zero2, deepspeed_zero3, fsdp/,
    },
    { name: 'a privileged rendezvous port', yaml: 'target:\n  main_port: 80\n', path: 'target.main_port', line: 6, column: 14, message: /must be at least 1024, got 80/ },
    {
      name: 'a time limit Slurm cannot read',
      yaml: 'target:\n  slurm:\n    time: 8 hours\n',
      path: 'target.slurm.time',
      line: 7,
      column: 11,
      message: /not a Slurm time limit: write minutes, mm:ss, hh:mm:ss, d-hh, d-hh:mm or d-hh:mm:ss/,
    },
    { name: 'hours past a day after the days', yaml: 'target:\n  slurm: { time: "1-25" }\n', path: 'target.slurm.time', line: 6, column: 18, message: /not a Slurm time limit/ },
    { name: 'a time limit of zero', yaml: 'target:\n  slurm: { time: "0" }\n', path: 'target.slurm.time', line: 6, column: 18, message: /no limit at all/ },
    {
      name: 'a partition with a shell character',
      yaml: 'target:\n  slurm: { partition: "gpu;reboot" }\n',
      path: 'target.slurm.partition',
      line: 6,
      column: 23,
      message: /not a Slurm partition name: no spaces, quotes or shell characters/,
    },
    { name: 'an account with a space', yaml: 'target:\n  slurm: { account: nlp lab }\n', path: 'target.slurm.account', line: 6, column: 21, message: /not a Slurm account name/ },
    { name: 'a QOS name over 64 characters', yaml: `target:\n  slurm: { qos: ${'q'.repeat(65)} }\n`, path: 'target.slurm.qos', line: 6, column: 17, message: /at most 64 characters, got 65/ },
    { name: 'a GPU type with a count in it', yaml: 'target:\n  slurm: { gpu_type: "a100:4" }\n', path: 'target.slurm.gpu_type', line: 6, column: 22, message: /one name, without ',' or ':'/ },
    {
      name: 'a memory size with a byte suffix',
      yaml: 'target:\n  slurm: { mem: 64GB }\n',
      path: 'target.slurm.mem',
      line: 6,
      column: 17,
      message: /not a Slurm memory size: write a whole number with K, M, G or T/,
    },
    { name: 'no CPUs per task', yaml: 'target:\n  slurm: { cpus_per_task: 0 }\n', path: 'target.slurm.cpus_per_task', line: 6, column: 27, message: /must be at least 1, got 0/ },
    {
      name: 'an #SBATCH option Chatwright sets, on its line of the list',
      yaml: 'target:\n  slurm:\n    sbatch:\n      - --mail-type=END\n      - -J other\n',
      path: 'target.slurm.sbatch',
      line: 9,
      column: 9,
      message: /Chatwright sets --job-name\/-J itself; use the job file's `name`/,
    },
    { name: 'an abbreviated --partition', yaml: 'target:\n  slurm: { sbatch: ["--part=gpu"] }\n', path: 'target.slurm.sbatch', line: 6, column: 21, message: /use `target\.slurm\.partition`/ },
    { name: 'a short -t with its value attached', yaml: 'target:\n  slurm: { sbatch: ["-t10"] }\n', path: 'target.slurm.sbatch', line: 6, column: 21, message: /use `target\.slurm\.time`/ },
    {
      name: 'two options on one line',
      yaml: 'target:\n  slurm: { sbatch: ["--mail-type=END --exclusive"] }\n',
      path: 'target.slurm.sbatch',
      line: 6,
      column: 21,
      message: /more than one option: write each on its own line/,
    },
    {
      name: 'an option written with #SBATCH',
      yaml: 'target:\n  slurm: { sbatch: ["#SBATCH --exclusive"] }\n',
      path: 'target.slurm.sbatch',
      line: 6,
      column: 21,
      message: /without the '#SBATCH' prefix/,
    },
    {
      name: 'a line that is not an option',
      yaml: 'target:\n  slurm: { sbatch: ["exclusive"] }\n',
      path: 'target.slurm.sbatch',
      line: 6,
      column: 21,
      message: /not an sbatch option: each line is one option starting with '-'/,
    },
    { name: 'sbatch options as one string', yaml: 'target:\n  slurm: { sbatch: --exclusive }\n', path: 'target.slurm.sbatch', line: 6, column: 20, message: /must be a list of lines of text/ },
    {
      name: 'a setup line with a line break',
      yaml: 'target:\n  slurm: { setup: ["module load a\\nmodule load b"] }\n',
      path: 'target.slurm.setup',
      line: 6,
      column: 20,
      message: /one shell line: no line breaks/,
    },
    {
      name: 'a relative compute-node Python',
      yaml: 'target:\n  slurm: { python: ./venv/bin/python }\n',
      path: 'target.slurm.python',
      line: 6,
      column: 20,
      message: /absolute path on the compute nodes .* or a command name/,
    },
    {
      name: 'save_before_limit_seconds beyond what Slurm takes',
      yaml: 'target:\n  slurm: { save_before_limit_seconds: 70000 }\n',
      path: 'target.slurm.save_before_limit_seconds',
      line: 6,
      column: 39,
      message: /at most 65535/,
    },
  ];

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
  for (const bad of [...badFields, ...badTargets]) {
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
