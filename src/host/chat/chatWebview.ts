import * as vscode from 'vscode';
import { workspaceModelRef } from '../../core/chat/conversation';
import {
  chatViewParams,
  chatViewReady,
  ChatViewRequests,
  chatViewUpdate,
  type ChatViewState,
  type Conversation,
  type ChatViewCommand,
  type DatasetLine,
  type HostToChatView,
} from '../../shared/chatViewProtocol';
import { type Ctx } from '../context';
import { WebviewShell } from '../webviewShell';
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

/**
 * One webview showing the chat (the sidebar view or an editor panel): serves its requests (validated on receipt by
 * the shell) through the service, and keeps it told. Each session shows one conversation at a time; several may
 * show the same one. It ends with its panel or view.
 */
export class ChatWebviewSession implements ChatSurface, vscode.Disposable {
  activeConversationId: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly shell: WebviewShell;
  /** Fires when the panel or view is closed. */
  readonly onDidDispose: vscode.Event<void>;

  constructor(
    private readonly ctx: Ctx,
    private readonly service: ChatService,
    private readonly workspace: ChatWorkspaceInfo,
    container: vscode.WebviewPanel | vscode.WebviewView,
    initialConversationId?: string,
    private readonly onConversationChanged?: (id: string) => void,
  ) {
    this.activeConversationId = initialConversationId;
    this.shell = new WebviewShell(ctx.log, container, ctx.extension.extensionUri, { title: 'Chatwright Chat', script: 'chat.js', styles: ['webview.css', 'chat.css'], codicons: true });
    this.onDidDispose = this.shell.onDidDispose;
    this.serveRequests();
    this.shell.onNotification(chatViewReady, () => void this.onReady().catch((error: unknown) => ctx.log.error(`Chat view failed to start: ${String(error)}`)));
    this.disposables.push(
      this.shell,
      service.attach(this),
      service.onDidChangeList(() => void this.postState()),
      service.backends.onDidChange(() => void this.postState()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.postState()),
      this.shell.onDidDispose(() => this.dispose()),
    );
  }

  post(message: HostToChatView): void {
    void this.shell.notify(chatViewUpdate, message);
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

  private async onReady(): Promise<void> {
    const conversation = (this.activeConversationId && (await this.service.get(this.activeConversationId))) || (await this.service.initialConversation());
    this.activeConversationId = conversation.id;
    await this.state().then((state) => this.post({ type: 'state', state }));
    this.show(conversation);
  }

  /** One line per request: the shell validates the params, and a handler's error reaches the webview's banner. */
  private serveRequests(): void {
    const r = ChatViewRequests;
    const serve = this.shell.onRequest.bind(this.shell);
    serve(r.send, chatViewParams.send, (p) => this.logged('send', this.service.send(p.conversationId, p.text)));
    serve(r.stop, chatViewParams.stop, (p) => this.logged('stop', this.service.stop(p.conversationId)));
    serve(r.retry, chatViewParams.retry, (p) => this.logged('retry', this.service.retry(p.conversationId, p.messageId)));
    serve(r.preferAnswer, chatViewParams.preferAnswer, (p) => this.logged('preferAnswer', this.service.prefer(p.conversationId, p.messageId)));
    serve(r.newConversation, chatViewParams.newConversation, () => this.logged('newConversation', this.showNewConversation()));
    serve(r.selectConversation, chatViewParams.selectConversation, (p) => this.logged('selectConversation', this.selectConversation(p.conversationId)));
    serve(r.renameConversation, chatViewParams.renameConversation, (p) => this.logged('renameConversation', this.service.rename(p.conversationId, p.title)));
    serve(r.deleteConversation, chatViewParams.deleteConversation, (p) => this.logged('deleteConversation', this.deleteConversation(p.conversationId)));
    serve(r.exportConversation, chatViewParams.exportConversation, (p) => this.logged('exportConversation', this.exportConversation(p.conversationId)));
    serve(r.updateSettings, chatViewParams.updateSettings, (p) => this.logged('updateSettings', this.service.updateSettings(p.conversationId, p.settings)));
    serve(r.openCitation, chatViewParams.openCitation, (p) => this.logged('openCitation', openCitation(p.file, p.startLine, p.endLine)));
    serve(r.openLink, chatViewParams.openLink, (p) => this.logged('openLink', openChatLink(p.href)));
    serve(r.copyText, chatViewParams.copyText, (p) => this.logged('copyText', Promise.resolve(vscode.env.clipboard.writeText(p.text))));
    serve(r.addToDataset, chatViewParams.addToDataset, (p) => this.logged('addToDataset', this.addToDataset(p.conversationId, p.messageId, p.editedAnswer)));
    serve(r.runCommand, chatViewParams.runCommand, (p) => this.logged('runCommand', this.runCommand(p.command)));
    serve(r.pickChatModel, chatViewParams.pickChatModel, (p) => this.logged('pickChatModel', this.pickChatModel(p.conversationId, p.retryMessageId)));
  }

  /** A request's failure is logged here and shown by the webview. */
  private async logged<T>(request: string, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (error) {
      this.ctx.log.error(`Chat: ${request} failed: ${error instanceof Error ? error.message : String(error)}`);
      throw error;
    }
  }

  private async selectConversation(id: string): Promise<void> {
    const conversation = await this.service.get(id);
    if (!conversation) throw new Error('That conversation no longer exists.');
    this.show(conversation);
    await this.postState();
  }

  private async deleteConversation(id: string): Promise<void> {
    await this.service.delete(id);
    if (this.activeConversationId === id) this.show(await this.service.initialConversation());
  }

  private async runCommand(command: ChatViewCommand): Promise<void> {
    await vscode.commands.executeCommand(command);
    this.post({ type: 'commandResult', command, ok: true });
  }

  /** Only a pick that changed the workspace's model counts: closing the picker leaves the conversation as it was. */
  private async pickChatModel(conversationId: string, retryMessageId: string | undefined): Promise<string | null> {
    const before = this.workspace.selectedChatModel();
    await vscode.commands.executeCommand('chatwright.models.pickChatModel');
    const after = this.workspace.selectedChatModel();
    const conversation = await this.service.get(conversationId);
    if (!conversation) throw new Error('That conversation no longer exists.');
    if (after && after !== before) {
      await this.service.followWorkspaceModel(conversationId);
      if (retryMessageId && !this.service.isRunning(conversationId))
        void this.service.retry(conversationId, retryMessageId).catch((error: unknown) => this.ctx.log.error(`Chat: retry failed: ${String(error)}`));
    }
    return this.service.modelFor(conversation) ?? null;
  }

  private async exportConversation(id: string): Promise<string | null> {
    const conversation = await this.service.get(id);
    if (!conversation) throw new Error('That conversation no longer exists.');
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const name = `${
      conversation.title
        .replace(/[^\w\- ]+/g, '')
        .trim()
        .replace(/\s+/g, '-')
        .slice(0, 60) || 'conversation'
    }.md`;
    const target = await vscode.window.showSaveDialog({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, name) } : {}),
      filters: { Markdown: ['md'] },
      title: 'Export conversation as Markdown',
    });
    if (!target) return null;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(await this.service.exportMarkdown(id)));
    await vscode.window.showTextDocument(target, { preview: true });
    return target.fsPath;
  }

  private async addToDataset(conversationId: string, messageId: string, editedAnswer?: string): Promise<DatasetLine | null> {
    const conversation = await this.service.get(conversationId);
    if (!conversation) throw new Error('That conversation no longer exists.');
    const target = await pickDatasetFile(this.ctx.extension.workspaceState);
    if (!target) return null;
    const result = await appendExchangeToDataset(conversation, messageId, target, editedAnswer);
    if (result) {
      void vscode.window.showInformationMessage(`Added the exchange to ${result.file}, line ${result.line}.`, 'Open').then((choice) => {
        if (choice === 'Open') void openCitation(result.file, result.line, result.line).catch(() => undefined);
      });
    }
    return result ?? null;
  }

  dispose(): void {
    if (this.stateTimer) clearTimeout(this.stateTimer);
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
  }
}
