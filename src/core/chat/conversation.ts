import {
  defaultChatSettings,
  type AssistantMessage,
  type ChatMessage,
  type ChatSettings,
  type Conversation,
  type ConversationSummary,
  type GenerationStats,
  type ModelInput,
  type Passage,
} from './chatTypes';
import { clamp } from '../text/clamp';
import { type ChatTurn } from '../text/chatTurn';

/** Ids that sort by creation and never collide within a workspace. */
export function newId(prefix: string, now = Date.now()): string {
  return `${prefix}-${now.toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

export function newConversation(settings: ChatSettings = defaultChatSettings, now = Date.now()): Conversation {
  return { id: newId('c', now), title: 'New conversation', createdAt: now, updatedAt: now, settings: cloneSettings(settings), messages: [] };
}

export function cloneSettings(settings: ChatSettings): ChatSettings {
  return { ...settings, fewShot: { ...settings.fewShot }, rag: { ...settings.rag } };
}

/** The chat ref (`engine/<id>`) of the workspace's chosen chat model, which runs on the built-in engine. */
export function workspaceModelRef(workspaceModel: string | undefined): string | undefined {
  return workspaceModel ? `engine/${workspaceModel}` : undefined;
}

/**
 * The model an answer uses: the conversation's own choice when it made one, else the workspace's chosen chat model.
 * A conversation without a choice follows the workspace's, so a model picked anywhere applies to it at once.
 */
export function effectiveModel(settings: ChatSettings, workspaceModel: string | undefined): string | undefined {
  return settings.model ?? workspaceModelRef(workspaceModel);
}

/** Settings for a new conversation: the last used ones, minus the model, so that it follows the workspace's choice. */
export function settingsForNewConversation(lastUsed: unknown): ChatSettings {
  const settings = lastUsed ? parseSettings(lastUsed) : cloneSettings(defaultChatSettings);
  delete settings.model;
  // Compare is a choice made for one conversation's study of two models, not a default for every new one.
  delete settings.compareModel;
  return settings;
}

const titleLength = 60;

/** A title from the first question: its first line, whitespace collapsed, cut at a word near 60 characters. */
export function titleFromText(text: string): string {
  const line = text.trim().split(/\r?\n/, 1)[0]?.replace(/\s+/g, ' ').trim() ?? '';
  if (line.length === 0) return 'New conversation';
  if (line.length <= titleLength) return line;
  const cut = line.slice(0, titleLength);
  const space = cut.lastIndexOf(' ');
  return `${(space > titleLength / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

export function summarize(conversation: Conversation): ConversationSummary {
  return { id: conversation.id, title: conversation.title, updatedAt: conversation.updatedAt, messageCount: conversation.messages.length };
}

/** The user's turn and the empty answer that will stream into it. */
export function startExchange(conversation: Conversation, text: string, model: string | undefined, now = Date.now()): AssistantMessage {
  const untitled = conversation.messages.length === 0 && conversation.title === 'New conversation';
  conversation.messages.push({ id: newId('u', now), role: 'user', content: text, createdAt: now });
  const answer: AssistantMessage = { id: newId('a', now), role: 'assistant', content: '', createdAt: now, status: 'streaming', ...(model !== undefined ? { model } : {}) };
  conversation.messages.push(answer);
  if (untitled) conversation.title = titleFromText(text);
  conversation.updatedAt = now;
  return answer;
}

/**
 * The user's turn and the two empty answers that will stream into it side by side: slot a answers with `modelA` (the
 * conversation's model), slot b with `modelB` (its compare model). Both name the question as their group.
 */
export function startCompareExchange(conversation: Conversation, text: string, modelA: string | undefined, modelB: string, now = Date.now()): { a: AssistantMessage; b: AssistantMessage } {
  const a = startExchange(conversation, text, modelA, now);
  const question = conversation.messages.at(-2)!;
  a.compare = { group: question.id, slot: 'a' };
  const b: AssistantMessage = { id: newId('a', now), role: 'assistant', content: '', createdAt: now, status: 'streaming', model: modelB, compare: { group: question.id, slot: 'b' } };
  conversation.messages.push(b);
  return { a, b };
}

/** The answers of one compare group, in slot order (a, then b). */
export function compareGroup(conversation: Conversation, group: string): AssistantMessage[] {
  return conversation.messages
    .filter((m): m is AssistantMessage => m.role === 'assistant' && m.compare?.group === group)
    .sort((x, y) => (x.compare!.slot < y.compare!.slot ? -1 : x.compare!.slot > y.compare!.slot ? 1 : 0));
}

/**
 * Marks one answer of a compare group as the preferred one (and its sibling as not): later turns' history uses it.
 * Returns the group's answers as changed, or undefined when the message is not an answer of a compare group.
 */
export function preferAnswer(conversation: Conversation, messageId: string): AssistantMessage[] | undefined {
  const answer = findAssistant(conversation, messageId);
  if (!answer?.compare) return undefined;
  const group = compareGroup(conversation, answer.compare.group);
  for (const member of group) {
    if (member.id === messageId) member.preferred = true;
    else delete member.preferred;
  }
  return group;
}

const usableInHistory = (message: AssistantMessage) => message.status !== 'error' && message.content.length > 0;

/**
 * Which answer of each compare group later turns see: the preferred one; else slot a's; else, when a failed or is
 * empty, slot b's — the conversation continues from words a model actually said.
 */
function historyAnswers(conversation: Conversation): Set<string> {
  const groups = new Map<string, AssistantMessage[]>();
  for (const message of conversation.messages) {
    if (message.role !== 'assistant' || !message.compare) continue;
    const members = groups.get(message.compare.group) ?? [];
    members.push(message);
    groups.set(message.compare.group, members);
  }
  const chosen = new Set<string>();
  for (const members of groups.values()) {
    const usable = members.filter(usableInHistory);
    const pick = usable.find((m) => m.preferred) ?? usable.find((m) => m.compare!.slot === 'a') ?? usable[0];
    if (pick) chosen.add(pick.id);
  }
  return chosen;
}

export function findAssistant(conversation: Conversation, messageId: string): AssistantMessage | undefined {
  const message = conversation.messages.find((m) => m.id === messageId);
  return message?.role === 'assistant' ? message : undefined;
}

/**
 * The turns before an answer, as the backend sees them: earlier questions and completed answers. Failed answers are
 * left out (they were never the model's words), stopped ones are kept as far as they went. Of a compare group's two
 * answers one is kept (see `historyAnswers`); the answers of the group `messageId` belongs to are all left out.
 */
export function historyBefore(conversation: Conversation, messageId: string): ChatTurn<'user' | 'assistant'>[] {
  const turns: ChatTurn<'user' | 'assistant'>[] = [];
  const chosen = historyAnswers(conversation);
  const ownGroup = findAssistant(conversation, messageId)?.compare?.group;
  for (const message of conversation.messages) {
    if (message.id === messageId) break;
    if (message.role === 'assistant' && !usableInHistory(message)) continue;
    if (message.role === 'assistant' && message.compare && (message.compare.group === ownGroup || !chosen.has(message.id))) continue;
    turns.push({ role: message.role, content: message.content });
  }
  return turns;
}

// ---- validation of persisted or received data: conversations are read back from disk and may be damaged ----

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
function isId(value: unknown): value is string {
  return typeof value === 'string' && /^[\w-]{1,100}$/.test(value);
}
function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
function num(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Reads settings leniently: anything missing or out of range falls back to the default. */
export function parseSettings(value: unknown): ChatSettings {
  const raw = isRecord(value) ? value : {};
  const fewShot = isRecord(raw.fewShot) ? raw.fewShot : {};
  const rag = isRecord(raw.rag) ? raw.rag : {};
  const settings: ChatSettings = {
    fewShot: {
      enabled: typeof fewShot.enabled === 'boolean' ? fewShot.enabled : defaultChatSettings.fewShot.enabled,
      k: Math.round(clamp(num(fewShot.k) ?? defaultChatSettings.fewShot.k, 0, 50)),
    },
    rag: {
      enabled: typeof rag.enabled === 'boolean' ? rag.enabled : defaultChatSettings.rag.enabled,
      k: Math.round(clamp(num(rag.k) ?? defaultChatSettings.rag.k, 1, 50)),
    },
    temperature: clamp(num(raw.temperature) ?? defaultChatSettings.temperature, 0, 2),
    maxTokens: Math.round(clamp(num(raw.maxTokens) ?? defaultChatSettings.maxTokens, 1, 32_768)),
  };
  const model = str(raw.model);
  if (model) settings.model = model;
  const compareModel = str(raw.compareModel);
  if (compareModel) settings.compareModel = compareModel;
  const template = str(raw.template);
  if (template) settings.template = template;
  const examplesFile = str(fewShot.examplesFile);
  if (examplesFile) settings.fewShot.examplesFile = examplesFile;
  if (fewShot.selection === 'random' || fewShot.selection === 'similar' || fewShot.selection === 'first') settings.fewShot.selection = fewShot.selection;
  const seed = num(fewShot.seed);
  if (seed !== undefined) settings.fewShot.seed = Math.round(clamp(seed, 0, 2 ** 32 - 1));
  const index = str(rag.index);
  if (index) settings.rag.index = index;
  return settings;
}

function parseStats(value: unknown): GenerationStats | undefined {
  if (!isRecord(value)) return undefined;
  const finishReason = value.finishReason === 'stop' || value.finishReason === 'length' || value.finishReason === 'cancelled' ? value.finishReason : undefined;
  const fields = [value.promptTokens, value.completionTokens, value.timeToFirstTokenMs, value.tokensPerSecond, value.totalMs].map(num);
  if (!finishReason || fields.some((f) => f === undefined)) return undefined;
  const [promptTokens, completionTokens, timeToFirstTokenMs, tokensPerSecond, totalMs] = fields as number[];
  return { promptTokens: promptTokens!, completionTokens: completionTokens!, timeToFirstTokenMs: timeToFirstTokenMs!, tokensPerSecond: tokensPerSecond!, totalMs: totalMs!, finishReason };
}

function parsePassage(value: unknown): Passage | undefined {
  if (!isRecord(value)) return undefined;
  const file = str(value.file);
  const text = str(value.text);
  const index = num(value.index);
  const startLine = num(value.startLine);
  const endLine = num(value.endLine);
  if (file === undefined || text === undefined || index === undefined || startLine === undefined || endLine === undefined) return undefined;
  const passage: Passage = {
    index,
    file,
    startLine,
    endLine,
    headingPath: Array.isArray(value.headingPath) ? value.headingPath.filter((h): h is string => typeof h === 'string') : [],
    text,
    score: num(value.score) ?? 0,
  };
  if (isRecord(value.scores)) {
    passage.scores = Object.fromEntries(Object.entries(value.scores).filter((entry): entry is [string, number] => num(entry[1]) !== undefined));
  }
  return passage;
}

function parseTurns(value: unknown): ChatTurn[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((m) => (isRecord(m) && typeof m.role === 'string' && typeof m.content === 'string' ? [{ role: m.role, content: m.content }] : []));
}

function parseInput(value: unknown): ModelInput | undefined {
  if (!isRecord(value)) return undefined;
  const input: ModelInput = {
    model: str(value.model) ?? '',
    messages: parseTurns(value.messages),
    examples: Array.isArray(value.examples) ? value.examples.flatMap((e) => (isRecord(e) && typeof e.source === 'string' ? [{ source: e.source, messages: parseTurns(e.messages) }] : [])) : [],
    passages: Array.isArray(value.passages) ? value.passages.flatMap((p) => parsePassage(p) ?? []) : [],
    droppedTurns: num(value.droppedTurns) ?? 0,
    notes: Array.isArray(value.notes) ? value.notes.filter((n): n is string => typeof n === 'string') : [],
  };
  const template = str(value.template);
  if (template) input.template = template;
  return input;
}

const errorCodes = new Set(['model-missing', 'context-too-long', 'engine-failure', 'backend-unavailable', 'cancelled', 'invalid-request']);

function parseMessage(value: unknown): ChatMessage | undefined {
  if (!isRecord(value)) return undefined;
  const id = str(value.id);
  const content = str(value.content);
  const createdAt = num(value.createdAt) ?? 0;
  if (!id || content === undefined) return undefined;
  if (value.role === 'user') return { id, role: 'user', content, createdAt };
  if (value.role !== 'assistant') return undefined;
  // An answer that was still streaming when the window closed ended there: it is stopped, not streaming forever.
  const status = value.status === 'done' || value.status === 'error' || value.status === 'stopped' ? value.status : 'stopped';
  const message: AssistantMessage = { id, role: 'assistant', content, createdAt, status };
  const model = str(value.model);
  if (model) message.model = model;
  if (isRecord(value.error) && typeof value.error.message === 'string' && typeof value.error.code === 'string' && errorCodes.has(value.error.code)) {
    message.error = { code: value.error.code as NonNullable<AssistantMessage['error']>['code'], message: value.error.message };
  }
  const stats = parseStats(value.stats);
  if (stats) message.stats = stats;
  const input = parseInput(value.input);
  if (input) message.input = input;
  // Conversations saved before compare existed have neither field: they load as plain answers.
  if (isRecord(value.compare) && isId(value.compare.group) && (value.compare.slot === 'a' || value.compare.slot === 'b')) {
    message.compare = { group: value.compare.group, slot: value.compare.slot };
    if (value.preferred === true) message.preferred = true;
  }
  const reasoning = str(value.reasoning);
  if (reasoning) message.reasoning = reasoning;
  const reasoningMs = num(value.reasoningMs);
  if (reasoningMs !== undefined && reasoningMs >= 0) message.reasoningMs = reasoningMs;
  return message;
}

/** A conversation read from disk, or undefined when it is not one. Damaged messages are dropped, not fatal. */
export function parseConversation(value: unknown): Conversation | undefined {
  if (!isRecord(value)) return undefined;
  const id = str(value.id);
  if (!id || !/^[\w-]{1,100}$/.test(id)) return undefined;
  const createdAt = num(value.createdAt) ?? 0;
  return {
    id,
    title: str(value.title)?.slice(0, 200) || 'Untitled conversation',
    createdAt,
    updatedAt: num(value.updatedAt) ?? createdAt,
    settings: parseSettings(value.settings),
    messages: Array.isArray(value.messages) ? value.messages.flatMap((m) => parseMessage(m) ?? []) : [],
  };
}
