/**
 * The JSON bodies of OpenAI's HTTP API that the server writes, as OpenAI defines them (the fields this server
 * fills; clients ignore what they do not know). Requests arrive as untrusted JSON and are checked field by field
 * in `chatCompletionRequest.ts` and `embeddingRequest.ts`, so they have no type here.
 */
import { type ServingError } from './servedModels';

/** `{"error": {...}}`: every non-2xx answer, and an `error` event inside a stream that already started. */
export interface WireErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What a finished choice reports: `cancelled` never reaches a client (it left). */
export type WireFinishReason = 'stop' | 'length';

/** `POST /v1/chat/completions` without `stream`. */
export interface WireChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: [{ index: 0; message: { role: 'assistant'; content: string; refusal: null }; logprobs: null; finish_reason: WireFinishReason }];
  usage: WireUsage;
}

/** One `data:` event of a streamed chat completion. */
export interface WireChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  /** Empty in the closing usage chunk. */
  choices: { index: 0; delta: { role?: 'assistant'; content?: string }; logprobs: null; finish_reason: WireFinishReason | null }[];
  /** With `stream_options.include_usage`: null on every chunk but the last, which carries the totals. */
  usage?: WireUsage | null;
}

/** `POST /v1/embeddings`; `embedding` is a base64 string of little-endian float32s with `encoding_format: "base64"`. */
export interface WireEmbeddingList {
  object: 'list';
  data: { object: 'embedding'; index: number; embedding: number[] | string }[];
  model: string;
  usage: { prompt_tokens: number; total_tokens: number };
}

/** One entry of `GET /v1/models`; `parent` and `max_model_len` are vLLM's additions. */
export interface WireModel {
  id: string;
  object: 'model';
  created: number;
  owned_by: string;
  parent?: string;
  max_model_len?: number;
}

export interface WireModelList {
  object: 'list';
  data: WireModel[];
}

export function wireErrorBody(error: ServingError): WireErrorBody {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

export function wireUsage(promptTokens: number, completionTokens: number): WireUsage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

/**
 * A float32 vector as OpenAI's `encoding_format: "base64"` sends it: the raw little-endian bytes, base64-encoded
 * (the `openai` client decodes it with a `Float32Array` view, so the byte order is the machine's: little-endian on
 * every platform Node runs on, written explicitly here all the same).
 */
export function float32Base64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}
