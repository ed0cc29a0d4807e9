import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { ChatBackendError } from '../../../src/core/chat/backend';
import { ConversationStore } from '../../../src/core/chat/conversationStore';
import { type ChatwrightApi } from '../../../src/extension';
import { type AssistantMessage, type HostToChatView } from '../../../src/shared/chatViewProtocol';
import { ScriptedBackend, type Script } from '../../support/scriptedBackend';

const extensionId = 'chatwright.chatwright';

async function api(): Promise<ChatwrightApi> {
  const extension = vscode.extensions.getExtension<ChatwrightApi>(extensionId)!;
  return extension.isActive ? extension.exports : extension.activate();
}

/**
 * The chat service comparing two registered backends: both answers stream at once to a view showing the
 * conversation, each ends on its own, Stop stops both, and the preference steers the next question's history.
 */
describe('Chat compare (extension host)', () => {
  const disposables: vscode.Disposable[] = [];
  after(() => {
    for (const d of disposables) d.dispose();
  });

  /** A conversation comparing `left/tiny` with `right/tiny`, a view that records what it is told, and the two backends. */
  async function comparing(left: Script, right: Script) {
    const { chat } = await api();
    const suffix = Math.random().toString(36).slice(2, 8);
    const a = new ScriptedBackend(`cmp-left-${suffix}`, left);
    const b = new ScriptedBackend(`cmp-right-${suffix}`, right);
    disposables.push(chat.registerBackend(a), chat.registerBackend(b));
    const conversation = await chat.service.create();
    await chat.service.updateSettings(conversation.id, {
      ...conversation.settings,
      model: `${a.id}/tiny`,
      compareModel: `${b.id}/tiny`,
      rag: { enabled: false, k: 3 },
      fewShot: { enabled: false, k: 0 },
    });
    const seen: HostToChatView[] = [];
    disposables.push(chat.service.attach({ post: (message) => seen.push(message), activeConversationId: conversation.id }));
    return { chat, conversation, a, b, seen };
  }

  const answersOf = (messages: readonly { role: string }[]) => messages.filter((m): m is AssistantMessage => m.role === 'assistant');

  it('streams both answers at once from one input, interleaved, and saves them as a compare group', async () => {
    const { chat, conversation, a, b, seen } = await comparing({ tokens: ['l1 ', 'l2 ', 'l3 ', 'l4'], delayMs: 15 }, { tokens: ['r1 ', 'r2 ', 'r3 ', 'r4'], delayMs: 15 });
    await chat.service.send(conversation.id, 'Which is better?');
    const saved = await new ConversationStore(chat.service.store.folder).load(conversation.id);
    const [left, right] = answersOf(saved!.messages);
    assert.deepEqual([left?.content, left?.status, left?.compare?.slot], ['l1 l2 l3 l4', 'done', 'a']);
    assert.deepEqual([right?.content, right?.status, right?.compare?.slot], ['r1 r2 r3 r4', 'done', 'b']);
    assert.equal(left?.compare?.group, saved!.messages[0]!.id);
    assert.equal(right?.model, `${b.id}/tiny`);
    assert.deepEqual(a.requests[0]!.messages, b.requests[0]!.messages, 'the same messages went to both');

    const started = seen.find((m) => m.type === 'answerStarted');
    assert.ok(started?.type === 'answerStarted' && started.compareAnswer?.id === right?.id);
    const order = seen.flatMap((m) => (m.type === 'tokens' ? [m.messageId === left.id ? 'a' : 'b'] : []));
    assert.ok(order.indexOf('b') < order.lastIndexOf('a'), `b streamed while a was streaming: ${order.join('')}`);
    const lastTokens = seen.filter((m) => m.type === 'tokens').at(-1);
    assert.ok(lastTokens?.type === 'tokens' && lastTokens.progress && lastTokens.progress.completionTokens === 4, 'tokens carry the answer’s live stats');
    assert.equal(seen.filter((m) => m.type === 'answerEnded').length, 2);
  });

  it('ends a failing side in place while the other keeps streaming to the end', async () => {
    const { chat, conversation, seen } = await comparing(
      { tokens: Array.from({ length: 12 }, (_, i) => `l${i} `), delayMs: 15 },
      { tokens: ['r1 ', 'r2'], delayMs: 15, fail: new ChatBackendError('backend-unavailable', 'The server went away.'), failAfter: 1 },
    );
    await chat.service.send(conversation.id, 'Which is better?');
    const [left, right] = answersOf((await chat.service.get(conversation.id))!.messages);
    assert.equal(left?.status, 'done');
    assert.equal(left?.content.split(' ').filter(Boolean).length, 12);
    // The error's class comes from this test's bundle, not the extension's: its message is what crosses intact.
    assert.deepEqual([right?.status, right?.error?.message, right?.content], ['error', 'The server went away.', 'r1 ']);
    const rightEnded = seen.findIndex((m) => m.type === 'answerEnded' && m.answer.id === right!.id);
    const leftTokensAfter = seen.slice(rightEnded).filter((m) => m.type === 'tokens' && m.messageId === left.id).length;
    assert.ok(rightEnded >= 0 && leftTokensAfter > 0, 'the failed side ended while the other still streamed');
  });

  it('stops both answers with one Stop', async () => {
    const tokens = Array.from({ length: 300 }, (_, i) => `t${i} `);
    const { chat, conversation, seen } = await comparing({ tokens, delayMs: 10 }, { tokens, delayMs: 10 });
    const sending = chat.service.send(conversation.id, 'Count');
    const deadline = Date.now() + 10_000;
    while (new Set(seen.flatMap((m) => (m.type === 'tokens' ? [m.messageId] : []))).size < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    await chat.service.stop(conversation.id);
    await sending;
    const answers = answersOf((await chat.service.get(conversation.id))!.messages);
    assert.deepEqual(
      answers.map((m) => m.status),
      ['stopped', 'stopped'],
    );
    for (const answer of answers) assert.ok(answer.content.length > 0 && answer.content.split(' ').length < 300, answer.content);
    assert.equal(chat.service.isRunning(conversation.id), false);
  });

  it("continues from side b's answer once preferred, records the preference, and retries side b with the compare model", async () => {
    const { chat, conversation, a, b } = await comparing({ tokens: ['From the left.'] }, { tokens: ['From the right.'] });
    await chat.service.send(conversation.id, 'First question');
    const [, right] = answersOf((await chat.service.get(conversation.id))!.messages);
    await chat.service.prefer(conversation.id, right!.id);
    const saved = await new ConversationStore(chat.service.store.folder).load(conversation.id);
    assert.equal(answersOf(saved!.messages)[1]?.preferred, true);
    await assert.rejects(chat.service.prefer(conversation.id, saved!.messages[0]!.id), /Only an answer of a compare/);

    const current = (await chat.service.get(conversation.id))!;
    const { compareModel: _off, ...plain } = current.settings;
    await chat.service.updateSettings(conversation.id, plain);
    await chat.service.send(conversation.id, 'Second question');
    assert.deepEqual(
      a.requests.at(-1)!.messages.map((m) => m.content),
      ['First question', 'From the right.', 'Second question'],
    );

    await chat.service.updateSettings(conversation.id, { ...plain, compareModel: `${b.id}/tiny` });
    const before = b.requests.length;
    await chat.service.retry(conversation.id, right!.id);
    assert.equal(b.requests.length, before + 1, 'side b answered again with the compare model');
    assert.deepEqual(
      b.requests.at(-1)!.messages.map((m) => m.content),
      ['First question'],
    );
  });
});
