import * as vscode from 'vscode';
import { describeRelevance, type RelevanceDisplay } from '../../shared/relevance';
import { type FolderSearchHit, type IndexManager } from './indexManager';

interface HitItem extends vscode.QuickPickItem {
  hit?: FolderSearchHit;
}

function toItem(hit: FolderSearchHit, relevance: RelevanceDisplay | undefined, multiRoot: boolean): HitItem {
  const firstLine =
    hit.text
      .split('\n')
      .find((line) => line.trim() && !/^\s*(#{1,6}\s|[=\-~^`]{3,}\s*$)/.test(line))
      ?.trim() ?? hit.text.trim();
  const where = `${multiRoot ? `${hit.folder.name}/` : ''}${hit.path}:${hit.startLine}-${hit.endLine}${hit.page !== undefined ? ` (page ${hit.page})` : ''}`;
  const heading = hit.headingPath[hit.headingPath.length - 1];
  return {
    label: `$(file-text) ${heading ?? hit.path}`,
    description: relevance ? `${where}  ·  ${relevance.text}` : where,
    detail: firstLine.length > 180 ? `${firstLine.slice(0, 180)}…` : firstLine,
    hit,
  };
}

/** Opens the passage's file with its line range selected (PDFs open as they are: VS Code has no page reveal). */
export async function openHit(hit: { uri: vscode.Uri; startLine: number; endLine: number; page?: number }): Promise<void> {
  if (hit.page !== undefined) {
    await vscode.commands.executeCommand('vscode.open', hit.uri);
    return;
  }
  const document = await vscode.workspace.openTextDocument(hit.uri);
  const end = Math.min(hit.endLine, document.lineCount) - 1;
  const range = new vscode.Range(hit.startLine - 1, 0, end, document.lineAt(Math.max(0, end)).text.length);
  await vscode.window.showTextDocument(document, { selection: range, preview: true });
}

/**
 * "Chatwright: Search Index": type a question, get passages (hybrid when a model is selected, else BM25, said in the
 * placeholder), and open the chosen one at its range. Searches run in the index workers as you type (debounced).
 */
export async function searchIndexQuickPick(manager: IndexManager, initialQuery = ''): Promise<FolderSearchHit | undefined> {
  const pick = vscode.window.createQuickPick<HitItem>();
  pick.title = 'Chatwright: Search Index';
  pick.placeholder = 'Search the indexed documents (hybrid: BM25 + vectors)';
  pick.matchOnDescription = false;
  pick.matchOnDetail = false;
  pick.value = initialQuery;
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  let generation = 0;
  let timer: NodeJS.Timeout | undefined;
  // A newer query supersedes the search in flight: it is cancelled in the index workers.
  let searching: AbortController | undefined;
  const run = async (query: string): Promise<void> => {
    const mine = ++generation;
    searching?.abort();
    searching = new AbortController();
    const signal = searching.signal;
    if (!query.trim()) {
      pick.items = [];
      pick.busy = false;
      return;
    }
    pick.busy = true;
    try {
      const result = await manager.search(query, { k: 20 }, signal);
      if (mine !== generation) return;
      // VS Code filters items against the typed text unless each item opts out: results are already ranked.
      const relevance = describeRelevance(result.hits.map((hit) => hit.score));
      pick.items = result.hits.map((hit, index) => ({ ...toItem(hit, relevance[index], multiRoot), alwaysShow: true }));
      if (result.notices.length > 0) pick.placeholder = result.notices.join('; ');
      if (result.hits.length === 0) pick.items = [{ label: 'No passages found', detail: result.notices.join('; ') || 'Try other words, or check the Index view for skipped files.', alwaysShow: true }];
    } catch (error) {
      if (mine === generation) pick.items = [{ label: `$(error) ${(error as Error).message}`, alwaysShow: true }];
    } finally {
      if (mine === generation) pick.busy = false;
    }
  };
  const chosen = new Promise<FolderSearchHit | undefined>((resolve) => {
    pick.onDidChangeValue((value) => {
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void run(value), 150);
    });
    pick.onDidAccept(() => {
      const hit = pick.selectedItems[0]?.hit;
      pick.hide();
      resolve(hit);
    });
    pick.onDidHide(() => resolve(undefined));
  });
  pick.show();
  if (initialQuery) void run(initialQuery);
  const hit = await chosen;
  if (timer) clearTimeout(timer);
  searching?.abort();
  pick.dispose();
  if (hit) await openHit(hit);
  return hit;
}
