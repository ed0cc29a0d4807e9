import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from 'node:test';
import { createRunFolder, writeRunRecord, type RunRecord } from '../../../src/core/jobs/runFolder';
import { adaptersForModel, findServableAdapters, gpuServerCommand } from '../../../src/core/serving/gpuServerLaunch';
import { scratchDir } from '../../support/scratchDir';

interface RunSpec {
  name: string;
  createdAt: string;
  adapterConfig?: unknown;
  weights?: boolean;
  method?: string;
  record?: Partial<RunRecord>;
}

function makeRun(workspace: string, spec: RunSpec): string {
  const runDir = createRunFolder(workspace, spec.name, new Date(spec.createdAt));
  writeRunRecord(runDir, { version: 1, name: spec.name, createdAt: spec.createdAt, hostname: 'test', ...spec.record });
  if (spec.method !== undefined) writeFileSync(join(runDir, 'config.json'), JSON.stringify({ method: { type: spec.method } }));
  if (spec.adapterConfig !== undefined) {
    mkdirSync(join(runDir, 'adapter'));
    const config = spec.adapterConfig;
    writeFileSync(join(runDir, 'adapter', 'adapter_config.json'), typeof config === 'string' ? config : JSON.stringify(config));
    if (spec.weights !== false) writeFileSync(join(runDir, 'adapter', 'adapter_model.safetensors'), Buffer.alloc(16));
  }
  return runDir;
}

const lora = (base: string, r = 16, extra: Record<string, unknown> = {}) => ({ peft_type: 'LORA', base_model_name_or_path: base, r, ...extra });

describe('findServableAdapters', () => {
  it('lists finished runs with an adapter, newest first, with base model, rank, PEFT type and method', (t) => {
    const workspace = scratchDir('gpu-launch', t);
    const older = makeRun(workspace, { name: 'support-bot', createdAt: '2026-01-01T10:00:00Z', adapterConfig: lora('/models/qwen', 8), method: 'qlora' });
    const newer = makeRun(workspace, { name: 'persona', createdAt: '2026-01-02T10:00:00Z', adapterConfig: lora('Qwen/Qwen3-0.6B', 32, { use_dora: true }) });
    const adapters = findServableAdapters(workspace);
    assert.deepEqual(adapters, [
      { id: 'persona', runDir: newer, path: join(newer, 'adapter'), baseModel: 'Qwen/Qwen3-0.6B', rank: 32, peftType: 'LORA', method: 'dora' },
      { id: 'support-bot', runDir: older, path: join(older, 'adapter'), baseModel: '/models/qwen', rank: 8, peftType: 'LORA', method: 'qlora' },
    ]);
  });

  it('skips runs without weights, with a malformed or oversized config, still running, or serving', (t) => {
    const workspace = scratchDir('gpu-launch', t);
    makeRun(workspace, { name: 'no-weights', createdAt: '2026-01-01T10:00:00Z', adapterConfig: lora('m'), weights: false });
    makeRun(workspace, { name: 'bad-json', createdAt: '2026-01-01T10:00:01Z', adapterConfig: '{oops' });
    makeRun(workspace, { name: 'no-type', createdAt: '2026-01-01T10:00:02Z', adapterConfig: { r: 8 } });
    makeRun(workspace, { name: 'huge', createdAt: '2026-01-01T10:00:03Z', adapterConfig: JSON.stringify({ ...lora('m'), pad: 'x'.repeat(2 << 20) }) });
    makeRun(workspace, { name: 'running', createdAt: '2026-01-01T10:00:04Z', adapterConfig: lora('m'), record: { pid: process.pid } });
    makeRun(workspace, { name: 'server', createdAt: '2026-01-01T10:00:05Z', adapterConfig: lora('m'), record: { kind: 'serve' } });
    makeRun(workspace, { name: 'no-adapter', createdAt: '2026-01-01T10:00:06Z' });
    const good = makeRun(workspace, { name: 'good', createdAt: '2026-01-01T09:00:00Z', adapterConfig: lora('m') });
    assert.deepEqual(
      findServableAdapters(workspace).map((adapter) => adapter.runDir),
      [good],
    );
  });

  it('gives a later run of the same name its folder name as id, and cleans characters the server refuses', (t) => {
    const workspace = scratchDir('gpu-launch', t);
    makeRun(workspace, { name: 'bot', createdAt: '2026-01-01T10:00:00Z', adapterConfig: lora('m') });
    makeRun(workspace, { name: 'bot', createdAt: '2026-01-02T10:00:00Z', adapterConfig: lora('m') });
    makeRun(workspace, { name: 'my bot (v2)', createdAt: '2026-01-03T10:00:00Z', adapterConfig: lora('m') });
    const ids = findServableAdapters(workspace).map((adapter) => adapter.id);
    assert.equal(ids[0], 'my-bot-v2-');
    assert.equal(ids[1], 'bot');
    assert.match(ids[2] ?? '', /^20260101-\d{6}-bot$/);
  });

  it('answers an empty list for a workspace without runs', (t) => {
    assert.deepEqual(findServableAdapters(scratchDir('gpu-launch', t)), []);
  });
});

describe('adaptersForModel', () => {
  it('keeps adapters trained on the model, not those naming another or none (the server refuses them)', (t) => {
    const workspace = scratchDir('gpu-launch', t);
    makeRun(workspace, { name: 'a', createdAt: '2026-01-01T10:00:00Z', adapterConfig: lora('/models/qwen/') });
    makeRun(workspace, { name: 'b', createdAt: '2026-01-01T10:00:01Z', adapterConfig: lora('other') });
    makeRun(workspace, { name: 'c', createdAt: '2026-01-01T10:00:02Z', adapterConfig: { peft_type: 'LORA', r: 4 } });
    assert.deepEqual(
      adaptersForModel(findServableAdapters(workspace), '/models/qwen').map((adapter) => adapter.id),
      ['a'],
    );
  });
});

describe('gpuServerCommand', () => {
  it('builds python -m chatwright_serve with the model, adapters, adapter roots, address, engine, run folder and batch', () => {
    const launch = gpuServerCommand({
      python: '/venv/bin/python',
      pythonPath: '/ext/python',
      model: 'Qwen/Qwen3-0.6B',
      adapters: [{ id: 'persona', path: '/ws/runs/persona/adapter' }],
      adapterRoots: ['/ws/runs'],
      host: '0.0.0.0',
      port: 0,
      engine: 'vllm',
      runDir: '/ws/runs/serve',
      maxBatch: 4,
      apiKey: 'k-123',
      baseEnv: { PYTHONPATH: '/site' },
    });
    assert.equal(launch.command, '/venv/bin/python');
    assert.deepEqual(launch.args, [
      '-m',
      'chatwright_serve',
      '--model',
      'Qwen/Qwen3-0.6B',
      '--adapter',
      'persona=/ws/runs/persona/adapter',
      '--adapter-root',
      '/ws/runs',
      '--host',
      '0.0.0.0',
      '--port',
      '0',
      '--engine',
      'vllm',
      '--run-dir',
      '/ws/runs/serve',
      '--max-batch',
      '4',
    ]);
    assert.deepEqual(launch.env, { PYTHONPATH: `/ext/python${delimiter}/site`, PYTHONUNBUFFERED: '1', CHATWRIGHT_SERVE_API_KEY: 'k-123' });
    assert.ok(!launch.args.some((arg) => arg.includes('k-123')), 'the key is never on the command line');
  });

  it('defaults to loopback, the GPU port and engine auto, with no key in the environment', () => {
    const launch = gpuServerCommand({ python: 'python3', pythonPath: '/p', model: 'm', baseEnv: {} });
    assert.deepEqual(launch.args, ['-m', 'chatwright_serve', '--model', 'm', '--host', '127.0.0.1', '--port', '8766', '--engine', 'auto']);
    assert.deepEqual(launch.env, { PYTHONPATH: '/p', PYTHONUNBUFFERED: '1', CHATWRIGHT_SERVE_API_KEY: undefined }, 'named without a value: an inherited key is taken out');
  });

  it('refuses an empty model, a bad port, a bad batch size and an adapter id the server would refuse', () => {
    const base = { python: 'python3', pythonPath: '/p', model: 'm' };
    assert.throws(() => gpuServerCommand({ ...base, model: ' ' }), /model to serve is empty/);
    assert.throws(() => gpuServerCommand({ ...base, port: 70000 }), /port must be/);
    assert.throws(() => gpuServerCommand({ ...base, maxBatch: 0 }), /batch size/);
    assert.throws(() => gpuServerCommand({ ...base, adapters: [{ id: 'has space', path: '/a' }] }), /adapter id 'has space'/);
  });
});
