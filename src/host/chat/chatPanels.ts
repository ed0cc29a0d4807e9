import * as vscode from 'vscode';
import { type Ctx } from '../context';
import { type ChatService } from './chatService';
import { createWebviewPanel } from '../webviewShell';
import { ChatWebviewSession, type ChatWorkspaceInfo } from './chatWebview';

interface PanelState {
  conversationId?: string;
}

/**
 * "Open Chat in Editor": chat panels in editor columns. A serializer restores them after a reload with the
 * conversation they showed (kept in the panel's state by VS Code).
 */
export class ChatPanels implements vscode.WebviewPanelSerializer<PanelState>, vscode.Disposable {
  static readonly viewType = 'chatwright.chatPanel';
  private readonly sessions = new Set<ChatWebviewSession>();

  constructor(
    private readonly ctx: Ctx,
    private readonly service: ChatService,
    private readonly workspace: ChatWorkspaceInfo,
  ) {}

  get openCount(): number {
    return this.sessions.size;
  }

  open(conversationId?: string): vscode.WebviewPanel {
    const panel = createWebviewPanel(this.ctx.extension.extensionUri, ChatPanels.viewType, 'Chatwright Chat', { preserveFocus: false, retainContextWhenHidden: false });
    this.attach(panel, conversationId);
    return panel;
  }

  deserializeWebviewPanel(panel: vscode.WebviewPanel, state: PanelState | undefined): Thenable<void> {
    this.attach(panel, typeof state?.conversationId === 'string' ? state.conversationId : undefined);
    return Promise.resolve();
  }

  private attach(panel: vscode.WebviewPanel, conversationId: string | undefined): void {
    const extensionUri = this.ctx.extension.extensionUri;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'chatwright.svg');
    // The tab is named after the conversation it shows, and follows renames and the title the first question gives.
    const showTitle = (id: string | undefined) => {
      if (!id) return;
      void this.service.get(id).then((c) => {
        if (c && panel.title !== c.title && session.activeConversationId === id) panel.title = c.title;
      });
    };
    const session = new ChatWebviewSession(this.ctx, this.service, this.workspace, panel, conversationId, showTitle);
    const listChanged = this.service.onDidChangeList(() => showTitle(session.activeConversationId));
    showTitle(conversationId);
    this.sessions.add(session);
    session.onDidDispose(() => {
      listChanged.dispose();
      this.sessions.delete(session);
    });
  }

  dispose(): void {
    for (const session of this.sessions) session.dispose();
    this.sessions.clear();
  }
}
