import { openFolders, Uri } from '../../support/vscodeStub';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runExchange } from '../../../src/core/chat/chatRunner';
import { newConversation, startExchange } from '../../../src/core/chat/conversation';
import { BackendRegistry } from '../../../src/host/chat/backendRegistry';
import { WorkspaceChatSources } from '../../../src/host/chat/workspaceChatSources';
import { type EngineEmbedder } from '../../../src/host/rag/indexClient';
import { IndexManager, type IndexManagerContext } from '../../../src/host/rag/indexManager';
import { defaultChatSettings } from '../../../src/core/chat/chatTypes';
import { generateEncoderModel } from '../../support/modelGenerator';
import { scratchDir } from '../../support/scratchDir';
import { ScriptedBackend } from '../../support/scriptedBackend';
import { HashingEmbedder } from '../../support/hashingEmbedder';

const repository = join(__dirname, '..', '..', '..');

/** The inference engine as the index manager sees it, counting what it embeds for which role. */
class CountingEngine implements EngineEmbedder {
  readonly calls: { role: 'query' | 'document'; texts: number }[] = [];
  private readonly hashing = new HashingEmbedder('engine/hashing@1');
  /** While set, a question's embedding waits until it is cancelled (an engine busy with a long batch). */
  holdQueries = false;
  /** While set, a question's embedding fails with it. */
  queryFailure: Error | undefined;

  async embed(_model: string, texts: readonly string[], role: 'query' | 'document', signal?: AbortSignal): Promise<{ vectors: Float32Array[]; modelKey: string; dimensions: number }> {
    this.calls.push({ role, texts: texts.length });
    if (role === 'query' && this.queryFailure) throw this.queryFailure;
    if (role === 'query' && this.holdQueries) {
      await new Promise((_, reject) => signal?.addEventListener('abort', () => reject(Object.assign(new Error('cancelled'), { name: 'CancelledError' })), { once: true }));
    }
    const vectors = await this.hashing.embed(texts, role);
    return { vectors, modelKey: this.hashing.modelKey, dimensions: this.hashing.dimensions };
  }

  count(role: 'query' | 'document'): number {
    return this.calls.filter((call) => call.role === role).length;
  }
}

describe('the workspace index with two folders (real index workers, the engine faked)', () => {
  const scratch = scratchDir('index-manager');
  const harbour = join(scratch, 'harbour');
  const marina = join(scratch, 'marina');
  const encoder = join(scratch, 'tiny-bert');
  const engine = new CountingEngine();
  const logged: string[] = [];
  let manager: IndexManager;
  let sources: WorkspaceChatSources;
  const backend = new ScriptedBackend('scripted', { tokens: ['At the north quay [1].'] });

  before(async () => {
    mkdirSync(join(harbour, 'docs'), { recursive: true });
    mkdirSync(join(marina, 'notes'), { recursive: true });
    writeFileSync(join(harbour, 'docs', 'fuel.md'), '# Harbour\n\n## Fuel\n\nDiesel is sold at the north quay.\n');
    writeFileSync(join(marina, 'notes', 'visitors.md'), '# Marina\n\n## Diesel\n\nVisitors buy diesel at pontoon C.\n');
    // The workers read the embedding model's tokenizer and config themselves (token budgets); vectors come from the engine.
    generateEncoderModel(encoder);
    openFolders([harbour, marina]);
    const context: IndexManagerContext = {
      log: { info: (line: string) => logged.push(line), warn: (line: string) => logged.push(line), error: (line: string) => logged.push(line) },
      asAbsolutePath: (path) => join(repository, path),
      config: { ragSettings: () => ({ autoIndex: false, include: [], exclude: [], includeCode: false, respectGitignore: true, maxFileBytes: 1024 * 1024, chunkTokens: 256, chunkOverlap: 32 }) },
      extension: { storageUri: Uri.file(join(scratch, 'storage')) as never, globalStorageUri: Uri.file(join(scratch, 'global')) as never },
    };
    const models = { embeddingModel: encoder, onDidChange: () => ({ dispose: () => undefined }) };
    manager = new IndexManager(context, models, engine, join(repository, 'src', 'worker', 'indexWorker.ts'));
    const backends = new BackendRegistry();
    backends.register(backend);
    sources = new WorkspaceChatSources({ backends, rag: manager, renderTimeoutMs: () => 2000 });
    const reports = await manager.indexAll();
    assert.deepEqual(
      reports.map((report) => report.embedded),
      [1, 1],
      `each folder embedded its passage: ${logged.join('\n')}`,
    );
  });

  after(() => {
    sources.dispose();
    manager.dispose();
  });

  it('embeds a question once, on the host, and answers from both folders by vector and by words', async () => {
    engine.calls.length = 0;
    const conversation = newConversation({ ...defaultChatSettings, model: 'scripted/tiny', rag: { enabled: true, k: 4 } });
    const answer = startExchange(conversation, 'Where is diesel sold?', 'scripted/tiny');
    await runExchange(conversation, answer, sources, { onToken: () => undefined }, new AbortController().signal);
    assert.equal(answer.status, 'done', JSON.stringify(answer.error));
    assert.deepEqual(engine.calls, [{ role: 'query', texts: 1 }], 'one embedding, of the question, for both folders');
    const passages = answer.input?.passages ?? [];
    assert.deepEqual(passages.map((passage) => passage.file).sort(), ['harbour/docs/fuel.md', 'marina/notes/visitors.md']);
    for (const passage of passages) assert.ok(passage.scores?.vector !== undefined && passage.scores.bm25 !== undefined, `${passage.file} was found by its vector and its words`);
    assert.match(backend.requests.at(-1)!.messages[0]!.content, /\[1\] (harbour|marina)\//);
  });

  it('searches lexically in every folder, embedding nothing, when asked for BM25', async () => {
    engine.calls.length = 0;
    const result = await manager.search('diesel', { mode: 'bm25', k: 4 });
    assert.deepEqual(engine.calls, []);
    assert.deepEqual(result.hits.map((hit) => hit.folder.name).sort(), ['harbour', 'marina']);
  });

  it('stops the retrieval when the chat turn is stopped while the question is being embedded', async () => {
    engine.calls.length = 0;
    engine.holdQueries = true;
    try {
      const controller = new AbortController();
      const conversation = newConversation({ ...defaultChatSettings, model: 'scripted/tiny', rag: { enabled: true, k: 4 } });
      const answer = startExchange(conversation, 'Where is diesel sold?', 'scripted/tiny');
      const requestsBefore = backend.requests.length;
      const running = runExchange(conversation, answer, sources, { onToken: () => undefined }, controller.signal);
      while (engine.count('query') === 0) await new Promise((resolve) => setTimeout(resolve, 5));
      const stoppedAt = performance.now();
      controller.abort();
      await running;
      assert.ok(performance.now() - stoppedAt < 1000, 'the turn ended promptly');
      assert.equal(answer.status, 'stopped');
      assert.equal(backend.requests.length, requestsBefore, 'nothing was generated');
    } finally {
      engine.holdQueries = false;
    }
  });

  it('says why the search is lexical when the question cannot be embedded, and still finds both folders', async () => {
    engine.queryFailure = new Error('the engine is restarting');
    try {
      const result = await manager.search('diesel', { k: 4 });
      assert.deepEqual(result.notices, [`lexical search only: the question could not be embedded with '${encoder}': the engine is restarting`]);
      assert.deepEqual(result.hits.map((hit) => hit.folder.name).sort(), ['harbour', 'marina']);
      assert.ok(result.hits.every((hit) => hit.vector === undefined));
    } finally {
      engine.queryFailure = undefined;
    }
  });
});
