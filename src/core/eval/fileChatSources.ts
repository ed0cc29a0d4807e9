/**
 * The chat pipeline's sources for a comparison run outside the editor (`chatwright eval`), from files under one
 * workspace root: `.prompty` templates rendered in the render sandbox (a worker with the template preview's default
 * time limit), few-shot examples files, the CLI's document index (`<root>/.chatwright/index.db`, as `chatwright
 * search` and `chatwright serve` read it), the built-in engine in this process, and the comparison's OpenAI-compatible
 * endpoints with their keys from the environment. Every path is confined to the root. Nothing here imports `vscode`.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import OpenAI from 'openai';
import { parseModelRef, type ChatBackend } from '../chat/backend';
import { type ChatSources, type ExampleChoice, type RetrievedPassage } from '../chat/chatRunner';
import { type FewShotExample } from '../chat/chatTypes';
import { chooseFewShotExamples } from '../chat/fewShotExamples';
import { OpenAiCompatibleBackend } from '../chat/openAiCompatibleBackend';
import { type RenderedTemplate } from '../chat/promptBuilder';
import { renderTemplateForChat } from '../chat/templateAdapter';
import { readBoundedText } from '../files/boundedRead';
import { withLinkedSignal } from '../inference/abort';
import { type TextEmbedder } from '../inference/embedding';
import { InferenceEngine } from '../inference/inferenceEngine';
import { parsePromptyDocument } from '../prompts/promptyDocument';
import { retrievalSettings, type TemplateRetrievalSettings } from '../prompts/promptySettings';
import { defaultRenderWorkerScript, RenderSandbox } from '../prompts/renderSandbox';
import { resolveInsideWorkspace } from '../prompts/workspaceFiles';
import { defaultIndexFile } from '../rag/indexLocation';
import { IndexStore } from '../rag/store';
import { indexPassageSearch } from '../serving/indexPassageSearch';
import { type PassageSearch } from '../serving/templateServedModels';
import { EngineChatBackend } from './engineChatBackend';
import { type ComparisonSpec, type EndpointSpec } from './evalTypes';

/** The template preview's default time limit (`chatwright.prompts.renderTimeoutMs`), so a template renders here as it previews. */
export const defaultTemplateRenderTimeoutMs = 2000;
/** An embeddings reply for one batch is a few megabytes at most; a vector longer than this is not one. */
const maxEmbeddingDimensions = 65_536;

export interface FileChatSourcesOptions {
  /** The workspace root: templates, examples files and model folders are resolved inside it. */
  root: string;
  endpoints: readonly EndpointSpec[];
  /** Where API keys are read (`apiKeyEnv`) and the engine finds the Hugging Face cache. */
  env: NodeJS.ProcessEnv;
  renderTimeoutMs?: number;
  /** The index retrieval searches (default `<root>/.chatwright/index.db`); absent: retrieval says there is none. */
  indexFile?: string;
  /** Loads the index's embedding model for query vectors (default: the ONNX embedder); failing leaves the search lexical. */
  loadEmbedder?: (model: string) => Promise<TextEmbedder>;
  /** The engine behind `engine/…` models (default: one made on first use, in this process). */
  engine?: InferenceEngine;
}

/** The backends a comparison names (strategies, judge, embedding model) whose API key variable is unset: checked before a run starts. */
export function missingApiKeys(spec: ComparisonSpec, strategies: ComparisonSpec['strategies'], env: NodeJS.ProcessEnv): string[] {
  const used = new Set<string>();
  for (const model of [...strategies.map((strategy) => strategy.model), ...(spec.judge ? [spec.judge.model] : []), ...(spec.embeddingModel ? [spec.embeddingModel] : [])]) {
    const ref = parseModelRef(model);
    if (ref) used.add(ref.backend);
  }
  return spec.endpoints
    .filter((endpoint) => used.has(endpoint.id) && endpoint.apiKeyEnv !== undefined && !env[endpoint.apiKeyEnv]?.trim())
    .map((endpoint) => `endpoint '${endpoint.id}' needs its API key in the environment variable ${endpoint.apiKeyEnv}, which is not set`);
}

export class FileChatSources implements ChatSources {
  readonly retrieve?: NonNullable<ChatSources['retrieve']>;
  private readonly backends = new Map<string, ChatBackend>();
  private engineInstance: InferenceEngine | undefined;
  private sandbox: RenderSandbox | undefined;
  private store: IndexStore | undefined;
  private search: Promise<PassageSearch> | undefined;

  constructor(private readonly options: FileChatSourcesOptions) {
    const indexFile = options.indexFile ?? defaultIndexFile(options.root);
    if (existsSync(indexFile)) {
      this.retrieve = async (query, k, index, signal, paths = []) => {
        // A strategy naming another index would otherwise get this one's passages, and share their cached answers
        // with the editor's run that did search the index it named.
        if (index !== undefined && index !== this.indexName) {
          throw new Error(`the index '${index}' is not here: the CLI has one index (${this.indexName}), the workspace root's ${indexFile}, named as the editor names a workspace folder's index`);
        }
        return this.retrieveFrom(indexFile, query, k, signal, paths);
      };
    }
  }

  /** The one index's name: the workspace root folder's, as the editor names a folder's index (`retrieval.index`). */
  get indexName(): string {
    return basename(resolve(this.options.root));
  }

  /** The engine, made once on first use (loading it costs nothing until a model is asked for). */
  get engine(): InferenceEngine {
    this.engineInstance ??= this.options.engine ?? new InferenceEngine(undefined, {}, this.options.env);
    return this.engineInstance;
  }

  backend(id: string): ChatBackend | undefined {
    const known = this.backends.get(id);
    if (known) return known;
    let made: ChatBackend | undefined;
    if (id === 'engine') made = new EngineChatBackend(this.engine, this.options.root);
    else {
      const endpoint = this.options.endpoints.find((candidate) => candidate.id === id);
      if (endpoint) {
        const apiKey = endpoint.apiKeyEnv !== undefined ? this.options.env[endpoint.apiKeyEnv]?.trim() : undefined;
        made = new OpenAiCompatibleBackend({ id: endpoint.id, label: endpoint.id, baseUrl: endpoint.url, ...(apiKey ? { apiKey } : {}) });
      }
    }
    if (made) this.backends.set(id, made);
    return made;
  }

  async renderTemplate(path: string, inputs: Record<string, unknown>, examplesK: number, signal: AbortSignal): Promise<RenderedTemplate> {
    const { file, text } = await this.readConfined(path);
    this.sandbox ??= new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: this.options.renderTimeoutMs ?? defaultTemplateRenderTimeoutMs });
    const sandbox = this.sandbox;
    return renderTemplateForChat({ text, templatePath: file, label: path, workspaceRoots: [this.options.root], inputs, examplesK, signal }, (request, cancel) => sandbox.render(request, cancel));
  }

  async readExamples(path: string, k: number, choice?: ExampleChoice, signal?: AbortSignal): Promise<{ examples: FewShotExample[]; notes: string[] }> {
    const { text } = await this.readConfined(path);
    const read = await chooseFewShotExamples(text, path, k, choice, signal ? { signal } : {});
    return { examples: read.examples, notes: read.skipped.slice(0, 5).map((skipped) => `${path}:${skipped.line} skipped: ${skipped.reason}.`) };
  }

  async templateRetrieval(path: string): Promise<TemplateRetrievalSettings | undefined> {
    const { text } = await this.readConfined(path);
    return retrievalSettings(parsePromptyDocument(text).frontMatter?.data);
  }

  /**
   * Embeds texts with a model reference: `engine/<model>` in this process, `<endpoint>/<model>` through the endpoint's
   * `/v1/embeddings`. Vectors are checked (one per text, finite numbers, one length) before they are used.
   */
  embedder(model: string): (texts: readonly string[], signal: AbortSignal) => Promise<Float32Array[]> {
    const ref = parseModelRef(model);
    if (!ref) throw new Error(`the embedding model '${model}' is not a <backend>/<model> reference`);
    if (ref.backend === 'engine') {
      const location = new EngineChatBackend(this.engine, this.options.root).modelLocation(ref.model);
      return (texts, signal) => withLinkedSignal(signal, async (own) => checkedVectors((await this.engine.embed(location, texts, 'document', own)).vectors, texts.length));
    }
    const endpoint = this.options.endpoints.find((candidate) => candidate.id === ref.backend);
    if (!endpoint) throw new Error(`the embedding model '${model}' names no endpoint of the comparison (endpoints: ${this.options.endpoints.map((e) => e.id).join(', ') || 'none'})`);
    const apiKey = endpoint.apiKeyEnv !== undefined ? this.options.env[endpoint.apiKeyEnv]?.trim() : undefined;
    const client = new OpenAI({ apiKey: apiKey || 'no-key', baseURL: endpoint.url.replace(/\/+$/, ''), organization: null, project: null, maxRetries: 1, timeout: 120_000, logLevel: 'off' });
    // Each batch its own signal: the client leaves a listener on the signal of every request it makes.
    return (texts, signal) => withLinkedSignal(signal, (own) => embedThroughClient(client, endpoint, ref.model, texts, own));
  }

  /** Stops the render worker, closes the index and unloads the engine's models. */
  async dispose(): Promise<void> {
    const sandbox = this.sandbox;
    this.sandbox = undefined;
    this.store?.close();
    this.store = undefined;
    await sandbox?.dispose();
    await this.engineInstance?.dispose();
  }

  /** A workspace file's text, refused when it resolves outside the root (links followed), bounded in size. */
  private async readConfined(path: string): Promise<{ file: string; text: string }> {
    const resolved = resolveInsideWorkspace(path, undefined, [this.options.root]);
    if ('error' in resolved) throw new Error(resolved.error);
    return { file: resolved.path, text: await readBoundedText(resolved.path, { kind: 'template' }) };
  }

  private async retrieveFrom(indexFile: string, query: string, k: number, signal: AbortSignal, paths: readonly string[]): Promise<RetrievedPassage[]> {
    this.search ??= this.openSearch(indexFile);
    const search = await this.search;
    return search(query, { paths: [...paths], variable: 'context' }, k, signal);
  }

  /** Opens the index once; its embedding model embeds queries when it loads, else the search is lexical. */
  private async openSearch(indexFile: string): Promise<PassageSearch> {
    const { store, rebuiltBecause } = IndexStore.open(indexFile);
    this.store = store;
    if (rebuiltBecause) throw new Error(`the index ${indexFile} cannot be used (${rebuiltBecause}); run 'chatwright index' again`);
    const model = store.getMeta('modelKey')?.replace(/#[^#]*$/, '');
    let embedder: TextEmbedder | undefined;
    if (model) {
      const load = this.options.loadEmbedder ?? (async (id: string) => (await import('../inference/textEmbedder')).OnnxTextEmbedder.load(id, {}, this.options.env));
      embedder = await load(model).catch(() => undefined);
    }
    return indexPassageSearch(store, embedder);
  }
}

/** One batch's vectors from an endpoint's `/v1/embeddings`, checked before they are used. */
async function embedThroughClient(client: OpenAI, endpoint: EndpointSpec, model: string, texts: readonly string[], signal: AbortSignal): Promise<Float32Array[]> {
  const response = await client.embeddings.create({ model, input: [...texts], encoding_format: 'float' }, { signal });
  const ordered = [...response.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
  return checkedVectors(
    ordered.map((embedding) => {
      if (!Array.isArray(embedding) || embedding.length > maxEmbeddingDimensions) throw new Error(`${endpoint.id} returned an embedding that is not a list of numbers`);
      return Float32Array.from(embedding);
    }),
    texts.length,
  );
}

function checkedVectors(vectors: readonly Float32Array[], expected: number): Float32Array[] {
  if (vectors.length !== expected) throw new Error(`the embedding model returned ${vectors.length} vectors for ${expected} texts`);
  const dimensions = vectors[0]?.length ?? 0;
  for (const vector of vectors) {
    if (vector.length !== dimensions || vector.length === 0) throw new Error('the embedding model returned vectors of different lengths');
    for (const value of vector) if (!Number.isFinite(value)) throw new Error('the embedding model returned a vector with a value that is not a number');
  }
  return [...vectors];
}
