import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { waitFor } from '../../support/waitFor';

function workspaceFolder(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run with the fixture workspace open');
  return folder.uri.fsPath;
}

/** A job folder in the test workspace (a scratch copy) with one dataset; returns the job file written in it. */
function jobFile(name: string, text: string): vscode.Uri {
  const folder = join(workspaceFolder(), 'jobs-it');
  mkdirSync(join(folder, 'data'), { recursive: true });
  writeFileSync(join(folder, 'data', 'chat-train.jsonl'), '{"text": "hello"}\n');
  writeFileSync(join(folder, name), text);
  return vscode.Uri.file(join(folder, name));
}

function hoverText(hovers: vscode.Hover[]): string {
  return hovers.flatMap((hover) => hover.contents.map((content) => (typeof content === 'string' ? content : content.value))).join('\n');
}

describe('Job files in the editor', () => {
  it("a *.job.yaml (VS Code's yaml language) gets located diagnostics, hover and completion from the language server", async () => {
    const uri = jobFile('persona.job.yaml', 'model:\n  path: Qwen/Qwen3-0.6B\ndata:\n  train: data/chat-train.jsonl\nmethod:\n  lora:\n    r: 0\n    \n');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    assert.equal(document.languageId, 'yaml');
    // Opening a YAML document activates the extension (`onLanguage:yaml`); a job file then starts the server.
    await waitFor(() => (vscode.extensions.getExtension('chatwright.chatwright')?.isActive ? true : undefined), 'the extension to activate');
    const [problem] = await waitFor(() => {
      const found = vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === 'chatwright');
      return found.length > 0 ? found : undefined;
    }, 'a chatwright diagnostic on the job file');
    assert.equal(problem!.message, 'method.lora.r: must be at least 1, got 0');
    assert.equal(document.getText(problem!.range), '0');
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(6, 4));
    assert.match(hoverText(hovers), /default `16`/);
    const completions = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, new vscode.Position(7, 4));
    const alpha = completions.items.find((item) => item.label === 'alpha');
    assert.ok(alpha, `completions: ${completions.items.map((item) => (typeof item.label === 'string' ? item.label : item.label.label)).join(', ')}`);
    assert.ok(alpha.insertText instanceof vscode.SnippetString && alpha.insertText.value === 'alpha: ${1:32}');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it("a *.job.json is served by the language server alone: VS Code's JSON service does not report its problems again", async () => {
    const uri = jobFile('persona.job.json', '{\n  "model": {"path": "Qwen/Qwen3-0.6B"},\n  "data": {"train": "data/chat-train.jsonl"},\n  "training": {"epochs": -1}\n}\n');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const [problem] = await waitFor(() => {
      const found = vscode.languages.getDiagnostics(uri).filter((diagnostic) => diagnostic.source === 'chatwright');
      return found.length > 0 ? found : undefined;
    }, 'a chatwright diagnostic on the JSON job file');
    assert.equal(document.getText(problem!.range), '-1');
    // Give the JSON service the time it takes to validate a small file against a schema.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.deepEqual(
      vscode.languages.getDiagnostics(uri).map((diagnostic) => diagnostic.source),
      ['chatwright'],
    );
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
