import * as vscode from 'vscode';
import { type IndexedFileInfo, type IndexSnapshot, type SkippedFileInfo } from '../../shared/ragProtocol';
import { type IndexClient } from './indexClient';
import { type IndexManager } from './indexManager';

type Node =
  | { kind: 'folder'; client: IndexClient }
  | { kind: 'status'; client: IndexClient; label: string; description?: string; icon: string; tooltip?: string }
  | { kind: 'files'; client: IndexClient; count: number }
  | { kind: 'file'; client: IndexClient; file: IndexedFileInfo }
  | { kind: 'skippedGroup'; client: IndexClient; entries: SkippedFileInfo[]; errors: boolean }
  | { kind: 'skipped'; client: IndexClient; entry: SkippedFileInfo };

export function formatAge(timestamp: number, now = Date.now()): string {
  const seconds = Math.max(0, Math.round((now - timestamp) / 1000));
  if (seconds < 60) return 'just now';
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return new Date(timestamp).toLocaleDateString();
}

export function formatEta(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '';
  const seconds = Math.max(1, Math.round(ms / 1000));
  return seconds >= 60 ? ` · ${Math.floor(seconds / 60)}m ${seconds % 60}s left` : ` · ${seconds}s left`;
}

/** A one-line account of what a folder's index is doing, for the view and the status bar. */
export function describeProgress(snapshot: IndexSnapshot): string | undefined {
  const progress = snapshot.progress;
  if (snapshot.paused) return 'Paused';
  if (!snapshot.busy || !progress) return undefined;
  if (progress.phase === 'scanning') return 'Scanning files…';
  if (progress.phase === 'embedding') return `Embedding ${progress.embedded.toLocaleString()}/${progress.embedTotal.toLocaleString()} passages${formatEta(progress.etaMs)}`;
  return `Indexing ${progress.filesDone.toLocaleString()}/${progress.filesTotal.toLocaleString()} files${formatEta(progress.etaMs)}`;
}

/** What the Index view shows when it has nothing to list: each state has its own `viewsWelcome` entry in package.json. */
export type IndexWelcomeState = 'noWorkspace' | 'notIndexed' | 'noDocuments' | 'ready';

/**
 * `ready` as soon as any folder has something to show (work in progress, documents, skipped files, an error); else why
 * the view is empty. A folder without a snapshot has not been indexed in this session.
 */
export function indexWelcomeState(snapshots: readonly (IndexSnapshot | undefined)[]): IndexWelcomeState {
  if (snapshots.length === 0) return 'noWorkspace';
  const hasContent = (snapshot: IndexSnapshot): boolean => snapshot.busy || snapshot.paused || snapshot.documents > 0 || snapshot.skipped.length > 0 || snapshot.lastError !== undefined;
  if (snapshots.some((snapshot) => snapshot !== undefined && hasContent(snapshot))) return 'ready';
  return snapshots.some((snapshot) => snapshot === undefined) ? 'notIndexed' : 'noDocuments';
}

/**
 * The Index view: for each workspace folder, its state (progress, lexical-only, errors), its indexed files with chunk
 * counts and when they were indexed, and the files it skipped with the reason.
 */
export class IndexTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  static readonly viewId = 'chatwright.index';
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;
  private refreshTimer: NodeJS.Timeout | undefined;

  constructor(private readonly manager: IndexManager) {
    this.subscription = vscode.Disposable.from(manager.onDidChange(() => this.refreshSoon()), manager.onProgress(() => this.refreshSoon()));
  }

  /** Progress arrives many times a second: the tree redraws at most every 250 ms. */
  private refreshSoon(): void {
    if (this.refreshTimer) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.emitter.fire(undefined);
    }, 250);
  }

  refresh(): void {
    this.emitter.fire(undefined);
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (!node) {
      const folders = this.manager.folders;
      const snapshots = await Promise.all(folders.map(async (client) => client.lastSnapshot ?? (client.running ? await client.request('snapshot', {}) : undefined)));
      const state = indexWelcomeState(snapshots);
      void vscode.commands.executeCommand('setContext', 'chatwright.index.state', state);
      return state === 'ready' ? folders.map((client) => ({ kind: 'folder', client })) : [];
    }
    const client = node.client;
    if (node.kind === 'folder') {
      const snapshot = client.lastSnapshot ?? (client.running ? await client.request('snapshot', {}) : undefined);
      if (!snapshot) return [{ kind: 'status', client, label: 'Not indexed yet', description: 'run "Chatwright: Rebuild Index" or open a search', icon: 'circle-large-outline' }];
      const children: Node[] = [];
      const progress = describeProgress(snapshot);
      if (progress) children.push({ kind: 'status', client, label: progress, icon: snapshot.paused ? 'debug-pause' : 'sync~spin', ...(snapshot.progress?.currentPath ? { description: snapshot.progress.currentPath } : {}) });
      if (snapshot.lastError) children.push({ kind: 'status', client, label: 'Indexing failed', description: snapshot.lastError, icon: 'error', tooltip: snapshot.lastError });
      if (snapshot.lexicalOnly) children.push({ kind: 'status', client, label: 'Lexical search only', description: snapshot.lexicalOnly, icon: 'info', tooltip: `${snapshot.lexicalOnly}. Choose an embedding model to add vector search.` });
      else if (snapshot.modelKey) children.push({ kind: 'status', client, label: `${snapshot.embeddedChunks.toLocaleString()} of ${snapshot.chunks.toLocaleString()} passages embedded`, description: snapshot.modelKey, icon: 'symbol-array' });
      children.push({ kind: 'files', client, count: snapshot.documents });
      const skipped = snapshot.skipped.filter((entry) => entry.kind !== 'error');
      const errors = snapshot.skipped.filter((entry) => entry.kind === 'error');
      if (skipped.length > 0) children.push({ kind: 'skippedGroup', client, entries: skipped, errors: false });
      if (errors.length > 0) children.push({ kind: 'skippedGroup', client, entries: errors, errors: true });
      return children;
    }
    if (node.kind === 'files') {
      if (!client.running) return [];
      const files = await client.request('files', {});
      return files.map((file) => ({ kind: 'file', client, file }));
    }
    if (node.kind === 'skippedGroup') return node.entries.map((entry) => ({ kind: 'skipped', client, entry }));
    return [];
  }

  getTreeItem(node: Node): vscode.TreeItem {
    switch (node.kind) {
      case 'folder': {
        const snapshot = node.client.lastSnapshot;
        const item = new vscode.TreeItem(node.client.folder.name, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `folder:${node.client.folder.uri.toString()}`;
        item.iconPath = new vscode.ThemeIcon('database');
        item.contextValue = 'chatwright.indexFolder';
        if (snapshot) {
          const mode = snapshot.lexicalOnly ? 'lexical only' : `${snapshot.embeddedChunks.toLocaleString()} vectors`;
          item.description = `${snapshot.documents.toLocaleString()} files · ${snapshot.chunks.toLocaleString()} chunks · ${mode}${snapshot.lastIndexedAt ? ` · ${formatAge(snapshot.lastIndexedAt)}` : ''}`;
          item.tooltip = new vscode.MarkdownString(
            `**${node.client.folder.name}**\n\n${snapshot.documents} files, ${snapshot.chunks} chunks, ${snapshot.embeddedChunks} with vectors\n\nVector search: ${snapshot.vectorBackend}\n\nIndex: \`${snapshot.dbFile}\``,
          );
        }
        return item;
      }
      case 'status': {
        const item = new vscode.TreeItem(node.label, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        if (node.description) item.description = node.description;
        if (node.tooltip) item.tooltip = node.tooltip;
        return item;
      }
      case 'files': {
        const item = new vscode.TreeItem(`Files (${node.count.toLocaleString()})`, node.count > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `files:${node.client.folder.uri.toString()}`;
        item.iconPath = new vscode.ThemeIcon('files');
        return item;
      }
      case 'file': {
        const uri = vscode.Uri.joinPath(node.client.folder.uri, ...node.file.path.split('/'));
        const item = new vscode.TreeItem(node.file.path, vscode.TreeItemCollapsibleState.None);
        item.id = `file:${uri.toString()}`;
        item.resourceUri = uri;
        item.description = `${node.file.chunkCount} chunk${node.file.chunkCount === 1 ? '' : 's'} · ${formatAge(node.file.indexedAt)}`;
        item.tooltip = `${node.file.path}\n${node.file.chunkCount} chunks (${node.file.format}), indexed ${new Date(node.file.indexedAt).toLocaleString()}`;
        item.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
        return item;
      }
      case 'skippedGroup': {
        const item = new vscode.TreeItem(`${node.errors ? 'Errors' : 'Skipped'} (${node.entries.length})`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `${node.errors ? 'errors' : 'skipped'}:${node.client.folder.uri.toString()}`;
        item.iconPath = new vscode.ThemeIcon(node.errors ? 'error' : 'circle-slash');
        return item;
      }
      case 'skipped': {
        const uri = vscode.Uri.joinPath(node.client.folder.uri, ...node.entry.path.split('/'));
        const item = new vscode.TreeItem(node.entry.path, vscode.TreeItemCollapsibleState.None);
        item.resourceUri = uri;
        item.description = node.entry.reason;
        item.tooltip = `${node.entry.path}: ${node.entry.reason}`;
        item.iconPath = new vscode.ThemeIcon(node.entry.kind === 'error' ? 'warning' : 'dash');
        return item;
      }
    }
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
