import * as vscode from 'vscode';
import { inspectLocalModelFolder, LocalModelFolderError, type LocalModel } from '../../core/hub/localModelFolder';
import { type Ctx } from '../context';
import { type LocalModelFolders } from './localModelFolders';
import { type ModelKind, type ModelSelection } from './modelSelection';

/**
 * "Chatwright: Use a Local Model Folder…": a model in the Hugging Face layout (config.json, tokenizer.json, onnx/), one
 * repository of a Hugging Face cache, or a whole cache folder, for machines without the Hub. The folder is checked
 * before it is added; a folder that is not a model gets an error saying what is missing, with a way to choose again.
 * `path` and `kind` let tests and other commands skip the dialogs. Returns the model folders added.
 */
export async function useLocalModelFolder(ctx: Ctx, locals: LocalModelFolders, selection: ModelSelection, path?: string, kind?: ModelKind): Promise<string[]> {
  const folder = path ?? (await chooseFolder());
  if (!folder) return [];
  let models: LocalModel[];
  try {
    const source = await inspectLocalModelFolder(folder);
    models = source.kind === 'model' ? [source.model] : await chooseFromCache(source.cacheDir, source.models);
  } catch (error) {
    if (!(error instanceof LocalModelFolderError)) throw error;
    ctx.log.warn(error.message);
    const again = 'Choose Another Folder…';
    // Not awaited when a caller named the folder: a command run from a test or a script must return.
    const answer = vscode.window.showErrorMessage(`Chatwright: ${error.message}`, again);
    if (path === undefined && (await answer) === again) return useLocalModelFolder(ctx, locals, selection, undefined, kind);
    return [];
  }
  if (models.length === 0) return [];
  await locals.add(models);
  ctx.log.info(`local model folders added: ${models.map((model) => `${model.name} (${model.folder})`).join(', ')}`);
  const only = models.length === 1 ? models[0] : undefined;
  if (only) {
    const role = kind ?? (path === undefined ? await askRole(only) : undefined);
    if (role) {
      await selection.select(role, only.folder);
      void vscode.window.showInformationMessage(`Chatwright: ${only.name} (local folder) is now the ${role} model of this workspace.`);
    }
  }
  return models.map((model) => model.folder);
}

async function chooseFolder(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    canSelectFolders: true,
    canSelectFiles: false,
    canSelectMany: false,
    title: 'Use a Local Model Folder',
    openLabel: 'Use This Folder',
  });
  return picked?.[0]?.fsPath;
}

async function chooseFromCache(cacheDir: string, models: LocalModel[]): Promise<LocalModel[]> {
  if (models.length === 1) return models;
  const picked = await vscode.window.showQuickPick(
    models.map((model) => ({ label: model.name, description: model.role ?? '', detail: model.summary, model, picked: true })),
    { title: `Models in the cache folder ${cacheDir}`, canPickMany: true, placeHolder: 'Choose the models to add' },
  );
  return picked?.map((item) => item.model) ?? [];
}

async function askRole(model: LocalModel): Promise<ModelKind | undefined> {
  const chat = { label: 'Use for Chat', role: 'chat' as ModelKind | undefined };
  const embedding = { label: 'Use for Embeddings', role: 'embedding' as ModelKind | undefined };
  const neither = { label: 'Only Add It to the Models View', role: undefined };
  const items = model.role === 'embedding' ? [embedding, chat, neither] : [chat, embedding, neither];
  const picked = await vscode.window.showQuickPick(items, {
    title: `${model.name}: ${model.summary}`,
    placeHolder: model.role ? `Its files suggest a ${model.role} model` : 'What should this model do?',
  });
  return picked?.role;
}
