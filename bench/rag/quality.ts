// Retrieval quality over the rclone docs with our own questions (questions.json): recall@5 and MRR@10 at file level
// for BM25 alone and for hybrid. The hybrid figures use a generated encoder with RANDOM weights (no real weights are
// reachable here), so they measure the plumbing, not semantic quality: only the BM25 figures mean anything.
// Also compares the no-model token approximation with a real WordPiece tokenizer (bert-base-uncased's vocabulary).
// Run: node --import tsx bench/rag/quality.ts
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { approximateTokenCounter } from '../../src/core/rag/chunk';
import { FolderIndexer } from '../../src/core/rag/indexer';
import { embedQuery, searchIndex, type SearchMode } from '../../src/core/rag/retriever';
import { IndexStore } from '../../src/core/rag/store';
import { OnnxTextEmbedder } from '../../src/core/inference/textEmbedder';
import { generateEncoderModel } from '../../test/support/modelGenerator/index';
import { loadLine } from './synthetic';

const corpus = process.env.CHATWRIGHT_CORPUS ?? '/work/shared/data/corpus/rclone-docs';
const questions = (JSON.parse(readFileSync(join(__dirname, 'questions.json'), 'utf8')) as { questions: { q: string; files: string[] }[] }).questions;

async function evaluate(store: IndexStore, mode: SearchMode, embedder?: OnnxTextEmbedder): Promise<{ recall5: number; mrr: number; misses: string[] }> {
  let found5 = 0;
  let reciprocal = 0;
  const misses: string[] = [];
  for (const question of questions) {
    const queryEmbedding = await embedQuery(embedder, question.q, mode);
    const { hits } = await searchIndex(store, question.q, { k: 10, mode, ...(queryEmbedding ? { queryEmbedding } : {}) });
    const rank = hits.findIndex((hit) => question.files.includes(hit.path)) + 1;
    if (rank >= 1 && rank <= 5) found5++;
    else
      misses.push(
        `${question.q} → ${hits
          .slice(0, 3)
          .map((hit) => hit.path)
          .join(', ')}`,
      );
    if (rank >= 1) reciprocal += 1 / rank;
  }
  return { recall5: found5 / questions.length, mrr: reciprocal / questions.length, misses };
}

async function main(): Promise<void> {
  process.stdout.write(`load average at start: ${loadLine()}\n${questions.length} questions over ${corpus}\n\n`);
  const scratch = mkdtempSync(join(tmpdir(), 'chatwright-quality-'));
  try {
    const lexical = IndexStore.open(join(scratch, 'lexical.db')).store;
    await new FolderIndexer({ root: corpus, store: lexical }).indexAll();
    const bm25 = await evaluate(lexical, 'bm25');
    process.stdout.write(`BM25 (no model, approximate token budgets): ${lexical.stats().chunks} chunks\n  recall@5 ${bm25.recall5.toFixed(3)}   MRR@10 ${bm25.mrr.toFixed(3)}\n`);
    for (const miss of bm25.misses) process.stdout.write(`  miss: ${miss}\n`);

    const modelDir = join(scratch, 'encoder');
    generateEncoderModel(modelDir, { hiddenSize: 64, layers: 2, heads: 4 });
    const embedder = await OnnxTextEmbedder.load(modelDir);
    let approx = 0;
    let exact = 0;
    for (const doc of lexical.documents()) {
      for (const chunk of lexical.chunksOfDocument(doc.path)) {
        const text = chunk.headingPath.length ? `${chunk.headingPath.join(' > ')}\n${chunk.text}` : chunk.text;
        approx += approximateTokenCounter.count(text);
        exact += embedder.countTokens(text);
      }
    }
    process.stdout.write(`\ntoken approximation vs bert-base-uncased WordPiece over all chunks: ${approx} vs ${exact} tokens (approximation ÷ real = ${(approx / exact).toFixed(3)})\n`);
    lexical.close();

    const vectorStore = IndexStore.open(join(scratch, 'hybrid.db')).store;
    const started = performance.now();
    const report = await new FolderIndexer({ root: corpus, store: vectorStore, embedder }).indexAll();
    process.stdout.write(
      `\nindexed with a generated 2-layer encoder (random weights, real WordPiece tokenizer): ${vectorStore.stats().chunks} chunks, ${report.embedded} embedded in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
    );
    const bm25Model = await evaluate(vectorStore, 'bm25');
    const hybrid = await evaluate(vectorStore, 'hybrid', embedder);
    process.stdout.write(`BM25 (model-token budgets)     recall@5 ${bm25Model.recall5.toFixed(3)}   MRR@10 ${bm25Model.mrr.toFixed(3)}\n`);
    process.stdout.write(`hybrid (RANDOM-weight vectors) recall@5 ${hybrid.recall5.toFixed(3)}   MRR@10 ${hybrid.mrr.toFixed(3)}   ← vectors carry no meaning: not a quality figure\n`);
    vectorStore.close();
    process.stdout.write(`\nload average at end: ${loadLine()}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

void main();
