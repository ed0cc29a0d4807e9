import { createHash } from 'node:crypto';
import { join, relative, sep } from 'node:path';
import * as vscode from 'vscode';
import { type Config } from '../config';
import { type Ctx } from '../context';
import { type ModelSelection } from '../models/modelSelection';
import { type IndexProgressInfo, type IndexRunSummary, type IndexSnapshot, type IndexWorkerInit, type QueryEmbedding, type SearchHitInfo, type SearchRequestOptions } from '../../shared/ragProtocol';
import { type IndexCommandState, indexCommandState } from '../../core/views/indexRows';
import { type EngineEmbedder, IndexClient } from './indexClient';

/** Document globs indexed by default (kept in step with src/core/rag/sources.ts, which the host must not import). */
const defaultInclude = ['**/*.{md,mdx,markdown,txt,rst,adoc,asciidoc,html,htm,pdf}'];
const codeInclude = ['**/*.{ts,tsx,js,jsx,mjs,cjs,py,go,rs,java,kt,c,h,cc,cpp,hpp,cs,rb,php,swift,scala,sh,sql,lua}'];
const defaultExclude = ['**/node_modules/**', '**/.git/**', '**/.hg/**', '**/.svn/**', '**/dist/**', '**/out/**', '**/build/**', '**/.venv/**', '**/__pycache__/**', '**/*.min.*'];

export interface FolderSearchHit extends SearchHitInfo {
  folder: vscode.WorkspaceFolder;
  uri: vscode.Uri;
}

/** What the index manager uses of the extension's context: its log, the rag settings, where to keep indexes, the worker. */
export type IndexManagerContext = Pick<Ctx, 'asAbsolutePath'> & {
  log: Pick<vscode.LogOutputChannel, 'info' | 'warn' | 'error'>;
  config: Pick<Config, 'ragSettings'>;
  extension: Pick<vscode.ExtensionContext, 'storageUri' | 'globalStorageUri'>;
};

export interface WorkspaceSearchResult {
  hits: FolderSearchHit[];
  notices: string[];
}

/**
 * The retrieval index of every workspace folder: one worker thread each, started on first use. Keeps them current
 * with a file watcher (batched), re-embeds when the embedding model changes, and answers searches for the Search
 * command, the chat and the prompt templates' retrieval (`search`).
 */
export class IndexManager implements vscode.Disposable {
  private readonly clients = new Map<string, IndexClient>();
  private readonly disposables: vscode.Disposable[] = [];
  private readonly changed = new vscode.EventEmitter<IndexClient | undefined>();
  private readonly progressEmitter = new vscode.EventEmitter<{ client: IndexClient; progress: IndexProgressInfo }>();
  readonly onDidChange = this.changed.event;
  readonly onProgress = this.progressEmitter.event;
  private watcher: vscode.FileSystemWatcher | undefined;
  private readonly pendingPaths = new Map<string, Set<string>>();
  private flushTimer: NodeJS.Timeout | undefined;
  private readonly notifiedRebuilds = new Set<string>();
  private publishedCommandState: IndexCommandState | undefined;

  constructor(
    private readonly ctx: IndexManagerContext,
    private readonly models: Pick<ModelSelection, 'embeddingModel' | 'onDidChange'> | undefined,
    private readonly engine?: EngineEmbedder,
    /** The index worker's entry: the bundle, or its TypeScript source under tests. */
    private readonly workerFile = ctx.asAbsolutePath('dist/indexWorker.js'),
  ) {
    this.disposables.push(
      vscode.workspace.onDidChangeWorkspaceFolders(() => this.syncFolders()),
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('chatwright.rag') || event.affectsConfiguration('files.exclude')) void this.reconfigure();
      }),
    );
    if (models) this.disposables.push(models.onDidChange((change) => change.kind === 'embedding' && void this.embeddingModelChanged()));
  }

  /** The index file of a folder, in the extension's workspace storage (never in the user's folder). */
  private dbFileFor(folder: vscode.WorkspaceFolder): string {
    const storage = this.ctx.extension.storageUri ?? this.ctx.extension.globalStorageUri;
    const key = createHash('sha256').update(folder.uri.toString()).digest('hex').slice(0, 16);
    return join(storage.fsPath, 'rag', `${folder.name.replace(/[^\w.-]+/g, '_')}-${key}.db`);
  }

  private initFor(folder: vscode.WorkspaceFolder): IndexWorkerInit {
    const settings = this.ctx.config.ragSettings(folder.uri);
    const include = [...(settings.include.length > 0 ? settings.include : defaultInclude), ...(settings.includeCode ? codeInclude : [])];
    const init: IndexWorkerInit = {
      folder: folder.uri.fsPath,
      dbFile: this.dbFileFor(folder),
      sources: {
        include,
        exclude: [...defaultExclude, ...settings.exclude],
        maxFileBytes: settings.maxFileBytes,
        maxPdfBytes: Math.max(settings.maxFileBytes, 50 * 1024 * 1024),
        respectGitignore: settings.respectGitignore,
      },
      chunking: { maxTokens: settings.chunkTokens, overlapTokens: settings.chunkOverlap },
    };
    const model = this.models?.embeddingModel;
    if (model) init.embeddingModel = model;
    return init;
  }

  get folders(): readonly IndexClient[] {
    return [...this.clients.values()];
  }

  private syncFolders(): void {
    const current = new Set((vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file').map((folder) => folder.uri.toString()));
    for (const [key, client] of this.clients) {
      if (!current.has(key)) {
        client.dispose();
        this.clients.delete(key);
      }
    }
    for (const folder of vscode.workspace.workspaceFolders ?? []) this.clientFor(folder);
    this.publishCommandState();
    this.changed.fire(undefined);
  }

  clientFor(folder: vscode.WorkspaceFolder): IndexClient | undefined {
    if (folder.uri.scheme !== 'file') return undefined;
    const key = folder.uri.toString();
    let client = this.clients.get(key);
    if (!client) {
      client = new IndexClient(folder, this.workerFile, this.initFor(folder), this.ctx.log, this.engine);
      const owned = client;
      owned.onState((snapshot) => this.stateChanged(owned, snapshot));
      owned.onProgress((progress) => this.progressEmitter.fire({ client: owned, progress }));
      this.clients.set(key, client);
    }
    return client;
  }

  private stateChanged(client: IndexClient, snapshot: IndexSnapshot): void {
    if (snapshot.rebuiltBecause && !this.notifiedRebuilds.has(snapshot.dbFile)) {
      this.notifiedRebuilds.add(snapshot.dbFile);
      void vscode.window.showWarningMessage(`Chatwright: the index of ${client.folder.name} was damaged and is being rebuilt. ${snapshot.rebuiltBecause}`);
    }
    this.publishCommandState();
    this.changed.fire(client);
  }

  /** Which of Pause, Resume and Cancel Indexing apply now (the `when` clauses of the view title and the palette). */
  get commandState(): IndexCommandState {
    return indexCommandState(this.folders.map((client) => client.lastSnapshot));
  }

  /** Sets the context keys `chatwright.indexing` and `chatwright.indexPaused` when they change. */
  private publishCommandState(): void {
    const next = this.commandState;
    const previous = this.publishedCommandState;
    this.publishedCommandState = next;
    if (previous?.indexing !== next.indexing) void vscode.commands.executeCommand('setContext', 'chatwright.indexing', next.indexing);
    if (previous?.paused !== next.paused) void vscode.commands.executeCommand('setContext', 'chatwright.indexPaused', next.paused);
  }

  /** Starts every folder's worker and brings its index up to date; then follows file changes. */
  async indexAll(): Promise<IndexRunSummary[]> {
    this.syncFolders();
    this.ensureWatcher();
    return Promise.all(this.folders.map((client) => client.request('indexAll', {})));
  }

  /** Empties and rebuilds every folder's index. */
  async rebuild(): Promise<IndexRunSummary[]> {
    this.syncFolders();
    this.ensureWatcher();
    return Promise.all(this.folders.map((client) => client.request('rebuild', {})));
  }

  /** Starts indexing if `chatwright.rag.autoIndex` allows and nothing has started yet (first view, first search). */
  startIfEnabled(): void {
    if (this.watcher) return;
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0 || !folders.some((folder) => this.ctx.config.ragSettings(folder.uri).autoIndex)) return;
    void this.indexAll().catch((error: unknown) => this.ctx.log.error(`indexing failed: ${(error as Error).message}`));
  }

  async pause(): Promise<void> {
    await Promise.all(this.folders.filter((client) => client.running).map((client) => client.request('pause', {})));
  }

  async resume(): Promise<void> {
    await Promise.all(this.folders.filter((client) => client.running).map((client) => client.request('resume', {})));
  }

  async cancel(): Promise<void> {
    await Promise.all(this.folders.filter((client) => client.running).map((client) => client.request('cancel', {})));
  }

  get paused(): boolean {
    return this.folders.some((client) => client.lastSnapshot?.paused === true);
  }

  get busy(): boolean {
    return this.folders.some((client) => client.lastSnapshot?.busy === true);
  }

  /**
   * Searches every folder's index and merges the hits by score (RRF scores are comparable across folders because each
   * index fuses the same two retrievers). The retrieval API that chat and prompt templates use. The question is
   * embedded once, here, and its vector sent to every folder; aborting `signal` stops the search in every worker.
   */
  async search(query: string, options: SearchRequestOptions = {}, signal?: AbortSignal): Promise<WorkspaceSearchResult> {
    if (this.clients.size === 0) this.syncFolders();
    this.startIfEnabled();
    const folders = this.folders;
    if (folders.length === 0) return { hits: [], notices: [] };
    const embedding = options.mode === 'bm25' ? {} : await this.embedQuery(query, signal);
    const results = await Promise.all(
      folders.map(async (client) => {
        const result = await client.request('search', { query, options, ...embedding }, signal);
        return { client, result };
      }),
    );
    const hits = results.flatMap(({ client, result }) => result.hits.map((hit) => ({ ...hit, folder: client.folder, uri: vscode.Uri.joinPath(client.folder.uri, ...hit.path.split('/')) })));
    hits.sort((a, b) => b.score - a.score);
    const notices = [...new Set(results.map(({ result }) => result.notice).filter((notice): notice is string => notice !== undefined))];
    return { hits: hits.slice(0, options.k ?? 5), notices };
  }

  /**
   * The question's vector from the inference engine (query role), or why there is none: each folder then searches
   * lexically and says so. A failure to embed is not a failed search; cancelling is.
   */
  private async embedQuery(query: string, signal: AbortSignal | undefined): Promise<{ queryEmbedding?: QueryEmbedding; withoutEmbedding?: string }> {
    const model = this.models?.embeddingModel;
    if (!model) return {};
    if (!this.engine) return { withoutEmbedding: 'the inference engine is not available in this window' };
    try {
      const { vectors, modelKey } = await this.engine.embed(model, [query], 'query', signal);
      const vector = vectors[0];
      if (!vector) throw new Error('the embedding model returned no vector');
      return { queryEmbedding: { modelKey, vector } };
    } catch (error) {
      signal?.throwIfAborted();
      return { withoutEmbedding: `the question could not be embedded with '${model}': ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  private ensureWatcher(): void {
    if (this.watcher) return;
    this.watcher = vscode.workspace.createFileSystemWatcher('**/*');
    const queue = (uri: vscode.Uri): void => this.queueChange(uri);
    this.disposables.push(this.watcher, this.watcher.onDidCreate(queue), this.watcher.onDidChange(queue), this.watcher.onDidDelete(queue));
  }

  /** Changes are batched for 300 ms: a save, a checkout or a rename reaches the worker as one update. */
  private queueChange(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') return;
    const folder = vscode.workspace.getWorkspaceFolder(uri);
    if (!folder) return;
    const rel = relative(folder.uri.fsPath, uri.fsPath).split(sep).join('/');
    if (!rel || rel.startsWith('..') || rel.startsWith('.git/') || rel.includes('/node_modules/') || rel.startsWith('node_modules/')) return;
    const key = folder.uri.toString();
    let paths = this.pendingPaths.get(key);
    if (!paths) this.pendingPaths.set(key, (paths = new Set()));
    paths.add(rel);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => this.flushChanges(), 300);
  }

  private flushChanges(): void {
    this.flushTimer = undefined;
    for (const [key, paths] of this.pendingPaths) {
      const client = this.clients.get(key);
      if (!client) continue;
      // An ignore file changed: what is indexed may change anywhere below it, so rescan the folder.
      const ignoreChanged = [...paths].some((path) => /(^|\/)(\.gitignore|\.chatwrightignore)$/.test(path));
      const request = ignoreChanged ? client.request('indexAll', {}) : client.request('update', { paths: [...paths] });
      void request.catch((error: unknown) => this.ctx.log.error(`updating the index of ${client.folder.name} failed: ${(error as Error).message}`));
    }
    this.pendingPaths.clear();
  }

  /** Waits until pending watcher batches are sent and every worker is idle (used by tests and "index now" callers). */
  async settled(): Promise<void> {
    if (this.flushTimer) {
      clearTimeout(this.flushTimer);
      this.flushChanges();
    }
    await Promise.all(this.folders.filter((client) => client.running).map((client) => client.request('update', { paths: [] })));
  }

  private async embeddingModelChanged(): Promise<void> {
    const model = this.models?.embeddingModel;
    for (const client of this.folders) {
      if (!client.running) continue;
      await client.request('setEmbeddingModel', model ? { model } : {});
      void client.request('indexAll', {}).catch((error: unknown) => this.ctx.log.error(`re-embedding ${client.folder.name} failed: ${(error as Error).message}`));
    }
  }

  private async reconfigure(): Promise<void> {
    for (const client of this.folders) {
      const wasRunning = client.running;
      await client.restart(this.initFor(client.folder));
      if (wasRunning) void client.request('indexAll', {}).catch((error: unknown) => this.ctx.log.error(`re-indexing ${client.folder.name} failed: ${(error as Error).message}`));
    }
  }

  dispose(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    for (const client of this.clients.values()) client.dispose();
    this.clients.clear();
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.changed.dispose();
    this.progressEmitter.dispose();
  }
}
