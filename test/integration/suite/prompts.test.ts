import * as assert from 'node:assert/strict';
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { type PreviewPromptResult } from '../../../src/shared/promptPreviewProtocol';
import { waitFor } from '../../support/waitFor';

const extensionId = 'chatwright.chatwright';

/** Copies the prompt fixtures (and the real Prompty files) into the scratch workspace; returns that folder. */
function promptsFolder(): string {
  const workspace = vscode.workspace.workspaceFolders?.[0];
  assert.ok(workspace, 'the tests run with the fixture workspace open');
  const extension = vscode.extensions.getExtension(extensionId)!;
  const folder = join(workspace.uri.fsPath, 'prompts-it');
  mkdirSync(folder, { recursive: true });
  cpSync(join(extension.extensionPath, 'test', 'fixtures', 'prompts'), folder, { recursive: true });
  return folder;
}

function diagnostics(uri: vscode.Uri): vscode.Diagnostic[] {
  return vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'chatwright');
}

interface PreviewHandle {
  lastResult: PreviewPromptResult | undefined;
  refresh(): Promise<PreviewPromptResult | undefined>;
}

describe('Prompt templates in the editor', () => {
  let folder: string;
  before(() => {
    folder = promptsFolder();
  });

  it('opens .prompty files as the prompty language and reports located schema, Jinja and role problems', async () => {
    const uri = vscode.Uri.file(join(folder, 'broken.prompty'));
    const document = await vscode.workspace.openTextDocument(uri);
    assert.equal(document.languageId, 'prompty');
    await vscode.window.showTextDocument(document);
    const found = await waitFor(() => (diagnostics(uri).length >= 5 ? diagnostics(uri) : undefined), 'diagnostics for broken.prompty');
    const temperature = found.find((d) => d.code === 'schema-type')!;
    assert.equal(temperature.severity, vscode.DiagnosticSeverity.Error);
    assert.equal(temperature.range.start.line, 5);
    assert.equal(document.getText(temperature.range), '"hot"');
    assert.ok(found.some((d) => d.code === 'unknown-role' && d.severity === vscode.DiagnosticSeverity.Warning));
    assert.ok(found.some((d) => d.code === 'jinja-unclosed-block'));
  });

  it('opens a real Prompty file (contoso chat.prompty, sample from ${file:chat.json}) without errors', async () => {
    const uri = vscode.Uri.file(join(folder, 'real', 'Azure-Samples__contoso-chat', 'src', 'api', 'contoso_chat', 'chat.prompty'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const found = await waitFor(() => (diagnostics(uri).length > 0 ? diagnostics(uri) : undefined), 'diagnostics for chat.prompty');
    assert.deepEqual(
      found.filter((d) => d.severity === vscode.DiagnosticSeverity.Error),
      [],
    );
    assert.deepEqual(
      found.map((d) => d.code),
      ['undeclared-variable'],
    );
  });

  it('completes declared inputs inside {{ }} and role markers at line start', async () => {
    const uri = vscode.Uri.file(join(folder, 'support.prompty'));
    const document = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(document);
    const line = document
      .getText()
      .split('\n')
      .findIndex((text) => text.includes('{{ question }}'));
    const list = await waitFor(async () => {
      const result = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, new vscode.Position(line, 3));
      return result.items.some((item) => item.label === 'question') ? result : undefined;
    }, 'completion of inputs');
    assert.ok(list.items.some((item) => item.label === 'product'));
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(line, 5));
    assert.ok(hovers.some((hover) => hover.contents.some((c) => (typeof c === 'string' ? c : c.value).includes('How do I reset my password'))));
  });

  it('previews the rendered prompt beside the editor and re-renders after an edit', async () => {
    const uri = vscode.Uri.file(join(folder, 'support.prompty'));
    const editor = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri));
    const preview = await vscode.commands.executeCommand<PreviewHandle | undefined>('chatwright.previewPrompt', uri);
    assert.ok(preview, 'the command returns the preview panel');
    const first = await waitFor(() => preview.lastResult, 'the first preview');
    assert.equal(first.error, undefined);
    assert.deepEqual(
      first.rendered!.messages.map((m) => m.source),
      ['template', 'example', 'example', 'example', 'example', 'template'],
    );
    assert.equal(first.rendered!.messages.at(-1)!.content, 'How do I reset my password?');
    const line = editor.document
      .getText()
      .split('\n')
      .findIndex((text) => text.includes('{{ question }}'));
    await editor.edit((edit) => edit.insert(new vscode.Position(line, 0), 'Please answer: '));
    const updated = await waitFor(() => (preview.lastResult?.rendered?.messages.at(-1)?.content.startsWith('Please answer:') ? preview.lastResult : undefined), 'the preview after the edit');
    assert.equal(updated.rendered!.messages.at(-1)!.content, 'Please answer: How do I reset my password?');
    await vscode.commands.executeCommand('workbench.action.files.revert');
  });
});

describe('Chatwright: New Prompt Template', () => {
  it('scaffolds a template and its examples file, opens the preview, and never overwrites', async () => {
    const workspace = vscode.workspace.workspaceFolders![0]!.uri;
    const folder = vscode.Uri.joinPath(workspace, 'scaffold-it');
    await vscode.workspace.fs.createDirectory(folder);
    const created = await vscode.commands.executeCommand<vscode.Uri | undefined>('chatwright.newPromptTemplate', { name: 'faq-bot', folder });
    assert.ok(created, 'the command returns the new template');
    assert.equal(created.fsPath, vscode.Uri.joinPath(folder, 'faq-bot.prompty').fsPath);
    const examples = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, 'faq-bot.examples.jsonl')));
    assert.equal(examples.trim().split('\n').length, 3);
    assert.equal(vscode.window.activeTextEditor?.document.uri.fsPath, created.fsPath);
    const preview = await vscode.commands.executeCommand<PreviewHandle | undefined>('chatwright.previewPrompt', created);
    const rendered = await waitFor(() => preview?.lastResult?.rendered, 'the preview of the new template');
    assert.equal(rendered.messages.filter((m) => m.source === 'example').length, 4, 'k: 2 examples, a user and an assistant turn each');
    assert.deepEqual(
      diagnostics(created).filter((d) => d.severity === vscode.DiagnosticSeverity.Error),
      [],
    );
    const again = await vscode.commands.executeCommand<vscode.Uri | undefined>('chatwright.newPromptTemplate', { name: 'faq-bot', folder });
    assert.equal(again, undefined, 'an existing template is not overwritten');
  });
});
