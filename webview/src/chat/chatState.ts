import {
  type AssistantMessage,
  type ChatMessage,
  type ChatSettings,
  type ChatViewState,
  type Conversation,
  type HostToChatView,
  type StreamProgress,
  type UserMessage,
} from '../../../src/shared/chatViewProtocol';

/**
 * What the Chat webview knows, as data: the host's view state, the conversation it shows (with the streamed text
 * so far) and the outcome of the last command a button ran. `reduceChat` is the only code that changes it; it is
 * pure (no DOM), so the rules — which stream events belong to the shown conversation, how a late prompt keeps the
 * streamed text, what a switch of conversation clears — are tested without a browser. The app renders what each
 * transition's `change` names.
 */
export interface ChatState {
  view: ChatViewState | undefined;
  conversation: Conversation | undefined;
  /** The outcome of the last command a button ran (Open Settings, Show Logs): `Running…`, `Done.` or why it failed. */
  commandStatus: CommandStatus | undefined;
  /** Whether an answer of the shown conversation is streaming (the composer shows Stop). */
  streaming: boolean;
}

export interface CommandStatus {
  text: string;
  /** Absent while the command runs. */
  result?: 'ok' | 'error';
}

export const initialChatState: ChatState = { view: undefined, conversation: undefined, commandStatus: undefined, streaming: false };

/** The user's own edits, applied at once (the host is told separately). */
export type LocalChatEdit = { type: 'settingsEdited'; conversationId: string; settings: ChatSettings } | { type: 'renamed'; conversationId: string; title: string } | { type: 'commandStarted' };

/** What the DOM must redo after a transition. */
export type ChatChange =
  /** The view state changed: conversation bar, composer, banner, empty state. */
  | { type: 'viewState' }
  /** A conversation replaces the shown one (`switching` when it is another one: its notices start clean). */
  | { type: 'conversationShown'; switching: boolean }
  /** A question and its (empty, streaming) answer were added — two answers side by side for a compare. */
  | { type: 'answerStarted'; question: UserMessage; answer: AssistantMessage; compareAnswer?: AssistantMessage }
  /** The answer's fields changed (what the model saw), its streamed text kept. */
  | { type: 'answerUpdated'; answer: AssistantMessage }
  /** Text streamed into the answer: rendered on the next frame. `progress`: its stats so far. */
  | { type: 'tokens'; answer: AssistantMessage; progress?: StreamProgress }
  /** Marks of finished answers changed (the preferred answer of a compare). */
  | { type: 'answersUpdated'; answers: AssistantMessage[] }
  /** The answer settled; `announcement` is read out by screen readers. */
  | { type: 'answerEnded'; answer: AssistantMessage; announcement: string }
  /** A command a button ran is running: the empty state says so. */
  | { type: 'commandStarted' }
  /** A command a button ran finished: the banner or the empty state says how. */
  | { type: 'commandEnded' }
  /** The conversation's settings changed here: the banner and the empty state follow the model. */
  | { type: 'settingsEdited' }
  | { type: 'focusComposer' };

export interface ChatTransition {
  state: ChatState;
  /** Undefined when the message changed nothing (a stream event of a conversation not shown). */
  change: ChatChange | undefined;
}

const unchanged = (state: ChatState): ChatTransition => ({ state, change: undefined });

/** Applies a message from the host, or an edit of the user's, to the state. */
export function reduceChat(state: ChatState, message: HostToChatView | LocalChatEdit): ChatTransition {
  const shown = state.conversation;
  switch (message.type) {
    case 'state':
      return { state: { ...state, view: message.state }, change: { type: 'viewState' } };
    case 'conversation': {
      const conversation = message.conversation;
      const switching = conversation.id !== shown?.id;
      const streaming = conversation.messages.some((m) => m.role === 'assistant' && m.status === 'streaming');
      return { state: { ...state, conversation, streaming, commandStatus: switching ? undefined : state.commandStatus }, change: { type: 'conversationShown', switching } };
    }
    case 'answerStarted': {
      if (message.conversationId !== shown?.id) return unchanged(state);
      const started = withMessage(withMessage(shown, message.question), message.answer);
      const compareAnswer = message.compareAnswer;
      // A question makes the outcome of an earlier command (Open Settings: "Done.") old news.
      return {
        state: { ...state, conversation: compareAnswer ? withMessage(started, compareAnswer) : started, streaming: true, commandStatus: undefined },
        change: { type: 'answerStarted', question: message.question, answer: message.answer, ...(compareAnswer ? { compareAnswer } : {}) },
      };
    }
    case 'answerInput': {
      if (message.conversationId !== shown?.id) return unchanged(state);
      const streamed = findMessage(shown, message.answer.id);
      const answer: AssistantMessage =
        streamed?.role === 'assistant' ? { ...message.answer, content: streamed.content, ...(streamed.reasoning !== undefined ? { reasoning: streamed.reasoning } : {}) } : message.answer;
      return { state: { ...state, conversation: withMessage(shown, answer) }, change: { type: 'answerUpdated', answer } };
    }
    case 'tokens': {
      if (message.conversationId !== shown?.id) return unchanged(state);
      const streamed = findMessage(shown, message.messageId);
      if (streamed?.role !== 'assistant') return unchanged(state);
      const answer: AssistantMessage = { ...streamed, content: streamed.content + message.text };
      return { state: { ...state, conversation: withMessage(shown, answer) }, change: { type: 'tokens', answer, ...(message.progress ? { progress: message.progress } : {}) } };
    }
    case 'answersChanged': {
      if (message.conversationId !== shown?.id) return unchanged(state);
      const conversation = message.answers.reduce(withMessage, shown);
      return { state: { ...state, conversation }, change: { type: 'answersUpdated', answers: message.answers } };
    }
    case 'reasoning': {
      // Shown like streamed text: the answer's view redraws its reasoning block on the next frame.
      if (message.conversationId !== shown?.id) return unchanged(state);
      const streamed = findMessage(shown, message.messageId);
      if (streamed?.role !== 'assistant') return unchanged(state);
      const answer: AssistantMessage = { ...streamed, reasoning: (streamed.reasoning ?? '') + message.text, ...(message.reasoningMs !== undefined ? { reasoningMs: message.reasoningMs } : {}) };
      return { state: { ...state, conversation: withMessage(shown, answer) }, change: { type: 'tokens', answer } };
    }
    case 'answerEnded': {
      if (message.conversationId !== shown?.id) return unchanged(state);
      const answer = message.answer;
      const announcement = answer.status === 'error' ? `The answer failed: ${answer.error?.message ?? ''}` : answer.status === 'stopped' ? 'Answer stopped.' : 'Answer complete.';
      const conversation = withMessage(shown, answer);
      // The other answer of a compare may still be streaming: Stop stays until both have ended.
      const streaming = conversation.messages.some((m) => m.role === 'assistant' && m.status === 'streaming');
      return { state: { ...state, conversation, streaming }, change: { type: 'answerEnded', answer, announcement } };
    }
    case 'commandResult':
      return { state: { ...state, commandStatus: message.ok ? { text: 'Done.', result: 'ok' } : { text: `Failed: ${message.error}`, result: 'error' } }, change: { type: 'commandEnded' } };
    case 'focusComposer':
      return { state, change: { type: 'focusComposer' } };
    case 'settingsEdited':
      if (message.conversationId !== shown?.id) return unchanged(state);
      return { state: { ...state, conversation: { ...shown, settings: message.settings } }, change: { type: 'settingsEdited' } };
    case 'renamed':
      // The bar shows the new title already (it is where it was typed); the host's list follows.
      if (message.conversationId !== shown?.id) return unchanged(state);
      return { state: { ...state, conversation: { ...shown, title: message.title } }, change: undefined };
    case 'commandStarted':
      return { state: { ...state, commandStatus: { text: 'Running…' } }, change: { type: 'commandStarted' } };
  }
}

/** The model the next answer uses: the conversation's own choice, else the workspace's chat model. */
export function effectiveModel(state: ChatState): string | undefined {
  const workspace = state.view?.chatModel;
  return state.conversation?.settings.model ?? (workspace?.kind === 'selected' ? workspace.ref : undefined);
}

/** Searches from the end: the message a stream event names is almost always the last. */
function findIndex(conversation: Conversation, id: string): number {
  const messages = conversation.messages;
  for (let i = messages.length - 1; i >= 0; i--) if (messages[i]!.id === id) return i;
  return -1;
}

export function findMessage(conversation: Conversation, id: string): ChatMessage | undefined {
  const index = findIndex(conversation, id);
  return index >= 0 ? conversation.messages[index] : undefined;
}

/** The conversation with `message` in place of the one with its id, or added at the end. */
function withMessage(conversation: Conversation, message: ChatMessage): Conversation {
  const index = findIndex(conversation, message.id);
  const messages = conversation.messages.slice();
  if (index >= 0) messages[index] = message;
  else messages.push(message);
  return { ...conversation, messages };
}
