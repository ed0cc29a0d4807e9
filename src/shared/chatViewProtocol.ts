/**
 * Messages between the extension host and the Chat webview (the sidebar view and the editor panels). Both sides
 * import these types; the webview imports nothing else from src/. Requests from the webview carry a
 * `requestId` and get exactly one `response`; an answer streams as `answerStarted`, `answerInput`, `tokens`…,
 * `answerEnded`, all naming the conversation and the answer's message id.
 *
 * The chat's data (conversations, settings, messages, stats) is the core's (`src/core/chat/chatTypes.ts`); it is
 * re-exported here so that the webview, which may import only `src/shared`, sees the one definition.
 */
import type {
  AssistantMessage,
  AssistantStatus,
  ChatErrorCode,
  ChatMessage,
  ChatSettings,
  Conversation,
  ConversationSummary,
  FewShotExample,
  FinishReason,
  GenerationStats,
  ModelInput,
  Passage,
  UserMessage,
} from '../core/chat/chatTypes';

export type {
  AssistantMessage,
  AssistantStatus,
  ChatErrorCode,
  ChatMessage,
  ChatSettings,
  Conversation,
  ConversationSummary,
  FewShotExample,
  FinishReason,
  GenerationStats,
  ModelInput,
  Passage,
  UserMessage,
};

// ---- the messages ----

/** Commands the webview may ask the host to run. The host runs nothing outside this list. */
export const chatViewCommands = ['chatwright.openSettings', 'chatwright.showLogs', 'chatwright.models.pickChatModel', 'chatwright.rag.indexWorkspace'] as const;
export type ChatViewCommand = (typeof chatViewCommands)[number];

export function isChatViewCommand(value: unknown): value is ChatViewCommand {
  return typeof value === 'string' && (chatViewCommands as readonly string[]).includes(value);
}

/** The workspace's chat model; `ref` is how conversations name it (`engine/<id>`). */
export type ModelSelection = { kind: 'none' } | { kind: 'selected'; id: string; label: string; ref: string };

export interface ChatModelOption {
  /** `<backend>/<model>`. */
  ref: string;
  label: string;
  backendLabel: string;
}

export interface ChatViewState {
  extensionVersion: string;
  /** The workspace's chosen chat model (from the Models feature): what conversations without their own choice use. */
  chatModel: ModelSelection;
  /** Restricted Mode: the workspace is not trusted, so nothing configured by it is launched. */
  workspaceTrusted: boolean;
  models: ChatModelOption[];
  /** Workspace-relative `.prompty` files. */
  templates: string[];
  /** Workspace-relative `.jsonl` files usable as few-shot examples. */
  examplesFiles: string[];
  /** RAG indexes (workspace folder names); empty when retrieval is not available. */
  indexes: string[];
  conversations: ConversationSummary[];
  activeConversationId: string | undefined;
}

export type HostToChatView =
  | { type: 'state'; state: ChatViewState }
  | { type: 'conversation'; conversation: Conversation }
  | { type: 'answerStarted'; conversationId: string; question: UserMessage; answer: AssistantMessage }
  /** What the model will see, once the prompt is built (before the first token). */
  | { type: 'answerInput'; conversationId: string; answer: AssistantMessage }
  | { type: 'tokens'; conversationId: string; messageId: string; text: string; sentAt: number }
  | { type: 'answerEnded'; conversationId: string; answer: AssistantMessage }
  | { type: 'response'; requestId: number; ok: true; value?: unknown }
  | { type: 'response'; requestId: number; ok: false; error: string }
  | { type: 'commandResult'; command: ChatViewCommand; ok: true }
  | { type: 'commandResult'; command: ChatViewCommand; ok: false; error: string }
  /** Lets the host (and tests) focus the composer. */
  | { type: 'focusComposer' };

/** Requests the webview makes; every one is answered by a `response` with the same id. */
export type ChatViewRequest =
  | { type: 'send'; conversationId: string; text: string }
  | { type: 'stop'; conversationId: string }
  | { type: 'newConversation' }
  | { type: 'selectConversation'; conversationId: string }
  | { type: 'renameConversation'; conversationId: string; title: string }
  | { type: 'deleteConversation'; conversationId: string }
  | { type: 'exportConversation'; conversationId: string }
  | { type: 'updateSettings'; conversationId: string; settings: ChatSettings }
  | { type: 'openCitation'; file: string; startLine: number; endLine: number }
  | { type: 'openLink'; href: string }
  | { type: 'copyText'; text: string }
  | { type: 'addToDataset'; conversationId: string; messageId: string; editedAnswer?: string }
  | { type: 'retry'; conversationId: string; messageId: string }
  | { type: 'runCommand'; command: ChatViewCommand }
  /**
   * "Pick Chat Model…" from inside a conversation: a model picked there applies to it (it drops its own choice), and
   * the failed answer `retryMessageId` names is answered again with it. Responds with the model the conversation uses.
   */
  | { type: 'pickChatModel'; conversationId: string; retryMessageId?: string };

export type ChatViewToHost = { type: 'ready' } | (ChatViewRequest & { requestId: number });

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const isId = (value: unknown): value is string => typeof value === 'string' && /^[\w-]{1,100}$/.test(value);
const isLine = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 10_000_000;
const isText = (max: number) => (value: unknown): value is string => typeof value === 'string' && value.length <= max;

/** Settings are checked field by field; the host clamps the numbers again when it applies them. */
function isSettings(value: unknown): value is ChatSettings {
  if (!isRecord(value) || !isRecord(value.fewShot) || !isRecord(value.rag)) return false;
  const optionalText = (v: unknown) => v === undefined || (typeof v === 'string' && v.length <= 1000);
  return (
    typeof value.temperature === 'number' &&
    typeof value.maxTokens === 'number' &&
    typeof value.fewShot.enabled === 'boolean' &&
    typeof value.fewShot.k === 'number' &&
    typeof value.rag.enabled === 'boolean' &&
    typeof value.rag.k === 'number' &&
    optionalText(value.model) &&
    optionalText(value.template) &&
    optionalText(value.fewShot.examplesFile) &&
    optionalText(value.rag.index)
  );
}

/** Validates a message from the webview: it is untrusted input like any other. */
export function parseChatViewMessage(value: unknown): ChatViewToHost | undefined {
  if (!isRecord(value)) return undefined;
  if (value.type === 'ready') return { type: 'ready' };
  const requestId = value.requestId;
  if (typeof requestId !== 'number' || !Number.isSafeInteger(requestId)) return undefined;
  const m = value;
  switch (m.type) {
    case 'send':
      return isId(m.conversationId) && isText(100_000)(m.text) ? { type: 'send', requestId, conversationId: m.conversationId, text: m.text } : undefined;
    case 'stop':
    case 'selectConversation':
    case 'deleteConversation':
    case 'exportConversation':
      return isId(m.conversationId) ? { type: m.type, requestId, conversationId: m.conversationId } : undefined;
    case 'newConversation':
      return { type: 'newConversation', requestId };
    case 'renameConversation':
      return isId(m.conversationId) && isText(200)(m.title) ? { type: 'renameConversation', requestId, conversationId: m.conversationId, title: m.title } : undefined;
    case 'updateSettings':
      return isId(m.conversationId) && isSettings(m.settings) ? { type: 'updateSettings', requestId, conversationId: m.conversationId, settings: m.settings } : undefined;
    case 'openCitation':
      return isText(4096)(m.file) && isLine(m.startLine) && isLine(m.endLine) ? { type: 'openCitation', requestId, file: m.file, startLine: m.startLine, endLine: m.endLine } : undefined;
    case 'openLink':
      return isText(8192)(m.href) ? { type: 'openLink', requestId, href: m.href } : undefined;
    case 'copyText':
      return isText(1_000_000)(m.text) ? { type: 'copyText', requestId, text: m.text } : undefined;
    case 'addToDataset':
      if (!isId(m.conversationId) || !isId(m.messageId)) return undefined;
      if (m.editedAnswer !== undefined && !isText(1_000_000)(m.editedAnswer)) return undefined;
      return { type: 'addToDataset', requestId, conversationId: m.conversationId, messageId: m.messageId, ...(m.editedAnswer !== undefined ? { editedAnswer: m.editedAnswer } : {}) };
    case 'retry':
      return isId(m.conversationId) && isId(m.messageId) ? { type: 'retry', requestId, conversationId: m.conversationId, messageId: m.messageId } : undefined;
    case 'runCommand':
      return isChatViewCommand(m.command) ? { type: 'runCommand', requestId, command: m.command } : undefined;
    case 'pickChatModel':
      if (!isId(m.conversationId)) return undefined;
      if (m.retryMessageId !== undefined && !isId(m.retryMessageId)) return undefined;
      return { type: 'pickChatModel', requestId, conversationId: m.conversationId, ...(m.retryMessageId !== undefined ? { retryMessageId: m.retryMessageId } : {}) };
    default:
      return undefined;
  }
}
