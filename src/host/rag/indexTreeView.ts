import * as vscode from 'vscode';
import { type IndexedFileInfo, type IndexSnapshot, type SkippedFileInfo } from '../../shared/ragProtocol';
import { fileRow, folderRow, progressRow, type RowText, searchModeRow, skippedRow } from '../../core/views/indexRows';
import { VisibleRefresh } from '../../core/views/visibleRefresh';
import { modelKindIcon } from '../../core/views/modelRows';
import { type IndexClient } from './indexClient';
import { type IndexManager } from './indexManager';

type Node =
  | { kind: 'folder'; client: IndexClient }
  | { kind: 'status'; client: IndexClient; row: RowText; icon: string; command?: vscode.Command }
  | { kind: 'files'; client: IndexClient; count: number }
  | { kind: 'file'; client: IndexClient; file: IndexedFileInfo }
  | { kind: 'skippedGroup'; client: IndexClient; entries: SkippedFileInfo[]; errors: boolean }
  | { kind: 'skipped'; client: IndexClient; entry: SkippedFileInfo };

/** Relative times on screen ("3 min ago") are redrawn this often while the view is visible. */
const ageRefreshMs = 30_000;

function applyRow(item: vscode.TreeItem, row: RowText): void {
  if (row.description) item.description = row.description;
  item.tooltip = row.tooltip;
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
 * The Index view: for each workspace folder, its state (progress, search mode, errors), its indexed files with chunk
 * counts and when they were indexed, and the files it skipped with the reason.
 */
export class IndexTreeProvider implements vscode.TreeDataProvider<Node>, vscode.Disposable {
  static readonly viewId = 'chatwright.index';
  private readonly emitter = new vscode.EventEmitter<Node | undefined>();
  readonly onDidChangeTreeData = this.emitter.event;
  private readonly subscription: vscode.Disposable;
  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly ageRefresh = new VisibleRefresh(() => this.refresh(), ageRefreshMs);

  constructor(private readonly manager: IndexManager) {
    this.subscription = vscode.Disposable.from(
      manager.onDidChange(() => this.refreshSoon()),
      manager.onProgress(() => this.refreshSoon()),
    );
  }

  /** Keeps "3 min ago" true while the view is on screen; no timer runs while it is hidden. */
  setVisible(visible: boolean): void {
    this.ageRefresh.setVisible(visible);
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
      if (!snapshot) {
        const row = { label: 'Not indexed yet', description: 'click to index', tooltip: 'Index the documents of this folder (Chatwright: Index Workspace Documents).' };
        return [{ kind: 'status', client, row, icon: 'circle-large-outline', command: { command: 'chatwright.rag.indexWorkspace', title: 'Index Workspace Documents' } }];
      }
      const children: Node[] = [];
      const progress = progressRow(snapshot);
      if (progress) children.push({ kind: 'status', client, row: progress, icon: snapshot.paused ? 'debug-pause' : 'sync~spin' });
      if (snapshot.lastError) children.push({ kind: 'status', client, row: { label: 'Indexing failed', description: snapshot.lastError, tooltip: snapshot.lastError }, icon: 'error' });
      const mode = searchModeRow(snapshot);
      if (mode) {
        const pickModel = { command: 'chatwright.models.pickEmbeddingModel', title: 'Pick Embedding Model' };
        children.push({ kind: 'status', client, row: mode, icon: snapshot.lexicalOnly ? 'info' : modelKindIcon.embedding, ...(snapshot.lexicalOnly ? { command: pickModel } : {}) });
      }
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
        const row = folderRow(node.client.folder.name, node.client.lastSnapshot);
        const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.Expanded);
        item.id = `folder:${node.client.folder.uri.toString()}`;
        item.iconPath = new vscode.ThemeIcon('database');
        item.contextValue = 'chatwright.indexFolder';
        applyRow(item, row);
        return item;
      }
      case 'status': {
        const item = new vscode.TreeItem(node.row.label, vscode.TreeItemCollapsibleState.None);
        item.iconPath = new vscode.ThemeIcon(node.icon);
        applyRow(item, node.row);
        if (node.command) item.command = node.command;
        return item;
      }
      case 'files': {
        const item = new vscode.TreeItem(`Files (${node.count.toLocaleString('en-US')})`, node.count > 0 ? vscode.TreeItemCollapsibleState.Collapsed : vscode.TreeItemCollapsibleState.None);
        item.id = `files:${node.client.folder.uri.toString()}`;
        item.iconPath = new vscode.ThemeIcon('files');
        return item;
      }
      case 'file': {
        const uri = vscode.Uri.joinPath(node.client.folder.uri, ...node.file.path.split('/'));
        const row = fileRow(node.file);
        const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
        item.id = `file:${uri.toString()}`;
        item.resourceUri = uri;
        applyRow(item, row);
        item.command = { command: 'vscode.open', title: 'Open', arguments: [uri] };
        return item;
      }
      case 'skippedGroup': {
        const item = new vscode.TreeItem(`${node.errors ? 'Errors' : 'Skipped'} (${node.entries.length.toLocaleString('en-US')})`, vscode.TreeItemCollapsibleState.Collapsed);
        item.id = `${node.errors ? 'errors' : 'skipped'}:${node.client.folder.uri.toString()}`;
        item.iconPath = new vscode.ThemeIcon(node.errors ? 'error' : 'circle-slash');
        item.tooltip = node.errors ? 'Files that could not be indexed' : 'Files left out of the index, with the reason';
        return item;
      }
      case 'skipped': {
        const uri = vscode.Uri.joinPath(node.client.folder.uri, ...node.entry.path.split('/'));
        const row = skippedRow(node.entry);
        const item = new vscode.TreeItem(row.label, vscode.TreeItemCollapsibleState.None);
        item.resourceUri = uri;
        applyRow(item, row);
        item.iconPath = new vscode.ThemeIcon(node.entry.kind === 'error' ? 'warning' : 'dash');
        return item;
      }
    }
  }

  dispose(): void {
    if (this.refreshTimer) clearTimeout(this.refreshTimer);
    this.ageRefresh.dispose();
    this.subscription.dispose();
    this.emitter.dispose();
  }
}
