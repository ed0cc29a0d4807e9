import * as vscode from 'vscode';
import { type ChatBackend, type ChatModelInfo } from '../../core/chat/backend';
import { type ChatModelOption } from '../../shared/chatViewProtocol';

/**
 * The backends the chat can use. The built-in engine registers itself at activation; other extensions and the
 * tests register theirs through the extension's API (`registerChatBackend`). Model lists are cached briefly: the
 * composer asks for them every time a view opens.
 */
export class BackendRegistry implements vscode.Disposable {
  private readonly backends = new Map<string, ChatBackend>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private cache: { at: number; models: Map<string, ChatModelInfo[]> } | undefined;

  register(backend: ChatBackend): vscode.Disposable {
    if (!/^[\w.-]{1,64}$/.test(backend.id)) throw new Error(`A chat backend id must be letters, digits, '.', '_' or '-': ${JSON.stringify(backend.id)}`);
    if (this.backends.has(backend.id)) throw new Error(`A chat backend with the id "${backend.id}" is already registered.`);
    this.backends.set(backend.id, backend);
    this.invalidate();
    return new vscode.Disposable(() => {
      if (this.backends.get(backend.id) === backend) {
        this.backends.delete(backend.id);
        this.invalidate();
      }
    });
  }

  get(id: string): ChatBackend | undefined {
    return this.backends.get(id);
  }

  invalidate(): void {
    this.cache = undefined;
    this.changed.fire();
  }

  private async allModels(): Promise<Map<string, ChatModelInfo[]>> {
    if (this.cache && Date.now() - this.cache.at < 10_000) return this.cache.models;
    const entries = await Promise.all([...this.backends.values()].map(async (backend) => [backend.id, await backend.listModels(AbortSignal.timeout(5000)).catch(() => [])] as const));
    this.cache = { at: Date.now(), models: new Map(entries) };
    return this.cache.models;
  }

  async options(): Promise<ChatModelOption[]> {
    const models = await this.allModels();
    return [...this.backends.values()].flatMap((backend) => (models.get(backend.id) ?? []).map((m) => ({ ref: `${backend.id}/${m.id}`, label: m.label, backendLabel: backend.label })));
  }

  async modelInfo(backend: ChatBackend, model: string): Promise<ChatModelInfo | undefined> {
    return (await this.allModels()).get(backend.id)?.find((m) => m.id === model);
  }

  dispose(): void {
    this.backends.clear();
    this.changed.dispose();
  }
}
