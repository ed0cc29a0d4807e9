import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type AssistantMessage, type HostToChatView, type UserMessage } from '../../src/shared/chatViewProtocol';
import { initialChatState, reduceChat, type ChatState } from '../../webview/src/chat/chatState';
import { testConversation, testState } from '../support/chatPage';

const question: UserMessage = { id: 'u-1', role: 'user', content: 'Which one?', createdAt: 1 };
const side = (slot: 'a' | 'b', fields: Partial<AssistantMessage> = {}): AssistantMessage => ({
  id: `a-${slot}`,
  role: 'assistant',
  content: '',
  createdAt: 2,
  status: 'streaming',
  compare: { group: 'u-1', slot },
  ...fields,
});

function run(state: ChatState, ...messages: HostToChatView[]) {
  let transition = { state, change: undefined as ReturnType<typeof reduceChat>['change'] };
  for (const message of messages) transition = reduceChat(transition.state, message);
  return transition;
}

const showing = (): ChatState => run(initialChatState, { type: 'state', state: testState() }, { type: 'conversation', conversation: testConversation() }).state;

describe('chat webview state: compare', () => {
  it('adds the question and both answers of a compare, and streams each on its own with its progress', () => {
    const started = run(showing(), { type: 'answerStarted', conversationId: 'c-1', question, answer: side('a'), compareAnswer: side('b') });
    assert.deepEqual(
      started.state.conversation?.messages.map((m) => m.id),
      ['u-1', 'a-a', 'a-b'],
    );
    assert.equal(started.change?.type === 'answerStarted' && started.change.compareAnswer?.id, 'a-b');
    const progress = { completionTokens: 2, timeToFirstTokenMs: 50, elapsedMs: 90 };
    const streamed = run(
      started.state,
      { type: 'tokens', conversationId: 'c-1', messageId: 'a-b', text: 'Right', sentAt: 0, progress },
      { type: 'tokens', conversationId: 'c-1', messageId: 'a-a', text: 'Left', sentAt: 0 },
    );
    assert.deepEqual(
      streamed.state.conversation?.messages.map((m) => m.content),
      ['Which one?', 'Left', 'Right'],
    );
    const withProgress = reduceChat(started.state, { type: 'tokens', conversationId: 'c-1', messageId: 'a-b', text: 'x', sentAt: 0, progress });
    assert.deepEqual(withProgress.change?.type === 'tokens' && withProgress.change.progress, progress);
  });

  it('keeps streaming (Stop shown) until both answers of a compare have ended', () => {
    const started = run(showing(), { type: 'answerStarted', conversationId: 'c-1', question, answer: side('a'), compareAnswer: side('b') }).state;
    const oneEnded = run(started, { type: 'answerEnded', conversationId: 'c-1', answer: side('b', { status: 'error', error: { code: 'engine-failure', message: 'crashed' } }) });
    assert.equal(oneEnded.state.streaming, true);
    const bothEnded = run(oneEnded.state, { type: 'answerEnded', conversationId: 'c-1', answer: side('a', { status: 'done', content: 'Left' }) });
    assert.equal(bothEnded.state.streaming, false);
  });

  it('applies a changed preference to the answers it names', () => {
    const started = run(showing(), { type: 'answerStarted', conversationId: 'c-1', question, answer: side('a', { status: 'done' }), compareAnswer: side('b', { status: 'done' }) }).state;
    const { state, change } = run(started, { type: 'answersChanged', conversationId: 'c-1', answers: [side('a', { status: 'done' }), side('b', { status: 'done', preferred: true })] });
    assert.deepEqual(
      state.conversation?.messages.map((m) => (m.role === 'assistant' ? m.preferred : undefined)),
      [undefined, undefined, true],
    );
    assert.equal(change?.type, 'answersUpdated');
    assert.equal(run(started, { type: 'answersChanged', conversationId: 'other', answers: [] }).change, undefined, 'another conversation’s change is ignored');
  });
});
