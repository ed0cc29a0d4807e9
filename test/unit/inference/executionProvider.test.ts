import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InferenceEngine } from '../../../src/core/inference/inferenceEngine';
import { openWithFallback } from '../../../src/core/inference/onnxSession';
import { runTypeScriptChild } from '../../support/childRun';
import { decoderModel, encoderModel } from '../../support/testModels';

const openSessionChild = join(__dirname, '..', '..', 'support', 'children', 'openSession.ts');

describe('execution providers', () => {
  it('uses CUDA when it opens', async () => {
    const tried: string[][] = [];
    const opened = await openWithFallback('auto', (providers) => {
      tried.push(providers);
      return Promise.resolve('session');
    });
    assert.deepEqual(opened, { session: 'session', provider: 'cuda' });
    assert.deepEqual(tried, [['cuda', 'cpu']]);
  });

  it('falls back to the CPU when CUDA throws, and says why and how to install it', async () => {
    const tried: string[][] = [];
    const opened = await openWithFallback('cuda', (providers) => {
      tried.push(providers);
      if (providers.includes('cuda')) return Promise.reject(new Error('onnxruntime_providers_cuda.so: cannot open shared object file'));
      return Promise.resolve('cpu-session');
    });
    assert.equal(opened.provider, 'cpu');
    assert.equal(opened.session, 'cpu-session');
    assert.match(opened.fallbackReason!, /CUDA is not available \(onnxruntime_providers_cuda\.so.*ONNXRUNTIME_NODE_INSTALL=cuda12/);
    assert.deepEqual(tried, [['cuda', 'cpu'], ['cpu']]);
  });

  it('does not retry on the CPU when the model file itself is bad', async () => {
    let attempts = 0;
    await assert.rejects(
      openWithFallback('auto', () => {
        attempts++;
        return Promise.reject(new Error('Load model from /m/model.onnx failed:Protobuf parsing failed.'));
      }),
      /Protobuf parsing failed/,
    );
    assert.equal(attempts, 1);
  });

  it('on this machine (no CUDA provider bundled), asking for CUDA runs the model on the CPU', async () => {
    const model = encoderModel();
    // In a child process: onnxruntime logs the failed CUDA load from C++ straight to stderr, which is captured here.
    const run = await runTypeScriptChild('cuda-fallback', openSessionChild, [`${model}/onnx/model.onnx`, 'cuda']);
    assert.equal(run.status, 0, run.stderr);
    const opened = JSON.parse(run.stdout) as { provider: string; fallbackReason?: string };
    assert.equal(opened.provider, 'cpu');
    assert.match(opened.fallbackReason!, /CUDA is not available/);
    assert.match(run.stderr, /onnxruntime_providers_(shared|cuda)/, 'onnxruntime says which provider library it could not load');
  });
});

describe('model memory', () => {
  it('refuses a model larger than the free memory, with sizes in the message', async () => {
    const model = encoderModel();
    const engine = new InferenceEngine({ executionProvider: 'cpu', threads: 1, idleUnloadMs: 0 }, {}, process.env, () => 1024 * 1024);
    await assert.rejects(engine.embed(model, ['x'], 'query'), /model\.onnx needs about 0\.0 GB of memory to run but only 0\.0 GB is free.*smaller or more quantized/);
    await engine.dispose();
  });

  it('loads once, shares the model between requests and unloads it on request', async () => {
    const model = encoderModel();
    const loads: string[] = [];
    const engine = new InferenceEngine({ executionProvider: 'cpu', threads: 1, idleUnloadMs: 0 }, { onLoaded: (info) => loads.push(info.model) });
    await Promise.all([engine.embed(model, ['a'], 'query'), engine.embed(model, ['b'], 'document')]);
    assert.deepEqual(loads, [model]);
    assert.equal(engine.loaded().length, 1);
    assert.equal(await engine.unload(model), 1);
    assert.equal(engine.loaded().length, 0);
    await engine.dispose();
  });

  it('spinning while generating is a setting: the same greedy tokens either way, and changing it reloads the models', async () => {
    const { dir } = decoderModel();
    const engine = new InferenceEngine({ executionProvider: 'cpu', threads: 2, idleUnloadMs: 0 });
    const plain = await engine.complete(dir, 'hello', { temperature: 0, maxNewTokens: 12 });
    assert.equal(engine.loaded().length, 1);
    engine.configure({ executionProvider: 'cpu', threads: 2, idleUnloadMs: 0, spinWhileGenerating: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(engine.loaded().length, 0, 'the model opened without spinning was released');
    const spinning = await engine.complete(dir, 'hello', { temperature: 0, maxNewTokens: 12 });
    assert.deepEqual(spinning.tokens, plain.tokens);
    engine.configure({ executionProvider: 'cpu', threads: 2, idleUnloadMs: 0, spinWhileGenerating: true });
    assert.equal(engine.loaded().length, 1, 'the same settings keep it loaded');
    await engine.dispose();
  });

  it('releases a model left idle longer than the setting, and only then', async () => {
    const model = encoderModel();
    const unloaded: string[] = [];
    const engine = new InferenceEngine({ executionProvider: 'cpu', threads: 1, idleUnloadMs: 60_000 }, { onUnloaded: (name) => unloaded.push(name) });
    await engine.embed(model, ['a'], 'query');
    assert.equal(await engine.releaseIdle(Date.now() + 30_000), 0);
    assert.equal(await engine.releaseIdle(Date.now() + 61_000), 1);
    assert.deepEqual(unloaded, [model]);
    assert.equal(engine.loaded().length, 0);
    const [again] = (await engine.embed(model, ['a'], 'query')).vectors;
    assert.equal(again!.length, 32, 'it loads again on the next request');
    await engine.dispose();
  });
});
