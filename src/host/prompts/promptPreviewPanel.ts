import * as vscode from 'vscode';
import { previewPromptRequest, type PreviewPromptParams } from '../../shared/languageServerProtocol';
import { PreviewNotifications, previewUpdate, validPreviewInputs, type PreviewModelState, type PreviewPromptResult, type PreviewToWebview } from '../../shared/promptPreviewProtocol';
import { type Ctx } from '../context';
import { type LanguageServerHost } from '../languageClient';
import { createWebviewPanel, WebviewShell } from '../webviewShell';

/** Which model a preview renders with: the one chosen in the preview, else the fallback for templates without one. */
export interface PreviewModelSource {
  /** Chosen in the preview: overrides the template's model. */
  chosen(): string | undefined;
  /** The setting, else the workspace's chat model: used when the template names no model that is on disk. */
  fallback(): string | undefined;
  /** Opens the picker (the preview's model button). */
  pick(): Promise<void>;
}

/** How long to wait after a keystroke before re-rendering: short enough to feel live, long enough to batch typing. */
const renderDelayMs = 40;

/**
 * The side panel that shows a template rendered as the model sees it. It follows one document: every edit asks the
 * language server (which renders in its sandboxed worker) for a fresh preview; answers for versions the user has
 * already typed past are dropped.
 */
export class PromptPreviewPanel implements vscode.Disposable {
  static readonly viewType = 'chatwright.promptPreview';
  private readonly disposables: vscode.Disposable[] = [];
  private readonly shell: WebviewShell;
  private timer: NodeJS.Timeout | undefined;
  private inputOverrides: Record<string, string> = {};
  private requestSerial = 0;
  private disposed = false;
  lastResult: PreviewPromptResult | undefined;
  /** The embedding model chosen in Chatwright, for few-shot `similar` (set by the feature). */
  embeddingModel: (() => string | undefined) | undefined;
  /** Resolves each time a preview reaches the webview (integration tests wait on it). */
  private readonly rendered = new vscode.EventEmitter<PreviewPromptResult>();
  readonly onDidRender = this.rendered.event;

  constructor(
    private readonly ctx: Ctx,
    private readonly languageServer: LanguageServerHost,
    readonly document: vscode.TextDocument,
    private readonly previewModel: PreviewModelSource,
    readonly panel: vscode.WebviewPanel,
    private readonly onDispose: () => void,
  ) {
    const shell = new WebviewShell(ctx.log, panel, ctx.extension.extensionUri, { title: `Preview ${this.fileName}`, script: 'promptPreview.js', styles: ['webview.css', 'promptPreview.css'] });
    this.shell = shell;
    shell.onNotification(PreviewNotifications.ready, () => void this.refresh());
    shell.onValidatedNotification(PreviewNotifications.setInputs, validPreviewInputs, ({ inputs }) => {
      this.inputOverrides = Object.fromEntries(Object.entries(inputs).filter(([name]) => /^[A-Za-z_]\w*$/.test(name)));
      void this.refresh();
    });
    shell.onNotification(PreviewNotifications.copyPrompt, () => {
      if (this.lastResult?.rendered?.prompt !== undefined) void vscode.env.clipboard.writeText(this.lastResult.rendered.prompt).then(() => vscode.window.setStatusBarMessage('Prompt copied', 2000));
    });
    shell.onNotification(PreviewNotifications.choosePreviewModel, () => void this.previewModel.pick());
    shell.onNotification(PreviewNotifications.tryInChat, () => void this.tryInChat());
    this.disposables.push(
      shell,
      shell.onDidDispose(() => this.dispose()),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.document.uri.toString() === document.uri.toString()) this.schedule();
      }),
      vscode.workspace.onDidCloseTextDocument((closed) => {
        if (closed.uri.toString() === document.uri.toString()) void this.post({ type: 'closedDocument', fileName: this.fileName });
      }),
      this.rendered,
    );
  }

  static create(ctx: Ctx, languageServer: LanguageServerHost, document: vscode.TextDocument, previewModel: PreviewModelSource, onDispose: () => void): PromptPreviewPanel {
    const panel = createWebviewPanel(ctx.extension.extensionUri, PromptPreviewPanel.viewType, `Preview ${document.uri.path.split('/').pop() ?? ''}`, {
      preserveFocus: true,
      retainContextWhenHidden: true,
    });
    return new PromptPreviewPanel(ctx, languageServer, document, previewModel, panel, onDispose);
  }

  get fileName(): string {
    return vscode.workspace.asRelativePath(this.document.uri, false);
  }

  reveal(): void {
    this.panel.reveal(vscode.ViewColumn.Beside, true);
  }

  /** Re-renders soon (after typing pauses briefly). */
  schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), renderDelayMs);
  }

  /** Asks the server for a preview of the current text and shows it, unless a newer request overtook it. */
  async refresh(): Promise<PreviewPromptResult | undefined> {
    const serial = ++this.requestSerial;
    const client = await this.languageServer.ensureStarted();
    void this.post({ type: 'rendering' });
    const params: PreviewPromptParams = { uri: this.document.uri.toString(), inputs: parseOverrides(this.inputOverrides) };
    const chosen = this.previewModel.chosen();
    const fallback = this.previewModel.fallback();
    if (chosen) params.model = chosen;
    else if (fallback) params.fallbackModel = fallback;
    const embeddingModel = this.embeddingModel?.();
    if (embeddingModel) params.embeddingModel = embeddingModel;
    const result = await client.sendRequest(previewPromptRequest, params);
    if (this.disposed || serial !== this.requestSerial) return undefined;
    this.lastResult = result;
    const previewModel: PreviewModelState = chosen ? { chosen } : {};
    await this.post({ type: 'update', fileName: this.fileName, result, inputOverrides: this.inputOverrides, previewModel });
    this.rendered.fire(result);
    return result;
  }

  /** "Try in Chat": the chat opens a new conversation with this template (saved first, since the chat reads the file). */
  async tryInChat(): Promise<string | undefined> {
    try {
      if (this.document.isDirty) await this.document.save();
      return await vscode.commands.executeCommand<string>('chatwright.chat.tryTemplate', this.document.uri);
    } catch (error) {
      void vscode.window.showErrorMessage(`Chatwright: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  private async post(message: PreviewToWebview): Promise<void> {
    if (!this.disposed) await this.shell.notify(previewUpdate, message);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    clearTimeout(this.timer);
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.panel.dispose();
    this.onDispose();
  }
}

/**
 * Values typed in the preview's form: JSON when it parses as an object, list, number or boolean (the form shows
 * samples that way), else the text. A field that still shows the sample unchanged is sent too: it is the same value.
 */
export function parseOverrides(raw: Record<string, string>): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, text] of Object.entries(raw)) {
    try {
      const value: unknown = JSON.parse(text);
      values[name] = value !== null && (typeof value === 'object' || typeof value === 'number' || typeof value === 'boolean') ? value : text;
    } catch {
      values[name] = text;
    }
  }
  return values;
}
