import * as vscode from 'vscode';
import { parseChatViewMessage, type ChatViewRequest, type ChatViewState, type Conversation, type HostToChatView } from '../../shared/chatViewProtocol';
import { workspaceModelRef } from '../../core/chat/conversation';
import { type Ctx } from '../context';
import { renderWebviewHtml, webviewResourceRoots } from '../webviewHtml';
import { type ChatService, type ChatSurface } from './chatService';
import { appendExchangeToDataset, pickDatasetFile } from './datasetAppend';
import { openChatLink, openCitation } from './linkOpener';

/** What the session needs to describe the workspace to the composer. */
export interface ChatWorkspaceInfo {
  templates(): Promise<string[]>;
  examplesFiles(): Promise<string[]>;
  indexes(): string[];
  selectedChatModel(): string | undefined;
}

export function chatWebviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: webviewResourceRoots(extensionUri) };
}

export function chatWebviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  return renderWebviewHtml(webview, extensionUri, { title: 'Chatwright Chat', script: 'chat.js', styles: ['webview.css', 'chat.css'], codicons: true });
}

/**
 * One webview showing the chat (the sidebar view or an editor panel): validates what it asks, runs it through the
 * service, and keeps it told. Each session shows one conversation at a time; several may show the same one.
 */
export class ChatWebviewSession implements ChatSurface, vscode.Disposable {
  activeConversationId: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly ctx: Ctx,
    private readonly service: ChatService,
    private readonly workspace: ChatWorkspaceInfo,
    private readonly webview: vscode.Webview,
    initialConversationId?: string,
    private readonly onConversationChanged?: (id: string) => void,
  ) {
    this.activeConversationId = initialConversationId;
    this.disposables.push(
      service.attach(this),
      webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw)),
      service.onDidChangeList(() => void this.postState()),
      service.backends.onDidChange(() => void this.postState()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.postState()),
    );
  }

  post(message: HostToChatView): void {
    void this.webview.postMessage(message);
  }

  private async state(): Promise<ChatViewState> {
    const model = this.workspace.selectedChatModel();
    const [models, templates, examplesFiles, conversations] = await Promise.all([this.service.backends.options(), this.workspace.templates(), this.workspace.examplesFiles(), this.service.list()]);
    return {
      extensionVersion: this.ctx.version,
      chatModel: model ? { kind: 'selected', id: model, label: model, ref: workspaceModelRef(model)! } : { kind: 'none' },
      workspaceTrusted: vscode.workspace.isTrusted,
      models,
      templates,
      examplesFiles,
      indexes: this.workspace.indexes(),
      conversations,
      activeConversationId: this.activeConversationId,
    };
  }

  private stateTimer: ReturnType<typeof setTimeout> | undefined;
  /** Coalesces bursts of changes (a stream's end, a rename) into one state message. */
  postState(): Promise<void> {
    if (this.stateTimer) clearTimeout(this.stateTimer);
    return new Promise((resolve) => {
      this.stateTimer = setTimeout(() => {
        this.stateTimer = undefined;
        void this.state()
          .then((state) => this.post({ type: 'state', state }))
          .catch((error: unknown) => this.ctx.log.error(`Chat view state failed: ${String(error)}`))
          .finally(resolve);
      }, 20);
    });
  }

  async showNewConversation(): Promise<string> {
    // An empty conversation is already a new one: reuse it rather than pile up empty ones.
    const current = this.activeConversationId ? await this.service.get(this.activeConversationId) : undefined;
    const conversation = current && current.messages.length === 0 ? current : await this.service.create();
    this.show(conversation);
    return conversation.id;
  }

  private show(conversation: Conversation): void {
    this.activeConversationId = conversation.id;
    this.service.remember(conversation.id);
    this.onConversationChanged?.(conversation.id);
    this.post({ type: 'conversation', conversation });
  }

  private async onMessage(raw: unknown): Promise<void> {
    const message = parseChatViewMessage(raw);
    if (!message) {
      this.ctx.log.warn(`Chat view sent an unknown message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (message.type === 'ready') {
      const conversation = (this.activeConversationId && (await this.service.get(this.activeConversationId))) || (await this.service.initialConversation());
      this.activeConversationId = conversation.id;
      await this.state().then((state) => this.post({ type: 'state', state }));
      this.show(conversation);
      return;
    }
    const { requestId } = message;
    try {
      const value = await this.handle(message);
      this.post({ type: 'response', requestId, ok: true, ...(value !== undefined ? { value } : {}) });
    } catch (error) {
      const text = error instanceof Error ? error.message : String(error);
      this.ctx.log.error(`Chat: ${message.type} failed: ${text}`);
      this.post({ type: 'response', requestId, ok: false, error: text });
    }
  }

  private async handle(request: ChatViewRequest): Promise<unknown> {
    switch (request.type) {
      case 'send':
        await this.service.send(request.conversationId, request.text);
        return undefined;
      case 'stop':
        await this.service.stop(request.conversationId);
        return undefined;
      case 'retry':
        await this.service.retry(request.conversationId, request.messageId);
        return undefined;
      case 'newConversation':
        return this.showNewConversation();
      case 'selectConversation': {
        const conversation = await this.service.get(request.conversationId);
        if (!conversation) throw new Error('That conversation no longer exists.');
        this.show(conversation);
        await this.postState();
        return undefined;
      }
      case 'renameConversation':
        await this.service.rename(request.conversationId, request.title);
        return undefined;
      case 'deleteConversation': {
        await this.service.delete(request.conversationId);
        if (this.activeConversationId === request.conversationId) this.show(await this.service.initialConversation());
        return undefined;
      }
      case 'exportConversation':
        return this.exportConversation(request.conversationId);
      case 'updateSettings':
        return this.service.updateSettings(request.conversationId, request.settings);
      case 'openCitation':
        await openCitation(request.file, request.startLine, request.endLine);
        return undefined;
      case 'openLink':
        return openChatLink(request.href);
      case 'copyText':
        await vscode.env.clipboard.writeText(request.text);
        return undefined;
      case 'addToDataset':
        return this.addToDataset(request.conversationId, request.messageId, request.editedAnswer);
      case 'runCommand':
        await vscode.commands.executeCommand(request.command);
        this.post({ type: 'commandResult', command: request.command, ok: true });
        return undefined;
      case 'pickChatModel':
        return this.pickChatModel(request.conversationId, request.retryMessageId);
    }
  }

  /** Only a pick that changed the workspace's model counts: closing the picker leaves the conversation as it was. */
  private async pickChatModel(conversationId: string, retryMessageId: string | undefined): Promise<string | undefined> {
    const before = this.workspace.selectedChatModel();
    await vscode.commands.executeCommand('chatwright.models.pickChatModel');
    const after = this.workspace.selectedChatModel();
    const conversation = await this.service.get(conversationId);
    if (!conversation) throw new Error('That conversation no longer exists.');
    if (after && after !== before) {
      await this.service.followWorkspaceModel(conversationId);
      if (retryMessageId && !this.service.isRunning(conversationId)) void this.service.retry(conversationId, retryMessageId).catch((error: unknown) => this.ctx.log.error(`Chat: retry failed: ${String(error)}`));
    }
    return this.service.modelFor(conversation);
  }

  private async exportConversation(id: string): Promise<string | undefined> {
    const conversation = await this.service.get(id);
    if (!conversation) throw new Error('That conversation no longer exists.');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `${conversation.title.replace(/[^\w\- ]+/g, '').trim().replace(/\s+/g, '-').slice(0, 60) || 'conversation'}.md`;
    const target = await vscode.window.showSaveDialog({ ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}), filters: { Markdown: ['md'] }, title: 'Export conversation as Markdown' });
    if (!target) return undefined;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(await this.service.exportMarkdown(id)));
    await vscode.window.showTextDocument(target, { preview: true });
    return target.fsPath;
  }

  private async addToDataset(conversationId: string, messageId: string, editedAnswer?: string): Promise<{ file: string; line: number } | undefined> {
    const conversation = await this.service.get(conversationId);
    if (!conversation) throw new Error('That conversation no longer exists.');
    const target = await pickDatasetFile(this.ctx.extension.workspaceState);
    if (!target) return undefined;
    const result = await appendExchangeToDataset(conversation, messageId, target, editedAnswer);
    if (result) {
      void vscode.window.showInformationMessage(`Added the exchange to ${result.file}, line ${result.line}.`, 'Open').then((choice) => {
        if (choice === 'Open') void openCitation(result.file, result.line, result.line).catch(() => undefined);
      });
    }
    return result;
  }

  dispose(): void {
    if (this.stateTimer) clearTimeout(this.stateTimer);
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}
