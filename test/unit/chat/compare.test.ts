import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChatBackendError } from '../../../src/core/chat/backend';
import { runCompareExchange, runExchange, type ChatSources } from '../../../src/core/chat/chatRunner';
import { compareGroup, historyBefore, newConversation, parseConversation, preferAnswer, settingsForNewConversation, startCompareExchange, startExchange } from '../../../src/core/chat/conversation';
import { exchangeToDatasetRow } from '../../../src/core/chat/datasetRow';
import { conversationToMarkdown } from '../../../src/core/chat/markdownExport';
import { defaultChatSettings, type AssistantMessage, type ChatSettings } from '../../../src/core/chat/chatTypes';
import { ScriptedBackend } from '../../support/scriptedBackend';

function settle(answer: AssistantMessage, content: string, status: AssistantMessage['status'] = 'done'): void {
  answer.content = content;
  answer.status = status;
}

function comparing(settings: Partial<ChatSettings> = {}) {
  return newConversation({ ...defaultChatSettings, model: 'left/tiny', compareModel: 'right/tiny', ...settings });
}

describe('compare: conversation history', () => {
  it("gives later turns side a's answer of a compare group by default", () => {
    const c = comparing();
    const first = startCompareExchange(c, 'Q1', 'left/tiny', 'right/tiny');
    settle(first.a, 'A says');
    settle(first.b, 'B says');
    const next = startExchange(c, 'Q2', 'left/tiny');
    assert.deepEqual(historyBefore(c, next.id), [
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: 'A says' },
      { role: 'user', content: 'Q2' },
    ]);
  });

  it("gives later turns side b's answer once the user prefers it, and records the preference on the message", () => {
    const c = comparing();
    const first = startCompareExchange(c, 'Q1', 'left/tiny', 'right/tiny');
    settle(first.a, 'A says');
    settle(first.b, 'B says');
    const group = preferAnswer(c, first.b.id);
    assert.deepEqual(
      group?.map((m) => [m.compare?.slot, m.preferred]),
      [
        ['a', undefined],
        ['b', true],
      ],
    );
    const next = startCompareExchange(c, 'Q2', 'left/tiny', 'right/tiny');
    assert.deepEqual(
      historyBefore(c, next.a.id).map((t) => t.content),
      ['Q1', 'B says', 'Q2'],
    );
    assert.deepEqual(
      historyBefore(c, next.b.id).map((t) => t.content),
      ['Q1', 'B says', 'Q2'],
      "side b's history leaves out side a's answer to the same question",
    );
    preferAnswer(c, first.a.id);
    assert.equal(first.b.preferred, undefined, 'preferring the other answer takes the mark off this one');
    assert.deepEqual(
      historyBefore(c, next.a.id).map((t) => t.content),
      ['Q1', 'A says', 'Q2'],
    );
  });

  it("falls back to side b's answer when side a's failed, and refuses to prefer a plain answer", () => {
    const c = comparing();
    const first = startCompareExchange(c, 'Q1', 'left/tiny', 'right/tiny');
    settle(first.a, '', 'error');
    settle(first.b, 'B says');
    const plain = startExchange(c, 'Q2', 'left/tiny');
    assert.deepEqual(
      historyBefore(c, plain.id).map((t) => t.content),
      ['Q1', 'B says', 'Q2'],
    );
    assert.equal(preferAnswer(c, plain.id), undefined);
    assert.deepEqual(
      compareGroup(c, c.messages[0]!.id).map((m) => m.id),
      [first.a.id, first.b.id],
    );
  });

  it('loads a conversation saved before compare unchanged, and keeps compare groups, preferences and the compare model through a save', () => {
    const old = {
      id: 'c-old',
      title: 'Before compare',
      createdAt: 1,
      updatedAt: 2,
      settings: { ...defaultChatSettings, model: 'engine/m' },
      messages: [
        { id: 'u-1', role: 'user', content: 'Q', createdAt: 1 },
        { id: 'a-1', role: 'assistant', content: 'A', createdAt: 1, status: 'done', model: 'engine/m' },
      ],
    };
    assert.deepEqual(parseConversation(structuredClone(old)), old);

    const c = comparing();
    const { a, b } = startCompareExchange(c, 'Q1', 'left/tiny', 'right/tiny');
    settle(a, 'A says');
    settle(b, 'B says');
    preferAnswer(c, b.id);
    const reread = parseConversation(JSON.parse(JSON.stringify(c)));
    assert.deepEqual(reread, c);
    assert.equal(reread?.settings.compareModel, 'right/tiny');

    const damaged = parseConversation({ ...old, messages: [old.messages[0], { ...old.messages[1], compare: { group: '../x y', slot: 'c' }, preferred: true }] });
    assert.deepEqual(damaged?.messages[1], old.messages[1], 'a damaged compare mark is dropped; the answer stays a plain one');
  });

  it("adds side b's exchange to a dataset without side a's answer to the same question", () => {
    const c = comparing();
    const { a, b } = startCompareExchange(c, 'Q1', 'left/tiny', 'right/tiny');
    settle(a, 'A says');
    settle(b, 'B says');
    assert.deepEqual(exchangeToDatasetRow(c, b.id).messages, [
      { role: 'user', content: 'Q1' },
      { role: 'assistant', content: 'B says' },
    ]);
  });

  it('starts a new conversation without the last one’s compare model', () => {
    assert.equal(settingsForNewConversation({ ...defaultChatSettings, compareModel: 'right/tiny' }).compareModel, undefined);
  });

  it('exports both answers of a compare, each labelled with its side and model, the preferred one marked', () => {
    const c = comparing();
    const { a, b } = startCompareExchange(c, 'Which?', 'left/tiny', 'right/tiny');
    settle(a, 'Answer from the left.');
    settle(b, 'Answer from the right.');
    preferAnswer(c, b.id);
    const markdown = conversationToMarkdown(c, new Date(0));
    assert.match(markdown, /compared with right\/tiny/);
    assert.match(markdown, /## Assistant A \(left\/tiny\)\n\nAnswer from the left\.\n\n## Assistant B \(right\/tiny\) — preferred\n\nAnswer from the right\./);
  });
});

describe('runCompareExchange', () => {
  it('builds the input once and sends the same messages to both backends, which stream at the same time', async () => {
    const left = new ScriptedBackend('left', { tokens: ['l1 ', 'l2 ', 'l3 ', 'l4'], delayMs: 5 });
    const right = new ScriptedBackend('right', { tokens: ['r1 ', 'r2 ', 'r3 ', 'r4'], delayMs: 5 });
    const c = comparing({ rag: { enabled: true, k: 1 } });
    const { a, b } = startCompareExchange(c, 'How do I reset it?', 'left/tiny', 'right/tiny');
    let retrievals = 0;
    const sources: ChatSources = {
      backend: (id) => (id === 'left' ? left : id === 'right' ? right : undefined),
      retrieve: () => {
        retrievals++;
        return Promise.resolve([{ file: 'docs/reset.md', startLine: 1, endLine: 2, headingPath: [], text: 'Hold the button.', score: 1 }]);
      },
    };
    const order: string[] = [];
    await runCompareExchange(c, { a, b }, sources, { onToken: (_text, answer) => order.push(answer.compare!.slot) }, new AbortController().signal);
    assert.equal(retrievals, 1, 'retrieval ran once for both');
    assert.deepEqual(left.requests[0]!.messages, right.requests[0]!.messages);
    assert.match(left.requests[0]!.messages[0]!.content, /Hold the button\./);
    assert.deepEqual([a.content, a.status, a.model], ['l1 l2 l3 l4', 'done', 'left/tiny']);
    assert.deepEqual([b.content, b.status, b.model], ['r1 r2 r3 r4', 'done', 'right/tiny']);
    assert.ok(order.indexOf('b') < order.lastIndexOf('a'), `b streamed while a was still streaming: ${order.join('')}`);
    assert.equal(a.stats?.completionTokens, 4);
    assert.equal(b.stats?.completionTokens, 4);
  });

  it('lets one side fail while the other streams to the end', async () => {
    const left = new ScriptedBackend('left', { tokens: ['l1 ', 'l2 ', 'l3 ', 'l4'], delayMs: 3 });
    const right = new ScriptedBackend('right', { tokens: ['r1 ', 'r2 ', 'r3'], delayMs: 3, fail: new ChatBackendError('backend-unavailable', 'connection refused'), failAfter: 1 });
    const c = comparing();
    const { a, b } = startCompareExchange(c, 'Q', 'left/tiny', 'right/tiny');
    await runCompareExchange(c, { a, b }, { backend: (id) => (id === 'left' ? left : right) }, { onToken: () => undefined }, new AbortController().signal);
    assert.deepEqual([a.status, a.content], ['done', 'l1 l2 l3 l4']);
    assert.deepEqual([b.status, b.content, b.error], ['error', 'r1 ', { code: 'backend-unavailable', message: 'connection refused' }]);
  });

  it('stops both answers with one signal, each keeping what came', async () => {
    const tokens = Array.from({ length: 50 }, (_, i) => `t${i} `);
    const left = new ScriptedBackend('left', { tokens, delayMs: 4 });
    const right = new ScriptedBackend('right', { tokens, delayMs: 4 });
    const c = comparing();
    const { a, b } = startCompareExchange(c, 'Q', 'left/tiny', 'right/tiny');
    const controller = new AbortController();
    await runCompareExchange(
      c,
      { a, b },
      { backend: (id) => (id === 'left' ? left : right) },
      { onToken: () => a.content.length > 0 && b.content.length > 0 && controller.abort() },
      controller.signal,
    );
    assert.deepEqual([a.status, b.status], ['stopped', 'stopped']);
    assert.ok(a.content.length > 0 && a.content.length < tokens.join('').length, a.content);
    assert.ok(b.content.length > 0 && b.content.length < tokens.join('').length, b.content);
  });

  it("keeps each side's reasoning with its own answer", async () => {
    const left = new ScriptedBackend('left', { tokens: ['l'], reasoning: ['thinking ', 'left'], delayMs: 2 });
    const right = new ScriptedBackend('right', { tokens: ['r'], delayMs: 2 });
    const c = comparing();
    const { a, b } = startCompareExchange(c, 'Q', 'left/tiny', 'right/tiny');
    const reasoned: string[] = [];
    await runCompareExchange(
      c,
      { a, b },
      { backend: (id) => (id === 'left' ? left : right) },
      { onToken: () => undefined, onReasoning: (_t, answer) => reasoned.push(answer.id) },
      new AbortController().signal,
    );
    assert.deepEqual([a.reasoning, a.content, b.reasoning, b.content], ['thinking left', 'l', undefined, 'r']);
    assert.deepEqual(reasoned, [a.id, a.id]);
  });

  it('answers on the side whose backend exists and reports the missing one on its own side', async () => {
    const left = new ScriptedBackend('left', { tokens: ['ok'] });
    const c = comparing({ compareModel: 'gone/model' });
    const { a, b } = startCompareExchange(c, 'Q', 'left/tiny', 'gone/model');
    await runCompareExchange(c, { a, b }, { backend: (id) => (id === 'left' ? left : undefined) }, { onToken: () => undefined }, new AbortController().signal);
    assert.deepEqual([a.status, a.content], ['done', 'ok']);
    assert.equal(b.error?.code, 'backend-unavailable');
  });

  it('trims the history to each model’s own context window and says so in each input', async () => {
    const long = 'word '.repeat(400);
    const left = new ScriptedBackend('left', { tokens: ['l'] }, [{ id: 'tiny', label: 'Tiny', contextLength: 8192 }]);
    const right = new ScriptedBackend('right', { tokens: ['r'] }, [{ id: 'tiny', label: 'Tiny', contextLength: 900 }]);
    const c = comparing({ maxTokens: 256 });
    for (const q of ['Q1', 'Q2']) {
      const earlier = startCompareExchange(c, q, 'left/tiny', 'right/tiny');
      settle(earlier.a, long);
      settle(earlier.b, long);
    }
    const { a, b } = startCompareExchange(c, 'Q3', 'left/tiny', 'right/tiny');
    const sources: ChatSources = {
      backend: (id) => (id === 'left' ? left : right),
      modelInfo: (backend) => backend.listModels().then((models) => models[0]),
    };
    await runCompareExchange(c, { a, b }, sources, { onToken: () => undefined }, new AbortController().signal);
    assert.equal(a.input?.droppedTurns, 0);
    assert.ok((b.input?.droppedTurns ?? 0) > 0);
    assert.equal(left.requests[0]!.messages.length, 5);
    assert.ok(right.requests[0]!.messages.length < 5);
    assert.ok(a.input?.notes.some((n) => /compared models saw different history/.test(n)));
    assert.ok(b.input?.notes.some((n) => /compared models saw different history/.test(n)));
  });

  it('answers one side again alone (retry) with the history before its group', async () => {
    const right = new ScriptedBackend('right', { tokens: ['again'] });
    const c = comparing();
    const { a, b } = startCompareExchange(c, 'Q', 'left/tiny', 'right/tiny');
    settle(a, 'A says');
    b.status = 'streaming';
    await runExchange({ ...c, settings: { ...c.settings, model: 'right/tiny' } }, b, { backend: () => right }, { onToken: () => undefined }, new AbortController().signal);
    assert.deepEqual(right.requests[0]!.messages, [{ role: 'user', content: 'Q' }]);
    assert.equal(b.content, 'again');
  });
});
