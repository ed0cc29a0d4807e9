import * as path from 'node:path';
import * as vscode from 'vscode';

/**
 * Paths the chat stores and shows are workspace-relative (`docs/guide.md`, or `folder/docs/guide.md` in a multi-root
 * workspace), so conversations survive moving the workspace. These resolve them back, refusing anything outside.
 */
export function toWorkspacePath(uri: vscode.Uri): string {
  return vscode.workspace.asRelativePath(uri, (vscode.workspace.workspaceFolders?.length ?? 0) > 1);
}

export function resolveWorkspacePath(relative: string): vscode.Uri | undefined {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0 || relative.length === 0 || path.isAbsolute(relative) || /^[a-z][\w+.-]*:/i.test(relative)) return undefined;
  const normalized = path.posix.normalize(relative.replace(/\\/g, '/'));
  if (normalized.startsWith('../') || normalized === '..') return undefined;
  let folder = folders[0]!;
  let rest = normalized;
  if (folders.length > 1) {
    const [first, ...others] = normalized.split('/');
    const named = folders.find((f) => f.name === first);
    if (!named) return undefined;
    folder = named;
    rest = others.join('/');
  }
  return vscode.Uri.joinPath(folder.uri, ...rest.split('/').filter(Boolean));
}

/** Workspace files matching a glob, as workspace-relative paths, sorted; honours `files.exclude` and skips node_modules. */
export async function listWorkspaceFiles(glob: string, limit = 500): Promise<string[]> {
  if (!vscode.workspace.workspaceFolders?.length) return [];
  const uris = await vscode.workspace.findFiles(glob, '**/node_modules/**', limit);
  return uris.map(toWorkspacePath).sort((a, b) => a.localeCompare(b));
}
