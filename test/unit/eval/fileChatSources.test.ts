import assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { type ChatBackendEvent } from '../../../src/core/chat/backend';
import { EngineChatBackend, type EngineGenerator } from '../../../src/core/eval/engineChatBackend';
import { FileChatSources } from '../../../src/core/eval/fileChatSources';
import { runCliCaptured } from '../../support/cli';
import { scratchDir } from '../../support/scratchDir';
import { startScriptedServer } from '../../support/scriptedOpenAiServer';

const sample = join(__dirname, '..', '..', '..', 'examples', 'support-bot');

describe('the CLI’s chat sources (files under a workspace root)', () => {
  it('renders a .prompty template in the render sandbox, with the question where the template puts it', async () => {
    const sources = new FileChatSources({ root: sample, endpoints: [], env: {} });
    try {
      const rendered = await sources.renderTemplate('prompts/support.prompty', { question: 'What is E42?' }, 0, new AbortController().signal);
      assert.equal(rendered.messages[0]?.role, 'system');
      assert.deepEqual(rendered.messages.at(-1), { role: 'user', content: 'What is E42?' });
    } finally {
      await sources.dispose();
    }
  });

  it('reads few-shot examples inside the root and refuses a path that leaves it', async () => {
    const sources = new FileChatSources({ root: sample, endpoints: [], env: {} });
    const read = await sources.readExamples('data/examples.jsonl', 2, { selection: 'first', seed: 0, query: 'q' });
    assert.equal(read.examples.length, 2);
    assert.match(read.examples[0]!.source, /^data\/examples\.jsonl:\d+$/);
    await assert.rejects(sources.readExamples('../../package.json', 2), /outside the workspace/);
  });

  it('has no retrieval without an index, and retrieves passages from <root>/.chatwright/index.db when there is one', { timeout: 60_000 }, async () => {
    const root = scratchDir('file-sources-index');
    assert.equal(new FileChatSources({ root, endpoints: [], env: {} }).retrieve, undefined, 'the chat then notes that no index is available');
    mkdirSync(join(root, 'docs'));
    cpSync(join(sample, 'docs'), join(root, 'docs'), { recursive: true });
    const indexed = await runCliCaptured(['index', '.'], { cwd: root, env: {} });
    assert.equal(indexed.code, 0, indexed.stderr);
    const sources = new FileChatSources({ root, endpoints: [], env: {} });
    try {
      assert.ok(sources.retrieve);
      const passages = await sources.retrieve('schedule a backup', 3, undefined, new AbortController().signal);
      assert.ok(passages.length > 0 && passages.length <= 3);
      assert.ok(
        passages.every((passage) => passage.file.startsWith('docs/')),
        JSON.stringify(passages.map((p) => p.file)),
      );
      const limited = await sources.retrieve('schedule a backup', 3, undefined, new AbortController().signal, ['docs/troubleshooting.md']);
      assert.ok(limited.every((passage) => passage.file === 'docs/troubleshooting.md'));
      // The one index is the root folder's, named as the editor names a folder's index; another name is an error.
      assert.equal(sources.indexName, basename(root));
      const named = await sources.retrieve('schedule a backup', 3, basename(root), new AbortController().signal);
      assert.deepEqual(named, passages);
      await assert.rejects(sources.retrieve('schedule a backup', 3, 'handbook', new AbortController().signal), new RegExp(`'handbook' is not here: the CLI has one index \\(${basename(root)}\\)`));
    } finally {
      await sources.dispose();
    }
  });

  it('answers with the engine in process: options passed through, a relative model folder resolved against the root, stats mapped', async () => {
    const root = scratchDir('file-sources-engine');
    mkdirSync(join(root, 'models', 'tiny'), { recursive: true });
    const calls: { model: string; options: unknown }[] = [];
    const engine: EngineGenerator = {
      generate: (model, _messages, options, onText) => {
        calls.push({ model, options });
        onText?.('Hello');
        return Promise.resolve({
          text: 'Hello',
          tokens: [1],
          stats: { promptTokens: 7, generatedTokens: 1, timeToFirstTokenMs: 5, tokensPerSecond: 10, totalMs: 9, finishReason: 'length' },
        } as unknown as Awaited<ReturnType<EngineGenerator['generate']>>);
      },
    };
    const backend = new EngineChatBackend(engine, root);
    const events: ChatBackendEvent[] = [];
    const stats = await backend.generate(
      { model: 'models/tiny', messages: [{ role: 'user', content: 'Hi' }], options: { temperature: 0, maxTokens: 16, seed: 3 } },
      (e) => events.push(e),
      new AbortController().signal,
    );
    assert.equal(calls[0]?.model, join(root, 'models', 'tiny'));
    assert.deepEqual(calls[0]?.options, { maxNewTokens: 16, temperature: 0, doSample: false, seed: 3 });
    assert.equal(stats.finishReason, 'length');
    assert.equal(stats.completionTokens, 1);
    assert.deepEqual(events[0], { type: 'token', text: 'Hello' });
    await backend.generate({ model: 'Org/hub-model', messages: [{ role: 'user', content: 'Hi' }], options: { temperature: 0.5, maxTokens: 4 } }, () => undefined, new AbortController().signal);
    assert.equal(calls[1]?.model, 'Org/hub-model', 'a Hub id is left for the cache lookup');
  });

  it('embeds batch after batch through an endpoint without leaving listeners on the run’s signal', async () => {
    const server = await startScriptedServer({ models: {} });
    try {
      const sources = new FileChatSources({ root: sample, endpoints: [{ id: 'local', url: server.url }], env: {} });
      const embed = sources.embedder('local/hash-embed');
      const run = new AbortController();
      for (let batch = 0; batch < 20; batch++) {
        const vectors = await embed([`text ${batch}`, `another ${batch}`], run.signal);
        assert.equal(vectors.length, 2);
      }
      assert.equal(getEventListeners(run.signal, 'abort').length, 0);
    } finally {
      await server.close();
    }
  });

  it('gives each endpoint its API key from the environment', async () => {
    const server = await startScriptedServer({ models: { echo: () => 'pong' }, apiKey: 'secret-key' });
    try {
      const request = { model: 'echo', messages: [{ role: 'user' as const, content: 'ping' }], options: { temperature: 0, maxTokens: 8 } };
      const keyed = new FileChatSources({ root: sample, endpoints: [{ id: 'gpu', url: server.url, apiKeyEnv: 'GPU_KEY' }], env: { GPU_KEY: 'secret-key' } });
      const backend = keyed.backend('gpu')!;
      assert.equal(keyed.backend('gpu'), backend, 'made once');
      let text = '';
      await backend.generate(request, (event) => (text += event.type === 'token' ? event.text : ''), new AbortController().signal);
      assert.equal(text, 'pong');
      const unkeyed = new FileChatSources({ root: sample, endpoints: [{ id: 'gpu', url: server.url, apiKeyEnv: 'GPU_KEY' }], env: {} });
      await assert.rejects(unkeyed.backend('gpu')!.generate(request, () => undefined, new AbortController().signal));
      assert.equal(keyed.backend('other'), undefined);
    } finally {
      await server.close();
    }
  });
});
