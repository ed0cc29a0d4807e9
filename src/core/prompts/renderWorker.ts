// The render sandbox's worker thread: renders templates off the caller's thread, so a runaway template can be
// stopped by terminating this thread (see renderSandbox.ts). Bundled as dist/renderWorker.js.
import { parentPort } from 'node:worker_threads';
import { type EmbeddingRole, type TextEmbedder } from '../inference/embedding';
import { OnnxTextEmbedder } from '../inference/textEmbedder';
import { ModelChatTemplateError } from './chatTemplate';
import { type TemplateBudgets } from '../templates/guardedTemplates';
import { renderPrompt, type RenderRequest } from './renderPrompt';

interface WorkerRequest {
  id: number;
  request: RenderRequest;
  budgets?: Partial<TemplateBudgets>;
}

parentPort?.on('message', (message: WorkerRequest) => {
  parentPort!.postMessage({ id: message.id, phase: 'template' });
  renderPrompt(message.request, { loadEmbedder, ...(message.budgets !== undefined ? { budgets: message.budgets } : {}), onPhase: (phase) => parentPort!.postMessage({ id: message.id, phase }) }).then(
    (result) => parentPort!.postMessage({ id: message.id, result }),
    (error: unknown) => parentPort!.postMessage({ id: message.id, error: describeRenderError(error), origin: error instanceof ModelChatTemplateError ? 'model' : 'template' }),
  );
});

function describeRenderError(error: unknown): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return 'The template recursed too deeply (a macro that calls itself without end?).';
  return error instanceof Error ? error.message : String(error);
}

const embedders = new Map<string, Promise<TextEmbedder>>();

/**
 * The embedding model for `strategy: similar`, loaded once per worker (onnxruntime only loads here, on demand), with
 * the examples' vectors cached: a keystroke re-embeds only the query.
 */
function loadEmbedder(idOrPath: string): Promise<TextEmbedder> {
  let loading = embedders.get(idOrPath);
  if (!loading) {
    // onnxruntime-node itself loads inside `load`, only when a template asks for `similar` with a model.
    loading = OnnxTextEmbedder.load(idOrPath, { dtype: 'auto' }).then(cachingEmbedder);
    loading.catch(() => embedders.delete(idOrPath));
    embedders.set(idOrPath, loading);
  }
  return loading;
}

function cachingEmbedder(inner: TextEmbedder): TextEmbedder {
  const cache = new Map<string, Float32Array>();
  return {
    modelKey: inner.modelKey,
    dimensions: inner.dimensions,
    maxTokens: inner.maxTokens,
    countTokens: (text) => inner.countTokens(text),
    async embed(texts: readonly string[], role: EmbeddingRole, signal?: AbortSignal): Promise<Float32Array[]> {
      const missing = [...new Set(texts.filter((text) => !cache.has(`${role}\u0000${text}`)))];
      if (missing.length > 0) {
        const vectors = await inner.embed(missing, role, signal);
        missing.forEach((text, index) => cache.set(`${role}\u0000${text}`, vectors[index]!));
        while (cache.size > 5000) cache.delete(cache.keys().next().value!);
      }
      return texts.map((text) => cache.get(`${role}\u0000${text}`)!);
    },
  };
}
