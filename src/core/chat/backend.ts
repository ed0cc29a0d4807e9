/**
 * The contract between the chat and whatever produces answers: the built-in ONNX engine, a Python GPU worker, an
 * OpenAI-compatible endpoint. The chat UI and its host code know only this file, so a backend plugs in by
 * implementing `ChatBackend` and registering itself; nothing in the UI changes.
 */

import { type ChatErrorCode, type FinishReason, type GenerationStats } from './chatTypes';
import { type ChatRole, type ChatTurn } from '../text/chatTurn';

export type { ChatErrorCode, FinishReason, GenerationStats };

export interface GenerationOptions {
  /** 0 means greedy decoding. */
  temperature: number;
  /** The most new tokens to generate. */
  maxTokens: number;
  topP?: number;
  seed?: number;
  stop?: string[];
}

export interface ChatGenerateRequest {
  /** The backend's own model id (as listed by `listModels`). */
  model: string;
  messages: ChatTurn<ChatRole>[];
  options: GenerationOptions;
}

/**
 * Something the user should know about an answer that still arrived: it travelled unencrypted to another machine, or
 * the server sent more than was asked and the answer was cut.
 */
export type ChatBackendWarningCode = 'insecure-transport' | 'answer-truncated' | 'parameter-dropped' | 'max-tokens-reduced';

/** What a backend streams while it generates: text as it is decoded, warnings, then the final stats once. */
export type ChatBackendEvent =
  | { type: 'token'; text: string }
  /** A reasoning model's thinking, streamed apart from the answer (`delta.reasoning_content`). */
  | { type: 'reasoning'; text: string }
  | { type: 'warning'; code: ChatBackendWarningCode; message: string }
  | { type: 'stats'; stats: GenerationStats };

export interface ChatModelInfo {
  id: string;
  label: string;
  /** Context window in tokens, when known: the prompt builder trims history to fit it. */
  contextLength?: number;
}

/**
 * Why a generation failed, so the UI can offer the action that fixes it: pick or download a model, shorten the
 * prompt, look at the logs, configure the backend.
 */
export class ChatBackendError extends Error {
  constructor(
    readonly code: ChatErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ChatBackendError';
  }
}

export interface ChatBackend {
  /** Stable id, part of every model reference (`<backendId>/<modelId>`) stored in conversations. */
  readonly id: string;
  readonly label: string;
  /** The models this backend can run now. Fails soft: an unreachable backend lists nothing. */
  listModels(signal?: AbortSignal): Promise<ChatModelInfo[]>;
  /**
   * Streams one answer. Calls `onEvent` with each decoded piece of text in order and, last, the stats; resolves with
   * the same stats. When `signal` aborts it stops within a token and resolves with `finishReason: 'cancelled'`.
   * Failures reject with a `ChatBackendError`.
   */
  generate(request: ChatGenerateRequest, onEvent: (event: ChatBackendEvent) => void, signal: AbortSignal): Promise<GenerationStats>;
}

/** A model reference as stored in a conversation's settings: which backend, which of its models. */
export interface ModelRef {
  backend: string;
  model: string;
}

export function formatModelRef(ref: ModelRef): string {
  return `${ref.backend}/${ref.model}`;
}

/** `engine/Qwen/Qwen3-0.6B` → backend `engine`, model `Qwen/Qwen3-0.6B` (model ids may contain slashes). */
export function parseModelRef(text: string): ModelRef | undefined {
  const slash = text.indexOf('/');
  if (slash <= 0 || slash === text.length - 1) return undefined;
  return { backend: text.slice(0, slash), model: text.slice(slash + 1) };
}

/** Turns anything a backend threw into a `ChatBackendError` with a message the user can act on. */
export function toChatBackendError(error: unknown): ChatBackendError {
  if (error instanceof ChatBackendError) return error;
  if (error instanceof Error && error.name === 'AbortError') return new ChatBackendError('cancelled', 'The answer was stopped.', { cause: error });
  const message = error instanceof Error ? error.message : String(error);
  return new ChatBackendError('engine-failure', message || 'The backend failed without a message.', { cause: error });
}

/** Stats from timestamps, for backends that only see the token stream. */
export function statsFromTimings(input: {
  startedAt: number;
  firstTokenAt: number | undefined;
  endedAt: number;
  promptTokens: number;
  completionTokens: number;
  finishReason: FinishReason;
}): GenerationStats {
  const first = input.firstTokenAt ?? input.endedAt;
  const decodingSeconds = (input.endedAt - first) / 1000;
  const tokensAfterFirst = Math.max(0, input.completionTokens - 1);
  return {
    promptTokens: input.promptTokens,
    completionTokens: input.completionTokens,
    timeToFirstTokenMs: Math.max(0, first - input.startedAt),
    tokensPerSecond: decodingSeconds > 0 ? tokensAfterFirst / decodingSeconds : 0,
    totalMs: Math.max(0, input.endedAt - input.startedAt),
    finishReason: input.finishReason,
  };
}
