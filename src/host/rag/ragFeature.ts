import * as vscode from 'vscode';
import { type Ctx } from '../context';
import { type EngineHost } from '../engine/engineHost';
import { type ModelSelection } from '../models/modelSelection';
import { IndexManager } from './indexManager';
import { IndexProgressUi } from './indexProgressUi';
import { IndexTreeProvider } from './indexTreeView';
import { openHit, searchIndexQuickPick } from './searchQuickPick';

/**
 * Retrieval over the workspace's documents: the Index view, search, and the commands that drive indexing. Nothing
 * starts at activation: workers start when the Index view is shown, a search runs, or a command asks.
 */
export function registerRag(ctx: Ctx, deps: { modelSelection?: ModelSelection; engine?: EngineHost }): IndexManager {
  const manager = ctx.own(new IndexManager(ctx, deps.modelSelection, deps.engine));
  const tree = ctx.own(new IndexTreeProvider(manager));
  const view = ctx.own(vscode.window.createTreeView(IndexTreeProvider.viewId, { treeDataProvider: tree, showCollapseAll: true }));
  ctx.own(
    view.onDidChangeVisibility((event) => {
      tree.setVisible(event.visible);
      if (event.visible) manager.startIfEnabled();
    }),
  );
  tree.setVisible(view.visible);
  if (view.visible) manager.startIfEnabled();
  ctx.own(new IndexProgressUi(manager));
  ctx.registerCommands({
    'chatwright.rag.searchIndex': (query?: unknown) => searchIndexQuickPick(manager, typeof query === 'string' ? query : ''),
    'chatwright.rag.indexWorkspace': async () => {
      const reports = await manager.indexAll();
      const indexed = reports.reduce((sum, report) => sum + report.indexed, 0);
      const errors = reports.reduce((sum, report) => sum + report.errors, 0);
      void vscode.window.showInformationMessage(`Chatwright: index up to date (${indexed} file${indexed === 1 ? '' : 's'} re-indexed${errors ? `, ${errors} errors: see the Index view` : ''}).`);
      return reports;
    },
    'chatwright.rag.rebuildIndex': async () => {
      const reports = await manager.rebuild();
      tree.refresh();
      return reports;
    },
    'chatwright.rag.pauseIndexing': () => manager.pause(),
    'chatwright.rag.resumeIndexing': () => manager.resume(),
    'chatwright.rag.cancelIndexing': () => manager.cancel(),
    'chatwright.rag.refreshIndexView': () => tree.refresh(),
    'chatwright.rag.openPassage': (hit: unknown) => openHit(hit as { uri: vscode.Uri; startLine: number; endLine: number }),
  });
  return manager;
}
