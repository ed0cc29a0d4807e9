import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatBackendError } from '../../../src/core/chat/backend';
import { runExchange, type ChatSources } from '../../../src/core/chat/chatRunner';
import { newConversation, parseConversation, startExchange } from '../../../src/core/chat/conversation';
import { defaultChatSettings, type ChatSettings } from '../../../src/core/chat/chatTypes';
import { ScriptedBackend } from '../../support/scriptedBackend';

function conversationWith(settings: Partial<ChatSettings>, question = 'How do I install?') {
  const conversation = newConversation({ ...defaultChatSettings, model: 'scripted/tiny', ...settings });
  const answer = startExchange(conversation, question, conversation.settings.model);
  return { conversation, answer };
}

describe('runExchange', () => {
  it('streams the tokens into the answer in order and records the stats', async () => {
    const backend = new ScriptedBackend('scripted', { tokens: ['Hel', 'lo', ' wor', 'ld'] });
    const { conversation, answer } = conversationWith({});
    const seen: string[] = [];
    await runExchange(conversation, answer, { backend: (id) => (id === 'scripted' ? backend : undefined) }, { onToken: (t) => seen.push(t) }, new AbortController().signal);
    assert.deepEqual(seen, ['Hel', 'lo', ' wor', 'ld']);
    assert.equal(answer.content, 'Hello world');
    assert.equal(answer.status, 'done');
    assert.equal(answer.stats?.completionTokens, 4);
    assert.deepEqual(backend.requests[0]!.messages, [{ role: 'user', content: 'How do I install?' }]);
  });

  it("keeps a reasoning model's thinking apart from the answer, with how long it took", async () => {
    const backend = new ScriptedBackend('scripted', { reasoning: ['The user ', 'asks.'], tokens: ['An', 'swer'] });
    const { conversation, answer } = conversationWith({});
    const seen: string[] = [];
    await runExchange(
      conversation,
      answer,
      { backend: () => backend },
      { onToken: (t) => seen.push(`token:${t}`), onReasoning: (t, a) => seen.push(`reasoning:${t}:${a.reasoningMs === undefined ? 'thinking' : 'over'}`) },
      new AbortController().signal,
    );
    assert.deepEqual(seen, ['reasoning:The user :thinking', 'reasoning:asks.:thinking', 'token:An', 'token:swer']);
    assert.equal(answer.content, 'Answer');
    assert.equal(answer.reasoning, 'The user asks.');
    assert.equal(typeof answer.reasoningMs, 'number');
    const reloaded = parseConversation(JSON.parse(JSON.stringify(conversation)));
    const kept = reloaded?.messages.at(-1);
    assert.equal(kept?.role === 'assistant' && kept.reasoning, 'The user asks.', 'kept in the conversation file');
  });

  it('says how long the model thought even when the answer fails mid-thought', async () => {
    const backend = new ScriptedBackend('scripted', { reasoning: ['Hmm'], tokens: ['never'], fail: new ChatBackendError('engine-failure', 'worker crashed'), failAfter: 0 });
    const { conversation, answer } = conversationWith({});
    await runExchange(conversation, answer, { backend: () => backend }, { onToken: () => undefined }, new AbortController().signal);
    assert.equal(answer.status, 'error');
    assert.equal(answer.reasoning, 'Hmm');
    assert.equal(typeof answer.reasoningMs, 'number');
  });

  it('stops mid-stream when aborted and keeps what came', async () => {
    const backend = new ScriptedBackend('scripted', { tokens: ['a', 'b', 'c', 'd', 'e', 'f'], delayMs: 5 });
    const { conversation, answer } = conversationWith({});
    const controller = new AbortController();
    await runExchange(conversation, answer, { backend: () => backend }, { onToken: () => answer.content.length === 2 && controller.abort() }, controller.signal);
    assert.equal(answer.status, 'stopped');
    assert.equal(answer.content, 'ab');
  });

  it('reports a missing model selection as model-missing, without calling a backend', async () => {
    const conversation = newConversation(defaultChatSettings);
    const answer = startExchange(conversation, 'How do I install?', conversation.settings.model);
    await runExchange(conversation, answer, { backend: () => undefined }, { onToken: () => undefined }, new AbortController().signal);
    assert.equal(answer.status, 'error');
    assert.equal(answer.error?.code, 'model-missing');
  });

  it('keeps the partial answer and the backend error code when the engine fails mid-stream', async () => {
    const backend = new ScriptedBackend('scripted', { tokens: ['x', 'y', 'z'], fail: new ChatBackendError('engine-failure', 'worker crashed'), failAfter: 2 });
    const { conversation, answer } = conversationWith({});
    await runExchange(conversation, answer, { backend: () => backend }, { onToken: () => undefined }, new AbortController().signal);
    assert.equal(answer.status, 'error');
    assert.deepEqual(answer.error, { code: 'engine-failure', message: 'worker crashed' });
    assert.equal(answer.content, 'xy');
  });

  it('retrieves k passages, numbers them, and shows the model the sources it may cite', async () => {
    const backend = new ScriptedBackend('scripted', { tokens: ['See [2].'] });
    const { conversation, answer } = conversationWith({ rag: { enabled: true, k: 2 } });
    const queries: string[] = [];
    const sources: ChatSources = {
      backend: () => backend,
      retrieve: (query, k) => {
        queries.push(`${query}|${k}`);
        return Promise.resolve([
          { file: 'docs/a.md', startLine: 1, endLine: 5, headingPath: ['A'], text: 'alpha', score: 0.9 },
          { file: 'docs/b.md', startLine: 7, endLine: 9, headingPath: [], text: 'beta', score: 0.4 },
          { file: 'docs/c.md', startLine: 1, endLine: 1, headingPath: [], text: 'gamma', score: 0.1 },
        ]);
      },
    };
    await runExchange(conversation, answer, sources, { onToken: () => undefined }, new AbortController().signal);
    assert.deepEqual(queries, ['How do I install?|2']);
    assert.deepEqual(
      answer.input?.passages.map((p) => `${p.index}:${p.file}`),
      ['1:docs/a.md', '2:docs/b.md'],
    );
    const system = backend.requests[0]!.messages[0]!;
    assert.equal(system.role, 'system');
    assert.match(system.content, /\[2\] docs\/b\.md:7-9\nbeta/);
    assert.ok(!system.content.includes('gamma'));
  });

  it('uses the template, its own examples when no file is chosen, and records it all in what the model saw', async () => {
    const backend = new ScriptedBackend('scripted', { tokens: ['ok'] });
    const { conversation, answer } = conversationWith({ template: 'support.prompty', fewShot: { enabled: true, k: 1 } });
    const calls: string[] = [];
    await runExchange(
      conversation,
      answer,
      {
        backend: () => backend,
        renderTemplate: (path, inputs, k) => {
          calls.push(`${path}|${String(inputs.question)}|${k}`);
          return Promise.resolve({
            messages: [
              { role: 'system', content: 'You support Acme.' },
              { role: 'user', content: `Customer asks: ${String(inputs.question)}` },
            ],
            examples: [
              {
                source: 'support.prompty',
                messages: [
                  { role: 'user', content: 'EQ' },
                  { role: 'assistant', content: 'EA' },
                ],
              },
            ],
          });
        },
      },
      { onToken: () => undefined },
      new AbortController().signal,
    );
    assert.deepEqual(calls, ['support.prompty|How do I install?|1']);
    assert.deepEqual(
      backend.requests[0]!.messages.map((m) => m.content),
      ['You support Acme.', 'EQ', 'EA', 'Customer asks: How do I install?'],
    );
    assert.equal(answer.input?.examples.length, 1);
    assert.equal(answer.input?.systemPrompt, 'You support Acme.');
  });

  it('says in the notes when RAG is on but no index exists, and still answers', async () => {
    const backend = new ScriptedBackend('scripted', { tokens: ['ok'] });
    const { conversation, answer } = conversationWith({ rag: { enabled: true, k: 3 } });
    await runExchange(conversation, answer, { backend: () => backend }, { onToken: () => undefined }, new AbortController().signal);
    assert.equal(answer.status, 'done');
    assert.match(answer.input?.notes.join(' ') ?? '', /no document index/);
  });

  it('turns a prompt too long for the model into context-too-long before generating', async () => {
    const backend = new ScriptedBackend('scripted', { tokens: ['never'] }, [{ id: 'tiny', label: 'tiny', contextLength: 64 }]);
    const { conversation, answer } = conversationWith({ maxTokens: 60 }, 'word '.repeat(100));
    await runExchange(
      conversation,
      answer,
      { backend: () => backend, modelInfo: async (b, m) => (await b.listModels()).find((x) => x.id === m) },
      { onToken: () => undefined },
      new AbortController().signal,
    );
    assert.equal(answer.error?.code, 'context-too-long');
    assert.equal(backend.requests.length, 0);
  });

  it("shows a backend's warnings (plain http, a cut answer) in the answer's notes, once each, and still answers", async () => {
    const backend = new ScriptedBackend('scripted', { tokens: ['ok'] });
    const generate = backend.generate.bind(backend);
    backend.generate = (request, onEvent, signal) => {
      onEvent({ type: 'warning', code: 'insecure-transport', message: 'Reached over plain http.' });
      onEvent({ type: 'warning', code: 'insecure-transport', message: 'Reached over plain http.' });
      return generate(request, onEvent, signal).finally(() => onEvent({ type: 'warning', code: 'answer-truncated', message: 'The answer was cut.' }));
    };
    const { conversation, answer } = conversationWith({});
    await runExchange(conversation, answer, { backend: () => backend }, { onToken: () => undefined }, new AbortController().signal);
    assert.equal(answer.status, 'done');
    assert.equal(answer.content, 'ok');
    assert.deepEqual(
      answer.input?.notes.filter((note) => /plain http|cut/.test(note)),
      ['Reached over plain http.', 'The answer was cut.'],
    );
  });
});
