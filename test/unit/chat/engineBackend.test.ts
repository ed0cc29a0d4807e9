import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ChatBackendEvent } from '../../../src/core/chat/backend';
import { type CachedModel } from '../../../src/core/hub/cacheScan';
import { EngineChatBackend, engineError, runnableChatModels, type EngineGenerate } from '../../../src/host/chat/engineBackend';
import { type EngineGenerationResult } from '../../../src/shared/engineProtocol';

// The engine backend imports no `vscode` (it lives in src/host only because the host wires it): tested directly.

function fakeEngine(result: (onToken: (t: string) => void) => Promise<EngineGenerationResult>): EngineGenerate & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    generate(model, messages, options, onToken) {
      calls.push({ model, messages, options });
      return result(onToken);
    },
  };
}

const stats = { promptTokens: 10, generatedTokens: 2, timeToFirstTokenMs: 5, tokensPerSecond: 100, totalMs: 25, provider: 'cpu' as const };

function cachedModel(repoId: string, paths: string[], present = true): CachedModel {
  const files = paths.map((path) => ({ path, size: 1, present: present || !path.endsWith('.onnx') }));
  const revision = { commit: 'c'.repeat(40), refs: ['main'], folder: `/cache/${repoId}`, files, size: files.length, lastModified: new Date(0) };
  return { repoId, folder: `/cache/${repoId}`, refs: { main: revision.commit }, revisions: [revision], sizeOnDisk: 1, incompleteBytes: 0, lastModified: new Date(0), warnings: [] };
}

describe('EngineChatBackend', () => {
  it('lists the chat model chosen in the Models feature, and nothing when none is and the cache is empty', async () => {
    assert.deepEqual(await new EngineChatBackend(undefined, () => 'Qwen/Qwen3-0.6B').listModels(), [{ id: 'Qwen/Qwen3-0.6B', label: 'Qwen/Qwen3-0.6B' }]);
    assert.deepEqual(await new EngineChatBackend(undefined, () => undefined).listModels(), []);
  });

  it('lists every runnable chat model in the cache, the chosen one first, and leaves out embedders and what it cannot run', async () => {
    const cached = [
      cachedModel('org/second-chat', ['onnx/model_q4.onnx', 'tokenizer.json', 'generation_config.json']),
      cachedModel('org/chosen', ['onnx/model.onnx', 'tokenizer.json']),
      cachedModel('org/embedder', ['onnx/model.onnx', 'tokenizer.json', 'modules.json']),
      cachedModel('org/gguf-only', ['model.Q4_K_M.gguf', 'tokenizer.json']),
      cachedModel('org/no-tokenizer', ['onnx/model.onnx']),
      cachedModel('org/link-broken', ['onnx/model.onnx', 'tokenizer.json'], false),
    ];
    assert.deepEqual(
      runnableChatModels(cached, 'org/chosen@main').map((m) => m.id),
      ['org/chosen@main', 'org/second-chat'],
    );
    const backend = new EngineChatBackend(
      undefined,
      () => undefined,
      () => Promise.resolve(cached),
    );
    assert.deepEqual(
      (await backend.listModels()).map((m) => m.id),
      ['org/chosen', 'org/second-chat'],
    );
  });

  it('still lists the chosen model when the cache cannot be read', async () => {
    const backend = new EngineChatBackend(
      undefined,
      () => 'org/chosen',
      () => Promise.reject(new Error('EACCES')),
    );
    assert.deepEqual(
      (await backend.listModels()).map((m) => m.id),
      ['org/chosen'],
    );
  });

  it('streams the engine tokens, maps the options and the stats', async () => {
    const engine = fakeEngine((onToken) => {
      onToken('Hi');
      onToken('!');
      return Promise.resolve({ text: 'Hi!', stats: { ...stats, finishReason: 'context' } });
    });
    const events: ChatBackendEvent[] = [];
    const result = await new EngineChatBackend(engine, () => 'm').generate(
      { model: 'm', messages: [{ role: 'user', content: 'q' }], options: { temperature: 0, maxTokens: 7 } },
      (e) => events.push(e),
      new AbortController().signal,
    );
    assert.deepEqual(events.slice(0, 2), [
      { type: 'token', text: 'Hi' },
      { type: 'token', text: '!' },
    ]);
    assert.equal(result.finishReason, 'length');
    assert.equal(result.completionTokens, 2);
    assert.deepEqual(engine.calls[0], { model: 'm', messages: [{ role: 'user', content: 'q' }], options: { maxNewTokens: 7, temperature: 0, doSample: false } });
  });

  it('says the engine is unavailable when it is not running', async () => {
    await assert.rejects(
      new EngineChatBackend(undefined, () => 'm').generate({ model: 'm', messages: [], options: { temperature: 0, maxTokens: 1 } }, () => undefined, new AbortController().signal),
      /backend-unavailable|not running/,
    );
  });

  it('maps engine errors to the codes the UI offers fixes for', () => {
    const named = (name: string, message: string) => Object.assign(new Error(message), { name });
    const signal = new AbortController().signal;
    assert.equal(engineError(named('ModelError', 'model folder not found: /x'), 'm', signal).code, 'model-missing');
    assert.equal(engineError(named('RangeError', 'prompt of 5000 tokens exceeds the context window'), 'm', signal).code, 'context-too-long');
    assert.equal(engineError(named('EngineCrashedError', 'the inference engine exited'), 'm', signal).code, 'engine-failure');
    const aborted = new AbortController();
    aborted.abort();
    assert.equal(engineError(named('CancelledError', 'cancelled'), 'm', aborted.signal).code, 'cancelled');
  });
});
