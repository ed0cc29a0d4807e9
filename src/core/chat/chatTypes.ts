/**
 * The chat's domain: conversations, their settings, messages, what the model saw for an answer (examples, retrieved
 * passages) and the generation's stats. The core persists and builds these; the host and the Chat webview exchange
 * them through `src/shared/chatViewProtocol.ts`, which imports these types from here.
 */

export type FinishReason = 'stop' | 'length' | 'cancelled';

export interface GenerationStats {
  promptTokens: number;
  completionTokens: number;
  /** From the request to the first streamed token, in milliseconds. */
  timeToFirstTokenMs: number;
  /** Completion tokens per second of decoding (after the first token). */
  tokensPerSecond: number;
  totalMs: number;
  finishReason: FinishReason;
}

/** Settings of one conversation: remembered with it, so reopening it chats the same way. */
export interface ChatSettings {
  /** `<backend>/<model>`, or undefined before the user picks one. */
  model?: string;
  /**
   * A second `<backend>/<model>` that answers every question beside `model` (compare): both get the same messages and
   * stream side by side. Undefined when compare is off.
   */
  compareModel?: string;
  /** Workspace-relative path of a `.prompty` template, or undefined for none. */
  template?: string;
  fewShot: {
    enabled: boolean;
    k: number;
    /** Workspace-relative JSONL file of `messages` rows; undefined means the template's own examples. */
    examplesFile?: string;
    /** How an examples file's rows are chosen (default `first`); a template's own examples follow its front matter. */
    selection?: 'first' | 'random' | 'similar';
    /** The seed of `random` selection (default 0). */
    seed?: number;
  };
  rag: {
    enabled: boolean;
    k: number;
    /** Which index (a workspace folder's); undefined means the first one. */
    index?: string;
  };
  temperature: number;
  maxTokens: number;
  /** Sampling seed passed to the backend, for reproducible answers where it supports one; the chat view leaves it unset. */
  seed?: number;
}

export const defaultChatSettings: ChatSettings = {
  fewShot: { enabled: false, k: 3 },
  rag: { enabled: false, k: 4 },
  temperature: 0.7,
  maxTokens: 512,
};

/** A retrieved passage the answer may cite: where it is and how it scored. */
export interface Passage {
  /** 1-based number the prompt gives it, which the model cites as `[n]`. */
  index: number;
  /** Workspace-relative path. */
  file: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  headingPath: string[];
  text: string;
  score: number;
  /** The separate scores behind `score` (e.g. bm25, vector, fused), for display. */
  scores?: Record<string, number>;
}

export interface FewShotExample {
  /** Where it came from: `file:line`. */
  source: string;
  messages: { role: string; content: string }[];
}

/** Everything the model was given for one answer, shown under the answer so the user can improve the chatbot. */
export interface ModelInput {
  model: string;
  template?: string;
  /** The template's system prompt before retrieved passages were added: what "Add to dataset" keeps. */
  systemPrompt?: string;
  /** The messages sent to the backend, exactly. */
  messages: { role: string; content: string }[];
  examples: FewShotExample[];
  passages: Passage[];
  /** History turns left out to fit the context window. */
  droppedTurns: number;
  /** Notes on what was skipped and why (no index, examples file missing, …). */
  notes: string[];
}

export type ChatErrorCode = 'model-missing' | 'context-too-long' | 'engine-failure' | 'backend-unavailable' | 'cancelled' | 'invalid-request';

export interface UserMessage {
  id: string;
  role: 'user';
  content: string;
  createdAt: number;
}

export type AssistantStatus = 'streaming' | 'done' | 'stopped' | 'error';

export interface AssistantMessage {
  id: string;
  role: 'assistant';
  content: string;
  createdAt: number;
  status: AssistantStatus;
  model?: string;
  error?: { code: ChatErrorCode; message: string };
  stats?: GenerationStats;
  input?: ModelInput;
  /** A reasoning model's thinking (`reasoning_content`, or `<think>` text), kept apart from the answer and shown folded. */
  reasoning?: string;
  /** How long the model thought, from its first reasoning to its first answer text (or its end), in milliseconds. */
  reasoningMs?: number;
  /**
   * One of the two answers of a compare: `group` is the question's message id, `slot` a for the conversation's model,
   * b for the compare model. Absent for a plain answer.
   */
  compare?: CompareSlot;
  /** The user preferred this answer of its compare group: later turns' history uses it, and evaluation can read the choice. */
  preferred?: boolean;
}

export interface CompareSlot {
  group: string;
  slot: 'a' | 'b';
}

export type ChatMessage = UserMessage | AssistantMessage;

export interface Conversation {
  id: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  settings: ChatSettings;
  messages: ChatMessage[];
}

export interface ConversationSummary {
  id: string;
  title: string;
  updatedAt: number;
  messageCount: number;
}
