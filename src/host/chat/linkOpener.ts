import * as vscode from 'vscode';
import { type LinkOutcome } from '../../shared/chatViewProtocol';
import { resolveWorkspacePath } from './workspacePaths';

/** Opens a cited passage: the file beside the chat, the range selected and revealed. */
export async function openCitation(file: string, startLine: number, endLine: number): Promise<void> {
  const uri = resolveWorkspacePath(file);
  if (!uri) throw new Error(`The cited file ${file} is not in this workspace.`);
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    throw new Error(`The cited file ${file} no longer exists. Rebuild the index to drop it.`);
  }
  const document = await vscode.workspace.openTextDocument(uri);
  const last = Math.min(Math.max(endLine, startLine), document.lineCount) - 1;
  const first = Math.min(startLine, document.lineCount) - 1;
  const range = new vscode.Range(first, 0, last, document.lineAt(Math.max(0, last)).text.length);
  const editor = await vscode.window.showTextDocument(document, { selection: range, preview: true, viewColumn: vscode.ViewColumn.One });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
}

/**
 * A link clicked in the chat. Model answers and documents are untrusted, so: web and mail links open only after the
 * user confirms the exact address; workspace-relative paths open in the editor (with `#L10` or `#L10-L20` as a
 * range); every other scheme (javascript:, command:, file:, vscode:, data:) is refused.
 */
export async function openChatLink(href: string, confirm: (message: string, target: string) => Thenable<boolean> = confirmExternal): Promise<LinkOutcome> {
  const trimmed = href.trim();
  const scheme = /^([a-z][\w+.-]*):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === 'http' || scheme === 'https' || scheme === 'mailto') {
    let target: vscode.Uri;
    try {
      target = vscode.Uri.parse(trimmed, true);
    } catch {
      return 'refused';
    }
    if (!(await confirm('Open this link from the chat?', trimmed))) return 'declined';
    await vscode.env.openExternal(target);
    return 'opened';
  }
  if (scheme !== undefined || trimmed.startsWith('//')) return 'refused';
  const [pathPart = '', fragment = ''] = trimmed.split('#', 2);
  const uri = resolveWorkspacePath(decodeURIComponent(pathPart));
  if (!uri) return 'refused';
  const lines = /^L(\d+)(?:-L?(\d+))?$/.exec(fragment);
  if (lines) {
    await openCitation(decodeURIComponent(pathPart), Number(lines[1]), Number(lines[2] ?? lines[1]));
  } else {
    await vscode.window.showTextDocument(uri, { preview: true });
  }
  return 'opened';
}

async function confirmExternal(message: string, target: string): Promise<boolean> {
  const open = 'Open';
  const choice = await vscode.window.showWarningMessage(message, { modal: true, detail: target }, open);
  return choice === open;
}
