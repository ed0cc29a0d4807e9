import { type EmbeddingRole, type TextEmbedder } from '../inference/embedding';
import { OnnxTextEmbedder } from '../inference/textEmbedder';

/** Texts whose vectors an embedder keeps; the oldest go first. */
const maxCachedVectors = 5000;

/**
 * A loader of the embedding models that `strategy: similar` names: each model loads once (onnxruntime-node itself
 * loads only then, on demand), and the examples' vectors stay cached, so a keystroke re-embeds only the query.
 * A model that fails to load is tried again on the next request.
 */
export function cachingEmbedderLoader(): (idOrPath: string) => Promise<TextEmbedder> {
  const embedders = new Map<string, Promise<TextEmbedder>>();
  return (idOrPath) => {
    let loading = embedders.get(idOrPath);
    if (!loading) {
      loading = OnnxTextEmbedder.load(idOrPath, { dtype: 'auto' }).then(cachingEmbedder);
      loading.catch(() => embedders.delete(idOrPath));
      embedders.set(idOrPath, loading);
    }
    return loading;
  };
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
        while (cache.size > maxCachedVectors) cache.delete(cache.keys().next().value!);
      }
      return texts.map((text) => cache.get(`${role}\u0000${text}`)!);
    },
  };
}
