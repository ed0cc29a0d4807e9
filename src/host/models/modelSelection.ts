import * as vscode from 'vscode';

/** The two roles a model plays in Chatwright. */
export type ModelKind = 'chat' | 'embedding';

export const modelKinds: readonly ModelKind[] = ['chat', 'embedding'];

export interface ModelSelectionChange {
  kind: ModelKind;
  /** The new model id (`org/name`, `org/name@revision`, or a local folder), or undefined when cleared. */
  id: string | undefined;
}

/** Suggested when nothing is chosen yet: small, ONNX weights on the Hub, runnable by the built-in engine on a CPU. */
export const suggestedModels: Readonly<Record<ModelKind, string>> = {
  chat: 'onnx-community/Qwen2.5-0.5B-Instruct',
  embedding: 'Xenova/all-MiniLM-L6-v2',
};

/**
 * The one place that remembers which chat model and which embedding model this workspace uses. Chat, the template
 * preview and indexing read it and listen to `onDidChange`; the Models view, the quick pick and the status bar write
 * it through `select`. Stored in workspaceState so each workspace keeps its own choice and nothing lands in settings.
 */
export class ModelSelection implements vscode.Disposable {
  private static readonly keys: Readonly<Record<ModelKind, string>> = { chat: 'chatwright.models.chat', embedding: 'chatwright.models.embedding' };
  private readonly changed = new vscode.EventEmitter<ModelSelectionChange>();
  readonly onDidChange: vscode.Event<ModelSelectionChange> = this.changed.event;

  constructor(private readonly state: vscode.Memento) {
    for (const kind of modelKinds) this.publishContext(kind);
  }

  /** `chatwright.models.chatChosen` / `embeddingChosen`: the walkthrough's model step completes on it. */
  private publishContext(kind: ModelKind): void {
    void vscode.commands.executeCommand('setContext', `chatwright.models.${kind}Chosen`, this.get(kind) !== undefined);
  }

  get chatModel(): string | undefined {
    return this.get('chat');
  }

  get embeddingModel(): string | undefined {
    return this.get('embedding');
  }

  get(kind: ModelKind): string | undefined {
    const value = this.state.get<unknown>(ModelSelection.keys[kind]);
    return typeof value === 'string' && value.length > 0 ? value : undefined;
  }

  /** Chooses (or, with undefined, forgets) the model for a role; fires `onDidChange` only when the value changes. */
  async select(kind: ModelKind, id: string | undefined): Promise<void> {
    const next = id?.trim() || undefined;
    if (next === this.get(kind)) return;
    await this.state.update(ModelSelection.keys[kind], next);
    this.publishContext(kind);
    this.changed.fire({ kind, id: next });
  }

  dispose(): void {
    this.changed.dispose();
  }
}
