import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type IndexSnapshot } from '../../../src/shared/ragProtocol';
import { describeProgress, fileRow, folderRow, indexCommandState, progressRow, searchModeRow, skippedRow } from '../../../src/core/views/indexRows';

const now = Date.UTC(2025, 5, 15, 12, 0, 0);
/** About what a row shows at the default sidebar width once its icon and indentation are drawn. */
const visibleChars = 30;

function snapshot(overrides: Partial<IndexSnapshot> = {}): IndexSnapshot {
  return {
    folder: '/w/support-bot',
    dbFile: '/storage/rag/support-bot.db',
    busy: false,
    paused: false,
    documents: 4,
    chunks: 9,
    embeddedChunks: 0,
    skipped: [],
    vectorBackend: 'exact (in memory)',
    ...overrides,
  };
}

describe('Index view rows', () => {
  it('keeps "Lexical search only" whole and puts the reason in the tooltip', () => {
    const reason = 'the embedding model Xenova/all-MiniLM-L6-v2 could not be loaded: onnx/model.onnx is not an ONNX file';
    const row = searchModeRow(snapshot({ lexicalOnly: reason }));
    assert.equal(row?.label, 'Lexical search only');
    assert.equal(row?.description, undefined, 'nothing after the label to push it out of view');
    assert.ok(row?.tooltip.includes(reason));
    assert.match(row?.tooltip ?? '', /choose an embedding model/);
  });

  it('names hybrid search with its model, and how much is embedded while it is partial', () => {
    assert.deepEqual(searchModeRow(snapshot({ modelKey: 'tiny-bert@fp32', embeddedChunks: 9 }))?.label, 'Hybrid search');
    assert.equal(searchModeRow(snapshot({ modelKey: 'tiny-bert@fp32', embeddedChunks: 3 }))?.label, 'Hybrid search (33% embedded)');
    assert.equal(searchModeRow(snapshot({ modelKey: 'tiny-bert@fp32', embeddedChunks: 9 }))?.description, 'tiny-bert@fp32');
    assert.equal(searchModeRow(snapshot()), undefined);
  });

  it('puts the file name first and its folder after the chunk count', () => {
    const row = fileRow({ path: 'docs/guides/getting-started.md', chunkCount: 4, indexedAt: now - 3 * 60_000, format: 'markdown' }, now);
    assert.equal(row.label, 'getting-started.md');
    assert.equal(row.description, '4 chunks · docs/guides');
    assert.match(row.tooltip, /^docs\/guides\/getting-started\.md\n4 chunks \(markdown\), indexed 3 min ago$/);
    assert.equal(fileRow({ path: 'README.md', chunkCount: 1, indexedAt: now, format: 'markdown' }, now).description, '1 chunk');
  });

  it("shows the folder's size and a relative time that moves with the clock", () => {
    const indexed = snapshot({ lastIndexedAt: now, lexicalOnly: 'no embedding model selected' });
    assert.equal(folderRow('support-bot', indexed, now).description, '4 files · just now');
    assert.equal(folderRow('support-bot', indexed, now + 3 * 60_000).description, '4 files · 3 min ago');
    assert.match(folderRow('support-bot', indexed, now).tooltip, /4 files, 9 passages, lexical \(BM25\) search only\nLast indexed just now\nIndex: \/storage\/rag\/support-bot\.db/);
    assert.equal(folderRow('support-bot', undefined, now).description, undefined);
  });

  it('leads progress with the percentage, counts and time left after it', () => {
    const busy = snapshot({ busy: true, progress: { phase: 'chunking', filesDone: 12, filesTotal: 40, chunksWritten: 30, embedded: 0, embedTotal: 0, etaMs: 65_000, currentPath: 'docs/a.md' } });
    assert.deepEqual(progressRow(busy), { label: 'Indexing 30%', description: '12/40 files · 1m 05s left', tooltip: 'Indexing 12/40 files · 1m 05s left\nNow: docs/a.md' });
    const embedding = snapshot({ busy: true, progress: { phase: 'embedding', filesDone: 40, filesTotal: 40, chunksWritten: 90, embedded: 1200, embedTotal: 4000 } });
    assert.equal(progressRow(embedding)?.label, 'Embedding 30%');
    assert.equal(progressRow(embedding)?.description, '1,200/4,000 passages');
    assert.equal(progressRow(snapshot({ busy: true, progress: { phase: 'scanning', filesDone: 0, filesTotal: 0, chunksWritten: 0, embedded: 0, embedTotal: 0 } }))?.label, 'Scanning files…');
    assert.equal(progressRow(snapshot()), undefined, 'an idle index shows no progress row');
  });

  it('says where a paused run stopped', () => {
    const paused = snapshot({ busy: true, paused: true, progress: { phase: 'chunking', filesDone: 3, filesTotal: 10, chunksWritten: 5, embedded: 0, embedTotal: 0 } });
    assert.equal(progressRow(paused)?.label, 'Indexing paused');
    assert.equal(progressRow(paused)?.description, 'at 3/10 files');
    assert.equal(describeProgress(paused), 'Indexing paused');
  });

  it('never shows "NaN" or "undefined" for an estimate or a total that is not there', () => {
    const odd = snapshot({ busy: true, progress: { phase: 'chunking', filesDone: 0, filesTotal: 0, chunksWritten: 0, embedded: 0, embedTotal: 0, etaMs: Number.NaN } });
    const row = progressRow(odd);
    assert.equal(row?.label, 'Indexing 0%');
    assert.doesNotMatch(`${row?.label} ${row?.description} ${row?.tooltip}`, /NaN|undefined/);
  });

  it('keeps every label within what the default sidebar width shows', () => {
    const labels = [
      searchModeRow(snapshot({ lexicalOnly: 'no embedding model selected' }))?.label,
      searchModeRow(snapshot({ modelKey: 'sentence-transformers/all-MiniLM-L6-v2@q8', embeddedChunks: 1 }))?.label,
      progressRow(snapshot({ busy: true, progress: { phase: 'embedding', filesDone: 1, filesTotal: 1, chunksWritten: 1, embedded: 123_456, embedTotal: 999_999, etaMs: 7_200_000 } }))?.label,
      progressRow(snapshot({ busy: true, paused: true }))?.label,
    ];
    for (const label of labels) assert.ok(label && label.length <= visibleChars, `"${label}" is ${label?.length} characters`);
  });

  it('shows a skipped file by name with the reason, and the full path in the tooltip', () => {
    const row = skippedRow({ path: 'docs/big/manual.pdf', reason: 'too large: 80.0 MiB (limit 50.0 MiB)', kind: 'skipped' });
    assert.deepEqual(row, { label: 'manual.pdf', description: 'too large: 80.0 MiB (limit 50.0 MiB)', tooltip: 'docs/big/manual.pdf\nSkipped: too large: 80.0 MiB (limit 50.0 MiB)' });
  });
});

describe('which index commands apply', () => {
  it('offers Pause and Cancel while a run is going', () => {
    assert.deepEqual(indexCommandState([snapshot(), snapshot({ busy: true })]), { indexing: true, paused: false });
  });

  it('offers Resume and Cancel, not Pause, once paused', () => {
    assert.deepEqual(indexCommandState([snapshot({ busy: true, paused: true })]), { indexing: true, paused: true });
  });

  it('offers none of them when every folder is idle or not started', () => {
    assert.deepEqual(indexCommandState([snapshot(), undefined]), { indexing: false, paused: false });
    assert.deepEqual(indexCommandState([]), { indexing: false, paused: false });
  });
});
