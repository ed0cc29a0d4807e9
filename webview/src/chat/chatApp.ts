import { type RequestType } from 'vscode-jsonrpc/browser';
import { ChatViewRequests, type AssistantMessage, type ChatMessage, type ChatSettings, type ChatViewCommand, type HostToChatView } from '../../../src/shared/chatViewProtocol';
import { type HostConnection } from '../lib/hostConnection';
import { element } from '../lib/vscodeApi';
import { effectiveModel, initialChatState, reduceChat, type ChatChange, type ChatState, type LocalChatEdit } from './chatState';
import { Composer } from './composer';
import { ConversationBar } from './conversationBar';
import { codicon, iconButton } from './icons';
import { MessageView, type MessageActions } from './messageView';
import { markFirstRender } from './perf';
import { RenderScheduler } from './renderScheduler';

/** The connection to the host; the page's saved state remembers the conversation shown. */
export type ChatHost = HostConnection<{ conversationId?: string }>;

/**
 * The chat UI: conversation bar, message log, composer. The data lives in a `ChatState` that `reduceChat` changes
 * for each message from the host and each edit of the user's; this class renders each change and sends the user's
 * actions as requests. When the Markdown is rendered is the `RenderScheduler`'s business.
 */
export class ChatApp implements MessageActions {
  private state: ChatState = initialChatState;
  private readonly views = new Map<string, MessageView>();
  /** The side-by-side containers of compare groups, by group (the question's id). */
  private readonly groups = new Map<string, HTMLElement>();
  private readonly log: HTMLElement;
  private readonly bar: ConversationBar;
  private readonly composer: Composer;
  private readonly status: HTMLElement;
  private readonly banner: HTMLElement;
  /** Shows `state.commandStatus`: in the empty state, else in the banner. */
  private readonly commandStatus = element('p', { class: 'status', role: 'status', id: 'command-status' });
  private readonly scheduler: RenderScheduler;
  private stickToBottom = true;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: ChatHost,
  ) {
    this.banner = element('div', { class: 'banner', id: 'chat-banner' });
    this.bar = new ConversationBar(
      {
        select: (conversationId) => void this.ask(ChatViewRequests.selectConversation, { conversationId }),
        create: () => void this.ask(ChatViewRequests.newConversation, {}),
        rename: (conversationId, title) => {
          this.apply({ type: 'renamed', conversationId, title });
          void this.ask(ChatViewRequests.renameConversation, { conversationId, title });
        },
        export: (conversationId) => void this.ask(ChatViewRequests.exportConversation, { conversationId }),
        delete: (conversationId) => void this.ask(ChatViewRequests.deleteConversation, { conversationId }),
      },
      () => this.state.conversation,
      this.banner,
    );
    this.log = element('section', { class: 'message-log', id: 'message-log', role: 'log', 'aria-label': 'Conversation', 'aria-live': 'off' });
    this.status = element('p', { class: 'visually-hidden', role: 'status', id: 'chat-status' });
    this.composer = new Composer({
      send: (text) => this.send(text),
      stop: () => this.state.conversation && void this.ask(ChatViewRequests.stop, { conversationId: this.state.conversation.id }),
      settingsChanged: (settings) => this.settingsChanged(settings),
    });
    this.root.replaceChildren(this.bar.element, this.banner, this.log, this.composer.element, this.status);
    this.root.classList.add('chat');
    this.scheduler = new RenderScheduler(this.log, () => this.stickToBottom && this.scrollToBottom());
    this.log.addEventListener('scroll', () => {
      this.stickToBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    });
    this.log.addEventListener('click', (event) => this.onLogClick(event));
    this.log.addEventListener('keydown', (event) => {
      const target = event.target as HTMLElement;
      if ((event.key === 'Enter' || event.key === ' ') && target.matches('a[data-href]')) {
        event.preventDefault();
        void this.ask(ChatViewRequests.openLink, { href: target.dataset.href! });
      }
    });
  }

  /** Asks the host; a failure is shown in the banner, and answers undefined. */
  private async ask<P, R>(type: RequestType<P, R, void>, params: P): Promise<R | undefined> {
    try {
      return await this.host.request(type, params);
    } catch (error) {
      this.announce(error instanceof Error ? error.message : String(error), true);
      return undefined;
    }
  }

  private announce(text: string, isError = false): void {
    this.status.textContent = text;
    if (isError) {
      this.banner.replaceChildren(element('span', {}, text));
      const close = iconButton({ icon: 'close', label: 'Dismiss', className: 'dismiss' });
      close.addEventListener('click', () => this.banner.replaceChildren());
      this.banner.append(close);
      this.banner.dataset.kind = 'error';
    }
  }

  handle(message: HostToChatView): void {
    this.apply(message);
  }

  private apply(message: HostToChatView | LocalChatEdit): void {
    const { state, change } = reduceChat(this.state, message);
    this.state = state;
    if (change) this.render(change);
  }

  private render(change: ChatChange): void {
    switch (change.type) {
      case 'viewState':
        this.renderHeader();
        this.renderComposer();
        this.renderBanner();
        this.renderEmptyState();
        return;
      case 'conversationShown':
        this.showConversation(change.switching);
        return;
      case 'answerStarted':
        this.syncCommandStatus();
        this.addMessage(change.question);
        this.addMessage(change.answer);
        if (change.compareAnswer) this.addMessage(change.compareAnswer);
        this.composer.setStreaming(true);
        this.stickToBottom = true;
        this.scrollToBottom();
        return;
      case 'answerUpdated':
        this.updateAnswer(change.answer);
        return;
      case 'tokens': {
        const view = this.views.get(change.answer.id);
        if (!view) return;
        view.streamed(change.answer, change.progress);
        this.scheduler.textArrived(view);
        return;
      }
      case 'answersUpdated':
        for (const answer of change.answers) this.updateAnswer(answer);
        return;
      case 'answerEnded':
        this.updateAnswer(change.answer);
        this.composer.setStreaming(this.state.streaming);
        this.announce(change.announcement);
        return;
      case 'commandStarted':
        this.syncCommandStatus();
        this.renderEmptyState();
        return;
      case 'commandEnded':
        this.syncCommandStatus();
        this.renderBanner();
        this.renderEmptyState();
        return;
      case 'settingsEdited':
        this.renderBanner();
        this.renderEmptyState();
        return;
      case 'focusComposer':
        this.composer.focus();
        return;
    }
  }

  /** Shows a changed answer: rendered whole, its pending streamed text included. */
  private updateAnswer(answer: AssistantMessage): void {
    const view = this.views.get(answer.id);
    if (!view) this.addMessage(answer);
    else {
      this.scheduler.settled(view);
      view.update(answer);
    }
    if (this.stickToBottom) this.scrollToBottom();
  }

  private scrollToBottom(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  private showConversation(switching: boolean): void {
    const conversation = this.state.conversation!;
    if (switching) this.clearErrorBanner();
    this.syncCommandStatus();
    this.host.api.setState({ conversationId: conversation.id });
    this.scheduler.reset();
    this.views.clear();
    this.groups.clear();
    const fragment = document.createDocumentFragment();
    for (const message of conversation.messages) this.mount(this.createView(message), fragment);
    this.log.replaceChildren(fragment);
    this.renderEmptyState();
    this.scheduler.renderLazily([...this.views.values()]);
    this.composer.setStreaming(this.state.streaming);
    this.renderHeader();
    this.renderComposer();
    this.renderBanner();
    if (switching) {
      this.stickToBottom = true;
      this.scrollToBottom();
      requestAnimationFrame(() => this.scrollToBottom());
    }
    markFirstRender();
  }

  /** An error belongs to the conversation it happened in: another one starts clean. */
  private clearErrorBanner(): void {
    if (this.banner.dataset.kind === 'error') this.banner.replaceChildren();
    delete this.banner.dataset.kind;
  }

  private syncCommandStatus(): void {
    const status = this.state.commandStatus;
    this.commandStatus.textContent = status?.text ?? '';
    if (status?.result) this.commandStatus.dataset.result = status.result;
    else delete this.commandStatus.dataset.result;
    if (!status) this.commandStatus.remove();
  }

  /**
   * The one empty state, in the transcript's place: what to ask, or — without a model — the one thing to do first,
   * picking one, as its main button. It follows the model as it changes (picked elsewhere, or in Settings).
   */
  private renderEmptyState(): void {
    const existing = this.log.querySelector('#empty-state');
    const { view, conversation } = this.state;
    if (!conversation || conversation.messages.length > 0 || !view) {
      existing?.remove();
      return;
    }
    const model = effectiveModel(this.state);
    const label = view.models.find((m) => m.ref === model)?.label ?? model;
    const key = `${model ?? ''}|${view.models.length}|${this.commandStatus.textContent ?? ''}`;
    if (existing instanceof HTMLElement && existing.dataset.key === key) return;
    const box = element('div', { class: 'empty-state', id: 'empty-state', 'data-key': key }, element('h2', {}, 'Chat with your chatbot'));
    if (model) {
      box.append(
        element('p', { class: 'model-state', id: 'model-state', 'data-state': 'selected' }, codicon('sparkle'), ` ${label ?? model}`),
        element('p', { class: 'hint' }, 'Ask a question below. Settings adds a prompt template, few-shot examples or retrieval from your documents.'),
      );
    } else {
      const pick = element('button', { type: 'button', id: 'pick-chat-model' }, 'Pick Chat Model…');
      pick.addEventListener('click', () => this.pickChatModel());
      const endpoint = element('button', { type: 'button', class: 'secondary', id: 'open-settings' }, 'Use an Endpoint…');
      endpoint.title = 'Add an OpenAI-compatible endpoint in the Chatwright settings';
      endpoint.addEventListener('click', () => this.runCommand('chatwright.openSettings'));
      box.append(
        element('p', { class: 'model-state', id: 'model-state', 'data-state': 'none' }, 'No model selected'),
        element(
          'p',
          { class: 'hint' },
          view.models.length
            ? 'Pick a chat model for this workspace, or choose one of the available models in Settings below.'
            : 'Pick a chat model: one already in the Hugging Face cache, or a small one from the Hub that runs on this computer. An OpenAI-compatible endpoint works too.',
        ),
        element('div', { class: 'actions' }, pick, endpoint),
      );
      if (this.commandStatus.textContent) box.append(this.commandStatus);
    }
    if (existing) existing.replaceWith(box);
    else this.log.append(box);
  }

  private createView(message: ChatMessage): MessageView {
    const view = new MessageView(message, this);
    this.views.set(message.id, view);
    return view;
  }

  private addMessage(message: ChatMessage): void {
    this.log.querySelector('#empty-state')?.remove();
    const view = this.views.get(message.id) ?? this.createView(message);
    if (!view.element.isConnected) this.mount(view, this.log);
    view.update(message);
    if (message.role === 'assistant') view.renderBody();
  }

  /**
   * Puts a message's element in the log: the two answers of a compare go into one group, side a in the first column
   * and side b in the second (stacked in a narrow view), whichever arrives first.
   */
  private mount(view: MessageView, into: ParentNode): void {
    const message = view.current;
    const compare = message.role === 'assistant' ? message.compare : undefined;
    if (!compare) {
      into.append(view.element);
      return;
    }
    let group = this.groups.get(compare.group);
    if (!group) {
      group = element('div', { class: 'compare-group', role: 'group', 'aria-label': 'Two answers compared', 'data-group': compare.group });
      this.groups.set(compare.group, group);
      into.append(group);
    }
    if (compare.slot === 'a') group.prepend(view.element);
    else group.append(view.element);
  }

  private renderHeader(): void {
    this.bar.render(this.state.view?.conversations ?? []);
  }

  private renderComposer(): void {
    const { view, conversation } = this.state;
    if (view && conversation) this.composer.update(view, conversation.settings);
  }

  /** The view's standing notices: no model, Restricted Mode. */
  private renderBanner(): void {
    if (this.banner.dataset.kind === 'error' && this.banner.childElementCount > 0) return;
    const { view, conversation } = this.state;
    const notices: HTMLElement[] = [];
    if (view && !view.workspaceTrusted) {
      notices.push(element('p', { class: 'restricted', id: 'restricted-mode' }, 'Restricted Mode: Chatwright launches no process and uses no endpoint configured by this workspace.'));
    }
    // An empty conversation says this in its empty state; one with messages gets a line here.
    const emptyShown = conversation?.messages.length === 0;
    if (view && conversation && !emptyShown && !effectiveModel(this.state)) {
      const pick = element('button', { type: 'button', id: 'banner-pick-chat-model' }, 'Pick Chat Model…');
      pick.addEventListener('click', () => this.pickChatModel());
      notices.push(
        element('div', { class: 'no-model' }, element('p', { class: 'model-state', 'data-state': 'none' }, 'No model selected for this conversation.'), element('div', { class: 'actions' }, pick)),
      );
    }
    if (this.commandStatus.textContent && !emptyShown) notices.push(this.commandStatus);
    delete this.banner.dataset.kind;
    this.banner.replaceChildren(...notices);
  }

  private async send(text: string): Promise<boolean> {
    const conversation = this.state.conversation;
    if (!conversation) return false;
    await this.flushSettings();
    if (this.banner.dataset.kind === 'error') this.banner.replaceChildren();
    delete this.banner.dataset.kind;
    try {
      await this.host.request(ChatViewRequests.send, { conversationId: conversation.id, text });
      return true;
    } catch (error) {
      this.announce(error instanceof Error ? error.message : String(error), true);
      this.composer.setStreaming(false);
      return false;
    }
  }

  private settingsTimer: ReturnType<typeof setTimeout> | undefined;
  private pendingSettings: { conversationId: string; settings: ChatSettings } | undefined;

  /** Settings changes are sent after a short pause (typing in a number box), and always before a question. */
  private settingsChanged(settings: ChatSettings): void {
    const conversation = this.state.conversation;
    if (!conversation) return;
    this.apply({ type: 'settingsEdited', conversationId: conversation.id, settings });
    this.pendingSettings = { conversationId: conversation.id, settings };
    if (this.settingsTimer) clearTimeout(this.settingsTimer);
    this.settingsTimer = setTimeout(() => void this.flushSettings(), 150);
  }

  private async flushSettings(): Promise<void> {
    if (this.settingsTimer) clearTimeout(this.settingsTimer);
    this.settingsTimer = undefined;
    const pending = this.pendingSettings;
    this.pendingSettings = undefined;
    if (pending) await this.ask(ChatViewRequests.updateSettings, pending);
  }

  private onLogClick(event: MouseEvent): void {
    const target = event.target as HTMLElement;
    const citation = target.closest<HTMLElement>('button.citation');
    if (citation) {
      const messageId = citation.closest<HTMLElement>('.message')?.dataset.messageId;
      const message = this.views.get(messageId ?? '')?.current;
      const passage = message?.role === 'assistant' ? message.input?.passages.find((p) => p.index === Number(citation.dataset.citation)) : undefined;
      if (passage) this.openCitation(passage);
      return;
    }
    const link = target.closest<HTMLElement>('a[data-href]');
    if (link) {
      event.preventDefault();
      void this.ask(ChatViewRequests.openLink, { href: link.dataset.href! });
      return;
    }
    const copy = target.closest<HTMLElement>('button.copy-code');
    if (copy) {
      const code = copy.closest('.code-block')?.querySelector('code')?.textContent ?? '';
      this.copy(code);
      copy.textContent = 'Copied';
      setTimeout(() => (copy.textContent = 'Copy'), 1500);
    }
  }

  // ---- MessageActions ----
  openCitation(passage: { file: string; startLine: number; endLine: number }): void {
    void this.ask(ChatViewRequests.openCitation, { file: passage.file, startLine: passage.startLine, endLine: passage.endLine });
  }

  retry(messageId: string): void {
    const conversation = this.state.conversation;
    if (!conversation) return;
    this.composer.setStreaming(true);
    void this.ask(ChatViewRequests.retry, { conversationId: conversation.id, messageId }).finally(() => this.composer.setStreaming(false));
  }

  async addToDataset(messageId: string, editedAnswer?: string): Promise<boolean> {
    const conversation = this.state.conversation;
    if (!conversation) return false;
    const result = await this.ask(ChatViewRequests.addToDataset, { conversationId: conversation.id, messageId, ...(editedAnswer !== undefined ? { editedAnswer } : {}) });
    if (result) this.announce(`Added to ${result.file}, line ${result.line}.`);
    return Boolean(result);
  }

  copy(text: string): void {
    void this.ask(ChatViewRequests.copyText, { text });
    this.announce('Copied.');
  }

  runCommand(command: ChatViewCommand): void {
    this.apply({ type: 'commandStarted' });
    void this.ask(ChatViewRequests.runCommand, { command });
  }

  /** "Pick Chat Model…" for this conversation: the model picked applies to it, and answers the failed question again. */
  pickChatModel(retryMessageId?: string): void {
    const conversation = this.state.conversation;
    if (!conversation) return;
    void this.ask(ChatViewRequests.pickChatModel, { conversationId: conversation.id, ...(retryMessageId ? { retryMessageId } : {}) });
  }

  prefer(messageId: string): void {
    const conversation = this.state.conversation;
    if (!conversation) return;
    void this.ask(ChatViewRequests.preferAnswer, { conversationId: conversation.id, messageId });
  }

  modelLabel(ref: string): string {
    return this.state.view?.models.find((m) => m.ref === ref)?.label ?? ref;
  }

  focusSetting(setting: 'model' | 'maxTokens' | 'rag'): void {
    const c = this.composer.controls;
    this.composer.showSettings(setting === 'model' ? c.model : setting === 'maxTokens' ? c.maxTokens : c.ragK);
  }
}
