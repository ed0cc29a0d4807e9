/**
 * The typed RPC between the extension host and the Chat webview (the sidebar view and the editor panels), over
 * vscode-jsonrpc (see src/host/webviewRpc.ts for why). The webview asks with the requests of `ChatViewRequests`,
 * each answered with its own result type; the host tells the webview what changed with `chat/update`
 * notifications, applied in order by the webview's reducer: an answer streams as `answerStarted`, `answerInput`,
 * `tokens`…, `answerEnded`, all naming the conversation and the answer's message id. The host validates every
 * request's params on receipt (`chatViewParams`): the webview shows untrusted text.
 *
 * The chat's data (conversations, settings, messages, stats) is the core's (`src/core/chat/chatTypes.ts`); it is
 * re-exported here so that the webview, which may import only `src/shared`, sees the one definition.
 */
import { NotificationType, NotificationType0, RequestType } from 'vscode-jsonrpc';
import type {
  AssistantMessage,
  AssistantStatus,
  ChatErrorCode,
  ChatMessage,
  ChatSettings,
  CompareSlot,
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
  CompareSlot,
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

/** What the host tells the webview, in order (one `chat/update` notification each). */
export type HostToChatView =
  | { type: 'state'; state: ChatViewState }
  | { type: 'conversation'; conversation: Conversation }
  /** `compareAnswer`: the second answer of a compare (slot b), streaming beside `answer` (slot a). */
  | { type: 'answerStarted'; conversationId: string; question: UserMessage; answer: AssistantMessage; compareAnswer?: AssistantMessage }
  /** What the model will see, once the prompt is built (before the first token). */
  | { type: 'answerInput'; conversationId: string; answer: AssistantMessage }
  | { type: 'tokens'; conversationId: string; messageId: string; text: string; sentAt: number; progress?: StreamProgress }
  /** Reasoning streamed apart from the answer; `reasoningMs` comes once the thinking is over (with the answer's first text). */
  | { type: 'reasoning'; conversationId: string; messageId: string; text: string; sentAt: number; reasoningMs?: number }
  /** Answers whose marks changed without new text (the preferred answer of a compare). */
  | { type: 'answersChanged'; conversationId: string; answers: AssistantMessage[] }
  | { type: 'answerEnded'; conversationId: string; answer: AssistantMessage }
  | { type: 'commandResult'; command: ChatViewCommand; ok: true }
  | { type: 'commandResult'; command: ChatViewCommand; ok: false; error: string }
  /** Lets the host (and tests) focus the composer. */
  | { type: 'focusComposer' };

/**
 * An answer's stats while it streams, measured by the host from when the prompt was built: the final
 * `GenerationStats` replace them when the answer ends.
 */
export interface StreamProgress {
  completionTokens: number;
  timeToFirstTokenMs: number;
  elapsedMs: number;
}

/** Requests that need nothing but their name. */
export type NoParams = Record<string, never>;

export interface ConversationParams {
  conversationId: string;
}

/** What opening a link in an answer came to: opened, declined by the user, or refused (a scheme never opened). */
export type LinkOutcome = 'opened' | 'declined' | 'refused';

/** Where "Add to dataset" wrote the exchange. */
export interface DatasetLine {
  /** Workspace-relative path. */
  file: string;
  /** 1-based. */
  line: number;
}

/** The requests the webview makes, each with its result. `null` answers "nothing happened" (a dialog was closed). */
export const ChatViewRequests = {
  send: new RequestType<ConversationParams & { text: string }, void, void>('chat/send'),
  stop: new RequestType<ConversationParams, void, void>('chat/stop'),
  retry: new RequestType<ConversationParams & { messageId: string }, void, void>('chat/retry'),
  /** Answers the id of the conversation shown (an empty one is reused). */
  newConversation: new RequestType<NoParams, string, void>('chat/newConversation'),
  selectConversation: new RequestType<ConversationParams, void, void>('chat/selectConversation'),
  renameConversation: new RequestType<ConversationParams & { title: string }, void, void>('chat/renameConversation'),
  deleteConversation: new RequestType<ConversationParams, void, void>('chat/deleteConversation'),
  /** Answers the path the Markdown was saved to. */
  exportConversation: new RequestType<ConversationParams, string | null, void>('chat/exportConversation'),
  /** Answers the settings as applied (numbers clamped). */
  updateSettings: new RequestType<ConversationParams & { settings: ChatSettings }, ChatSettings, void>('chat/updateSettings'),
  openCitation: new RequestType<{ file: string; startLine: number; endLine: number }, void, void>('chat/openCitation'),
  openLink: new RequestType<{ href: string }, LinkOutcome, void>('chat/openLink'),
  copyText: new RequestType<{ text: string }, void, void>('chat/copyText'),
  addToDataset: new RequestType<ConversationParams & { messageId: string; editedAnswer?: string }, DatasetLine | null, void>('chat/addToDataset'),
  runCommand: new RequestType<{ command: ChatViewCommand }, void, void>('chat/runCommand'),
  /**
   * "Pick Chat Model…" from inside a conversation: a model picked there applies to it (it drops its own choice), and
   * the failed answer `retryMessageId` names is answered again with it. Answers the model the conversation uses.
   */
  pickChatModel: new RequestType<ConversationParams & { retryMessageId?: string }, string | null, void>('chat/pickChatModel'),
  /** "Prefer this answer" on one answer of a compare: later turns' history uses it. */
  preferAnswer: new RequestType<ConversationParams & { messageId: string }, void, void>('chat/preferAnswer'),
} as const;

export type ChatViewRequestName = keyof typeof ChatViewRequests;
/** The params of a request. */
export type ChatViewParams<K extends ChatViewRequestName> = (typeof ChatViewRequests)[K] extends RequestType<infer P, unknown, void> ? P : never;

/** The webview's page loaded and listens: the host sends the state and the conversation. */
export const chatViewReady = new NotificationType0('chat/ready');
/** A change for the webview to apply (see `HostToChatView`). */
export const chatViewUpdate = new NotificationType<HostToChatView>('chat/update');

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
const isId = (value: unknown): value is string => typeof value === 'string' && /^[\w-]{1,100}$/.test(value);
const isLine = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 10_000_000;
const isText =
  (max: number) =>
  (value: unknown): value is string =>
    typeof value === 'string' && value.length <= max;

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
    optionalText(value.compareModel) &&
    optionalText(value.template) &&
    optionalText(value.fewShot.examplesFile) &&
    optionalText(value.rag.index)
  );
}

/** A validator per request: the params, with only the known fields, or undefined when they are malformed. */
type Validators = { [K in ChatViewRequestName]: (params: unknown) => ChatViewParams<K> | undefined };

const conversationOnly = (p: unknown): ConversationParams | undefined => (isRecord(p) && isId(p.conversationId) ? { conversationId: p.conversationId } : undefined);

/** Validates each request's params on receipt: what the webview sends is untrusted input like any other. */
export const chatViewParams: Validators = {
  send: (p) => (isRecord(p) && isId(p.conversationId) && isText(100_000)(p.text) ? { conversationId: p.conversationId, text: p.text } : undefined),
  stop: conversationOnly,
  selectConversation: conversationOnly,
  deleteConversation: conversationOnly,
  exportConversation: conversationOnly,
  newConversation: (p) => (p === undefined || p === null || isRecord(p) ? {} : undefined),
  renameConversation: (p) => (isRecord(p) && isId(p.conversationId) && isText(200)(p.title) ? { conversationId: p.conversationId, title: p.title } : undefined),
  updateSettings: (p) => (isRecord(p) && isId(p.conversationId) && isSettings(p.settings) ? { conversationId: p.conversationId, settings: p.settings } : undefined),
  openCitation: (p) => (isRecord(p) && isText(4096)(p.file) && isLine(p.startLine) && isLine(p.endLine) ? { file: p.file, startLine: p.startLine, endLine: p.endLine } : undefined),
  openLink: (p) => (isRecord(p) && isText(8192)(p.href) ? { href: p.href } : undefined),
  copyText: (p) => (isRecord(p) && isText(1_000_000)(p.text) ? { text: p.text } : undefined),
  addToDataset: (p) => {
    if (!isRecord(p) || !isId(p.conversationId) || !isId(p.messageId)) return undefined;
    if (p.editedAnswer !== undefined && !isText(1_000_000)(p.editedAnswer)) return undefined;
    return { conversationId: p.conversationId, messageId: p.messageId, ...(p.editedAnswer !== undefined ? { editedAnswer: p.editedAnswer } : {}) };
  },
  retry: (p) => (isRecord(p) && isId(p.conversationId) && isId(p.messageId) ? { conversationId: p.conversationId, messageId: p.messageId } : undefined),
  preferAnswer: (p) => (isRecord(p) && isId(p.conversationId) && isId(p.messageId) ? { conversationId: p.conversationId, messageId: p.messageId } : undefined),
  runCommand: (p) => (isRecord(p) && isChatViewCommand(p.command) ? { command: p.command } : undefined),
  pickChatModel: (p) => {
    if (!isRecord(p) || !isId(p.conversationId)) return undefined;
    if (p.retryMessageId !== undefined && !isId(p.retryMessageId)) return undefined;
    return { conversationId: p.conversationId, ...(p.retryMessageId !== undefined ? { retryMessageId: p.retryMessageId } : {}) };
  },
};
