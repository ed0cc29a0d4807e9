// Indexes a folder in a child process, printing progress, so a test can kill -9 it mid-run.
import { FolderIndexer } from '../../../src/core/rag/indexer';
import { IndexStore } from '../../../src/core/rag/store';
import { HashingEmbedder } from '../hashingEmbedder';

const [root, dbFile, withEmbedder] = process.argv.slice(2);
if (!root || !dbFile) throw new Error('usage: indexChild <root> <db> [embed]');
const { store } = IndexStore.open(dbFile);
const embedder = withEmbedder === 'embed' ? new HashingEmbedder() : undefined;
const slow = embedder
  ? {
      ...embedder,
      modelKey: embedder.modelKey,
      dimensions: embedder.dimensions,
      maxTokens: embedder.maxTokens,
      countTokens: (text: string) => embedder.countTokens(text),
      embed: async (texts: readonly string[]) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return embedder.embed(texts, 'document');
      },
    }
  : undefined;
const indexer = new FolderIndexer({
  root,
  store,
  ...(slow ? { embedder: slow } : {}),
  embedBatchSize: 4,
  onProgress: (progress) => process.stdout.write(`${progress.phase} ${progress.filesDone} ${progress.embedded}\n`),
});
void indexer.indexAll().then(() => {
  process.stdout.write('finished\n');
  store.close();
});
