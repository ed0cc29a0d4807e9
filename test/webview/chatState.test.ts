import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AssistantMessage, type HostToChatView, type UserMessage } from '../../src/shared/chatViewProtocol';
import { effectiveModel, initialChatState, reduceChat, type ChatState, type LocalChatEdit } from '../../webview/src/chat/chatState';
import { testConversation, testState } from '../support/chatPage';

const question: UserMessage = { id: 'u-1', role: 'user', content: 'How do I pair it?', createdAt: 1 };
const answer = (fields: Partial<AssistantMessage> = {}): AssistantMessage => ({ id: 'a-1', role: 'assistant', content: '', createdAt: 2, status: 'streaming', ...fields });

/** Applies the messages in order and returns the last transition. */
function run(state: ChatState, ...messages: (HostToChatView | LocalChatEdit)[]) {
  let transition = { state, change: undefined as ReturnType<typeof reduceChat>['change'] };
  for (const message of messages) transition = reduceChat(transition.state, message);
  return transition;
}

const showing = (conversation = testConversation()): ChatState => run(initialChatState, { type: 'state', state: testState() }, { type: 'conversation', conversation }).state;

describe('chat webview state (reducer of host messages)', () => {
  it('keeps the view state and asks to redraw what depends on it', () => {
    const { state, change } = reduceChat(initialChatState, { type: 'state', state: testState() });
    assert.equal(state.view?.extensionVersion, '0.1.0');
    assert.deepEqual(change, { type: 'viewState' });
  });

  it('shows a conversation, streaming when one of its answers still streams', () => {
    const streaming = testConversation({ messages: [question, answer()] });
    const { state, change } = reduceChat(initialChatState, { type: 'conversation', conversation: streaming });
    assert.equal(state.conversation, streaming);
    assert.equal(state.streaming, true);
    assert.deepEqual(change, { type: 'conversationShown', switching: true });
    assert.equal(reduceChat(state, { type: 'conversation', conversation: testConversation() }).state.streaming, false);
  });

  it("keeps a command's outcome when the same conversation is shown again, and drops it for another one", () => {
    const done = run(showing(), { type: 'commandResult', command: 'chatwright.openSettings', ok: true }).state;
    assert.deepEqual(done.commandStatus, { text: 'Done.', result: 'ok' });
    const again = reduceChat(done, { type: 'conversation', conversation: testConversation() });
    assert.deepEqual(again.change, { type: 'conversationShown', switching: false });
    assert.deepEqual(again.state.commandStatus, { text: 'Done.', result: 'ok' });
    assert.equal(reduceChat(done, { type: 'conversation', conversation: testConversation({ id: 'c-2' }) }).state.commandStatus, undefined);
  });

  it('says why a command failed, and that one is running', () => {
    assert.deepEqual(run(showing(), { type: 'commandStarted' }).state.commandStatus, { text: 'Running…' });
    assert.deepEqual(run(showing(), { type: 'commandResult', command: 'chatwright.showLogs', ok: false, error: 'no log' }).state.commandStatus, { text: 'Failed: no log', result: 'error' });
  });

  it('adds the question and its answer, starts streaming and clears an earlier command outcome', () => {
    const before = run(showing(), { type: 'commandResult', command: 'chatwright.openSettings', ok: true }).state;
    const { state, change } = reduceChat(before, { type: 'answerStarted', conversationId: 'c-1', question, answer: answer() });
    assert.deepEqual(
      state.conversation?.messages.map((m) => m.id),
      ['u-1', 'a-1'],
    );
    assert.equal(state.streaming, true);
    assert.equal(state.commandStatus, undefined);
    assert.deepEqual(change, { type: 'answerStarted', question, answer: answer() });
  });

  it('appends streamed text to the answer without changing the state it came from', () => {
    const started = run(showing(), { type: 'answerStarted', conversationId: 'c-1', question, answer: answer() }).state;
    const { state, change } = run(
      started,
      { type: 'tokens', conversationId: 'c-1', messageId: 'a-1', text: 'Hold ', sentAt: 0 },
      { type: 'tokens', conversationId: 'c-1', messageId: 'a-1', text: 'the button.', sentAt: 0 },
    );
    assert.equal(state.conversation?.messages[1]?.content, 'Hold the button.');
    assert.equal(change?.type === 'tokens' && change.answer.content, 'Hold the button.');
    assert.equal(started.conversation?.messages[1]?.content, '', 'the earlier state is not mutated');
  });

  it('appends streamed reasoning apart from the text, and takes how long it took when the thinking is over', () => {
    const started = run(showing(), { type: 'answerStarted', conversationId: 'c-1', question, answer: answer() }).state;
    const { state, change } = run(
      started,
      { type: 'reasoning', conversationId: 'c-1', messageId: 'a-1', text: 'Think', sentAt: 0 },
      { type: 'reasoning', conversationId: 'c-1', messageId: 'a-1', text: 'ing.', sentAt: 0 },
      { type: 'reasoning', conversationId: 'c-1', messageId: 'a-1', text: '', sentAt: 0, reasoningMs: 1500 },
      { type: 'tokens', conversationId: 'c-1', messageId: 'a-1', text: 'Done.', sentAt: 0 },
    );
    const shown = state.conversation?.messages[1];
    assert.ok(shown?.role === 'assistant');
    assert.deepEqual({ reasoning: shown.reasoning, reasoningMs: shown.reasoningMs, content: shown.content }, { reasoning: 'Thinking.', reasoningMs: 1500, content: 'Done.' });
    assert.equal(change?.type, 'tokens');
  });

  it('keeps the streamed text when what the model saw arrives late, and takes the final answer whole', () => {
    const streamed = run(
      showing(),
      { type: 'answerStarted', conversationId: 'c-1', question, answer: answer() },
      { type: 'tokens', conversationId: 'c-1', messageId: 'a-1', text: 'Partial', sentAt: 0 },
    ).state;
    const input = { model: 'engine/tiny', messages: [], examples: [], passages: [], droppedTurns: 0, notes: [] };
    const withInput = reduceChat(streamed, { type: 'answerInput', conversationId: 'c-1', answer: answer({ input }) });
    assert.deepEqual(withInput.change, { type: 'answerUpdated', answer: answer({ input, content: 'Partial' }) });
    const ended = reduceChat(withInput.state, { type: 'answerEnded', conversationId: 'c-1', answer: answer({ status: 'done', content: 'Partial answer.' }) });
    assert.equal(ended.state.conversation?.messages[1]?.content, 'Partial answer.');
    assert.equal(ended.state.streaming, false);
    assert.equal(ended.change?.type === 'answerEnded' && ended.change.announcement, 'Answer complete.');
  });

  it('announces a stopped and a failed answer', () => {
    const started = run(showing(), { type: 'answerStarted', conversationId: 'c-1', question, answer: answer() }).state;
    const announcement = (ended: AssistantMessage) => {
      const change = reduceChat(started, { type: 'answerEnded', conversationId: 'c-1', answer: ended }).change;
      return change?.type === 'answerEnded' ? change.announcement : undefined;
    };
    assert.equal(announcement(answer({ status: 'stopped' })), 'Answer stopped.');
    assert.equal(announcement(answer({ status: 'error', error: { code: 'engine-failure', message: 'The engine crashed.' } })), 'The answer failed: The engine crashed.');
  });

  it('ignores the stream events of a conversation it does not show, and tokens for an unknown message', () => {
    const state = showing();
    for (const message of [
      { type: 'answerStarted', conversationId: 'c-9', question, answer: answer() },
      { type: 'answerInput', conversationId: 'c-9', answer: answer() },
      { type: 'tokens', conversationId: 'c-9', messageId: 'a-1', text: 'x', sentAt: 0 },
      { type: 'tokens', conversationId: 'c-1', messageId: 'missing', text: 'x', sentAt: 0 },
      { type: 'answerEnded', conversationId: 'c-9', answer: answer({ status: 'done' }) },
    ] satisfies HostToChatView[]) {
      const transition = reduceChat(state, message);
      assert.equal(transition.state, state, message.type);
      assert.equal(transition.change, undefined, message.type);
    }
  });

  it("applies the user's settings and title to the shown conversation only", () => {
    const state = showing();
    const settings = { ...state.conversation!.settings, temperature: 0.1 };
    assert.equal(run(state, { type: 'settingsEdited', conversationId: 'c-1', settings }).state.conversation?.settings.temperature, 0.1);
    assert.equal(run(state, { type: 'renamed', conversationId: 'c-1', title: 'Pairing' }).state.conversation?.title, 'Pairing');
    assert.equal(run(state, { type: 'renamed', conversationId: 'c-2', title: 'Other' }).state, state);
  });

  it("uses the conversation's own model, else the workspace's chat model", () => {
    const state = showing();
    assert.equal(effectiveModel(state), 'engine/Qwen/Qwen3-test');
    const { model: _workspaceModel, ...settingsWithoutModel } = testConversation().settings;
    const following = showing(testConversation({ settings: settingsWithoutModel }));
    assert.equal(effectiveModel(following), 'engine/Qwen/Qwen3-test', 'the workspace model from the view state');
    assert.equal(effectiveModel(run(following, { type: 'state', state: testState({ chatModel: { kind: 'none' } }) }).state), undefined);
  });
});
