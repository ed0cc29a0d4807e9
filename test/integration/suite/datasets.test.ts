import * as assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type DatasetReport } from '../../../src/shared/datasetReportProtocol';
import { waitFor } from '../../support/waitFor';

const extensionId = 'chatwright.chatwright';

function workspaceFolder(): string {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, 'the tests run with the fixture workspace open');
  return folder.uri.fsPath;
}

/** Copies one of the defective dataset fixtures into the test workspace (a scratch copy) and returns its URI. */
function fixture(name: string): vscode.Uri {
  const extension = vscode.extensions.getExtension(extensionId)!;
  const folder = join(workspaceFolder(), 'datasets-it');
  mkdirSync(folder, { recursive: true });
  const target = join(folder, name);
  copyFileSync(join(extension.extensionPath, 'test', 'fixtures', 'datasets', name), target);
  return vscode.Uri.file(target);
}

function chatwrightDiagnostics(uri: vscode.Uri, code?: string): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'chatwright' && (code === undefined || d.code === code));
}

describe('Datasets in the editor', () => {
  it('shows dataset diagnostics for an opened fixture and fixes a role with the quick fix', async () => {
    const uri = fixture('unrecognized-role.jsonl');
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const roles = await waitFor(() => {
      const found = chatwrightDiagnostics(uri, 'unrecognized-role');
      return found.length === 2 ? found : undefined;
    }, 'two unrecognized-role diagnostics');
    assert.equal(document.getText(roles[0]!.range), '"human"');
    const actions = await vscode.commands.executeCommand<vscode.CodeAction[]>('vscode.executeCodeActionProvider', uri, roles[0]!.range, vscode.CodeActionKind.QuickFix.value);
    const rename = actions.find((action) => action.title === 'Rename the role to "user"');
    assert.ok(rename?.edit, `quick fixes offered: ${actions.map((a) => a.title).join(', ')}`);
    assert.ok(await vscode.workspace.applyEdit(rename.edit));
    assert.match(document.lineAt(2).text, /^\{"messages": \[\{"role": "user", "content": "hi"\}/);
    await waitFor(() => (chatwrightDiagnostics(uri, 'unrecognized-role').length === 1 ? true : undefined), 'one unrecognized-role left');
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  it('validates a file from disk in a worker and puts the findings in the Problems panel', async () => {
    const folder = join(workspaceFolder(), 'datasets-it');
    mkdirSync(folder, { recursive: true });
    const path = join(folder, 'big.jsonl');
    const rows = Array.from({ length: 20_000 }, (_, i) =>
      JSON.stringify({
        messages: [
          { role: 'user', content: `Question ${i}` },
          { role: 'assistant', content: `Answer ${i}` },
        ],
      }),
    );
    rows[12_345] = rows[17]!;
    rows[15_000] = '{"messages": [';
    writeFileSync(path, `${rows.join('\n')}\n`);
    const uri = vscode.Uri.file(path);
    const result = await vscode.commands.executeCommand<{ cancelled: boolean; findings: number }>('chatwright.datasets.validateFile', uri);
    assert.deepEqual(result, { cancelled: false, findings: 2 });
    const diagnostics = chatwrightDiagnostics(uri);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.range.start.line]).sort(), [
      ['duplicate-row', 12_345],
      ['invalid-json', 15_000],
    ]);
  });

  it('builds the dataset report for a file and exports it as Markdown', async () => {
    const uri = fixture('duplicate-row.jsonl');
    const report = await vscode.commands.executeCommand<DatasetReport>('chatwright.datasets.showReport', uri);
    assert.equal(report.rows, 11);
    assert.deepEqual(
      report.formats.map((f) => [f.format, f.rows]),
      [['messages', 11]],
    );
    assert.deepEqual(
      report.findings.map((f) => [f.code, f.count]),
      [['duplicate-row', 1]],
    );
    assert.ok(report.tokens && report.tokens.max > 0 && report.tokens.median > 0);
    await vscode.commands.executeCommand('chatwright.datasets.exportReport');
    const markdown = await waitFor(
      () => vscode.workspace.textDocuments.find((d) => d.languageId === 'markdown' && d.getText().startsWith('# Dataset report: duplicate-row.jsonl')),
      'the exported Markdown',
    );
    assert.match(markdown.getText(), /\| Duplicate row \| `duplicate-row` \| warning \| 1 \|/);
  });
});
