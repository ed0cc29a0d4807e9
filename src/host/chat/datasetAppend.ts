import * as vscode from 'vscode';
import { checkAppendedRow, exchangeToDatasetRow, rowAppendText } from '../../core/chat/datasetRow';
import { type Conversation } from '../../shared/chatViewProtocol';
import { listWorkspaceFiles, resolveWorkspacePath, toWorkspacePath } from './workspacePaths';

const lastDatasetKey = 'chatwright.chat.lastDataset';

export interface AppendResult {
  file: string;
  /** 1-based line of the new row. */
  line: number;
}

/**
 * Appends an answer's exchange as a `messages` row to a JSONL file, after the dataset validator has seen it:
 * errors refuse the row (with the validator's message), warnings ask first. An open document gets the row as an
 * edit (so unsaved changes are kept and undo works); a closed file is appended on disk.
 */
export async function appendExchangeToDataset(conversation: Conversation, answerId: string, target: vscode.Uri, editedAnswer?: string, confirmWarnings = confirm): Promise<AppendResult | undefined> {
  const row = exchangeToDatasetRow(conversation, answerId, editedAnswer);
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString());
  let existing = '';
  if (open) existing = open.getText();
  else {
    try {
      existing = new TextDecoder().decode(await vscode.workspace.fs.readFile(target));
    } catch {
      existing = '';
    }
  }
  const appendText = rowAppendText(existing, row);
  const check = checkAppendedRow(existing, appendText);
  const name = toWorkspacePath(target);
  if (check.errors.length > 0) {
    throw new Error(`The row was not added to ${name}: ${check.errors.map((e) => e.message).join(' ')}`);
  }
  if (check.warnings.length > 0 && !(await confirmWarnings(`Add the row to ${name} anyway?`, check.warnings.map((w) => w.message).join('\n')))) return undefined;
  if (open) {
    const edit = new vscode.WorkspaceEdit();
    const end = open.lineAt(open.lineCount - 1).range.end;
    edit.insert(target, end, appendText);
    const wasDirty = open.isDirty;
    if (!(await vscode.workspace.applyEdit(edit))) throw new Error(`${name} could not be edited.`);
    if (!wasDirty) await open.save();
  } else {
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(existing + appendText));
  }
  return { file: name, line: check.line + 1 };
}

async function confirm(question: string, detail: string): Promise<boolean> {
  const add = 'Add Anyway';
  return (await vscode.window.showWarningMessage(question, { modal: true, detail }, add)) === add;
}

/** Asks which dataset to add to: the last one first, then the workspace's JSONL files, or a new file. */
export async function pickDatasetFile(state: vscode.Memento): Promise<vscode.Uri | undefined> {
  const last = state.get<string>(lastDatasetKey);
  const files = await listWorkspaceFiles('**/*.{jsonl,ndjson}');
  const ordered = last && files.includes(last) ? [last, ...files.filter((f) => f !== last)] : files;
  const newFile = '$(new-file) New dataset file…';
  const picked = await vscode.window.showQuickPick([...ordered.map((f) => ({ label: f, description: f === last ? 'last used' : '' })), { label: newFile, description: '' }], {
    title: 'Add to dataset',
    placeHolder: 'The JSONL file the exchange is appended to, as a messages row',
  });
  if (!picked) return undefined;
  let uri: vscode.Uri | undefined;
  if (picked.label === newFile) {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    uri = await vscode.window.showSaveDialog({ ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, 'dataset.jsonl') } : {}), filters: { 'JSON Lines': ['jsonl'] }, title: 'New dataset file' });
  } else uri = resolveWorkspacePath(picked.label);
  if (uri) await state.update(lastDatasetKey, toWorkspacePath(uri));
  return uri;
}
