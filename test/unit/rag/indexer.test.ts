import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FolderIndexer } from '../../../src/core/rag/indexer';
import { embedQuery, searchIndex } from '../../../src/core/rag/retriever';
import { IndexStore } from '../../../src/core/rag/store';
import { HashingEmbedder } from '../../support/hashingEmbedder';
import { scratchDir } from '../../support/scratchDir';

function workspace(files: Record<string, string | Buffer>): string {
  const root = scratchDir('indexer');
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

const tempDb = (): string => join(scratchDir('index'), 'index.db');

function manyDocs(count: number): Record<string, string> {
  return Object.fromEntries(
    Array.from({ length: count }, (_, index) => [
      `docs/doc${String(index).padStart(4, '0')}.md`,
      `# Topic ${index}\n\nParagraph about item${index} and the harbour.\n\n## Details\n\nMore words about item${index}.\n`,
    ]),
  );
}

/** Every document's chunk count matches its rows, and FTS holds exactly the chunks. */
function assertConsistent(store: IndexStore): void {
  const mismatched = store.db.prepare('SELECT d.path FROM documents d WHERE d.chunk_count <> (SELECT count(*) FROM chunks c WHERE c.document_id = d.id)').all();
  assert.deepEqual(mismatched, []);
  const fts = (store.db.prepare('SELECT count(*) AS n FROM chunks_fts').get() as { n: number }).n;
  assert.equal(fts, store.stats().chunks);
  assert.equal(store.db.pragma('quick_check', { simple: true }), 'ok');
}

describe('folder indexer', () => {
  it('indexes, then re-indexes only what changed; deletes and renames follow', async () => {
    const root = workspace({ 'a.md': '# Alpha\n\nThe lighthouse is red.\n', 'b.md': '# Beta\n\nThe ferry leaves at noon.\n', 'c.txt': 'Gamma text about anchors.\n' });
    const { store } = IndexStore.open(tempDb());
    const first = await new FolderIndexer({ root, store }).indexAll();
    assert.equal(first.indexed, 3);
    assert.match(first.lexicalOnly ?? '', /lexical/);
    const again = await new FolderIndexer({ root, store }).indexAll();
    assert.deepEqual([again.indexed, again.unchanged], [0, 3]);
    writeFileSync(join(root, 'a.md'), '# Alpha\n\nThe lighthouse is green now.\n');
    renameSync(join(root, 'b.md'), join(root, 'b2.md'));
    rmSync(join(root, 'c.txt'));
    const third = await new FolderIndexer({ root, store }).indexAll();
    assert.deepEqual([third.indexed, third.unchanged, third.removed], [2, 0, 2]);
    assert.deepEqual(
      store.documents().map((doc) => doc.path),
      ['a.md', 'b2.md'],
    );
    const hits = (await searchIndex(store, 'green lighthouse')).hits;
    assert.equal(hits[0]?.path, 'a.md');
    assertConsistent(store);
    store.close();
  });

  it('updates single paths as a watcher reports them', async () => {
    const root = workspace(manyDocs(50));
    const { store } = IndexStore.open(tempDb());
    const indexer = new FolderIndexer({ root, store });
    await indexer.indexAll();
    writeFileSync(join(root, 'docs/doc0007.md'), '# Topic 7\n\nThe quay was rebuilt with basalt.\n');
    rmSync(join(root, 'docs/doc0008.md'));
    writeFileSync(join(root, 'docs/new.md'), '# New\n\nA fresh note about basalt.\n');
    const report = await indexer.updatePaths(['docs/doc0007.md', 'docs/doc0008.md', 'docs/new.md', 'node_modules/x/README.md']);
    assert.deepEqual([report.indexed, report.removed], [2, 1]);
    const hits = (await searchIndex(store, 'basalt', { k: 5 })).hits.map((hit) => hit.path).sort();
    assert.deepEqual(hits, ['docs/doc0007.md', 'docs/new.md']);
    assertConsistent(store);
    store.close();
  });

  it('records skipped and unreadable files with reasons and keeps going', async () => {
    const root = workspace({
      'ok.md': '# Fine\n\ntext\n',
      'bin.md': Buffer.from([0x23, 0x00, 0x01]),
      'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      'locked.md': '# Locked\n',
      'empty.pdf': 'not really a pdf',
    });
    chmodSync(join(root, 'locked.md'), 0o000);
    const { store } = IndexStore.open(tempDb());
    const report = await new FolderIndexer({ root, store }).indexAll();
    const reasons = Object.fromEntries(store.skipped().map((entry) => [entry.path, `${entry.kind}: ${entry.reason}`]));
    assert.match(reasons['bin.md'] ?? '', /^skipped: binary/);
    assert.match(reasons['latin1.txt'] ?? '', /^skipped: not valid UTF-8/);
    assert.match(reasons['empty.pdf'] ?? '', /^error: cannot be parsed as pdf/);
    if (process.getuid?.() !== 0) assert.match(reasons['locked.md'] ?? '', /^error: cannot be read/);
    assert.ok(report.indexed >= 1);
    assert.deepEqual(
      store
        .documents()
        .map((doc) => doc.path)
        .includes('ok.md'),
      true,
    );
  });

  it('embeds with the model, reuses vectors of unchanged texts, and re-embeds everything when the model changes', async () => {
    const root = workspace(manyDocs(10));
    const { store } = IndexStore.open(tempDb());
    const embedder = new HashingEmbedder('test/a@1');
    const first = await new FolderIndexer({ root, store, embedder }).indexAll();
    assert.equal(first.embedded, store.stats().chunks);
    assert.deepEqual([...new Set(embedder.roles)], ['document']);
    writeFileSync(join(root, 'docs/doc0003.md'), '# Topic 3\n\nParagraph about item3 and the harbour.\n\n## Details\n\nChanged words.\n');
    const second = await new FolderIndexer({ root, store, embedder }).indexAll();
    assert.equal(second.embedded, 1, 'only the edited section is embedded again');
    const other = new HashingEmbedder('test/b@1');
    const third = await new FolderIndexer({ root, store, embedder: other }).indexAll();
    assert.equal(third.embedded, store.stats().chunks);
    assert.equal(store.stats().embeddedChunks, store.stats().chunks);
    assert.equal((store.db.prepare("SELECT count(*) AS n FROM embeddings WHERE model <> 'test/b@1'").get() as { n: number }).n, 0);
    const response = await searchIndex(store, 'item3 harbour', { queryEmbedding: await embedQuery(other, 'item3 harbour') });
    assert.equal(response.mode, 'hybrid');
    assert.equal(response.hits[0]?.path, 'docs/doc0003.md');
    assert.deepEqual(other.roles[other.roles.length - 1], 'query');
    store.close();
  });

  it('stops when cancelled and finishes the rest on the next run', async () => {
    const root = workspace(manyDocs(40));
    const { store } = IndexStore.open(tempDb());
    const controller = new AbortController();
    const first = await new FolderIndexer({ root, store, signal: controller.signal, onProgress: (progress) => progress.filesDone === 10 && controller.abort() }).indexAll();
    assert.equal(first.cancelled, true);
    assert.equal(store.stats().documents, 10);
    const second = await new FolderIndexer({ root, store }).indexAll();
    assert.deepEqual([second.indexed, second.unchanged], [30, 10]);
    assertConsistent(store);
  });

  it('pauses between files while the gate is closed, and continues when it opens', async () => {
    const root = workspace(manyDocs(20));
    const { store } = IndexStore.open(tempDb());
    let open!: () => void;
    let closed = true;
    const opened = new Promise<void>((resolve) => (open = resolve));
    let filesDone = 0;
    let reachedGate!: () => void;
    const paused = new Promise<void>((resolve) => (reachedGate = resolve));
    const gate = (): Promise<void> => {
      if (!(closed && filesDone >= 5)) return Promise.resolve();
      reachedGate();
      return opened;
    };
    const run = new FolderIndexer({ root, store, gate, onProgress: (progress) => (filesDone = progress.filesDone) }).indexAll();
    // However slow the machine, the run reaches the closed gate; then nothing more may be written while it waits.
    await paused;
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(store.stats().documents, 5, 'nothing is written while paused');
    closed = false;
    open();
    const report = await run;
    assert.equal(report.indexed, 20);
  });

  it('survives kill -9 in the middle: the index is consistent and the next run resumes', async () => {
    const root = workspace(manyDocs(300));
    const dbFile = tempDb();
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'support', 'children', 'indexChild.ts'), root, dbFile, 'embed'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        // Kill once embedding is under way: files are all chunked, some batches are stored.
        if (/embedding \d+ [1-9]\d*/.test(output) && child.exitCode === null) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
      child.on('error', reject);
    });
    assert.ok(!output.includes('finished'), 'the child was killed before it finished');
    const { store, rebuiltBecause } = IndexStore.open(dbFile);
    assert.equal(rebuiltBecause, undefined);
    assertConsistent(store);
    const before = store.stats();
    assert.equal(before.documents, 300);
    const embedder = new HashingEmbedder();
    const pendingBefore = store.countPendingEmbeddings(embedder.modelKey);
    assert.ok(pendingBefore > 0 && pendingBefore < before.chunks, `some but not all embedded (${pendingBefore} of ${before.chunks} pending)`);
    const resumed = await new FolderIndexer({ root, store, embedder }).indexAll();
    assert.equal(resumed.indexed, 0);
    assert.equal(resumed.embedded, pendingBefore, 'only what was missing is embedded');
    assert.equal(store.stats().embeddedChunks, store.stats().chunks);
    store.close();
  });

  it('survives kill -9 while chunking files', async () => {
    const root = workspace(manyDocs(1500));
    const dbFile = tempDb();
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'support', 'children', 'indexChild.ts'), root, dbFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        if (/chunking (2\d\d|[3-9]\d\d) /.test(output) && child.exitCode === null) child.kill('SIGKILL');
      });
      child.on('exit', () => resolve());
    });
    const { store } = IndexStore.open(dbFile);
    assertConsistent(store);
    const done = store.stats().documents;
    assert.ok(done > 0 && done < 1500, `${done} documents were written before the kill`);
    const resumed = await new FolderIndexer({ root, store }).indexAll();
    assert.deepEqual([resumed.unchanged, resumed.indexed], [done, 1500 - done]);
    store.close();
  });
});
