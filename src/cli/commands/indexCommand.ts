import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type TextEmbedder } from '../../core/inference/embedding';
import { defaultIndexFile } from '../../core/rag/indexLocation';
import { defaultChunking, FolderIndexer, type IndexProgress } from '../../core/rag/indexer';
import { codeGlobs, defaultDocumentGlobs, defaultExcludeGlobs, defaultSourceOptions } from '../../core/rag/sources';
import { IndexStore } from '../../core/rag/store';
import { escapeControlCharacters, escapeFileName, isUndecodableFileName, undecodableFileNameReason } from '../../core/files/fileNames';
import { ExitCode, UsageError, type CliCommand } from '../io';

/** Loads an embedding model with the inference engine (onnxruntime-node), only when one is asked for. */
export async function loadEmbedder(idOrPath: string, env: NodeJS.ProcessEnv): Promise<TextEmbedder> {
  const { OnnxTextEmbedder } = await import('../../core/inference/textEmbedder');
  return OnnxTextEmbedder.load(idOrPath, {}, env);
}

function integer(value: string | undefined, name: string, fallback: number, min: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min) throw new UsageError(`${name} must be an integer ≥ ${min}, got '${value}'`);
  return parsed;
}

function formatEta(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  const seconds = Math.round(ms / 1000);
  return seconds >= 60 ? `, ~${Math.floor(seconds / 60)}m${seconds % 60}s left` : `, ~${seconds}s left`;
}

export const indexCommand: CliCommand = {
  name: 'index',
  summary: 'Build or update the retrieval index of a folder (documents → chunks → BM25 + vectors)',
  usage: `chatwright index <folder> [--db <file>] [--embedding-model <id|path>] [options]

Indexes the folder's documents (Markdown, MDX, text, reStructuredText, AsciiDoc, HTML, PDF) into an SQLite index,
honouring .gitignore and .chatwrightignore. Run it again to update: only changed files are re-read, and only new
passages are embedded. Progress goes to stderr; a summary to stdout. Without --embedding-model the index is lexical
(BM25) only.

Options:
  --db <file>                 the index file (default: <folder>/.chatwright/index.db)
  --embedding-model <id|path> a Hugging Face model id in the local cache, or a model folder (ONNX)
  --include <glob>            files to index (repeatable; default: ${defaultDocumentGlobs.join(', ')})
  --exclude <glob>            files to leave out (repeatable; added to: node_modules, .git, dist, out, build, …)
  --code                      also index source code
  --no-gitignore              do not honour .gitignore (.chatwrightignore still applies)
  --max-file-size <bytes>     skip larger files (default ${defaultSourceOptions.maxFileBytes})
  --max-tokens <n>            chunk budget in tokens (default ${defaultChunking.maxTokens}; capped by the model)
  --overlap <n>               tokens repeated between consecutive chunks of a section (default ${defaultChunking.overlapTokens})
  --json                      print the run report as JSON`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        'embedding-model': { type: 'string' },
        include: { type: 'string', multiple: true },
        exclude: { type: 'string', multiple: true },
        code: { type: 'boolean', default: false },
        'no-gitignore': { type: 'boolean', default: false },
        'max-file-size': { type: 'string' },
        'max-tokens': { type: 'string' },
        overlap: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length !== 1 || !positionals[0]) throw new UsageError('index needs exactly one folder');
    const folder = resolve(io.cwd, positionals[0]);
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      const undecodable = isUndecodableFileName(positionals[0], Object.assign(new Error('not found'), { code: 'ENOENT' })) && !existsSync(folder);
      throw new UsageError(`${escapeFileName(positionals[0])} ${undecodable ? `cannot be opened: ${undecodableFileNameReason}` : 'is not a folder'}`);
    }
    const dbFile = values.db ? resolve(io.cwd, values.db) : defaultIndexFile(folder);
    const include = [...(values.include ?? defaultDocumentGlobs), ...(values.code ? codeGlobs : [])];
    const sources = {
      ...defaultSourceOptions,
      include,
      exclude: [...defaultExcludeGlobs, ...(values.exclude ?? [])],
      respectGitignore: !values['no-gitignore'],
      maxFileBytes: integer(values['max-file-size'], '--max-file-size', defaultSourceOptions.maxFileBytes, 1),
    };
    const chunking = { maxTokens: integer(values['max-tokens'], '--max-tokens', defaultChunking.maxTokens, 16), overlapTokens: integer(values.overlap, '--overlap', defaultChunking.overlapTokens, 0) };
    let embedder: TextEmbedder | undefined;
    if (values['embedding-model']) {
      try {
        embedder = await loadEmbedder(values['embedding-model'], io.env);
      } catch (error) {
        io.stderr.write(`chatwright index: cannot load the embedding model '${values['embedding-model']}': ${(error as Error).message}\n`);
        return ExitCode.usage;
      }
      io.stderr.write(`embedding model: ${embedder.modelKey} (${embedder.dimensions} dimensions, ${embedder.maxTokens} tokens)\n`);
    }
    const { store, rebuiltBecause } = IndexStore.open(dbFile);
    if (rebuiltBecause) io.stderr.write(`warning: ${rebuiltBecause}\n`);
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.once('SIGINT', onSignal);
    let lastLine = 0;
    const onProgress = (progress: IndexProgress): void => {
      const now = Date.now();
      if (progress.phase !== 'done' && now - lastLine < 1000) return;
      lastLine = now;
      if (progress.phase === 'chunking') io.stderr.write(`chunking: ${progress.filesDone}/${progress.filesTotal} files, ${progress.chunksWritten} chunks written${formatEta(progress.etaMs)}\n`);
      else if (progress.phase === 'embedding') io.stderr.write(`embedding: ${progress.embedded}/${progress.embedTotal} passages${formatEta(progress.etaMs)}\n`);
    };
    try {
      const indexer = new FolderIndexer({ root: folder, store, sources, chunking, signal: controller.signal, onProgress, ...(embedder ? { embedder } : {}) });
      if (!embedder) io.stderr.write(`no embedding model: chunk budgets use the ${indexer.budget.counter.description} token count\n`);
      const started = performance.now();
      const report = await indexer.indexAll();
      const stats = store.stats();
      const seconds = (performance.now() - started) / 1000;
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ db: dbFile, report, stats, skippedFiles: store.skipped(), seconds }, null, 2)}\n`);
      } else {
        io.stdout.write(
          `${escapeFileName(dbFile)}\n` +
            `  files: ${report.scanned} scanned, ${report.indexed} indexed, ${report.unchanged} unchanged, ${report.removed} removed, ${report.skipped} skipped, ${report.errors} errors\n` +
            `  index: ${stats.documents} documents, ${stats.chunks} chunks, ${stats.embeddedChunks} with vectors${stats.modelKey ? ` (${stats.modelKey})` : ''}\n` +
            `  time:  ${seconds.toFixed(2)} s (${(report.embeddingMs / 1000).toFixed(2)} s embedding)\n`,
        );
        // Skipped, failed and truncated files, each with its reason (a budget, a parse error, a crash it caused).
        for (const entry of store.skipped()) io.stderr.write(`${entry.kind}: ${escapeFileName(entry.path)}: ${escapeControlCharacters(entry.reason)}\n`);
        if (report.lexicalOnly) io.stderr.write(`note: ${report.lexicalOnly}\n`);
      }
      if (report.cancelled) {
        io.stderr.write('interrupted: the index is consistent; run the same command again to continue\n');
        return 130;
      }
      return report.errors > 0 ? ExitCode.findings : ExitCode.ok;
    } finally {
      process.removeListener('SIGINT', onSignal);
      store.close();
    }
  },
};
