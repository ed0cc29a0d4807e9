import { type ChatBackend } from '../../core/chat/backend';
import { parseModelRef } from '../../core/chat/backend';
import { type ChatSources } from '../../core/chat/chatRunner';
import { OpenAiCompatibleBackend } from '../../core/chat/openAiCompatibleBackend';
import { type ComparisonSpec, type EndpointSpec } from '../../core/eval/evalTypes';
import { withLinkedSignal } from '../../core/inference/abort';

/** The engine's embedder, as the RAG feature uses it (`EngineHost.embed`). */
export interface EngineEmbedder {
  embed(model: string, texts: readonly string[], role: 'query' | 'document', signal?: AbortSignal): Promise<{ vectors: Float32Array[] }>;
}

/** The backends a comparison's strategies, judge and embedding model name (`<backend>/…`). */
export function backendsUsed(spec: ComparisonSpec, strategies?: readonly string[]): Set<string> {
  const refs = spec.strategies.filter((s) => !strategies || strategies.includes(s.name)).map((s) => s.model);
  if (spec.judge) refs.push(spec.judge.model);
  if (spec.embeddingModel) refs.push(spec.embeddingModel);
  return new Set(refs.flatMap((ref) => parseModelRef(ref)?.backend ?? []));
}

/** An endpoint's API key from the editor's environment: a variable that is named but not set is an error naming it. */
export function endpointApiKey(endpoint: EndpointSpec, env: NodeJS.ProcessEnv): string | undefined {
  if (endpoint.apiKeyEnv === undefined) return undefined;
  const key = env[endpoint.apiKeyEnv];
  if (key === undefined || key === '') {
    throw new Error(
      `The endpoint "${endpoint.id}" takes its API key from the environment variable ${endpoint.apiKeyEnv}, which is not set in the editor's environment: set it before starting VS Code, or remove api_key_env.`,
    );
  }
  return key;
}

/**
 * The chat's sources (its backends, templates, examples and index: what the chat view uses, so a strategy sees what
 * the chat would show) with the comparison's own `endpoints:` added as OpenAI-compatible backends. An endpoint of the
 * file takes precedence over a registered backend of the same id: the file names it explicitly.
 */
export function comparisonSources(chat: ChatSources & { indexes?(): string[] }, spec: ComparisonSpec, env: NodeJS.ProcessEnv, strategies?: readonly string[]): ChatSources {
  const used = backendsUsed(spec, strategies);
  const extra = new Map<string, ChatBackend>();
  for (const endpoint of spec.endpoints) {
    // Keys are checked only for the endpoints this run uses: an unused endpoint's missing key blocks nothing.
    const apiKey = used.has(endpoint.id) ? endpointApiKey(endpoint, env) : undefined;
    extra.set(endpoint.id, new OpenAiCompatibleBackend({ id: endpoint.id, label: endpoint.id, baseUrl: endpoint.url, ...(apiKey !== undefined ? { apiKey } : {}) }));
  }
  const sources: ChatSources = {
    backend: (id) => extra.get(id) ?? chat.backend(id),
    modelInfo: (backend, model) => (extra.get(backend.id) === backend ? Promise.resolve(undefined) : (chat.modelInfo?.(backend, model) ?? Promise.resolve(undefined))),
  };
  if (chat.renderTemplate) sources.renderTemplate = chat.renderTemplate.bind(chat);
  if (chat.readExamples) sources.readExamples = chat.readExamples.bind(chat);
  const retrieve = chat.retrieve?.bind(chat);
  if (retrieve) {
    // The chat searches every folder when the named index is not one of them; a comparison's strategy must not
    // quietly answer from other documents than it names, so the answer fails (and is asked again on the next run).
    sources.retrieve = (query, k, index, signal, paths) => {
      const known = chat.indexes?.();
      if (index !== undefined && known !== undefined && !known.includes(index)) {
        return Promise.reject(new Error(`There is no index named "${index}" in this window${known.length > 0 ? `: the indexes are ${known.map((name) => `"${name}"`).join(', ')}` : ''}.`));
      }
      return retrieve(query, k, index, signal, paths);
    };
  }
  if (chat.templateRetrieval) sources.templateRetrieval = chat.templateRetrieval.bind(chat);
  return sources;
}

/**
 * Embeds texts with the comparison's `embedding_model`: `engine/<model>` through the inference engine (as the RAG
 * feature embeds), `<endpoint>/<model>` through that endpoint's `/embeddings`. Undefined when the comparison has none.
 */
export function comparisonEmbedder(
  spec: ComparisonSpec,
  engine: EngineEmbedder | undefined,
  env: NodeJS.ProcessEnv,
  fetcher: typeof fetch = fetch,
): ((texts: readonly string[], signal: AbortSignal) => Promise<Float32Array[]>) | undefined {
  const ref = spec.embeddingModel !== undefined ? parseModelRef(spec.embeddingModel) : undefined;
  if (!ref) return undefined;
  if (ref.backend === 'engine') {
    return async (texts, signal) => {
      if (!engine) throw new Error('the inference engine is not available in this window');
      return withLinkedSignal(signal, async (own) => (await engine.embed(ref.model, texts, 'document', own)).vectors);
    };
  }
  const endpoint = spec.endpoints.find((e) => e.id === ref.backend);
  if (!endpoint)
    return () => Promise.reject(new Error(`the embedding model ${spec.embeddingModel} names no endpoint of the comparison's endpoints: (declare "${ref.backend}" there, or use engine/<model>)`));
  // Each batch its own signal, unhooked from the run's when the batch settles (see withLinkedSignal).
  return async (texts, signal) => withLinkedSignal(signal, (own) => embedThroughEndpoint(endpoint, ref.model, texts, endpointApiKey(endpoint, env), fetcher, own));
}

/** Embeddings from an OpenAI-compatible `/embeddings`; the reply is checked (one finite vector per text, equal sizes). */
async function embedThroughEndpoint(endpoint: EndpointSpec, model: string, texts: readonly string[], apiKey: string | undefined, fetcher: typeof fetch, signal: AbortSignal): Promise<Float32Array[]> {
  const url = `${endpoint.url.replace(/\/+$/, '')}/embeddings`;
  const response = await fetcher(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey !== undefined ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: JSON.stringify({ model, input: texts }),
    signal,
  });
  if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}`.trim());
  const body = (await response.json()) as { data?: unknown };
  if (!Array.isArray(body.data) || body.data.length !== texts.length) throw new Error(`${url} returned ${Array.isArray(body.data) ? body.data.length : 'no'} embeddings for ${texts.length} texts`);
  const vectors: Float32Array[] = new Array<Float32Array>(texts.length);
  for (const [position, item] of (body.data as unknown[]).entries()) {
    const { embedding, index } = (item ?? {}) as { embedding?: unknown; index?: unknown };
    const at = typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < texts.length ? index : position;
    if (!Array.isArray(embedding) || embedding.length === 0 || !embedding.every((v) => typeof v === 'number' && Number.isFinite(v)))
      throw new Error(`${url} returned an embedding that is not a list of numbers`);
    vectors[at] = Float32Array.from(embedding as number[]);
  }
  const size = vectors[0]?.length;
  if (vectors.some((v) => v === undefined || v.length !== size)) throw new Error(`${url} returned embeddings of different sizes or a missing one`);
  return vectors;
}
