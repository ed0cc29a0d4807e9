// Indexing throughput end to end against raw embedding throughput on the same chunks, in the same run, with the same
// embedder (a generated all-MiniLM-L6-v2-shaped encoder: 6 layers, 384 hidden, real WordPiece tokenizer, random
// weights, int8). The pipeline's overhead = (index time − raw embedding time) ÷ raw embedding time; target ≤ 15%.
// Run: node --import tsx bench/rag/pipeline.ts [--files 12] [--rounds 2]
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { OnnxTextEmbedder } from '../../src/core/inference/textEmbedder';
import { FolderIndexer } from '../../src/core/rag/indexer';
import { IndexStore } from '../../src/core/rag/store';
import { generateEncoderModel, miniLmL6Shape } from '../../test/support/modelGenerator/index';
import { loadLine } from './synthetic';

const { values } = parseArgs({ options: { files: { type: 'string', default: '12' }, rounds: { type: 'string', default: '2' }, batch: { type: 'string', default: '16' } } });
const corpus = process.env.CHATWRIGHT_CORPUS ?? '/work/shared/data/corpus/rclone-docs';

async function main(): Promise<void> {
  process.stdout.write(`load average at start: ${loadLine()}\n`);
  const scratch = mkdtempSync(join(tmpdir(), 'chatwright-pipeline-'));
  try {
    const docs = join(scratch, 'docs');
    mkdirSync(docs);
    const names = readdirSync(corpus)
      .filter((name) => name.endsWith('.md'))
      .sort()
      .slice(0, Number(values.files));
    for (const name of names) cpSync(join(corpus, name), join(docs, name));
    const modelDir = join(scratch, 'model');
    generateEncoderModel(modelDir, { ...miniLmL6Shape, formats: ['q8'] });
    const embedder = await OnnxTextEmbedder.load(modelDir, { dtype: 'q8' });
    const batchSize = Number(values.batch);
    // The texts the indexer will embed: chunk once to learn them (not timed).
    const probe = IndexStore.open(join(scratch, 'probe.db')).store;
    await new FolderIndexer({
      root: docs,
      store: probe,
      embedder: {
        ...embedder,
        modelKey: embedder.modelKey,
        dimensions: embedder.dimensions,
        maxTokens: embedder.maxTokens,
        countTokens: (text) => embedder.countTokens(text),
        embed: (texts) => Promise.resolve(texts.map(() => new Float32Array(embedder.dimensions))),
      },
    }).indexAll();
    const texts = probe.pendingEmbeddings('none', 1_000_000).map((row) => {
      const path = JSON.parse(row.headingPath) as string[];
      return path.length ? `${path.join(' > ')}\n${row.text}` : row.text;
    });
    probe.close();
    process.stdout.write(`${names.length} rclone docs → ${texts.length} distinct chunks; model ${embedder.modelKey} (${embedder.dimensions} dims), batch ${batchSize}\n`);
    await embedder.embed(texts.slice(0, 32), 'document');
    // ABBA order (raw, index, index, raw, …) so that load drifting during the run hits both sides alike.
    const rawTimes: number[] = [];
    const indexTimes: { total: number; model: number; embedded: number }[] = [];
    const runRaw = async (): Promise<void> => {
      const started = performance.now();
      for (let at = 0; at < texts.length; at += batchSize) await embedder.embed(texts.slice(at, at + batchSize), 'document');
      rawTimes.push(performance.now() - started);
      process.stdout.write(`  raw embedding: ${(rawTimes[rawTimes.length - 1]! / 1000).toFixed(2)} s\n`);
    };
    const runIndex = async (): Promise<void> => {
      rmSync(join(scratch, 'index.db'), { force: true });
      rmSync(join(scratch, 'index.db-wal'), { force: true });
      const store = IndexStore.open(join(scratch, 'index.db')).store;
      const started = performance.now();
      const report = await new FolderIndexer({ root: docs, store, embedder, embedBatchSize: batchSize }).indexAll();
      indexTimes.push({ total: performance.now() - started, model: report.embeddingMs, embedded: report.embedded });
      store.close();
      const last = indexTimes[indexTimes.length - 1]!;
      process.stdout.write(`  full index:    ${(last.total / 1000).toFixed(2)} s (${(last.model / 1000).toFixed(2)} s inside the model, ${last.embedded} embedded)\n`);
    };
    for (let round = 0; round < Number(values.rounds); round++) {
      if (round % 2 === 0) {
        await runRaw();
        await runIndex();
      } else {
        await runIndex();
        await runRaw();
      }
    }
    const sum = (list: number[]): number => list.reduce((total, value) => total + value, 0);
    const raw = sum(rawTimes);
    const indexed = sum(indexTimes.map((entry) => entry.total));
    const inModel = sum(indexTimes.map((entry) => entry.model));
    process.stdout.write(
      `\nraw embedding ${((texts.length * rawTimes.length) / (raw / 1000)).toFixed(1)} chunks/s; index end to end ${((texts.length * indexTimes.length) / (indexed / 1000)).toFixed(1)} chunks/s\n`,
    );
    process.stdout.write(`pipeline overhead vs raw embedding, across runs: ${(((indexed - raw) / raw) * 100).toFixed(1)}% (target ≤ 15%; sensitive to load drift between runs)\n`);
    process.stdout.write(`pipeline overhead within the index runs (scan, parse, chunk, SQLite ÷ time in the model): ${(((indexed - inModel) / inModel) * 100).toFixed(1)}%\n`);
    process.stdout.write(`load average at end: ${loadLine()}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main();
