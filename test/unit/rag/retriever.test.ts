import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { FolderIndexer } from '../../../src/core/rag/indexer';
import { embedQuery, searchIndex } from '../../../src/core/rag/retriever';
import { IndexStore } from '../../../src/core/rag/store';
import { HashingEmbedder } from '../../support/hashingEmbedder';
import { scratchDir } from '../../support/scratchDir';

describe('retrieval', () => {
  const root = scratchDir('retrieval');
  const files: Record<string, string> = {
    'guide/tides.md': '# Tides\n\n## Spring tides\n\nSpring tides happen at full and new moon.\n\n## Neap tides\n\nNeap tides happen at quarter moon.\n',
    'guide/tides-copy.md': '# Tides again\n\n## Spring tides\n\nSpring tides happen at full and new moon.\n',
    'ops/moorings.md': '# Moorings\n\nVisitors moor at pontoon C. Spring lines hold the boat.\n',
    'manual.pdf': '',
  };
  const embedder = new HashingEmbedder();
  let store: IndexStore;

  before(async () => {
    for (const [path, text] of Object.entries(files)) {
      if (!text) continue;
      mkdirSync(join(root, path, '..'), { recursive: true });
      writeFileSync(join(root, path), text);
    }
    store = IndexStore.open(join(root, '.index.db')).store;
    await new FolderIndexer({ root, store, embedder }).indexAll();
  });

  it('returns citations: file, line range, heading path and scores', async () => {
    const { hits, mode } = await searchIndex(store, 'neap tides', { mode: 'bm25', k: 3 });
    assert.equal(mode, 'bm25');
    const top = hits[0];
    assert.equal(top?.path, 'guide/tides.md');
    assert.deepEqual([top?.startLine, top?.endLine], [7, 9]);
    assert.deepEqual(top?.headingPath, ['Tides', 'Neap tides']);
    assert.equal(top?.bm25?.rank, 1);
    assert.ok((top?.score ?? 0) > 0);
  });

  it('fuses BM25 and vectors with RRF in hybrid mode', async () => {
    const { hits, mode } = await searchIndex(store, 'neap tides quarter moon', { queryEmbedding: await embedQuery(embedder, 'neap tides quarter moon'), k: 3 });
    assert.equal(mode, 'hybrid');
    assert.equal(hits[0]?.path, 'guide/tides.md');
    assert.ok(hits[0]?.bm25 && hits[0]?.vector, 'the top hit was found by both retrievers');
    assert.ok(Math.abs((hits[0]?.score ?? 0) - (1 / (60 + (hits[0]?.bm25?.rank ?? 0)) + 1 / (60 + (hits[0]?.vector?.rank ?? 0)))) < 1e-12);
  });

  it('falls back to lexical search without a model, and says so', async () => {
    const response = await searchIndex(store, 'spring tides', { k: 2 });
    assert.equal(response.mode, 'bm25');
    assert.match(response.notice ?? '', /lexical search only: no embedding model/);
    await assert.rejects(searchIndex(store, 'x', { mode: 'vector' }), /vector search is unavailable/);
    const otherModel = await searchIndex(store, 'spring tides', { queryEmbedding: await embedQuery(new HashingEmbedder('other/model'), 'spring tides') });
    assert.match(otherModel.notice ?? '', /no vectors for other\/model/);
  });

  it('says why there is no query vector when the caller gives the reason, and embeds nothing for BM25', async () => {
    const response = await searchIndex(store, 'spring tides', { withoutEmbedding: 'the question could not be embedded: engine down' });
    assert.equal(response.mode, 'bm25');
    assert.equal(response.notice, 'lexical search only: the question could not be embedded: engine down');
    assert.equal(await embedQuery(embedder, 'spring tides', 'bm25'), undefined);
    assert.equal(await embedQuery(undefined, 'spring tides'), undefined);
  });

  it("stops when its signal is aborted, with the signal's reason", async () => {
    const controller = new AbortController();
    controller.abort(new Error('the chat turn was stopped'));
    await assert.rejects(searchIndex(store, 'spring tides', { signal: controller.signal }), /the chat turn was stopped/);
  });

  it('filters by path glob', async () => {
    const { hits } = await searchIndex(store, 'spring', { mode: 'bm25', pathFilter: 'ops/**' });
    assert.deepEqual([...new Set(hits.map((hit) => hit.path))], ['ops/moorings.md']);
    const none = await searchIndex(store, 'spring', { pathFilter: 'nothing/**' });
    assert.equal(none.hits.length, 0);
    assert.match(none.notice ?? '', /no indexed file matches/);
  });

  it('diversifies with MMR: a duplicate passage gives way to a different one', async () => {
    const plain = await searchIndex(store, 'spring tides full moon', { mode: 'bm25', k: 2 });
    assert.equal(plain.hits[0]?.text, plain.hits[1]?.text, 'without MMR the two copies fill the top 2');
    const diverse = await searchIndex(store, 'spring tides full moon', { mode: 'bm25', k: 2, mmrLambda: 0.5 });
    assert.notEqual(diverse.hits[0]?.text, diverse.hits[1]?.text);
  });
});
