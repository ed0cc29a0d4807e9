import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type TextEmbedder } from '../../core/inference/embedding';
import { defaultIndexFile } from '../../core/rag/indexLocation';
import { embedQuery, searchIndex, type SearchMode } from '../../core/rag/retriever';
import { IndexStore } from '../../core/rag/store';
import { escapeControlCharacters, escapeFileName, isUndecodableFileName, undecodableFileNameReason } from '../../core/files/fileNames';
import { ExitCode, UsageError, type CliCommand } from '../io';
import { loadEmbedder } from './indexCommand';

const modes: readonly SearchMode[] = ['hybrid', 'bm25', 'vector'];

function location(hit: { path: string; startLine: number; endLine: number; page?: number }): string {
  return `${escapeFileName(hit.path)}:${hit.startLine}-${hit.endLine}${hit.page !== undefined ? ` (page ${hit.page})` : ''}`;
}

export const searchCommand: CliCommand = {
  name: 'search',
  summary: 'Search an index built by `chatwright index`: ranked passages with file, lines and score',
  usage: `chatwright search <query> [--db <file>] [-k 5] [--mode hybrid|bm25|vector] [--json]

Prints the best passages, each as file:start-end, score, heading path and text. Hybrid fuses BM25 and vector search
(reciprocal rank fusion); it needs the embedding model the index was built with, otherwise it runs BM25 and says so.

Options:
  --db <file>                 the index (default: ./.chatwright/index.db)
  -k <n>                      how many passages (default 5)
  --mode <m>                  hybrid (default), bm25 or vector
  --path <glob>               only files whose path matches (e.g. 'docs/**')
  --mmr <λ>                   diversify with maximal marginal relevance, λ in [0, 1] (e.g. 0.7)
  --embedding-model <id|path> the model for query vectors (default: the model the index was built with)
  --json                      print the results as JSON`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        k: { type: 'string', short: 'k' },
        mode: { type: 'string' },
        path: { type: 'string' },
        mmr: { type: 'string' },
        'embedding-model': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    const query = positionals.join(' ').trim();
    if (!query) throw new UsageError('search needs a query');
    const k = Number(values.k ?? 5);
    if (!Number.isInteger(k) || k < 1) throw new UsageError(`-k must be a positive integer, got '${values.k}'`);
    const mode = (values.mode ?? 'hybrid') as SearchMode;
    if (!modes.includes(mode)) throw new UsageError(`--mode must be one of ${modes.join(', ')}, got '${values.mode}'`);
    const mmr = values.mmr === undefined ? undefined : Number(values.mmr);
    if (mmr !== undefined && !(mmr >= 0 && mmr <= 1)) throw new UsageError(`--mmr must be a number in [0, 1], got '${values.mmr}'`);
    const dbFile = values.db ? resolve(io.cwd, values.db) : defaultIndexFile(io.cwd);
    if (!existsSync(dbFile)) {
      const problem = isUndecodableFileName(dbFile, Object.assign(new Error('not found'), { code: 'ENOENT' }))
        ? `cannot open the index ${escapeFileName(dbFile)}: ${undecodableFileNameReason}`
        : `no index at ${escapeFileName(dbFile)}`;
      io.stderr.write(`chatwright search: ${problem}. Build one with: chatwright index <folder>${values.db ? ` --db ${escapeFileName(values.db)}` : ''}\n`);
      return ExitCode.usage;
    }
    const { store, rebuiltBecause } = IndexStore.open(dbFile);
    try {
      if (rebuiltBecause) {
        io.stderr.write(`chatwright search: ${rebuiltBecause}. Run 'chatwright index' again.\n`);
        return ExitCode.usage;
      }
      let embedder: TextEmbedder | undefined;
      const model = values['embedding-model'] ?? (mode !== 'bm25' ? store.getMeta('modelKey')?.replace(/#[^#]*$/, '') : undefined);
      if (model) {
        try {
          embedder = await loadEmbedder(model, io.env);
        } catch (error) {
          if (mode === 'vector' || values['embedding-model']) {
            io.stderr.write(`chatwright search: cannot load the embedding model '${model}': ${(error as Error).message}\n`);
            return ExitCode.usage;
          }
          io.stderr.write(`note: cannot load the index's embedding model '${model}' (${(error as Error).message}); searching lexically\n`);
        }
      }
      const queryEmbedding = await embedQuery(embedder, query, mode);
      const response = await searchIndex(store, query, {
        k,
        mode,
        ...(values.path ? { pathFilter: values.path } : {}),
        ...(mmr !== undefined ? { mmrLambda: mmr } : {}),
        ...(queryEmbedding ? { queryEmbedding } : {}),
      });
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ query, mode: response.mode, notice: response.notice, tookMs: Math.round(response.tookMs * 10) / 10, hits: response.hits }, null, 2)}\n`);
      } else {
        response.hits.forEach((hit, index) => {
          const heading = hit.headingPath.length > 0 ? `  § ${escapeControlCharacters(hit.headingPath.join(' › '))}\n` : '';
          const text = hit.text.length > 600 ? `${hit.text.slice(0, 600)}…` : hit.text;
          io.stdout.write(`${index + 1}. ${location(hit)}  score ${hit.score.toFixed(4)}\n${heading}${text.replace(/^/gm, '  ')}\n\n`);
        });
        if (response.hits.length === 0) io.stdout.write('no passages found\n');
      }
      io.stderr.write(`${response.hits.length} passage(s), ${response.mode}, ${response.tookMs.toFixed(1)} ms${response.notice ? ` (${response.notice})` : ''}\n`);
      return ExitCode.ok;
    } finally {
      store.close();
    }
  },
};
