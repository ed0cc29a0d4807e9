import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ChatBackendEvent } from '../../../src/core/chat/backend';
import { EngineChatBackend, engineError, type EngineGenerate } from '../../../src/host/chat/engineBackend';
import { type EngineGenerationResult } from '../../../src/shared/engineProtocol';

// The engine backend imports no `vscode` (it lives in src/host only because the host wires it): tested directly.

function fakeEngine(result: (onToken: (t: string) => void) => Promise<EngineGenerationResult>): EngineGenerate & { calls: unknown[] } {
  const calls: unknown[] = [];
  return {
    calls,
    generate(params, onToken) {
      calls.push(params);
      return result(onToken);
    },
  };
}

const stats = { promptTokens: 10, generatedTokens: 2, timeToFirstTokenMs: 5, tokensPerSecond: 100, totalMs: 25, provider: 'cpu' as const };

describe('EngineChatBackend', () => {
  it('lists the chat model chosen in the Models feature, and nothing when none is', async () => {
    assert.deepEqual(await new EngineChatBackend(() => undefined, () => 'Qwen/Qwen3-0.6B').listModels(), [{ id: 'Qwen/Qwen3-0.6B', label: 'Qwen/Qwen3-0.6B' }]);
    assert.deepEqual(await new EngineChatBackend(() => undefined, () => undefined).listModels(), []);
  });

  it('streams the engine tokens, maps the options and the stats', async () => {
    const engine = fakeEngine((onToken) => {
      onToken('Hi');
      onToken('!');
      return Promise.resolve({ text: 'Hi!', stats: { ...stats, finishReason: 'context' } });
    });
    const events: ChatBackendEvent[] = [];
    const result = await new EngineChatBackend(() => engine, () => 'm').generate({ model: 'm', messages: [{ role: 'user', content: 'q' }], options: { temperature: 0, maxTokens: 7 } }, (e) => events.push(e), new AbortController().signal);
    assert.deepEqual(events.slice(0, 2), [{ type: 'token', text: 'Hi' }, { type: 'token', text: '!' }]);
    assert.equal(result.finishReason, 'length');
    assert.equal(result.completionTokens, 2);
    assert.deepEqual(engine.calls[0], { model: 'm', messages: [{ role: 'user', content: 'q' }], options: { maxNewTokens: 7, temperature: 0, doSample: false } });
  });

  it('says the engine is unavailable when it is not running', async () => {
    await assert.rejects(new EngineChatBackend(() => undefined, () => 'm').generate({ model: 'm', messages: [], options: { temperature: 0, maxTokens: 1 } }, () => undefined, new AbortController().signal), /backend-unavailable|not running/);
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
