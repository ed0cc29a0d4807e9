import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { type LocalModel } from '../../core/hub/localModelFolder';

/**
 * The model folders the user added with "Use a Local Model Folder…", kept in globalState so they stay across
 * workspaces (like the Hugging Face cache) without becoming a setting a workspace could change. Each entry was checked
 * when it was added; what is read back is checked for shape again, since stored state outlives versions.
 */
export class LocalModelFolders implements vscode.Disposable {
  private static readonly key = 'chatwright.models.localFolders';
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly state: vscode.Memento) {}

  list(): LocalModel[] {
    const stored = this.state.get<unknown>(LocalModelFolders.key);
    if (!Array.isArray(stored)) return [];
    return stored.flatMap((entry: unknown): LocalModel[] => {
      if (typeof entry !== 'object' || entry === null) return [];
      const { folder, name, role, summary } = entry as Record<string, unknown>;
      if (typeof folder !== 'string' || typeof name !== 'string') return [];
      return [{ folder, name, role: role === 'chat' || role === 'embedding' ? role : undefined, summary: typeof summary === 'string' ? summary : '' }];
    });
  }

  /** The entry for a folder (a selection may name one), if it was added. */
  find(folder: string): LocalModel | undefined {
    return this.list().find((model) => model.folder === folder);
  }

  /** Whether the folder is still there (a removed drive, a deleted export). */
  static present(model: LocalModel): boolean {
    return existsSync(model.folder);
  }

  async add(models: readonly LocalModel[]): Promise<void> {
    const added = new Set(models.map((model) => model.folder));
    await this.state.update(LocalModelFolders.key, [...this.list().filter((model) => !added.has(model.folder)), ...models]);
    this.changed.fire();
  }

  async remove(folder: string): Promise<boolean> {
    const before = this.list();
    const after = before.filter((model) => model.folder !== folder);
    if (after.length === before.length) return false;
    await this.state.update(LocalModelFolders.key, after);
    this.changed.fire();
    return true;
  }

  dispose(): void {
    this.changed.dispose();
  }
}
