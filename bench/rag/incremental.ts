// A 10,000-file workspace: a full lexical index in the real index worker (dist/indexWorker.js, a worker thread started
// by the process launcher), its memory, then single-file edits through the worker's `update` request (what the file
// watcher sends) and, for comparison, a full rescan. No embedding model: embedding time is reported separately (see pipeline.ts).
// Run: node scripts/build.mjs && node --import tsx bench/rag/incremental.ts [--files 10000]
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ProcessLauncher } from '../../src/core/process/launcher';
import { indexWorkerRequests, type IndexWorkerInit, type IndexWorkerRequests } from '../../src/shared/ragProtocol';
import { corpusVocabulary, loadLine, sampleWord, seededRandom, summarise } from './synthetic';

const { values } = parseArgs({ options: { files: { type: 'string', default: '10000' }, dir: { type: 'string', default: '/tmp/chatwright-bench-10k' }, edits: { type: 'string', default: '10' } } });
const fileCount = Number(values.files);
const corpus = process.env.CHATWRIGHT_CORPUS ?? '/work/shared/data/corpus/rclone-docs';

async function main(): Promise<void> {
  process.stdout.write(`load average at start: ${loadLine()}\n`);
  const root = join(values.dir, 'workspace');
  rmSync(values.dir, { recursive: true, force: true });
  const random = seededRandom(3);
  const vocabulary = corpusVocabulary(corpus);
  const paragraph = (): string => Array.from({ length: 30 + Math.floor(random() * 60) }, () => sampleWord(vocabulary, random)).join(' ');
  let bytes = 0;
  for (let i = 0; i < fileCount; i++) {
    const folder = join(root, `area${i % 100}`, `topic${Math.floor(i / 100) % 10}`);
    mkdirSync(folder, { recursive: true });
    const sections = 1 + Math.floor(random() * 4);
    let text = `# Document ${i}\n\n${paragraph()}\n`;
    for (let s = 0; s < sections; s++) text += `\n## Section ${s}\n\n${paragraph()}\n\n${paragraph()}\n`;
    writeFileSync(join(folder, `doc${i}.md`), text);
    bytes += text.length;
  }
  process.stdout.write(`${fileCount} Markdown files, ${(bytes / 1048576).toFixed(1)} MiB\n`);
  const init: IndexWorkerInit = {
    folder: root,
    dbFile: join(values.dir, 'index.db'),
    sources: {
      include: ['**/*.{md,mdx,markdown,txt,rst,adoc,asciidoc,html,htm,pdf}'],
      exclude: ['**/node_modules/**', '**/.git/**'],
      maxFileBytes: 2 * 1024 * 1024,
      maxPdfBytes: 50 * 1024 * 1024,
      respectGitignore: true,
    },
    chunking: { maxTokens: 256, overlapTokens: 32 },
  };
  const worker = new ProcessLauncher({ name: 'the index worker', target: { kind: 'worker', entry: resolve(__dirname, '../../dist/indexWorker.js'), workerData: init } });
  const request = <N extends keyof IndexWorkerRequests>(name: N, params: IndexWorkerRequests[N][0]): Promise<IndexWorkerRequests[N][1]> => worker.request(indexWorkerRequests[name], params);
  const baseline = process.memoryUsage().rss;
  let peakRss = 0;
  let peakHeap = 0;
  const sampler = setInterval(() => {
    void request('memory', {}).then((memory) => {
      peakRss = Math.max(peakRss, memory.rss);
      peakHeap = Math.max(peakHeap, memory.heapUsed + memory.external);
    });
  }, 100);
  const started = performance.now();
  const report = await request('indexAll', {});
  const fullMs = performance.now() - started;
  clearInterval(sampler);
  process.stdout.write(`full index: ${report.indexed} files, ${report.chunksWritten} chunks in ${(fullMs / 1000).toFixed(1)} s (${(report.chunksWritten / (fullMs / 1000)).toFixed(0)} chunks/s)\n`);
  process.stdout.write(
    `memory during the full index: process RSS peak ${(peakRss / 1048576).toFixed(0)} MB (the bench's main thread alone was ${(baseline / 1048576).toFixed(0)} MB before the worker started); worker heap + external peak ${(peakHeap / 1048576).toFixed(0)} MB\n`,
  );
  const edits: number[] = [];
  for (let e = 0; e < Number(values.edits); e++) {
    const i = Math.floor(random() * fileCount);
    const rel = `area${i % 100}/topic${Math.floor(i / 100) % 10}/doc${i}.md`;
    writeFileSync(join(root, rel), `# Document ${i}\n\nEdited ${e}: ${paragraph()}\n\n## Section 0\n\n${paragraph()}\n`);
    const editStarted = performance.now();
    const update = await request('update', { paths: [rel] });
    edits.push(performance.now() - editStarted);
    if (update.indexed !== 1) throw new Error(`expected one file re-indexed, got ${JSON.stringify(update)}`);
  }
  const editStats = summarise(edits);
  process.stdout.write(
    `one edited file re-indexed through the worker (watcher path): p50 ${editStats.p50.toFixed(1)} ms, max ${Math.max(...edits).toFixed(1)} ms over ${edits.length} edits (target < 1000 ms; embedding excluded)\n`,
  );
  const rescanStarted = performance.now();
  const rescan = await request('indexAll', {});
  process.stdout.write(`full rescan with nothing changed (stat of ${rescan.scanned} files): ${(performance.now() - rescanStarted).toFixed(0)} ms\n`);
  const found = await request('search', { query: 'Edited', options: { k: 3, mode: 'bm25' } });
  process.stdout.write(`search after the edits finds them: ${found.hits.map((hit) => hit.path).join(', ')}\n`);
  await worker.dispose();
  process.stdout.write(`load average at end: ${loadLine()}\n`);
}

void main();
