import {
  type AssistantMessage,
  type ChatMessage,
  type ChatSettings,
  type ChatViewCommand,
  type ChatViewRequest,
  type ChatViewState,
  type Conversation,
  type HostToChatView,
} from '../../../src/shared/chatViewProtocol';
import { type Messenger } from '../lib/messenger';
import { element } from '../lib/vscodeApi';
import { Composer } from './composer';
import { codicon, iconButton } from './icons';
import { MessageView, type MessageActions } from './messageView';
import { markFirstRender, tokenArrived, tokensRendered } from './perf';

export type ChatMessenger = Messenger<ChatViewRequest, HostToChatView, { conversationId?: string }>;

/** Lazy Markdown: answers are rendered when within this distance of the viewport, at most this long per frame. */
const renderMargin = '1200px 0px';
const frameBudgetMs = 8;

/**
 * The chat UI: conversation bar, message log, composer. It holds a copy of the shown conversation, applies the
 * host's stream events to it, and sends the user's actions as requests. Rendering is batched per animation frame.
 */
export class ChatApp implements MessageActions {
  private state: ChatViewState | undefined;
  private conversation: Conversation | undefined;
  private readonly views = new Map<string, MessageView>();
  private readonly log: HTMLElement;
  private readonly composer: Composer;
  private readonly conversationSelect: HTMLSelectElement;
  private readonly status: HTMLElement;
  private readonly banner: HTMLElement;
  /** The outcome of the last command a button ran (Open Settings, Show Logs). */
  private readonly commandStatus = element('p', { class: 'status', role: 'status', id: 'command-status' });
  private readonly observer: IntersectionObserver;
  private readonly toRender = new Set<MessageView>();
  private dirty = new Map<string, number[]>();
  private frameRequested = false;
  private stickToBottom = true;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: ChatMessenger,
  ) {
    this.conversationSelect = element('select', { id: 'conversation-select', class: 'conversation-select', 'aria-label': 'Conversation' });
    this.conversationSelect.addEventListener('change', () => void this.ask({ type: 'selectConversation', conversationId: this.conversationSelect.value }));
    const button = (id: string, icon: string, label: string, run: () => void) => {
      const b = iconButton({ id, icon, label });
      b.addEventListener('click', run);
      return b;
    };
    const header = element(
      'header',
      { class: 'chat-header' },
      this.conversationSelect,
      element(
        'div',
        { class: 'header-actions', role: 'toolbar', 'aria-label': 'Conversation actions' },
        button('new-conversation', 'add', 'New conversation', () => void this.ask({ type: 'newConversation' })),
        button('rename-conversation', 'edit', 'Rename conversation', () => this.startRename()),
        button('export-conversation', 'export', 'Export conversation as Markdown', () => this.conversation && void this.ask({ type: 'exportConversation', conversationId: this.conversation.id })),
        button('delete-conversation', 'trash', 'Delete conversation', () => this.confirmDelete()),
      ),
    );
    this.banner = element('div', { class: 'banner', id: 'chat-banner' });
    this.log = element('section', { class: 'message-log', id: 'message-log', role: 'log', 'aria-label': 'Conversation', 'aria-live': 'off' });
    this.status = element('p', { class: 'visually-hidden', role: 'status', id: 'chat-status' });
    this.composer = new Composer({
      send: (text) => this.send(text),
      stop: () => this.conversation && void this.ask({ type: 'stop', conversationId: this.conversation.id }),
      settingsChanged: (settings) => this.settingsChanged(settings),
    });
    this.root.replaceChildren(header, this.banner, this.log, this.composer.element, this.status);
    this.root.classList.add('chat');
    this.observer = new IntersectionObserver((entries) => this.onVisible(entries), { root: this.log, rootMargin: renderMargin });
    this.log.addEventListener('scroll', () => {
      this.stickToBottom = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < 40;
    });
    this.log.addEventListener('click', (event) => this.onLogClick(event));
    this.log.addEventListener('keydown', (event) => {
      const target = event.target as HTMLElement;
      if ((event.key === 'Enter' || event.key === ' ') && target.matches('a[data-href]')) {
        event.preventDefault();
        void this.ask({ type: 'openLink', href: target.dataset.href! });
      }
    });
  }

  private async ask(request: ChatViewRequest): Promise<unknown> {
    try {
      return await this.host.request(request);
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
    switch (message.type) {
      case 'state':
        this.state = message.state;
        this.renderHeader();
        this.renderComposer();
        this.renderBanner();
        this.renderEmptyState();
        return;
      case 'conversation':
        this.showConversation(message.conversation);
        return;
      case 'answerStarted':
        if (message.conversationId !== this.conversation?.id) return;
        this.addMessage(message.question);
        this.addMessage(message.answer);
        this.composer.setStreaming(true);
        this.stickToBottom = true;
        this.scrollToBottom();
        return;
      case 'answerInput':
        if (message.conversationId !== this.conversation?.id) return;
        this.mergeAnswer(message.answer, true);
        return;
      case 'tokens': {
        if (message.conversationId !== this.conversation?.id) return;
        const view = this.views.get(message.messageId);
        if (!view) return;
        view.appendText(message.text);
        const arrivals = this.dirty.get(message.messageId) ?? [];
        arrivals.push(tokenArrived());
        this.dirty.set(message.messageId, arrivals);
        this.requestFrame();
        return;
      }
      case 'answerEnded':
        if (message.conversationId !== this.conversation?.id) return;
        this.mergeAnswer(message.answer, false);
        this.composer.setStreaming(false);
        this.announce(message.answer.status === 'error' ? `The answer failed: ${message.answer.error?.message ?? ''}` : message.answer.status === 'stopped' ? 'Answer stopped.' : 'Answer complete.');
        return;
      case 'commandResult':
        this.commandStatus.textContent = message.ok ? 'Done.' : `Failed: ${message.error}`;
        this.commandStatus.dataset.result = message.ok ? 'ok' : 'error';
        this.renderBanner();
        this.renderEmptyState();
        return;
      case 'focusComposer':
        this.composer.focus();
        return;
      case 'response':
        return;
    }
  }

  private mergeAnswer(answer: AssistantMessage, keepStreamedText: boolean): void {
    const view = this.views.get(answer.id);
    const current = view?.current;
    const merged: AssistantMessage = keepStreamedText && current?.role === 'assistant' ? { ...answer, content: current.content } : answer;
    this.replaceMessage(merged);
    if (!view) this.addMessage(merged);
    else {
      this.dirty.delete(answer.id);
      view.update(merged);
    }
    if (this.stickToBottom) this.scrollToBottom();
  }

  private replaceMessage(message: ChatMessage): void {
    const messages = this.conversation?.messages;
    if (!messages) return;
    const index = messages.findIndex((m) => m.id === message.id);
    if (index >= 0) messages[index] = message;
    else messages.push(message);
  }

  private requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => this.frame());
  }

  /** One animation frame: streamed text first (it is what the user watches), then lazy renders within the budget. */
  private frame(): void {
    this.frameRequested = false;
    const started = performance.now();
    const arrivals: number[] = [];
    for (const [id, times] of this.dirty) {
      this.views.get(id)?.renderBody();
      arrivals.push(...times);
    }
    this.dirty.clear();
    if (arrivals.length > 0) {
      if (this.stickToBottom) this.scrollToBottom();
      tokensRendered(arrivals);
    }
    for (const view of this.toRender) {
      if (performance.now() - started > frameBudgetMs) break;
      this.toRender.delete(view);
      if (!view.rendered) view.renderBody();
    }
    if (this.toRender.size > 0) this.requestFrame();
  }

  private background: MessageView[] = [];
  private idleScheduled = false;

  private scheduleIdle(): void {
    if (this.idleScheduled || this.background.length === 0) return;
    this.idleScheduled = true;
    requestIdleCallback((deadline) => {
      this.idleScheduled = false;
      const started = performance.now();
      while (this.background.length > 0 && deadline.timeRemaining() > 1 && performance.now() - started < frameBudgetMs) {
        const view = this.background.pop()!;
        if (view.element.isConnected && !view.rendered) view.renderBody();
      }
      this.scheduleIdle();
    });
  }

  private onVisible(entries: IntersectionObserverEntry[]): void {
    for (const entry of entries) {
      if (!entry.isIntersecting) continue;
      const view = this.views.get((entry.target as HTMLElement).dataset.messageId ?? '');
      if (view && !view.rendered) this.toRender.add(view);
      this.observer.unobserve(entry.target);
    }
    if (this.toRender.size > 0) this.requestFrame();
  }

  private scrollToBottom(): void {
    this.log.scrollTop = this.log.scrollHeight;
  }

  private showConversation(conversation: Conversation): void {
    const switching = conversation.id !== this.conversation?.id;
    if (switching) this.clearNotices();
    this.conversation = conversation;
    this.host.api.setState({ conversationId: conversation.id });
    this.observer.disconnect();
    this.toRender.clear();
    this.dirty.clear();
    this.views.clear();
    const fragment = document.createDocumentFragment();
    for (const message of conversation.messages) fragment.append(this.createView(message).element);
    this.log.replaceChildren(fragment);
    this.renderEmptyState();
    for (const view of this.views.values()) if (!view.rendered) this.observer.observe(view.element);
    // The rest is rendered in idle time, newest first, so scrolling up finds it ready.
    this.background = [...this.views.values()].filter((v) => !v.rendered);
    this.scheduleIdle();
    this.composer.setStreaming(conversation.messages.some((m) => m.role === 'assistant' && m.status === 'streaming'));
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

  /** An error or a command's outcome belongs to the conversation it happened in: another one starts clean. */
  private clearNotices(): void {
    this.commandStatus.textContent = '';
    delete this.commandStatus.dataset.result;
    if (this.banner.dataset.kind === 'error') this.banner.replaceChildren();
    delete this.banner.dataset.kind;
  }

  /** The model the next answer uses: the conversation's own choice, else the workspace's chat model. */
  private effectiveModel(): string | undefined {
    const workspace = this.state?.chatModel;
    return this.conversation?.settings.model ?? (workspace?.kind === 'selected' ? workspace.ref : undefined);
  }

  /**
   * The one empty state, in the transcript's place: what to ask, or — without a model — the one thing to do first,
   * picking one, as its main button. It follows the model as it changes (picked elsewhere, or in Settings).
   */
  private renderEmptyState(): void {
    const existing = this.log.querySelector('#empty-state');
    if (!this.conversation || this.conversation.messages.length > 0 || !this.state) {
      existing?.remove();
      return;
    }
    const model = this.effectiveModel();
    const label = this.state.models.find((m) => m.ref === model)?.label ?? model;
    const key = `${model ?? ''}|${this.state.models.length}|${this.commandStatus.textContent ?? ''}`;
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
        element('p', { class: 'hint' }, this.state.models.length ? 'Pick a chat model for this workspace, or choose one of the available models in Settings below.' : 'Pick a chat model: one already in the Hugging Face cache, or a small one from the Hub that runs on this computer. An OpenAI-compatible endpoint works too.'),
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
    // A question makes the outcome of an earlier command (Open Settings: "Done.") old news.
    if (message.role === 'user' && this.commandStatus.textContent) {
      this.commandStatus.textContent = '';
      this.commandStatus.remove();
    }
    this.replaceMessage(message);
    const view = this.views.get(message.id) ?? this.createView(message);
    if (!view.element.isConnected) this.log.append(view.element);
    view.update(message);
    if (message.role === 'assistant') view.renderBody();
  }

  private renderHeader(): void {
    const summaries = this.state?.conversations ?? [];
    const current = this.conversation;
    const options = summaries.map((s) => {
      const o = element('option', { value: s.id }, s.title);
      o.selected = s.id === current?.id;
      return o;
    });
    if (current && !summaries.some((s) => s.id === current.id)) {
      const o = element('option', { value: current.id }, current.title);
      o.selected = true;
      options.unshift(o);
    }
    this.conversationSelect.replaceChildren(...options);
  }

  private renderComposer(): void {
    if (this.state && this.conversation) this.composer.update(this.state, this.conversation.settings);
  }

  /** The view's standing notices: no model, Restricted Mode. */
  private renderBanner(): void {
    if (this.banner.dataset.kind === 'error' && this.banner.childElementCount > 0) return;
    const notices: HTMLElement[] = [];
    if (this.state && !this.state.workspaceTrusted) {
      notices.push(element('p', { class: 'restricted', id: 'restricted-mode' }, 'Restricted Mode: Chatwright launches no process and uses no endpoint configured by this workspace.'));
    }
    // An empty conversation says this in its empty state; one with messages gets a line here.
    const emptyShown = this.conversation?.messages.length === 0;
    if (this.state && this.conversation && !emptyShown && !this.effectiveModel()) {
      const pick = element('button', { type: 'button', id: 'banner-pick-chat-model' }, 'Pick Chat Model…');
      pick.addEventListener('click', () => this.pickChatModel());
      notices.push(element('div', { class: 'no-model' }, element('p', { class: 'model-state', 'data-state': 'none' }, 'No model selected for this conversation.'), element('div', { class: 'actions' }, pick)));
    }
    if (this.commandStatus.textContent && !emptyShown) notices.push(this.commandStatus);
    delete this.banner.dataset.kind;
    this.banner.replaceChildren(...notices);
  }

  private async send(text: string): Promise<boolean> {
    if (!this.conversation) return false;
    await this.flushSettings();
    if (this.banner.dataset.kind === 'error') this.banner.replaceChildren();
    delete this.banner.dataset.kind;
    try {
      await this.host.request({ type: 'send', conversationId: this.conversation.id, text });
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
    const conversation = this.conversation;
    if (!conversation) return;
    conversation.settings = settings;
    this.renderBanner();
    this.renderEmptyState();
    this.pendingSettings = { conversationId: conversation.id, settings };
    if (this.settingsTimer) clearTimeout(this.settingsTimer);
    this.settingsTimer = setTimeout(() => void this.flushSettings(), 150);
  }

  private async flushSettings(): Promise<void> {
    if (this.settingsTimer) clearTimeout(this.settingsTimer);
    this.settingsTimer = undefined;
    const pending = this.pendingSettings;
    this.pendingSettings = undefined;
    if (pending) await this.ask({ type: 'updateSettings', ...pending });
  }

  private startRename(): void {
    const conversation = this.conversation;
    if (!conversation || this.root.querySelector('.rename-box')) return;
    const input = element('input', { type: 'text', class: 'rename-input', 'aria-label': 'Conversation title', maxlength: '200' });
    input.value = conversation.title;
    const box = element('div', { class: 'rename-box' }, input);
    let finished = false;
    const finish = (save: boolean) => {
      if (finished) return;
      finished = true;
      box.remove();
      this.conversationSelect.hidden = false;
      if (save && input.value.trim() && input.value.trim() !== conversation.title) {
        conversation.title = input.value.trim();
        void this.ask({ type: 'renameConversation', conversationId: conversation.id, title: conversation.title });
      }
      this.conversationSelect.focus();
    };
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') finish(true);
      else if (event.key === 'Escape') finish(false);
    });
    input.addEventListener('blur', () => finish(true));
    this.conversationSelect.hidden = true;
    this.conversationSelect.after(box);
    input.focus();
    input.select();
  }

  private confirmDelete(): void {
    const conversation = this.conversation;
    if (!conversation || this.banner.querySelector('.confirm-delete')) return;
    const yes = element('button', { type: 'button', id: 'confirm-delete' }, 'Delete');
    const no = element('button', { type: 'button', class: 'secondary' }, 'Keep');
    const box = element('div', { class: 'confirm-delete', role: 'alertdialog', 'aria-label': 'Delete conversation?' }, element('span', {}, `Delete “${conversation.title}”?`), yes, no);
    yes.addEventListener('click', () => {
      box.remove();
      void this.ask({ type: 'deleteConversation', conversationId: conversation.id });
    });
    no.addEventListener('click', () => box.remove());
    this.banner.prepend(box);
    no.focus();
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
      void this.ask({ type: 'openLink', href: link.dataset.href! });
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
    void this.ask({ type: 'openCitation', file: passage.file, startLine: passage.startLine, endLine: passage.endLine });
  }

  retry(messageId: string): void {
    if (!this.conversation) return;
    this.composer.setStreaming(true);
    void this.ask({ type: 'retry', conversationId: this.conversation.id, messageId }).finally(() => this.composer.setStreaming(false));
  }

  async addToDataset(messageId: string, editedAnswer?: string): Promise<boolean> {
    if (!this.conversation) return false;
    const result = (await this.ask({ type: 'addToDataset', conversationId: this.conversation.id, messageId, ...(editedAnswer !== undefined ? { editedAnswer } : {}) })) as { file: string; line: number } | undefined;
    if (result) this.announce(`Added to ${result.file}, line ${result.line}.`);
    return Boolean(result);
  }

  copy(text: string): void {
    void this.ask({ type: 'copyText', text });
    this.announce('Copied.');
  }

  runCommand(command: ChatViewCommand): void {
    this.commandStatus.textContent = 'Running…';
    delete this.commandStatus.dataset.result;
    this.renderEmptyState();
    void this.ask({ type: 'runCommand', command });
  }

  /** "Pick Chat Model…" for this conversation: the model picked applies to it, and answers the failed question again. */
  pickChatModel(retryMessageId?: string): void {
    if (!this.conversation) return;
    void this.ask({ type: 'pickChatModel', conversationId: this.conversation.id, ...(retryMessageId ? { retryMessageId } : {}) });
  }

  focusSetting(setting: 'model' | 'maxTokens' | 'rag'): void {
    const c = this.composer.controls;
    this.composer.showSettings(setting === 'model' ? c.model : setting === 'maxTokens' ? c.maxTokens : c.ragK);
  }
}
