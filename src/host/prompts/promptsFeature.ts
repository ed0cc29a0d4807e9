import * as vscode from 'vscode';
import { type Ctx } from '../context';
import { type LanguageServerHost } from '../languageClient';
import { type ModelSelection } from '../models/modelSelection';
import { pickPreviewModel, PreviewModelMemory } from './previewModelPicker';
import { PromptPreviewPanel, type PreviewModelSource } from './promptPreviewPanel';
import { isValidTemplateName, scaffoldPromptTemplate } from './promptTemplateScaffold';

/** What the prompts feature exposes to the extension's API (integration tests). */
export interface PromptHandles {
  /** The open preview of a document, if any. */
  preview(uri: vscode.Uri): PromptPreviewPanel | undefined;
  /** The model chosen in the previews (remembered per workspace). */
  previewModel: PreviewModelMemory;
}

/** Prompt templates: "Chatwright: Preview Prompt" and "Chatwright: New Prompt Template". */
export function registerPrompts(ctx: Ctx, deps: { languageServer: LanguageServerHost; modelSelection: ModelSelection }): PromptHandles {
  const previews = new Map<string, PromptPreviewPanel>();
  const chosenModel = ctx.own(new PreviewModelMemory(ctx.extension.workspaceState));
  const fallbackModel = (): string | undefined => ctx.config.prompts.previewModel || deps.modelSelection.chatModel;
  const previewModel: PreviewModelSource = {
    chosen: () => chosenModel.chosen,
    fallback: fallbackModel,
    pick: () => pickPreviewModel(chosenModel, fallbackModel()),
  };

  const openPreview = async (target?: unknown): Promise<PromptPreviewPanel | undefined> => {
    const uri = target instanceof vscode.Uri ? target : vscode.window.activeTextEditor?.document.uri;
    if (!uri) {
      void vscode.window.showInformationMessage('Open a .prompty template to preview it.');
      return undefined;
    }
    const document = await vscode.workspace.openTextDocument(uri);
    if (document.languageId !== 'prompty') {
      void vscode.window.showInformationMessage(`${vscode.workspace.asRelativePath(uri)} is not a prompt template (.prompty).`);
      return undefined;
    }
    const key = uri.toString();
    const existing = previews.get(key);
    if (existing) {
      existing.reveal();
      return existing;
    }
    const panel = PromptPreviewPanel.create(ctx, deps.languageServer, document, previewModel, () => previews.delete(key));
    panel.embeddingModel = () => deps.modelSelection.embeddingModel;
    previews.set(key, panel);
    ctx.own(panel);
    return panel;
  };

  /** Asks for a name (or takes `{name, folder}` from a caller such as a walkthrough or a test). */
  const newTemplate = async (options?: unknown): Promise<vscode.Uri | undefined> => {
    const given = options && typeof options === 'object' ? (options as { name?: unknown; folder?: unknown }) : {};
    const folder =
      given.folder instanceof vscode.Uri
        ? given.folder
        : vscode.window.activeTextEditor && vscode.workspace.getWorkspaceFolder(vscode.window.activeTextEditor.document.uri)
          ? vscode.Uri.joinPath(vscode.window.activeTextEditor.document.uri, '..')
          : vscode.workspace.workspaceFolders?.[0]?.uri;
    if (!folder) {
      void vscode.window.showErrorMessage('Open a folder first: the template and its examples file are created in the workspace.');
      return undefined;
    }
    if (typeof given.name === 'string' && !isValidTemplateName(given.name)) throw new Error(`'${given.name}' is not a valid template name: use letters, digits, - and _.`);
    const name =
      typeof given.name === 'string'
        ? given.name
        : await vscode.window.showInputBox({
            title: 'New Prompt Template',
            prompt: `Name of the template (created in ${vscode.workspace.asRelativePath(folder)})`,
            value: 'assistant',
            validateInput: (value) => (isValidTemplateName(value) ? undefined : 'Use letters, digits, - and _ (up to 64).'),
          });
    if (!name) return undefined;
    const templateUri = vscode.Uri.joinPath(folder, `${name}.prompty`);
    const examplesUri = vscode.Uri.joinPath(folder, `${name}.examples.jsonl`);
    for (const uri of [templateUri, examplesUri]) {
      try {
        await vscode.workspace.fs.stat(uri);
        void vscode.window.showErrorMessage(`${vscode.workspace.asRelativePath(uri)} already exists; choose another name (Chatwright never overwrites your files).`);
        return undefined;
      } catch {
        // Does not exist: good.
      }
    }
    const files = scaffoldPromptTemplate(name, deps.modelSelection.chatModel);
    await vscode.workspace.fs.writeFile(examplesUri, Buffer.from(files.examples, 'utf8'));
    await vscode.workspace.fs.writeFile(templateUri, Buffer.from(files.template, 'utf8'));
    const document = await vscode.workspace.openTextDocument(templateUri);
    await vscode.window.showTextDocument(document);
    await openPreview(templateUri);
    return templateUri;
  };

  ctx.registerCommands({
    'chatwright.previewPrompt': openPreview,
    'chatwright.newPromptTemplate': newTemplate,
  });
  const refreshAll = (): void => {
    for (const panel of previews.values()) panel.schedule();
  };
  ctx.own(deps.modelSelection.onDidChange(refreshAll));
  ctx.own(chosenModel.onDidChange(refreshAll));
  ctx.own(
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('chatwright.prompts')) for (const panel of previews.values()) panel.schedule();
    }),
  );
  return { preview: (uri) => previews.get(uri.toString()), previewModel: chosenModel };
}
