import { type IndexedFileInfo, type IndexSnapshot, type SkippedFileInfo } from '../../shared/ragProtocol';
import { formatAge, formatDuration } from '../text/relativeTime';

/**
 * What the rows of the Index view say, apart from VS Code. At the default sidebar width (about 300 px, less the
 * indentation) a row shows roughly 35 characters, so each label carries the important part in a few words and the
 * description the detail that may be cut off; the tooltip always has everything.
 */
export interface RowText {
  label: string;
  description?: string;
  tooltip: string;
}

function plural(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}

function percentOf(done: number, total: number): number {
  return total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
}

/** The last path segment and the folder above it: a row shows "guide.md" first, "docs/api" after it. */
export function splitPath(path: string): { name: string; folder: string } {
  const slash = path.lastIndexOf('/');
  return slash < 0 ? { name: path, folder: '' } : { name: path.slice(slash + 1), folder: path.slice(0, slash) };
}

/** A one-line account of what a folder's index is doing, for the status bar and notifications. */
export function describeProgress(snapshot: IndexSnapshot): string | undefined {
  const progress = snapshot.progress;
  if (snapshot.paused) return 'Indexing paused';
  if (!snapshot.busy || !progress) return undefined;
  const eta = formatDuration(progress.etaMs);
  const left = eta ? ` · ${eta} left` : '';
  if (progress.phase === 'scanning') return 'Scanning files…';
  if (progress.phase === 'embedding') return `Embedding ${progress.embedded.toLocaleString('en-US')}/${progress.embedTotal.toLocaleString('en-US')} passages${left}`;
  return `Indexing ${progress.filesDone.toLocaleString('en-US')}/${progress.filesTotal.toLocaleString('en-US')} files${left}`;
}

/** The progress row: "Indexing 40%" with counts and time left after it, the file being read in the tooltip. */
export function progressRow(snapshot: IndexSnapshot): RowText | undefined {
  const progress = snapshot.progress;
  const counts = progress
    ? progress.phase === 'embedding'
      ? `${progress.embedded.toLocaleString('en-US')}/${progress.embedTotal.toLocaleString('en-US')} passages`
      : `${progress.filesDone.toLocaleString('en-US')}/${progress.filesTotal.toLocaleString('en-US')} files`
    : undefined;
  const current = progress?.currentPath ? `\nNow: ${progress.currentPath}` : '';
  if (snapshot.paused) {
    return {
      label: 'Indexing paused',
      ...(counts ? { description: `at ${counts}` } : {}),
      tooltip: `Indexing is paused${counts ? ` at ${counts}` : ''}.${current}\nResume or cancel it from the view's title bar.`,
    };
  }
  if (!snapshot.busy || !progress) return undefined;
  if (progress.phase === 'scanning') return { label: 'Scanning files…', tooltip: 'Looking for documents to index.' };
  const eta = formatDuration(progress.etaMs);
  const [verb, percent] = progress.phase === 'embedding' ? ['Embedding', percentOf(progress.embedded, progress.embedTotal)] : ['Indexing', percentOf(progress.filesDone, progress.filesTotal)];
  return {
    label: `${verb} ${percent}%`,
    description: [counts, eta ? `${eta} left` : undefined].filter(Boolean).join(' · '),
    tooltip: `${describeProgress(snapshot) ?? verb}${current}`,
  };
}

/** The search mode row: "Lexical search only" must stay readable, so its reason goes to the tooltip. */
export function searchModeRow(snapshot: IndexSnapshot): RowText | undefined {
  if (snapshot.lexicalOnly) {
    return { label: 'Lexical search only', tooltip: `Keyword (BM25) search only: ${snapshot.lexicalOnly}.\nClick to choose an embedding model and add vector search.` };
  }
  if (!snapshot.modelKey) return undefined;
  const complete = snapshot.embeddedChunks >= snapshot.chunks;
  return {
    label: complete ? 'Hybrid search' : `Hybrid search (${percentOf(snapshot.embeddedChunks, snapshot.chunks)}% embedded)`,
    description: snapshot.modelKey,
    tooltip: `Keywords (BM25) and vectors.\n${snapshot.embeddedChunks.toLocaleString('en-US')} of ${plural(snapshot.chunks, 'passage')} embedded with ${snapshot.modelKey}.`,
  };
}

/** The folder row: how much is indexed and when, kept short; the index file and vector backend in the tooltip. */
export function folderRow(folderName: string, snapshot: IndexSnapshot | undefined, now: number = Date.now()): RowText {
  if (!snapshot) return { label: folderName, tooltip: `${folderName}: not indexed yet` };
  const when = snapshot.lastIndexedAt !== undefined ? formatAge(snapshot.lastIndexedAt, now) : undefined;
  const mode = snapshot.lexicalOnly ? 'lexical (BM25) search only' : `${snapshot.embeddedChunks.toLocaleString('en-US')} with vectors; vector search: ${snapshot.vectorBackend}`;
  return {
    label: folderName,
    description: [plural(snapshot.documents, 'file'), when].filter(Boolean).join(' · '),
    tooltip: [folderName, `${plural(snapshot.documents, 'file')}, ${plural(snapshot.chunks, 'passage')}, ${mode}`, when ? `Last indexed ${when}` : 'Not indexed yet', `Index: ${snapshot.dbFile}`].join(
      '\n',
    ),
  };
}

/** An indexed file: its name first, then its passage count and folder; the full path and time in the tooltip. */
export function fileRow(file: IndexedFileInfo, now: number = Date.now()): RowText {
  const { name, folder } = splitPath(file.path);
  return {
    label: name,
    description: [plural(file.chunkCount, 'chunk'), folder].filter(Boolean).join(' · '),
    tooltip: `${file.path}\n${plural(file.chunkCount, 'chunk')} (${file.format}), indexed ${formatAge(file.indexedAt, now)}`,
  };
}

/** A file left out of the index, with why (the reason text is whatever the indexer gave). */
export function skippedRow(entry: SkippedFileInfo): RowText {
  return {
    label: splitPath(entry.path).name,
    description: entry.reason,
    tooltip: `${entry.path}\n${entry.kind === 'error' ? 'Error' : 'Skipped'}: ${entry.reason}`,
  };
}

/** Which index commands apply now; the host turns these into context keys for the menus' `when` clauses. */
export interface IndexCommandState {
  /** A run is in progress (paused or not): Cancel applies, and Pause unless paused. */
  indexing: boolean;
  /** Indexing is paused: Resume applies. */
  paused: boolean;
}

export function indexCommandState(snapshots: readonly (IndexSnapshot | undefined)[]): IndexCommandState {
  return {
    indexing: snapshots.some((snapshot) => snapshot?.busy === true),
    paused: snapshots.some((snapshot) => snapshot?.paused === true),
  };
}
