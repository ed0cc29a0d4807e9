import * as assert from 'node:assert/strict';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type ChatwrightApi } from '../../../src/extension';
import { waitFor } from '../../support/waitFor';

const extensionId = 'chatwright.chatwright';

function workspaceFile(relative: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run with the fixture workspace open');
  return vscode.Uri.file(join(folder.uri.fsPath, relative));
}

const heavyModules = ['onnxruntime-node', 'better-sqlite3', 'vscode-languageserver/', 'dist/server.js', 'sqlite-vec'];

describe('Chatwright extension', () => {
  it('is inactive until something needs it, then activates without loading heavy modules', async () => {
    const extension = vscode.extensions.getExtension<ChatwrightApi>(extensionId);
    assert.ok(extension, `${extensionId} is installed in the test host`);
    assert.equal(extension.isActive, false, 'nothing in the fresh workspace should have activated it');
    const api = await extension.activate();
    assert.equal(api.version, (extension.packageJSON as { version: string }).version);
    const loaded = Object.keys(require.cache);
    for (const heavy of heavyModules) {
      assert.deepEqual(
        loaded.filter((path) => path.includes(heavy)),
        [],
        `${heavy} must not load on the extension host at activation`,
      );
    }
    assert.equal(api.languageServerRunning(), false, 'the language server starts only when a dataset or template is opened');
  });

  it('registers every command it contributes', async () => {
    const extension = vscode.extensions.getExtension(extensionId)!;
    const contributed = (extension.packageJSON as { contributes: { commands: { command: string }[] } }).contributes.commands.map((c) => c.command);
    const registered = new Set(await vscode.commands.getCommands(true));
    assert.deepEqual(
      contributed.filter((id) => !registered.has(id)),
      [],
    );
  });

  it('reports a JSON syntax error in a .jsonl file at the exact line and column', async () => {
    const uri = workspaceFile('broken.jsonl');
    const document = await vscode.workspace.openTextDocument(uri);
    assert.equal(document.languageId, 'jsonl');
    await vscode.window.showTextDocument(document);
    const diagnostics = await waitFor(() => {
      // Row errors only: file-level checks (too few rows, an error since OpenAI refuses such a file) are covered in
      // datasets.test.ts.
      const found = vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'chatwright' && d.severity === vscode.DiagnosticSeverity.Error && d.code !== 'too-few-rows');
      return found.length > 0 ? found : undefined;
    }, 'diagnostics for broken.jsonl');
    assert.equal(diagnostics.length, 1);
    const [diagnostic] = diagnostics;
    assert.equal(diagnostic!.code, 'invalid-json');
    assert.equal(diagnostic!.severity, vscode.DiagnosticSeverity.Error);
    // Line 2 is `{"messages": [{"role": "user", "content": "hi"},]}`: the stray comma's `]` is the error.
    assert.equal(diagnostic!.range.start.line, 1);
    assert.equal(diagnostic!.range.start.character, document.lineAt(1).text.indexOf(',]') + 1);
  });

  it('updates the diagnostics when the error is fixed', async () => {
    const uri = workspaceFile('broken.jsonl');
    const editor = await vscode.window.showTextDocument(uri);
    const line = editor.document.lineAt(1);
    await editor.edit((edit) => edit.replace(line.range, line.text.replace(',]', ']')));
    // The syntax error goes; the dataset checks' findings on the fixed row (it has no assistant reply) are datasets.test.ts's.
    await waitFor(() => (vscode.languages.getDiagnostics(uri).some((d) => d.source === 'chatwright' && d.code === 'invalid-json') ? undefined : true), 'diagnostics to clear');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });

  it('opens the Chat view in the Chatwright container', async () => {
    const api = vscode.extensions.getExtension<ChatwrightApi>(extensionId)!.exports;
    await vscode.commands.executeCommand('chatwright.chat.focus');
    await waitFor(() => (api.chatViewResolved() ? true : undefined), 'the Chat view to resolve');
  });
});
