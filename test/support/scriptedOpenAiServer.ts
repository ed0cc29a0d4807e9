/**
 * A local OpenAI-compatible server FOR TESTS AND BENCHMARKS whose answers are scripted per model id: each model is a
 * function from the request (its messages) to the answer text, so a comparison whose strategies name different models
 * has a known outcome. It is Chatwright's own server (`startOpenAiServer`) over a scripted provider, so the chat
 * backend talks to it exactly as to a real endpoint. Optional fixed delay before the answer, and counters of what
 * ran at once. Embeddings: a deterministic bag-of-words hashing vector (`/v1/embeddings`), for embedding similarity.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { startOpenAiServer, type RunningOpenAiServer } from '../../src/core/serving/openAiServer';
import { type ServedChatRequest, type ServedChatResult, type ServedModel, type ServedModelProvider } from '../../src/core/serving/servedModels';
import { type ChatTurn } from '../../src/core/text/chatTurn';

/** What a scripted model answers: a function of the request's messages (the last is the question). */
export type ScriptedAnswer = (messages: readonly ChatTurn[]) => string;

export interface ScriptedServerOptions {
  /** Model id → how it answers. */
  models: Record<string, ScriptedAnswer>;
  /** Milliseconds before each answer's first token (default 0). */
  delayMs?: number;
  /** Answers are streamed in pieces of this many characters (default 16). */
  chunkChars?: number;
  /** The server's own limits (default: generous, so the client's concurrency is what limits). */
  maxConcurrent?: number;
  maxQueue?: number;
  apiKey?: string;
  /** Embedding model ids served at /v1/embeddings (default: `hash-embed`). */
  embeddingModels?: string[];
}

export interface ScriptedServer {
  /** `http://127.0.0.1:<port>/v1`. */
  readonly url: string;
  /** Every chat request received, in order of arrival. */
  readonly requests: ServedChatRequest[];
  /** The most chat requests in flight at once, overall and per model. */
  readonly peak: { overall: number; perModel: Map<string, number> };
  close(): Promise<void>;
}

/** The question of a request: the last user turn's text. */
export function lastUserText(messages: readonly ChatTurn[]): string {
  return [...messages].reverse().find((m) => m.role === 'user')?.content ?? '';
}

/** A deterministic 64-dimension bag-of-words vector (hashing trick, L2-normalized): similar texts get similar vectors. */
export function hashingVector(text: string, dimensions = 64): Float32Array {
  const vector = new Float32Array(dimensions);
  for (const word of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    let hash = 2166136261;
    for (let i = 0; i < word.length; i++) hash = Math.imul(hash ^ word.charCodeAt(i), 16777619);
    vector[(hash >>> 0) % dimensions]! += 1;
  }
  let norm = 0;
  for (const value of vector) norm += value * value;
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dimensions; i++) vector[i]! /= norm;
  return vector;
}

class ScriptedProvider implements ServedModelProvider {
  readonly requests: ServedChatRequest[] = [];
  readonly peak = { overall: 0, perModel: new Map<string, number>() };
  private running = 0;
  private readonly runningPerModel = new Map<string, number>();

  constructor(private readonly options: ScriptedServerOptions) {}

  listModels(): Promise<ServedModel[]> {
    const chat: ServedModel[] = Object.keys(this.options.models).map((id) => ({ id, kind: 'chat', ownedBy: 'scripted', contextLength: 32_768 }));
    const embedding: ServedModel[] = (this.options.embeddingModels ?? ['hash-embed']).map((id) => ({ id, kind: 'embedding', ownedBy: 'scripted' }));
    return Promise.resolve([...chat, ...embedding]);
  }

  async chat(request: ServedChatRequest, onText: (delta: string) => void, signal: AbortSignal): Promise<ServedChatResult> {
    const script = this.options.models[request.model];
    if (!script) throw new Error(`no scripted model '${request.model}'`);
    this.requests.push(request);
    this.running += 1;
    const perModel = (this.runningPerModel.get(request.model) ?? 0) + 1;
    this.runningPerModel.set(request.model, perModel);
    this.peak.overall = Math.max(this.peak.overall, this.running);
    this.peak.perModel.set(request.model, Math.max(this.peak.perModel.get(request.model) ?? 0, perModel));
    try {
      if (this.options.delayMs) await sleep(this.options.delayMs, undefined, { signal }).catch(() => undefined);
      if (signal.aborted) return { promptTokens: 0, completionTokens: 0, finishReason: 'cancelled' };
      const answer = script(request.messages);
      const size = this.options.chunkChars ?? 16;
      let pieces = 0;
      for (let at = 0; at < answer.length; at += size) {
        onText(answer.slice(at, at + size));
        pieces += 1;
      }
      const promptTokens = request.messages.reduce((sum, m) => sum + Math.ceil(m.content.length / 4), 0);
      return { promptTokens, completionTokens: pieces, finishReason: 'stop' };
    } finally {
      this.running -= 1;
      this.runningPerModel.set(request.model, (this.runningPerModel.get(request.model) ?? 1) - 1);
    }
  }

  embed(_model: string, inputs: readonly string[]): Promise<{ vectors: Float32Array[]; promptTokens: number }> {
    return Promise.resolve({ vectors: inputs.map((text) => hashingVector(text)), promptTokens: inputs.reduce((sum, text) => sum + Math.ceil(text.length / 4), 0) });
  }
}

export async function startScriptedServer(options: ScriptedServerOptions): Promise<ScriptedServer> {
  const provider = new ScriptedProvider(options);
  const server: RunningOpenAiServer = await startOpenAiServer({
    provider,
    host: '127.0.0.1',
    port: 0,
    maxConcurrent: options.maxConcurrent ?? 256,
    maxQueue: options.maxQueue ?? 4096,
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
  });
  return { url: server.url, requests: provider.requests, peak: provider.peak, close: () => server.close() };
}
