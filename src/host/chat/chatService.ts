import * as vscode from 'vscode';
import { runExchange, type ChatSources } from '../../core/chat/chatRunner';
import { effectiveModel, findAssistant, newConversation, parseSettings, settingsForNewConversation, startExchange } from '../../core/chat/conversation';
import { ConversationStore } from '../../core/chat/conversationStore';
import { conversationToMarkdown } from '../../core/chat/markdownExport';
import { type ChatSettings, type Conversation, type ConversationSummary, type HostToChatView } from '../../shared/chatViewProtocol';
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

  /** Asks the question and streams the answer to the views showing the conversation. Resolves when the answer ends. */
  async send(id: string, text: string): Promise<void> {
    const question = text.trim();
    if (!question) throw new Error('Write a question first.');
    const conversation = await this.require(id);
    if (this.running.has(id)) throw new Error('An answer is still being written in this conversation. Stop it first.');
    const answer = startExchange(conversation, question, this.modelFor(conversation));
    const userMessage = conversation.messages.at(-2)!;
    if (userMessage.role !== 'user') throw new Error('internal: the exchange did not start with a question');
    this.broadcast(id, { type: 'answerStarted', conversationId: id, question: userMessage, answer: { ...answer } });
    this.listChanged.fire();
    await this.generate(conversation, answer.id);
  }

  /** Answers the question before a failed or stopped answer again, replacing it. */
  async retry(id: string, messageId: string): Promise<void> {
    const conversation = await this.require(id);
    if (this.running.has(id)) throw new Error('An answer is still being written in this conversation. Stop it first.');
    const answer = findAssistant(conversation, messageId);
    if (!answer) throw new Error('That answer is no longer in the conversation.');
    Object.assign(answer, { content: '', status: 'streaming', model: this.modelFor(conversation), createdAt: Date.now() });
    delete answer.error;
    delete answer.stats;
    delete answer.input;
    delete answer.reasoning;
    delete answer.reasoningMs;
    this.broadcast(id, { type: 'conversation', conversation });
    await this.generate(conversation, answer.id);
  }

  private async generate(conversation: Conversation, answerId: string): Promise<void> {
    const answer = findAssistant(conversation, answerId)!;
    const controller = new AbortController();
    const id = conversation.id;
    // Tokens are batched per macrotask: a fast backend can emit many per millisecond, and each postMessage costs.
    // Reasoning goes first: it came before the answer's text, and its end (`reasoningMs`) is sent once.
    let pending = '';
    let pendingReasoning = '';
    let reasoningEndSent = false;
    let flushScheduled = false;
    const flush = () => {
      flushScheduled = false;
      const reasoningOver = answer.reasoningMs !== undefined && !reasoningEndSent;
      if (pendingReasoning || reasoningOver) {
        reasoningEndSent ||= reasoningOver;
        this.broadcast(id, {
          type: 'reasoning',
          conversationId: id,
          messageId: answerId,
          text: pendingReasoning,
          sentAt: Date.now(),
          ...(reasoningOver ? { reasoningMs: answer.reasoningMs! } : {}),
        });
        pendingReasoning = '';
      }
      if (!pending) return;
      this.broadcast(id, { type: 'tokens', conversationId: id, messageId: answerId, text: pending, sentAt: Date.now() });
      pending = '';
    };
    const scheduleFlush = () => {
      if (flushScheduled) return;
      flushScheduled = true;
      setImmediate(flush);
    };
    // The answer is produced with the model resolved now; the conversation keeps following the workspace's choice.
    const model = this.modelFor(conversation);
    const done = runExchange(
      { ...conversation, settings: { ...conversation.settings, ...(model ? { model } : {}) } },
      answer,
      this.sources,
      {
        onInput: (a) => this.broadcast(id, { type: 'answerInput', conversationId: id, answer: { ...a, content: '' } }),
        onToken: (text) => {
          pending += text;
          scheduleFlush();
        },
        onReasoning: (text) => {
          pendingReasoning += text;
          scheduleFlush();
        },
      },
      controller.signal,
    );
    this.running.set(id, { controller, done });
    try {
      await done;
    } finally {
      flush();
      this.running.delete(id);
      conversation.updatedAt = Date.now();
      if (answer.status === 'error') this.ctx.log.warn(`Chat answer failed (${answer.error?.code}): ${answer.error?.message}`);
      this.broadcast(id, { type: 'answerEnded', conversationId: id, answer: { ...answer } });
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
