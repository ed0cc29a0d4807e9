import type * as vscode from 'vscode';
import { type Ctx } from '../context';
import { type ChatService } from './chatService';
import { ChatWebviewSession, type ChatWorkspaceInfo } from './chatWebview';

/** The Chat view in the Chatwright container. */
export class ChatViewProvider implements vscode.WebviewViewProvider {
  static readonly viewId = 'chatwright.chat';
  private session: ChatWebviewSession | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly service: ChatService,
    private readonly workspace: ChatWorkspaceInfo,
  ) {}

  /** Whether VS Code has shown the view (it resolves lazily, the first time it becomes visible). */
  get resolved(): boolean {
    return this.session !== undefined;
  }

  /** The conversation the view shows (for tests and commands). */
  get activeConversationId(): string | undefined {
    return this.session?.activeConversationId;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    const session = new ChatWebviewSession(this.ctx, this.service, this.workspace, view);
    this.session = session;
    session.onDidDispose(() => {
      if (this.session === session) this.session = undefined;
    });
  }

  /** Starts a conversation in the view; undefined when the view has not been shown yet. */
  newConversation(): Promise<string> | undefined {
    return this.session?.showNewConversation();
  }

  focusComposer(): void {
    this.session?.post({ type: 'focusComposer' });
  }
}
