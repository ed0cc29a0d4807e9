/**
 * What the OpenAI-compatible server (`openAiServer.ts`) serves, behind one interface: the built-in ONNX engine's
 * models, a `.prompty` template served as a model of its own, or a test's fake. The server owns HTTP (routes, auth,
 * limits, queueing, server-sent events, disconnects); a provider owns models and generation.
 */
import { type ChatTurn } from '../text/chatTurn';

/** One entry of `GET /v1/models`. */
export interface ServedModel {
  id: string;
  kind: 'chat' | 'embedding';
  /** `owned_by` in the listing. */
  ownedBy: string;
  /** For an adapter or a served template: the model it runs on (vLLM's `parent`). */
  parent?: string;
  /** Context window in tokens, when known (listed as `max_model_len`, as vLLM does). */
  contextLength?: number;
}

/** A checked `POST /v1/chat/completions` body, in the provider's terms. */
export interface ServedChatRequest {
  model: string;
  messages: ChatTurn[];
  /** `max_completion_tokens` or `max_tokens`, already checked against the server's limit; undefined = the model's default. */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  stop?: string[];
}

export type ServedFinishReason = 'stop' | 'length' | 'cancelled';

export interface ServedChatResult {
  promptTokens: number;
  completionTokens: number;
  /** `stop`: end of turn or a stop string; `length`: max tokens or the context window; `cancelled`: the client left. */
  finishReason: ServedFinishReason;
}

export interface ServedEmbeddingResult {
  vectors: Float32Array[];
  promptTokens: number;
}

export interface ServedModelProvider {
  /** The models to list; also what `model` in a request is checked against (404 otherwise). */
  listModels(): Promise<ServedModel[]>;
  /**
   * Generates one answer, calling `onText` with each decoded piece in order. When `signal` aborts (the client
   * disconnected, the server stops) it stops within one token and resolves with `finishReason: 'cancelled'`.
   * Fails with a `ServingError` for what the client did wrong (prompt too long: 400), any other error is a 500.
   */
  chat(request: ServedChatRequest, onText: (delta: string) => void, signal: AbortSignal): Promise<ServedChatResult>;
  /** Embeds texts with an embedding model; absent when the server serves none (then `/v1/embeddings` answers 404). */
  embed?(model: string, inputs: readonly string[], signal: AbortSignal): Promise<ServedEmbeddingResult>;
}

/** OpenAI's error `type`s, by HTTP status. */
export type ServingErrorType = 'invalid_request_error' | 'authentication_error' | 'not_found_error' | 'rate_limit_error' | 'server_error' | 'service_unavailable';

/**
 * A request that fails with an OpenAI-style error body: `{"error": {"message", "type", "param", "code"}}` and its
 * status (400, 401, 404, 413, 429, 500, 503).
 */
export class ServingError extends Error {
  constructor(
    readonly status: number,
    readonly type: ServingErrorType,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ServingError';
  }
}

/** Where a server started by Chatwright listens unless told otherwise: the built-in engine's and the Python GPU server's. */
export const defaultServePorts = { builtin: 8765, gpu: 8766 } as const;

/**
 * The environment variable a server started by Chatwright reads its API key from (never the command line, which
 * other users of the machine can read in `ps`).
 */
export const serveApiKeyVariable = 'CHATWRIGHT_SERVE_API_KEY';
