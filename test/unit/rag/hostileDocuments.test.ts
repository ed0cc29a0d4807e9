import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { approximateTokenCounter } from '../../../src/core/rag/chunk';
import { chunkBlocks, chunkDocument, textBlocks } from '../../../src/core/rag/chunker';
import { defaultDocumentBudget, type DocumentBudget } from '../../../src/core/rag/documentBudget';
import { FolderIndexer } from '../../../src/core/rag/indexer';
import { pdfBlocks } from '../../../src/core/rag/pdfBlocks';
import { scanSources } from '../../../src/core/rag/sources';
import { IndexStore } from '../../../src/core/rag/store';
import { HashingEmbedder } from '../../support/hashingEmbedder';
import { buildPdf, manyParagraphsPage, textPage } from '../../support/hostileDocuments';
import { scratchDir } from '../../support/scratchDir';

const temporary: string[] = [];
after(() => {
  for (const path of temporary) rmSync(path, { recursive: true, force: true });
});

function workspace(files: Record<string, string | Buffer>): string {
  const root = scratchDir('hostile');
  temporary.push(root);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  return root;
}

function openStore(): IndexStore {
  const folder = scratchDir('hostile-db');
  temporary.push(folder);
  return IndexStore.open(join(folder, 'index.db')).store;
}

function outcomes(store: IndexStore): Record<string, string> {
  return Object.fromEntries(store.skipped().map((entry) => [entry.path, `${entry.kind}: ${entry.reason}`]));
}

const budget = { maxTokens: 256, overlapTokens: 32, counter: approximateTokenCounter };

/** A PDF of a few KB whose FlateDecode page expands into 300,000 one-word lines, each its own paragraph. */
const paragraphBombPdf = (): Buffer => buildPdf([manyParagraphsPage(300_000, () => 'x')], { compress: true });

describe('one hostile document does not stop the index run', () => {
  it('a compressed PDF page of 300,000 tiny paragraphs is read without overflowing the stack', async () => {
    const pdf = paragraphBombPdf();
    assert.ok(pdf.length < 64 * 1024, `the hostile PDF is small on disk (${pdf.length} bytes)`);
    const text = await pdfBlocks(pdf, defaultDocumentBudget);
    assert.equal(text.blocks.length, 300_000);
    assert.equal(text.truncated, undefined);
  });

  it('a PDF page over the character budget is cut there, and says where', async () => {
    const text = await pdfBlocks(paragraphBombPdf(), { ...defaultDocumentBudget, maxCharacters: 10_000 });
    const characters = text.blocks.reduce((sum, block) => sum + block.text.length, 0);
    assert.ok(characters <= 10_000, `${characters} characters kept`);
    assert.match(text.truncated ?? '', /^cut at page 1 of 1: the text reached the limit of 10,000 characters per document$/);
  });

  it('a PDF over the page budget keeps its first pages', async () => {
    const pdf = buildPdf(Array.from({ length: 12 }, (_, index) => textPage(`Page ${index + 1} words`)));
    const text = await pdfBlocks(pdf, { ...defaultDocumentBudget, maxPages: 5 });
    assert.deepEqual(
      text.blocks.map((block) => block.page),
      [1, 2, 3, 4, 5],
    );
    assert.match(text.truncated ?? '', /^only the first 5 of 12 pages are indexed \(limit 5 per document\)/);
  });

  it('a PDF that runs out of time keeps the pages read, or fails with the time limit when it has none', async () => {
    const slowPages = buildPdf([textPage('First page'), ...Array.from({ length: 40 }, () => manyParagraphsPage(20_000, () => 'x'))], { compress: true });
    const started = performance.now();
    const partial = await pdfBlocks(slowPages, { ...defaultDocumentBudget, maxParseMs: 1_000 });
    assert.ok(performance.now() - started < 6_000, `stopped near its time budget (${Math.round(performance.now() - started)} ms)`);
    assert.equal(partial.blocks[0]?.text, 'First page');
    assert.match(partial.truncated ?? '', /^cut at page \d+ of 41: reading stopped after 1 s \(the limit per document\)$/);
    await assert.rejects(pdfBlocks(paragraphBombPdf(), { ...defaultDocumentBudget, maxParseMs: 100 }), /parsing took over 0\.1 s/);
  });

  it('chunks stop at the chunk budget, and say where', () => {
    const source = Array.from({ length: 5_000 }, (_, index) => `Paragraph ${index} about the harbour.`).join('\n\n');
    const result = chunkDocument('long.txt', textBlocks('text', source), { ...budget, maxTokens: 16, overlapTokens: 0 }, 100);
    assert.equal(result.chunks.length, 100);
    assert.match(result.truncated ?? '', /^cut at line \d+: the document reached the limit of 100 chunks per document$/);
  });

  it('a huge heading is not repeated in full before every chunk of its section', () => {
    const title = 'word '.repeat(20_000).trim();
    const body = Array.from({ length: 200 }, (_, index) => `Sentence ${index} of the body.`).join('\n\n');
    const chunks = chunkBlocks('title.md', textBlocks('markdown', `# ${title}\n\n${body}\n`), budget);
    assert.ok(chunks.length > 1);
    for (const chunk of chunks) {
      assert.ok((chunk.headingPath[0]?.length ?? 0) <= 200, 'the stored heading is capped');
      assert.ok(chunk.tokens <= budget.maxTokens, `chunk of ${chunk.tokens} tokens`);
    }
  });

  it('reStructuredText and AsciiDoc with hundreds of thousands of blocks parse in linear time', () => {
    const rst = `Intro::\n\n${'   literal\n\n'.repeat(150_000)}`;
    let started = performance.now();
    const rstBlocks = textBlocks('rst', rst);
    assert.ok(performance.now() - started < 5_000, `rst took ${Math.round(performance.now() - started)} ms`);
    assert.equal(rstBlocks.length, 1);
    assert.equal(rstBlocks[0]?.kind, 'code');
    assert.equal(rstBlocks[0]?.endLine, 1 + 2 * 150_000);
    const adoc = '----\ncode\n----\n'.repeat(100_000);
    started = performance.now();
    const adocBlocks = textBlocks('asciidoc', adoc);
    assert.ok(performance.now() - started < 5_000, `asciidoc took ${Math.round(performance.now() - started)} ms`);
    assert.equal(adocBlocks.length, 100_000);
  });

  it('HTML nested 100,000 elements deep is read', () => {
    const html = `<html><body>${'<div><section>'.repeat(50_000)}<h1>Deep</h1><p>Bottom text.</p>${'</section></div>'.repeat(50_000)}</body></html>`;
    const blocks = textBlocks('html', html);
    assert.deepEqual(
      blocks.map((block) => block.text),
      ['Deep', 'Bottom text.'],
    );
  });

  it('indexes the good files and records a reason for every hostile one, in one run', async () => {
    const tinyParagraphs = 'x\n\n'.repeat(650_000);
    const root = workspace({
      'good.md': '# Harbour\n\nThe ferry leaves at noon.\n',
      'bomb.pdf': paragraphBombPdf(),
      'many-pages.pdf': buildPdf(Array.from({ length: 30 }, (_, index) => textPage(`Page ${index + 1}`))),
      'one-line.md': `# Title\n\n${'a'.repeat(150_000)}\n`,
      'paragraphs.txt': tinyParagraphs,
      'deep.html': `<p>top</p>\n${'<div>\n'.repeat(100_000)}<p>deep text</p>\n${'</div>\n'.repeat(100_000)}`,
      'binary.md': Buffer.from([0x23, 0x20, 0x00, 0xff, 0x00, 0x01, 0x02]),
      'z-last.txt': 'The last file is indexed too.\n',
    });
    writeFileSync(Buffer.from(join(root, 'name-\xff.md'), 'latin1'), '# Odd name\n');
    symlinkSync('self.md', join(root, 'self.md'));
    mkdirSync(join(root, 'sub'));
    symlinkSync('..', join(root, 'sub', 'up'));
    writeFileSync(join(root, 'vanishing.md'), '# Soon gone\n');
    const store = openStore();
    const documentBudget: DocumentBudget = { ...defaultDocumentBudget, maxPages: 20, maxChunks: 1_000 };
    const embedder = new HashingEmbedder();
    const report = await new FolderIndexer({
      root,
      store,
      embedder,
      documentBudget,
      onProgress: (progress) => {
        // The file is listed by the scan, then deleted before the indexer reaches it.
        if (progress.phase === 'chunking' && progress.filesDone === 1) rmSync(join(root, 'vanishing.md'), { force: true });
      },
    }).indexAll();
    const reasons = outcomes(store);
    const indexed = store.documents().map((doc) => doc.path);
    assert.ok(indexed.includes('good.md') && indexed.includes('z-last.txt'), `indexed: ${indexed.join(', ')}`);
    assert.match(reasons['bomb.pdf'] ?? 'indexed whole', /^truncated: cut at page 1: the document reached the limit of 1,000 chunks per document$/);
    assert.match(reasons['many-pages.pdf'] ?? '', /^truncated: only the first 20 of 30 pages are indexed/);
    assert.match(reasons['one-line.md'] ?? '', /^skipped: a line of 150,000 characters/);
    assert.match(reasons['paragraphs.txt'] ?? '', /^truncated: cut at line \d+: the document reached the limit of 1,000 chunks/);
    assert.ok(indexed.includes('deep.html'));
    assert.match(reasons['binary.md'] ?? '', /^skipped: binary file/);
    assert.match(reasons['name-\ufffd.md'] ?? '', /^skipped: the file name is not valid UTF-8/);
    assert.match(reasons['self.md'] ?? '', /^skipped: symbolic link loop/);
    assert.ok(!indexed.includes('vanishing.md') && reasons['vanishing.md'] === undefined, 'a file deleted mid-run is simply gone');
    for (const doc of store.documents()) assert.ok(doc.chunkCount <= 1_000, `${doc.path}: ${doc.chunkCount} chunks`);
    assert.equal(store.stats().embeddedChunks, store.stats().chunks, 'the run went on to embed everything kept');
    assert.equal(report.cancelled, false);
    store.close();
  });

  it('a skipped file is not read again while it and the settings stay the same', async () => {
    const root = workspace({ 'slow.pdf': paragraphBombPdf(), 'ok.md': '# Ok\n\ntext\n' });
    const store = openStore();
    const documentBudget = { ...defaultDocumentBudget, maxParseMs: 100 };
    await new FolderIndexer({ root, store, documentBudget }).indexAll();
    assert.match(outcomes(store)['slow.pdf'] ?? '', /^error: cannot be parsed as pdf: parsing took over 0\.1 s/);
    const started = performance.now();
    const again = await new FolderIndexer({ root, store, documentBudget }).indexAll();
    assert.ok(performance.now() - started < 1_000, 'the hostile file was not parsed again');
    assert.deepEqual([again.errors, again.unchanged], [1, 1]);
    const relaxed = await new FolderIndexer({ root, store }).indexAll();
    assert.equal(relaxed.indexed, 1, 'other settings try the file again');
    store.close();
  });
});

describe('a run that died while reading a file', () => {
  /** Indexes `root` in a child process and kills it (-9) while it parses `slow.pdf`, the second file. */
  async function killWhileReading(root: string, dbFile: string): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'support', 'children', 'indexChild.ts'), root, dbFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    await new Promise<void>((resolve) => {
      child.stdout.on('data', (data: Buffer) => {
        output += data.toString();
        if (/chunking 1 /.test(output)) setTimeout(() => child.kill('SIGKILL'), 300);
      });
      child.on('exit', () => resolve());
    });
    const { store } = IndexStore.open(dbFile);
    assert.match(store.getMeta('readingDocument') ?? '', /"path":"slow.pdf"/, 'the child died while reading slow.pdf');
    store.close();
  }

  const files = (): Record<string, string | Buffer> => ({ 'a.md': '# A\n\nalpha\n', 'slow.pdf': paragraphBombPdf(), 'z.md': '# Z\n\nzulu\n' });

  it('skips the file at once when the worker reported how it died, and finishes the rest', async () => {
    const root = workspace(files());
    const dbFile = join(scratchDir('hostile-db'), 'index.db');
    temporary.push(join(dbFile, '..'));
    await killWhileReading(root, dbFile);
    const { store } = IndexStore.open(dbFile);
    const report = await new FolderIndexer({ root, store, previousRunFailure: 'ran out of memory (heap limit 1024 MB)' }).indexAll();
    assert.match(outcomes(store)['slow.pdf'] ?? '', /^error: the indexer ran out of memory \(heap limit 1024 MB\) while reading this file; it is skipped until it changes/);
    assert.deepEqual(
      store.documents().map((doc) => doc.path),
      ['a.md', 'z.md'],
    );
    assert.equal(report.errors, 1);
    const started = performance.now();
    const next = await new FolderIndexer({ root, store }).indexAll();
    assert.equal(next.errors, 1, 'still skipped on the next run');
    assert.ok(performance.now() - started < 1_500, 'and not parsed again');
    writeFileSync(join(root, 'slow.pdf'), buildPdf([textPage('Fixed')]));
    const fixed = await new FolderIndexer({ root, store }).indexAll();
    assert.equal(fixed.indexed, 1, 'a changed file is tried again');
    assert.equal(outcomes(store)['slow.pdf'], undefined);
    store.close();
  });

  it('without a reported failure, tries the file once more, and skips it when the run dies on it again', async () => {
    const root = workspace(files());
    const dbFile = join(scratchDir('hostile-db'), 'index.db');
    temporary.push(join(dbFile, '..'));
    await killWhileReading(root, dbFile);
    await killWhileReading(root, dbFile);
    const { store } = IndexStore.open(dbFile);
    await new FolderIndexer({ root, store }).indexAll();
    assert.match(outcomes(store)['slow.pdf'] ?? '', /^error: the indexer stopped 2 times while reading this file/);
    assert.equal(store.getMeta('readingDocument'), undefined);
    assert.deepEqual(
      store.documents().map((doc) => doc.path),
      ['a.md', 'z.md'],
    );
    store.close();
  });
});

describe('source walk', () => {
  it('reports a link loop and an undecodable name, and still lists the rest', () => {
    const root = workspace({ 'a.md': 'x' });
    symlinkSync('loop-b.md', join(root, 'loop-a.md'));
    symlinkSync('loop-a.md', join(root, 'loop-b.md'));
    writeFileSync(Buffer.from(join(root, 'bad-\xfe.md'), 'latin1'), 'x');
    const scan = scanSources(root);
    assert.deepEqual(
      scan.files.map((file) => file.path),
      ['a.md'],
    );
    const reasons = Object.fromEntries(scan.skipped.map((entry) => [entry.path, entry.reason]));
    assert.match(reasons['loop-a.md'] ?? '', /symbolic link loop/);
    assert.match(reasons['bad-\ufffd.md'] ?? '', /not valid UTF-8/);
    unlinkSync(join(root, 'loop-a.md'));
  });
});
