/**
 * Passages for a served template's retrieval from a document index built by `chatwright index` (the workspace's
 * `.chatwright/index.db`): the same hybrid search as `chatwright search` and the chat, limited to the template's
 * `paths` globs. The index's embedding model embeds the query when it is available; otherwise the search is lexical.
 */
import { retrievedPassageOf } from '../chat/chatRunner';
import { type TextEmbedder } from '../inference/embedding';
import { embedQuery, searchIndex } from '../rag/retriever';
import { type IndexStore } from '../rag/store';
import { type PassageSearch } from './templateServedModels';

/** The glob `searchIndex` takes for a template's `paths` (several become one brace pattern, as the chat does). */
export function pathFilterOf(paths: readonly string[]): string | undefined {
  return paths.length === 0 ? undefined : paths.length === 1 ? paths[0] : `{${paths.join(',')}}`;
}

export function indexPassageSearch(store: IndexStore, embedder: TextEmbedder | undefined): PassageSearch {
  return async (query, settings, k, signal) => {
    const queryEmbedding = await embedQuery(embedder, query, 'hybrid', signal);
    const pathFilter = pathFilterOf(settings.paths);
    const response = await searchIndex(store, query, { k, mode: 'hybrid', signal, ...(pathFilter ? { pathFilter } : {}), ...(queryEmbedding ? { queryEmbedding } : {}) });
    return response.hits.map((hit) => retrievedPassageOf(hit, hit.path));
  };
}
