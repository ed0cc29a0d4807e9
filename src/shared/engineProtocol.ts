/**
 * Messages between the extension (or any host) and the inference engine's worker process. Requests carry an id;
 * the worker answers each with exactly one `result` or `error`, and generation streams `token` events before it.
 * Typed once here and used on both sides; imports nothing.
 */

import type { ChatTurn as EngineChatMessage } from '../core/text/chatTurn';

export type EngineEmbeddingRole = 'query' | 'document';
export type EngineExecutionProvider = 'cpu' | 'cuda' | 'auto';
export type EngineDtype = 'auto' | 'fp32' | 'fp16' | 'q8' | 'int8' | 'uint8' | 'q4' | 'q4f16' | 'bnb4';

export interface EngineSettings {
  executionProvider: EngineExecutionProvider;
  /** Intra-op threads; 0 = one per core. */
  threads: number;
  /** Loaded models unused for this long are released; 0 keeps them. */
  idleUnloadMs: number;
  /** onnxruntime's threads spin between operators while a chat model generates (faster tokens, busy cores meanwhile). */
  spinWhileGenerating?: boolean;
}

/** A turn of the conversation to generate from: the core's one chat-turn type, under the protocol's name. */
export type { EngineChatMessage };

/** How the next token is chosen. Absent values come from the model's generation_config.json, then HF's defaults. */
export interface EngineSamplingOptions {
  /** false or temperature 0: greedy (arg-max). */
  doSample?: boolean;
  temperature?: number;
  /** Keep the k most likely tokens; 0 disables. Hugging Face's default is 50. */
  topK?: number;
  /** Keep the smallest set whose probability reaches p; 1 disables. */
  topP?: number;
  /** Drop tokens below minP × the top probability; 0 disables. */
  minP?: number;
  /** > 1 discourages tokens already in the context (CTRL's rule, as in transformers). */
  repetitionPenalty?: number;
  /** Makes sampling reproducible. */
  seed?: number;
}

export interface EngineGenerateOptions extends EngineSamplingOptions {
  /** Defaults to generation_config.json's max_new_tokens, else 512; never beyond the context window. */
  maxNewTokens?: number;
  /** Generation ends before any of these (they may span tokens); they are not part of the answer. */
  stop?: string[];
  /** Extra variables for the chat template (e.g. enable_thinking: false). */
  templateVariables?: Record<string, unknown>;
}

export type EngineFinishReason = 'eos' | 'stop' | 'length' | 'context' | 'cancelled';

export interface EngineGenerationStats {
  promptTokens: number;
  generatedTokens: number;
  /** From the call to the first generated token (prompt processing included). */
  timeToFirstTokenMs: number;
  /** Decoding speed after the first token. */
  tokensPerSecond: number;
  totalMs: number;
  finishReason: EngineFinishReason;
  provider: 'cpu' | 'cuda';
}

export interface EngineGenerationResult {
  text: string;
  stats: EngineGenerationStats;
}

export interface EngineEmbeddingResult {
  vectors: Float32Array[];
  dimensions: number;
  modelKey: string;
}

export interface EngineModelInfo {
  model: string;
  kind: 'embedder' | 'generator';
  modelKey: string;
  dtype: string;
  provider: 'cpu' | 'cuda';
  fallbackReason?: string;
  /** Embedders: vector size and input limit; generators: context window. */
  dimensions?: number;
  maxTokens: number;
  weightBytes: number;
}

export interface EngineStatus {
  pid: number;
  loaded: EngineModelInfo[];
  rssBytes: number;
  peakRssBytes: number;
}

/** What each request kind sends and what its `result` carries. */
export interface EngineRequestMap {
  embed: [{ model: string; dtype?: EngineDtype; texts: string[]; role: EngineEmbeddingRole }, EngineEmbeddingResult];
  countTokens: [{ model: string; dtype?: EngineDtype; texts: string[] }, number[]];
  /** A chat (through the model's chat template), or with `prompt` a raw text continued as is (base models, benchmarks). */
  generate: [{ model: string; dtype?: EngineDtype; messages: EngineChatMessage[]; prompt?: string; options: EngineGenerateOptions }, EngineGenerationResult];
  /** Loads (or returns) a model without running it. */
  load: [{ model: string; dtype?: EngineDtype; kind: 'embedder' | 'generator' }, EngineModelInfo];
  unload: [{ model?: string }, number];
  status: [Record<string, never>, EngineStatus];
}
export type EngineRequestKind = keyof EngineRequestMap;

export type EngineRequest = { [K in EngineRequestKind]: { type: 'request'; id: number; kind: K; params: EngineRequestMap[K][0] } }[EngineRequestKind];

/** Messages to the worker besides requests. */
export type EngineControl = { type: 'cancel'; id: number } | { type: 'configure'; settings: EngineSettings };

export type EngineToWorker = EngineRequest | EngineControl;

export interface EngineErrorPayload {
  name: string;
  message: string;
  /** The model file a ModelError is about. */
  file?: string;
}

export type EngineFromWorker =
  | { type: 'ready'; pid: number }
  | { type: 'token'; id: number; text: string }
  | { type: 'result'; id: number; result: unknown }
  | { type: 'error'; id: number; error: EngineErrorPayload }
  /** Sent when a model is loaded, so the host can show which provider runs it. */
  | { type: 'modelLoaded'; info: EngineModelInfo; loadMs: number }
  | { type: 'modelUnloaded'; model: string };
