import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type Chunk } from '../../../src/core/rag/chunk';
import { ftsQuery } from '../../../src/core/rag/keywordQuery';
import { IndexStore } from '../../../src/core/rag/store';
import { schemaVersion } from '../../../src/core/rag/storeSchema';
import { scratchDir } from '../../support/scratchDir';

const tempDb = (): string => join(scratchDir('store'), 'index.db');

function chunk(id: string, text: string, headingPath: string[] = [], contentHash = `h-${id}`): Chunk {
  return { id, contentHash, text, embedText: text, tokens: text.split(' ').length, startLine: 1, endLine: 2, headingPath };
}

function unit(values: number[]): Float32Array {
  const vector = Float32Array.from(values);
  const norm = Math.hypot(...values);
  return vector.map((value) => value / norm);
}

describe('index store', () => {
  it('creates the schema at the current version in WAL mode', () => {
    const { store } = IndexStore.open(tempDb());
    assert.equal(store.db.pragma('user_version', { simple: true }), schemaVersion);
    assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
    store.close();
  });

  it('replaces a document and its chunks atomically, and BM25 finds them', () => {
    const { store } = IndexStore.open(tempDb());
    store.replaceDocument({ path: 'docs/tides.md', contentHash: 'a', size: 1, mtimeMs: 1, format: 'markdown', chunking: 'k' }, [
      chunk('c1', 'spring tides are highest'),
      chunk('c2', 'neap tides are lowest'),
    ]);
    store.replaceDocument({ path: 'docs/boats.md', contentHash: 'b', size: 1, mtimeMs: 1, format: 'markdown', chunking: 'k' }, [chunk('c3', 'sailing boats need wind')]);
    const hits = store.searchBm25('neap tides', 10);
    const chunks = store.chunksByRowid(hits.map((hit) => hit.rowid));
    assert.equal(chunks.get(hits[0]?.rowid ?? -1)?.id, 'c2');
    store.replaceDocument({ path: 'docs/tides.md', contentHash: 'a2', size: 1, mtimeMs: 2, format: 'markdown', chunking: 'k' }, [chunk('c4', 'king tides flood the quay')]);
    assert.equal(store.searchBm25('neap', 10).length, 0, 'old chunks are gone from FTS');
    assert.equal(store.stats().chunks, 2);
    assert.equal((store.db.prepare('SELECT count(*) AS n FROM chunks_fts').get() as { n: number }).n, 2);
    store.close();
  });

  it('matches words in the path and the heading path', () => {
    const { store } = IndexStore.open(tempDb());
    store.replaceDocument({ path: 'backends/backblaze_b2.md', contentHash: 'a', size: 1, mtimeMs: 1, format: 'markdown', chunking: 'k' }, [
      chunk('c1', 'nothing relevant here', ['Setup', 'Lifecycle rules']),
    ]);
    assert.equal(store.searchBm25('backblaze', 5).length, 1);
    assert.equal(store.searchBm25('lifecycle', 5).length, 1);
    store.close();
  });

  it('in a large index, leaves words found in most passages out of the BM25 match', () => {
    const { store } = IndexStore.open(tempDb());
    const chunks = Array.from({ length: 10_050 }, (_, index) => chunk(`c${index}`, `common filler text ${index % 3 === 0 ? 'rare' : ''} ${index < 3 ? 'needle' : ''}`));
    store.replaceDocument({ path: 'big.md', contentHash: 'a', size: 1, mtimeMs: 1, format: 'markdown', chunking: 'k' }, chunks);
    const hits = store.searchBm25('common needle', 50);
    assert.equal(hits.length, 3, 'only passages with the selective word are scored');
    assert.equal(store.searchBm25('common filler', 50).length, 50, 'when every word is common, the rarest one is kept');
    store.close();
  });

  it('builds safe FTS queries from free text', () => {
    assert.equal(ftsQuery('How do I use "--fast-list"?'), '"use" OR "fast" OR "list"');
    assert.equal(ftsQuery('the'), '"the"');
    assert.equal(ftsQuery('?!'), undefined);
  });

  for (const backend of ['memory', 'sqlite-vec'] as const) {
    it(`finds nearest vectors exactly (${backend} scan), filtered by document`, () => {
      const { store } = IndexStore.open(tempDb(), { vectorBackend: backend });
      store.replaceDocument({ path: 'a.md', contentHash: 'a', size: 1, mtimeMs: 1, format: 'markdown', chunking: 'k' }, [chunk('c1', 'one'), chunk('c2', 'two')]);
      store.replaceDocument({ path: 'b.md', contentHash: 'b', size: 1, mtimeMs: 1, format: 'markdown', chunking: 'k' }, [chunk('c3', 'three')]);
      store.putEmbeddings('m', [
        { contentHash: 'h-c1', vector: unit([1, 0, 0]) },
        { contentHash: 'h-c2', vector: unit([0.7, 0.7, 0]) },
        { contentHash: 'h-c3', vector: unit([0, 0, 1]) },
      ]);
      const ids = (rows: { rowid: number }[]): string[] => rows.map((row) => store.chunksByRowid([row.rowid]).get(row.rowid)?.id ?? '?');
      const rows = store.searchVector('m', unit([1, 0.1, 0]), 3);
      assert.deepEqual(ids(rows), ['c1', 'c2', 'c3']);
      assert.ok(Math.abs((rows[0]?.score ?? 0) - 0.995037) < 1e-4);
      const onlyB = store.searchVector('m', unit([1, 0.1, 0]), 3, [store.document('b.md')?.id ?? -1]);
      assert.deepEqual(ids(onlyB), ['c3']);
      assert.equal(store.searchVector('other-model', unit([1, 0, 0]), 3).length, 0);
      store.close();
    });
  }

  it('keeps the in-memory vectors in step with writes, deletes and garbage collection', () => {
    const { store } = IndexStore.open(tempDb());
    store.replaceDocument({ path: 'a.md', contentHash: 'a', size: 1, mtimeMs: 1, format: 'markdown', chunking: 'k' }, [chunk('c1', 'one'), chunk('c2', 'two')]);
    store.putEmbeddings('m', [{ contentHash: 'h-c1', vector: unit([1, 0]) }]);
    const top = (): string | undefined => {
      const [row] = store.searchVector('m', unit([0, 1]), 1);
      return row ? store.chunksByRowid([row.rowid]).get(row.rowid)?.id : undefined;
    };
    assert.equal(top(), 'c1', 'the matrix is loaded on first search');
    store.putEmbeddings('m', [{ contentHash: 'h-c2', vector: unit([0, 1]) }]);
    assert.equal(top(), 'c2', 'a new vector is searchable at once');
    store.replaceDocument({ path: 'a.md', contentHash: 'a2', size: 1, mtimeMs: 2, format: 'markdown', chunking: 'k' }, [chunk('c1', 'one')]);
    store.collectGarbage('m');
    assert.equal(top(), 'c1', 'a removed chunk no longer comes back');
    store.close();
  });

  it('reports texts without vectors, and forgets vectors of other models and of deleted chunks', () => {
    const { store } = IndexStore.open(tempDb());
    store.replaceDocument({ path: 'a.md', contentHash: 'a', size: 1, mtimeMs: 1, format: 'markdown', chunking: 'k' }, [
      chunk('c1', 'one'),
      chunk('c2', 'same', [], 'shared'),
      chunk('c3', 'same', [], 'shared'),
    ]);
    assert.equal(store.countPendingEmbeddings('m'), 2, 'identical texts are embedded once');
    store.putEmbeddings('m', [{ contentHash: 'h-c1', vector: unit([1, 0]) }]);
    store.putEmbeddings('old', [{ contentHash: 'h-c1', vector: unit([1, 0]) }]);
    assert.deepEqual(
      store.pendingEmbeddings('m', 10).map((row) => row.contentHash),
      ['shared'],
    );
    store.deleteDocument('a.md');
    store.collectGarbage('m');
    assert.equal((store.db.prepare('SELECT count(*) AS n FROM embeddings').get() as { n: number }).n, 0);
    store.close();
  });

  it('detects a corrupted database, moves it aside and starts a fresh index', () => {
    const file = tempDb();
    writeFileSync(file, 'this is not an sqlite database, just some bytes '.repeat(200));
    const { store, rebuiltBecause } = IndexStore.open(file);
    assert.match(rebuiltBecause ?? '', /unusable/);
    assert.equal(store.stats().documents, 0);
    assert.ok(readdirSync(join(file, '..')).some((name) => name.startsWith('index.db.corrupt-')));
    store.close();
  });

  it('detects a database truncated mid-page', () => {
    const file = tempDb();
    const first = IndexStore.open(file).store;
    first.replaceDocument(
      { path: 'a.md', contentHash: 'a', size: 1, mtimeMs: 1, format: 'markdown', chunking: 'k' },
      Array.from({ length: 200 }, (_, index) => chunk(`c${index}`, `text number ${index} `.repeat(40))),
    );
    first.db.pragma('wal_checkpoint(TRUNCATE)');
    first.close();
    const bytes = readFileSync(file);
    writeFileSync(file, Buffer.concat([bytes.subarray(0, 4096 * 3), Buffer.alloc(4096 * 2, 0x5a)]));
    const reopened = IndexStore.open(file);
    assert.ok(reopened.rebuiltBecause, 'corruption is reported');
    assert.equal(reopened.store.stats().chunks, 0);
    reopened.store.close();
  });

  it('refuses a database from a newer schema by rebuilding, and says so', () => {
    const file = tempDb();
    const first = IndexStore.open(file).store;
    first.db.pragma(`user_version = ${schemaVersion + 1}`);
    first.close();
    const { rebuiltBecause } = IndexStore.open(file);
    assert.match(rebuiltBecause ?? '', /newer than this Chatwright/);
    assert.ok(existsSync(file));
  });
});
