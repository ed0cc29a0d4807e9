import * as vscode from 'vscode';
import { runCompareExchange, runExchange, type ChatSources, type ExchangeObserver } from '../../core/chat/chatRunner';
import { effectiveModel, findAssistant, newConversation, parseSettings, preferAnswer, settingsForNewConversation, startCompareExchange, startExchange } from '../../core/chat/conversation';
import { ConversationStore } from '../../core/chat/conversationStore';
import { conversationToMarkdown } from '../../core/chat/markdownExport';
import { type AssistantMessage, type ChatSettings, type Conversation, type ConversationSummary, type HostToChatView, type StreamProgress } from '../../shared/chatViewProtocol';
import { type Ctx } from '../context';
import { type BackendRegistry } from './backendRegistry';

/** A webview showing the chat: the service streams to every one that shows the conversation. */
export interface ChatSurface {
  post(message: HostToChatView): void;
  readonly activeConversationId: string | undefined;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

const lastSettingsKey = 'chatwright.chat.lastSettings';
const lastConversationKey = 'chatwright.chat.lastConversation';

/**
 * The chat's state on the host: the conversations of this workspace (kept in its storage), the answers being
 * generated, and the webviews showing them. Webviews only ask; this decides and saves.
 */
export class ChatService implements vscode.Disposable {
  readonly store: ConversationStore;
  private readonly loaded = new Map<string, Conversation>();
  private readonly running = new Map<string, Running>();
  private readonly surfaces = new Set<ChatSurface>();
  private readonly listChanged = new vscode.EventEmitter<void>();
  readonly onDidChangeList = this.listChanged.event;

  constructor(
    private readonly ctx: Ctx,
    readonly backends: BackendRegistry,
    private readonly sources: ChatSources,
    /** The workspace's chosen chat model (the Models feature's), which conversations without their own choice use. */
    private readonly workspaceModel: () => string | undefined,
  ) {
    const storage = ctx.extension.storageUri ?? ctx.extension.globalStorageUri;
    this.store = new ConversationStore(vscode.Uri.joinPath(storage, 'chat', 'conversations').fsPath);
  }

  attach(surface: ChatSurface): vscode.Disposable {
    this.surfaces.add(surface);
    return new vscode.Disposable(() => this.surfaces.delete(surface));
  }

  private broadcast(conversationId: string, message: HostToChatView): void {
    for (const surface of this.surfaces) if (surface.activeConversationId === conversationId) surface.post(message);
  }

  async list(): Promise<ConversationSummary[]> {
    const summaries = await this.store.list();
    if (this.store.problems.length > 0) {
      for (const problem of this.store.problems.splice(0)) this.ctx.log.warn(`Skipped conversation file ${problem.file}: ${problem.message}`);
    }
    return summaries;
  }

  async get(id: string): Promise<Conversation | undefined> {
    const cached = this.loaded.get(id);
    if (cached) return cached;
    const conversation = await this.store.load(id);
    if (conversation) this.loaded.set(id, conversation);
    return conversation;
  }

  /** The conversation a new view opens: the last one used in this workspace, or a fresh one. */
  async initialConversation(): Promise<Conversation> {
    const last = this.ctx.extension.workspaceState.get<string>(lastConversationKey);
    const found = last ? await this.get(last) : undefined;
    if (found) return found;
    const [latest] = await this.list();
    return (latest && (await this.get(latest.id))) ?? (await this.create());
  }

  remember(conversationId: string): void {
    void this.ctx.extension.workspaceState.update(lastConversationKey, conversationId);
  }

  /** New conversations start with the settings last used, without a model of their own: they follow the workspace's. */
  async create(): Promise<Conversation> {
    const conversation = newConversation(settingsForNewConversation(this.ctx.extension.workspaceState.get<unknown>(lastSettingsKey)));
    this.loaded.set(conversation.id, conversation);
    await this.store.save(conversation);
    this.listChanged.fire();
    return conversation;
  }

  private async require(id: string): Promise<Conversation> {
    const conversation = await this.get(id);
    if (!conversation) throw new Error('That conversation no longer exists.');
    return conversation;
  }

  async rename(id: string, title: string): Promise<void> {
    const conversation = await this.require(id);
    const clean = title.replace(/\s+/g, ' ').trim().slice(0, 200);
    if (!clean) throw new Error('A conversation needs a title.');
    conversation.title = clean;
    conversation.updatedAt = Date.now();
    await this.store.save(conversation);
    this.listChanged.fire();
  }

  async delete(id: string): Promise<void> {
    this.running.get(id)?.controller.abort();
    await this.running.get(id)?.done;
    this.loaded.delete(id);
    await this.store.delete(id);
    this.listChanged.fire();
  }

  async updateSettings(id: string, settings: ChatSettings): Promise<ChatSettings> {
    const conversation = await this.require(id);
    conversation.settings = parseSettings(settings);
    await this.store.save(conversation);
    await this.ctx.extension.workspaceState.update(lastSettingsKey, conversation.settings);
    return conversation.settings;
  }

  /** The model the conversation's next answer uses (its own choice, else the workspace's). */
  modelFor(conversation: Conversation): string | undefined {
    return effectiveModel(conversation.settings, this.workspaceModel());
  }

  /**
   * Makes the conversation use the workspace's chosen model again, dropping its own choice: what picking a chat model
   * from inside the conversation means. Returns the settings, changed or not.
   */
  async followWorkspaceModel(id: string): Promise<ChatSettings> {
    const conversation = await this.require(id);
    if (conversation.settings.model === undefined) return conversation.settings;
    const { model: _own, ...rest } = conversation.settings;
    const settings = await this.updateSettings(id, rest);
    this.broadcast(id, { type: 'conversation', conversation });
    return settings;
  }

  async exportMarkdown(id: string): Promise<string> {
    return conversationToMarkdown(await this.require(id));
  }

  isRunning(id: string): boolean {
    return this.running.has(id);
  }

  /**
   * Asks the question and streams the answer to the views showing the conversation — two answers side by side when
   * the conversation compares with a second model. Resolves when the answers end.
   */
  async send(id: string, text: string): Promise<void> {
    const question = text.trim();
    if (!question) throw new Error('Write a question first.');
    const conversation = await this.require(id);
    if (this.running.has(id)) throw new Error('An answer is still being written in this conversation. Stop it first.');
    const compareModel = conversation.settings.compareModel;
    const model = this.modelFor(conversation);
    const answers = compareModel ? startCompareExchange(conversation, question, model, compareModel) : { a: startExchange(conversation, question, model) };
    const userMessage = conversation.messages.find((m) => m.id === (answers.a.compare?.group ?? conversation.messages.at(-2)?.id));
    if (userMessage?.role !== 'user') throw new Error('internal: the exchange did not start with a question');
    this.broadcast(id, {
      type: 'answerStarted',
      conversationId: id,
      question: userMessage,
      answer: { ...answers.a },
      ...('b' in answers ? { compareAnswer: { ...answers.b } } : {}),
    });
    this.listChanged.fire();
    await this.generate(conversation, 'b' in answers ? [answers.a.id, answers.b.id] : [answers.a.id]);
  }

  /** Answers the question before a failed or stopped answer again, replacing it (one side of a compare alone). */
  async retry(id: string, messageId: string): Promise<void> {
    const conversation = await this.require(id);
    if (this.running.has(id)) throw new Error('An answer is still being written in this conversation. Stop it first.');
    const answer = findAssistant(conversation, messageId);
    if (!answer) throw new Error('That answer is no longer in the conversation.');
    Object.assign(answer, { content: '', status: 'streaming', model: this.modelOfSide(conversation, answer), createdAt: Date.now() });
    delete answer.error;
    delete answer.stats;
    delete answer.input;
    delete answer.reasoning;
    delete answer.reasoningMs;
    this.broadcast(id, { type: 'conversation', conversation });
    await this.generate(conversation, [answer.id]);
  }

  /** The model an answer is (re)generated with: side b of a compare uses the compare model, all others the conversation's. */
  private modelOfSide(conversation: Conversation, answer: AssistantMessage): string | undefined {
    return answer.compare?.slot === 'b' ? (conversation.settings.compareModel ?? answer.model) : this.modelFor(conversation);
  }

  /** "Prefer this answer" on one answer of a compare: recorded on the message, and later turns' history follows it. */
  async prefer(id: string, messageId: string): Promise<void> {
    const conversation = await this.require(id);
    const group = preferAnswer(conversation, messageId);
    if (!group) throw new Error('Only an answer of a compare can be preferred.');
    await this.store.save(conversation);
    this.broadcast(id, { type: 'answersChanged', conversationId: id, answers: group.map((m) => ({ ...m })) });
  }

  /** Streams the answers `answerIds` name: one, or the two of a compare (generated together from one input). */
  private async generate(conversation: Conversation, answerIds: string[]): Promise<void> {
    const answers = answerIds.map((answerId) => findAssistant(conversation, answerId)!);
    const controller = new AbortController();
    const id = conversation.id;
    // Tokens are batched per macrotask: a fast backend can emit many per millisecond, and each postMessage costs.
    // Reasoning goes first: it came before the answer's text, and its end (`reasoningMs`) is sent once.
    const streams = new Map(
      answers.map((answer) => [answer.id, { answer, pending: '', pendingReasoning: '', reasoningEndSent: false, tokens: 0, startedAt: Date.now(), firstTokenAt: undefined as number | undefined }]),
    );
    let flushScheduled = false;
    const flush = () => {
      flushScheduled = false;
      const now = Date.now();
      for (const [messageId, stream] of streams) {
        const reasoningMs = stream.answer.reasoningMs;
        const reasoningOver = reasoningMs !== undefined && !stream.reasoningEndSent;
        if (stream.pendingReasoning || reasoningOver) {
          stream.reasoningEndSent ||= reasoningOver;
          this.broadcast(id, { type: 'reasoning', conversationId: id, messageId, text: stream.pendingReasoning, sentAt: now, ...(reasoningOver ? { reasoningMs } : {}) });
          stream.pendingReasoning = '';
        }
        if (!stream.pending) continue;
        const firstTokenAt = stream.firstTokenAt ?? now;
        const progress: StreamProgress = { completionTokens: stream.tokens, timeToFirstTokenMs: firstTokenAt - stream.startedAt, elapsedMs: now - stream.startedAt };
        this.broadcast(id, { type: 'tokens', conversationId: id, messageId, text: stream.pending, sentAt: now, progress });
        stream.pending = '';
      }
    };
    const scheduleFlush = () => {
      if (flushScheduled) return;
      flushScheduled = true;
      setImmediate(flush);
    };
    // The answers are produced with the models resolved now; the conversation keeps following the workspace's choice.
    const model = this.modelFor(conversation);
    const observer: ExchangeObserver = {
      onInput: (a) => {
        const stream = streams.get(a.id);
        if (stream) stream.startedAt = Date.now();
        this.broadcast(id, { type: 'answerInput', conversationId: id, answer: { ...a, content: '' } });
      },
      onToken: (text, a) => {
        const stream = streams.get(a.id);
        if (!stream) return;
        stream.pending += text;
        stream.tokens++;
        stream.firstTokenAt ??= Date.now();
        scheduleFlush();
      },
      onReasoning: (text, a) => {
        const stream = streams.get(a.id);
        if (!stream) return;
        stream.pendingReasoning += text;
        scheduleFlush();
      },
      // Each answer of a compare ends on its own: its end is sent as soon as it settles, the other still streaming.
      onEnd: (a) => {
        flush();
        if (a.status === 'error') this.ctx.log.warn(`Chat answer failed (${a.error?.code}): ${a.error?.message}`);
        this.broadcast(id, { type: 'answerEnded', conversationId: id, answer: { ...a } });
      },
    };
    const [first, second] = answers;
    // A retried side b of a compare answers with the compare model; everything else with the conversation's.
    const answerModel = second ? model : this.modelOfSide(conversation, first!);
    const resolved: Conversation = { ...conversation, settings: { ...conversation.settings, ...(answerModel ? { model: answerModel } : {}) } };
    const done = second ? runCompareExchange(resolved, { a: first!, b: second }, this.sources, observer, controller.signal) : runExchange(resolved, first!, this.sources, observer, controller.signal);
    this.running.set(id, { controller, done });
    try {
      await done;
    } finally {
      flush();
      this.running.delete(id);
      conversation.updatedAt = Date.now();
      await this.store.save(conversation).catch((error: unknown) => this.ctx.log.error(`Could not save the conversation: ${String(error)}`));
      this.listChanged.fire();
    }
  }

  async stop(id: string): Promise<void> {
    const running = this.running.get(id);
    if (!running) return;
    running.controller.abort();
    await running.done;
  }

  dispose(): void {
    for (const running of this.running.values()) running.controller.abort();
    this.listChanged.dispose();
  }
}
