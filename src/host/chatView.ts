import * as vscode from 'vscode';
import { parseChatViewMessage, type ChatViewState, type HostToChatView } from '../shared/chatViewProtocol';
import { type Ctx } from './context';
import { renderWebviewHtml, webviewResourceRoots } from './webviewHtml';

/** The Chat view in the Chatwright container. This first slice shows the extension's state and runs commands. */
export class ChatViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'chatwright.chat';
  private view: vscode.WebviewView | undefined;

  constructor(private readonly ctx: Ctx) {
    ctx.own(vscode.workspace.onDidGrantWorkspaceTrust(() => this.postState()));
  }

  /** Whether VS Code has shown the view (it resolves lazily, the first time it becomes visible). */
  get resolved(): boolean {
    return this.view !== undefined;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const extensionUri = this.ctx.extension.extensionUri;
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: webviewResourceRoots(extensionUri) };
    view.webview.html = renderWebviewHtml(view.webview, extensionUri, { title: 'Chatwright Chat', script: 'chat.js', styles: ['webview.css'] });
    const subscription = view.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw));
    view.onDidDispose(() => {
      subscription.dispose();
      this.view = undefined;
    });
  }

  private state(): ChatViewState {
    return { extensionVersion: this.ctx.version, chatModel: { kind: 'none' }, workspaceTrusted: vscode.workspace.isTrusted };
  }

  private postState(): void {
    this.post({ type: 'state', state: this.state() });
  }

  private post(message: HostToChatView): void {
    void this.view?.webview.postMessage(message);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const message = parseChatViewMessage(raw);
    if (!message) {
      this.ctx.log.warn(`Chat view sent an unknown message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    switch (message.type) {
      case 'ready':
        this.postState();
        return;
      case 'runCommand':
        try {
          await vscode.commands.executeCommand(message.command);
          this.post({ type: 'commandResult', command: message.command, ok: true });
        } catch (error) {
          const text = error instanceof Error ? error.message : String(error);
          this.ctx.log.error(`Command ${message.command} from the chat view failed: ${text}`);
          this.post({ type: 'commandResult', command: message.command, ok: false, error: text });
        }
        return;
    }
  }
}
