/**
 * Messages between the extension (or any host) and the inference engine's process, over the RPC layer
 * (`src/core/rpc`): each request declared once with its exact response type, generation's text streamed as
 * progress, and the engine's model events as notifications. Typed once here and used on both sides.
 */
import { NotificationType, ProgressType, RequestType, type ProgressToken } from 'vscode-jsonrpc';

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

export interface EngineModelRef {
  model: string;
  dtype?: EngineDtype;
}

export interface EngineEmbedParams extends EngineModelRef {
  texts: string[];
  role: EngineEmbeddingRole;
}

export interface EngineCountTokensParams extends EngineModelRef {
  texts: string[];
}

/** A chat (through the model's chat template), or with `prompt` a raw text continued as is (base models, benchmarks). */
export interface EngineGenerateParams extends EngineModelRef {
  messages: EngineChatMessage[];
  prompt?: string;
  options: EngineGenerateOptions;
  /** Where the generated text is streamed, as `engineTokenProgress` values (text deltas), when the caller wants it. */
  progressToken?: ProgressToken;
}

export interface EngineLoadParams extends EngineModelRef {
  kind: 'embedder' | 'generator';
}

/** What each request kind sends and what it is answered with. */
export interface EngineRequestMap {
  embed: [EngineEmbedParams, EngineEmbeddingResult];
  countTokens: [EngineCountTokensParams, number[]];
  /** Generation: aborting ends it within a token, answered with the text so far and finishReason 'cancelled'. */
  generate: [EngineGenerateParams, EngineGenerationResult];
  /** Loads (or returns) a model without running it. */
  load: [EngineLoadParams, EngineModelInfo];
  /** Releases one model, or all; answered with how many were released. */
  unload: [{ model?: string }, number];
  status: [Record<string, never>, EngineStatus];
}
export type EngineRequestKind = keyof EngineRequestMap;
type EngineRequestType<K extends EngineRequestKind> = RequestType<EngineRequestMap[K][0], EngineRequestMap[K][1], unknown>;

export const engineEmbedRequest: EngineRequestType<'embed'> = new RequestType('engine/embed');
export const engineCountTokensRequest: EngineRequestType<'countTokens'> = new RequestType('engine/countTokens');
export const engineGenerateRequest: EngineRequestType<'generate'> = new RequestType('engine/generate');
export const engineLoadRequest: EngineRequestType<'load'> = new RequestType('engine/load');
export const engineUnloadRequest: EngineRequestType<'unload'> = new RequestType('engine/unload');
export const engineStatusRequest: EngineRequestType<'status'> = new RequestType('engine/status');
/** Streamed generated text: each value is the next delta (never a broken character). */
export const engineTokenProgress = new ProgressType<string>();

/** The engine's requests by kind, for `EngineClient.request(kind, …)`. */
export const engineRequests: { [K in EngineRequestKind]: EngineRequestType<K> } = {
  embed: engineEmbedRequest,
  countTokens: engineCountTokensRequest,
  generate: engineGenerateRequest,
  load: engineLoadRequest,
  unload: engineUnloadRequest,
  status: engineStatusRequest,
};

/** Host → engine: the settings, sent when the process starts and whenever they change. */
export const engineConfigureNotification = new NotificationType<EngineSettings>('engine/configure');
/** Engine → host: a model was loaded, so the host can show which provider runs it. */
export const engineModelLoadedNotification = new NotificationType<{ info: EngineModelInfo; loadMs: number }>('engine/modelLoaded');
/** Engine → host: a model was released (idle, or asked). */
export const engineModelUnloadedNotification = new NotificationType<{ model: string }>('engine/modelUnloaded');
