import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type ChatBackend } from '../../../src/core/chat/backend';
import { type ChatSources } from '../../../src/core/chat/chatRunner';
import { type ComparisonSpec } from '../../../src/core/eval/evalTypes';
import { comparisonEmbedder, comparisonSources } from '../../../src/host/eval/comparisonSources';
import { hashingVector, startScriptedServer, type ScriptedServer } from '../../support/scriptedOpenAiServer';

function spec(overrides: Partial<ComparisonSpec>): ComparisonSpec {
  return {
    file: '/w/a.compare.yaml',
    root: '/w',
    name: 'a',
    evalSet: '/w/e.jsonl',
    strategies: [{ name: 's', model: 'remote/m', temperature: 0, maxTokens: 16 }],
    endpoints: [],
    concurrency: 2,
    primaryMetric: 'token_f1',
    trainingData: [],
    documents: [],
    outputDir: '/w/.chatwright/evals/a',
    seed: 0,
    bootstrapSamples: 200,
    ...overrides,
  };
}

const chatBackend = { id: 'remote', label: 'chat remote' } as unknown as ChatBackend;
const chat: ChatSources = { backend: (id) => (id === 'remote' || id === 'other' ? chatBackend : undefined) };

describe("a comparison's sources", () => {
  let server: ScriptedServer;
  before(async () => {
    server = await startScriptedServer({ models: { m: () => 'ok' }, apiKey: 'sekret' });
  });
  after(() => server.close());

  it("adds the file's endpoints as backends, ahead of the chat's of the same id", () => {
    const sources = comparisonSources(chat, spec({ endpoints: [{ id: 'remote', url: server.url }] }), {});
    assert.notEqual(sources.backend('remote'), chatBackend);
    assert.equal(sources.backend('remote')?.label, 'remote');
    assert.equal(sources.backend('other'), chatBackend);
    assert.equal(sources.backend('missing'), undefined);
  });

  it('fails a retrieval that names an index this window does not have, instead of searching every folder', async () => {
    const asked: (string | undefined)[] = [];
    const withIndexes = {
      ...chat,
      indexes: () => ['docs', 'api'],
      retrieve: (_query: string, _k: number, index: string | undefined) => {
        asked.push(index);
        return Promise.resolve([]);
      },
    };
    const sources = comparisonSources(withIndexes, spec({}), {});
    const signal = AbortSignal.timeout(5000);
    await assert.rejects(sources.retrieve!('q', 2, 'manual', signal), /no index named "manual".*"docs", "api"/);
    await sources.retrieve!('q', 2, 'docs', signal);
    await sources.retrieve!('q', 2, undefined, signal);
    assert.deepEqual(asked, ['docs', undefined]);
  });

  it('names the environment variable of a used endpoint whose key is not set', () => {
    const endpoints = [{ id: 'remote', url: server.url, apiKeyEnv: 'EVAL_TEST_KEY' }];
    assert.throws(() => comparisonSources(chat, spec({ endpoints }), {}), /EVAL_TEST_KEY/);
    assert.doesNotThrow(() => comparisonSources(chat, spec({ endpoints }), { EVAL_TEST_KEY: 'sekret' }));
    // An endpoint no strategy of this run uses needs no key.
    assert.doesNotThrow(() => comparisonSources(chat, spec({ endpoints, strategies: [{ name: 's', model: 'other/m', temperature: 0, maxTokens: 16 }] }), {}));
  });

  it("embeds through the endpoint's /embeddings with its key, one vector per text in order", async () => {
    const embed = comparisonEmbedder(spec({ endpoints: [{ id: 'remote', url: server.url, apiKeyEnv: 'EVAL_TEST_KEY' }], embeddingModel: 'remote/hash-embed' }), undefined, { EVAL_TEST_KEY: 'sekret' });
    assert.ok(embed);
    const vectors = await embed(['first text', 'second text'], AbortSignal.timeout(10_000));
    assert.equal(vectors.length, 2);
    assert.deepEqual([...vectors[0]!], [...hashingVector('first text', vectors[0]!.length)]);
    assert.deepEqual([...vectors[1]!], [...hashingVector('second text', vectors[1]!.length)]);
  });

  it("embeds engine/<model> through the engine's embedder, and has no embedder without an embedding model", async () => {
    const calls: string[] = [];
    const engine = { embed: (model: string, texts: readonly string[]) => (calls.push(model), Promise.resolve({ vectors: texts.map(() => new Float32Array([1, 0])) })) };
    const embed = comparisonEmbedder(spec({ embeddingModel: 'engine/Xenova/all-MiniLM-L6-v2' }), engine, {});
    assert.equal((await embed!(['a'], AbortSignal.timeout(1000))).length, 1);
    assert.deepEqual(calls, ['Xenova/all-MiniLM-L6-v2']);
    assert.equal(comparisonEmbedder(spec({}), engine, {}), undefined);
  });

  it('an embedding model naming no endpoint fails saying so', async () => {
    const embed = comparisonEmbedder(spec({ embeddingModel: 'nowhere/e' }), undefined, {});
    await assert.rejects(embed!(['a'], AbortSignal.timeout(1000)), /names no endpoint/);
  });
});
