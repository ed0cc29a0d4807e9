import picomatch from 'picomatch';
import { type TextEmbedder } from '../inference/embedding';
import { cosine } from '../text/cosine';
import { searchWords } from '../text/words';
import { jaccard, maximalMarginalRelevance, reciprocalRankFusion } from './fusion';
import { type IndexStore, type RankedRow, type StoredChunk } from './store';
import { type QueryEmbedding, type SearchHitInfo } from '../../shared/ragProtocol';

export type SearchMode = 'hybrid' | 'bm25' | 'vector';

export interface SearchOptions {
  k?: number;
  mode?: SearchMode;
  /** Glob over paths relative to the indexed folder (e.g. `docs/**`); only matching files are searched. */
  pathFilter?: string;
  /** Diversify the top k with maximal marginal relevance; the value is λ (1 = pure relevance). */
  mmrLambda?: number;
  /** How many candidates each retriever contributes before fusion. */
  candidates?: number;
  /** The query's vector (see `embedQuery`); without it the search is lexical. */
  queryEmbedding?: QueryEmbedding | undefined;
  /** Why there is no query embedding, for the notice of a lexical fallback (default: no model is selected). */
  withoutEmbedding?: string;
  /** Stops the search between its steps (it then rejects with the signal's reason). */
  signal?: AbortSignal;
}

/** One passage found; `score` is the final ranking score (RRF for hybrid, BM25 or cosine otherwise). */
export type SearchHit = SearchHitInfo;

export interface SearchResponse {
  hits: SearchHit[];
  /** The mode that actually ran: hybrid falls back to bm25 when the index has no vectors for the embedder. */
  mode: SearchMode;
  /** Why the search was lexical only, when it was. */
  notice?: string;
  tookMs: number;
}

function documentIdsMatching(store: IndexStore, glob: string | undefined): number[] | undefined {
  if (!glob) return undefined;
  const matches = picomatch(glob, { dot: true, nocase: true });
  return store
    .documents()
    .filter((doc) => matches(doc.path) || matches(doc.path.split('/').pop() ?? ''))
    .map((doc) => doc.id);
}

/**
 * Embeds a query for `searchIndex`, when the mode uses vectors and there is an embedder. Callers that search several
 * indexes embed once and hand the same vector to each.
 */
export async function embedQuery(embedder: TextEmbedder | undefined, query: string, mode: SearchMode = 'hybrid', signal?: AbortSignal): Promise<QueryEmbedding | undefined> {
  if (!embedder || mode === 'bm25') return undefined;
  const [vector] = await embedder.embed([query], 'query', signal);
  if (!vector) throw new Error('the embedding model returned no vector for the query');
  return { modelKey: embedder.modelKey, vector };
}

/**
 * Hybrid retrieval over one index: BM25 top-n and vector top-n fused by reciprocal rank fusion, optionally with MMR.
 * The work is synchronous (SQLite, an in-memory scan); failures arrive as the promise's rejection.
 */
export function searchIndex(store: IndexStore, query: string, options: SearchOptions = {}): Promise<SearchResponse> {
  return new Promise((resolve) => resolve(search(store, query, options)));
}

function search(store: IndexStore, query: string, options: SearchOptions): SearchResponse {
  const started = performance.now();
  options.signal?.throwIfAborted();
  const k = Math.max(1, options.k ?? 5);
  const candidates = Math.max(k, options.candidates ?? Math.max(50, k * 4));
  let mode: SearchMode = options.mode ?? 'hybrid';
  let notice: string | undefined;
  const documentIds = documentIdsMatching(store, options.pathFilter);
  if (documentIds && documentIds.length === 0) return { hits: [], mode, notice: `no indexed file matches '${options.pathFilter}'`, tookMs: performance.now() - started };
  const indexModel = store.getMeta('modelKey');
  const queryEmbedding = options.queryEmbedding;
  if (mode !== 'bm25') {
    const problem = !queryEmbedding
      ? (options.withoutEmbedding ?? 'no embedding model is selected')
      : indexModel !== queryEmbedding.modelKey
        ? `the index holds no vectors for ${queryEmbedding.modelKey}`
        : undefined;
    if (problem) {
      if (mode === 'vector') throw new Error(`vector search is unavailable: ${problem}`);
      mode = 'bm25';
      notice = `lexical search only: ${problem}`;
    }
  }
  let bm25: RankedRow[] = [];
  let vector: RankedRow[] = [];
  if (mode !== 'vector') {
    bm25 = store.searchBm25(query, candidates, documentIds);
    // Matches on words found in most passages score ~0 (FTS5 floors their idf): they are noise, not candidates.
    const best = bm25[0]?.score ?? 0;
    bm25 = bm25.filter((row) => row.score >= best * 0.01);
  }
  if (mode !== 'bm25' && queryEmbedding) {
    options.signal?.throwIfAborted();
    vector = store.searchVector(queryEmbedding.modelKey, queryEmbedding.vector, candidates, documentIds);
  }
  options.signal?.throwIfAborted();
  const bm25Ranks = new Map(bm25.map((row, index) => [row.rowid, { rank: index + 1, score: row.score }]));
  const vectorRanks = new Map(vector.map((row, index) => [row.rowid, { rank: index + 1, score: row.score }]));
  const fused =
    mode === 'hybrid' ? reciprocalRankFusion([bm25.map((row) => row.rowid), vector.map((row) => row.rowid)]) : (mode === 'bm25' ? bm25 : vector).map((row) => ({ id: row.rowid, score: row.score }));
  let ordered = fused.slice(0, options.mmrLambda !== undefined ? candidates : k);
  const chunks = store.chunksByRowid(ordered.map((entry) => entry.id));
  if (options.mmrLambda !== undefined && ordered.length > k) {
    const vectors =
      mode !== 'bm25' && queryEmbedding
        ? store.vectorsOf(
            ordered.map((entry) => entry.id),
            queryEmbedding.modelKey,
          )
        : undefined;
    const words = ordered.map((entry) => new Set(searchWords(chunks.get(entry.id)?.text ?? '')));
    const similarity = (a: number, b: number): number => {
      const va = vectors?.get(ordered[a]?.id ?? -1);
      const vb = vectors?.get(ordered[b]?.id ?? -1);
      return va && vb ? cosine(va, vb) : jaccard(words[a] ?? new Set(), words[b] ?? new Set());
    };
    const picked = maximalMarginalRelevance(
      ordered.map((entry) => entry.score),
      similarity,
      k,
      options.mmrLambda,
    );
    ordered = picked.map((index) => ordered[index]).filter((entry): entry is { id: number; score: number } => entry !== undefined);
  }
  const hits = ordered
    .map((entry) => ({ entry, chunk: chunks.get(entry.id) }))
    .filter((pair): pair is { entry: { id: number; score: number }; chunk: StoredChunk } => pair.chunk !== undefined)
    .slice(0, k)
    .map(({ entry, chunk }) => {
      const hit: SearchHit = { id: chunk.id, path: chunk.path, startLine: chunk.startLine, endLine: chunk.endLine, headingPath: chunk.headingPath, text: chunk.text, score: entry.score };
      if (chunk.page !== undefined) hit.page = chunk.page;
      const lexical = bm25Ranks.get(entry.id);
      const semantic = vectorRanks.get(entry.id);
      if (lexical) hit.bm25 = lexical;
      if (semantic) hit.vector = semantic;
      return hit;
    });
  return { hits, mode, ...(notice ? { notice } : {}), tookMs: performance.now() - started };
}
