import * as vscode from 'vscode';
import { scanHubCache } from '../../core/hub/cacheScan';
import { previewModelChoices, validPreviewModel } from '../../core/prompts/previewModelChoices';

/**
 * The model the prompt preview renders with, chosen in the preview itself and remembered per workspace (in
 * workspaceState, never in settings). Undefined: automatic, the template's own model.
 */
export class PreviewModelMemory implements vscode.Disposable {
  private static readonly key = 'chatwright.prompts.previewModel';
  private readonly changed = new vscode.EventEmitter<string | undefined>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  get chosen(): string | undefined {
    return validPreviewModel(this.state.get<unknown>(PreviewModelMemory.key));
  }

  async choose(id: string | undefined): Promise<void> {
    const next = validPreviewModel(id);
    if (next === this.chosen) return;
    await this.state.update(PreviewModelMemory.key, next);
    this.changed.fire(next);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

interface ModelItem extends vscode.QuickPickItem {
  choice: { kind: 'automatic' } | { kind: 'model'; id: string } | { kind: 'browse' } | { kind: 'note' };
}

/**
 * The preview's model quick pick: automatic, the chat models of the Hugging Face cache (as the Models view lists
 * them, offline), or a model folder on disk. `fallback` is what automatic falls back to, for its description.
 */
export async function pickPreviewModel(memory: PreviewModelMemory, fallback: string | undefined): Promise<void> {
  const pick = vscode.window.createQuickPick<ModelItem>();
  pick.title = 'Preview the Template With…';
  pick.placeholder = 'A model in the Hugging Face cache, or a model folder (remembered for this workspace)';
  pick.matchOnDescription = true;
  pick.busy = true;
  const chosen = memory.chosen;
  const browse: ModelItem = { label: '$(folder-opened) Model folder…', description: 'a folder with tokenizer.json and a chat template', choice: { kind: 'browse' } };
  const toItems = (cached: Parameters<typeof previewModelChoices>[0]): ModelItem[] =>
    previewModelChoices(cached, { ...(chosen ? { chosen } : {}), ...(fallback ? { fallback } : {}) }).map((entry) => ({
      label: `${entry.id === chosen ? '$(check)' : entry.id === undefined ? '$(sparkle)' : '$(database)'} ${entry.label}`,
      description: entry.description,
      choice: entry.id === undefined ? { kind: 'automatic' } : { kind: 'model', id: entry.id },
    }));
  pick.items = [...toItems([]), browse];
  pick.show();
  void scanHubCache({ ...process.env })
    .then((cached) => (pick.items = [...toItems(cached), browse]))
    .catch(
      (error: unknown) =>
        (pick.items = [
          ...toItems([]),
          browse,
          { label: `$(warning) The model cache could not be read: ${error instanceof Error ? error.message : String(error)}`, choice: { kind: 'note' }, alwaysShow: true },
        ]),
    )
    .finally(() => (pick.busy = false));
  const picked = await new Promise<ModelItem | undefined>((resolve) => {
    pick.onDidAccept(() => resolve(pick.selectedItems[0]));
    pick.onDidHide(() => resolve(undefined));
  });
  pick.dispose();
  if (!picked || picked.choice.kind === 'note') return;
  if (picked.choice.kind === 'automatic') return memory.choose(undefined);
  if (picked.choice.kind === 'model') return memory.choose(picked.choice.id);
  const folder = await vscode.window.showOpenDialog({
    title: 'Model folder for the prompt preview',
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    openLabel: 'Preview With This Model',
  });
  if (folder?.[0]) await memory.choose(folder[0].fsPath);
}
