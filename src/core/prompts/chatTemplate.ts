import { statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { isMissingFileError, readBoundedTextSync, type FileKind } from '../files/boundedRead';
import { type ChatMessage } from './fewShotSelection';
import { GuardedJinjaTemplate, TemplateBudgetError, type TemplateBudgets } from '../templates/guardedTemplates';

/** What a model folder says about turning messages into its prompt string and counting its tokens. */
export interface ModelPromptInfo {
  folder: string;
  chatTemplate?: string;
  /** Which file the template came from, for the preview ("tokenizer_config.json", "chat_template.jinja"). */
  chatTemplateSource?: string;
  specialTokens: Record<string, string>;
  contextWindow?: number;
  tokenizer?: Tokenizer;
  /** Why something is missing, in words. */
  notes: string[];
}

/**
 * A file of the model folder as text, or undefined when absent. One that is not a safe file (a pipe, a device, over
 * its kind's size) is treated as absent and said first in `notes`, so the preview shows why.
 */
function readModelText(path: string, kind: FileKind, notes: string[]): string | undefined {
  try {
    return readBoundedTextSync(path, { kind });
  } catch (error) {
    if (!isMissingFileError(error)) notes.unshift(error instanceof Error ? error.message : String(error));
    return undefined;
  }
}

function readJson(path: string, kind: FileKind, notes: string[]): Record<string, unknown> | undefined {
  const text = readModelText(path, kind, notes);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const tokenizerCache = new Map<string, { mtime: number; tokenizer: Tokenizer }>();

/**
 * Loads a local model folder's chat template (`chat_template.jinja`, `chat_template.json`, or `chat_template` in
 * `tokenizer_config.json`, the order transformers uses), special tokens, context window (`config.json`) and
 * tokenizer (`tokenizer.json`). Tokenizers are cached by folder.
 */
export function loadModelPromptInfo(folder: string): ModelPromptInfo {
  const notes: string[] = [];
  const config = readJson(join(folder, 'tokenizer_config.json'), 'tokenizerConfig', notes);
  const modelConfig = readJson(join(folder, 'config.json'), 'modelConfig', notes);
  let chatTemplate: string | undefined;
  let chatTemplateSource: string | undefined;
  const jinjaTemplate = readModelText(join(folder, 'chat_template.jinja'), 'chatTemplate', notes);
  const jsonTemplate = jinjaTemplate === undefined ? readJson(join(folder, 'chat_template.json'), 'chatTemplate', notes)?.chat_template : undefined;
  if (jinjaTemplate !== undefined) {
    chatTemplate = jinjaTemplate;
    chatTemplateSource = 'chat_template.jinja';
  } else if (typeof jsonTemplate === 'string') {
    chatTemplate = jsonTemplate;
    chatTemplateSource = 'chat_template.json';
  } else if (config?.chat_template !== undefined) {
    const raw = config.chat_template;
    if (typeof raw === 'string') chatTemplate = raw;
    else if (Array.isArray(raw)) {
      const named = raw as { name?: string; template?: string }[];
      chatTemplate = (named.find((entry) => entry.name === 'default') ?? named[0])?.template;
    }
    chatTemplateSource = 'tokenizer_config.json';
  }
  if (!chatTemplate) notes.push(`No chat template in ${folder}: it needs \`chat_template\` in tokenizer_config.json, or a chat_template.jinja file.`);
  const specialTokens: Record<string, string> = {};
  for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
    const text = tokenText(config?.[key]);
    if (text !== undefined) specialTokens[key] = text;
  }
  const windowCandidates = [modelConfig?.max_position_embeddings, modelConfig?.n_positions, modelConfig?.max_sequence_length, (modelConfig?.text_config as Record<string, unknown> | undefined)?.max_position_embeddings, config?.model_max_length];
  const contextWindow = windowCandidates.find((value): value is number => typeof value === 'number' && value > 0 && value < 1e8);
  let tokenizer: Tokenizer | undefined;
  const tokenizerPath = join(folder, 'tokenizer.json');
  // The modification time only keys the cache; what is parsed comes from the bounded read, which checks the file itself.
  const tokenizerStats = statOrUndefined(tokenizerPath);
  if (tokenizerStats) {
    const cached = tokenizerCache.get(tokenizerPath);
    if (cached && cached.mtime === tokenizerStats.mtimeMs) tokenizer = cached.tokenizer;
    else {
      try {
        tokenizer = new Tokenizer(JSON.parse(readBoundedTextSync(tokenizerPath, { kind: 'tokenizer' })) as object, config ?? {});
        tokenizerCache.set(tokenizerPath, { mtime: tokenizerStats.mtimeMs, tokenizer });
      } catch (error) {
        notes.push(`tokenizer.json could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  } else notes.push(`No tokenizer.json in ${folder}, so tokens are not counted.`);
  return {
    folder,
    ...(chatTemplate !== undefined ? { chatTemplate } : {}),
    ...(chatTemplateSource !== undefined ? { chatTemplateSource } : {}),
    specialTokens,
    ...(contextWindow !== undefined ? { contextWindow } : {}),
    ...(tokenizer !== undefined ? { tokenizer } : {}),
    notes,
  };
}

/** The model's chat template (not the prompt template) failed: the model folder is at fault, named in the message. */
export class ModelChatTemplateError extends Error {
  constructor(info: ModelPromptInfo, cause: unknown) {
    super(`The chat template of ${info.folder} (${info.chatTemplateSource ?? 'chat template'}) failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'ModelChatTemplateError';
  }
}

export interface AppliedChatTemplate {
  prompt: string;
  totalTokens?: number;
  /** Tokens each message adds to the prompt (its text plus the template's markup around it). */
  messageTokens?: number[];
}

/** Renders messages through the model's chat template, as transformers' `apply_chat_template(add_generation_prompt=True)`. */
export function applyChatTemplate(info: ModelPromptInfo, messages: readonly ChatMessage[], extra: Record<string, unknown> = {}, budgets?: Partial<TemplateBudgets>): AppliedChatTemplate {
  if (!info.chatTemplate) throw new Error(info.notes[0] ?? 'The model has no chat template.');
  const template = parsedChatTemplate(info.chatTemplate);
  const render = (list: readonly ChatMessage[], addGenerationPrompt: boolean): string =>
    template.render({ ...info.specialTokens, ...extra, messages: list.map((m) => ({ ...m })), add_generation_prompt: addGenerationPrompt }, budgets);
  let prompt: string;
  try {
    prompt = render(messages, true);
  } catch (error) {
    throw new ModelChatTemplateError(info, error);
  }
  if (!info.tokenizer) return { prompt };
  const count = cachedCounter(info.tokenizer);
  // Per-message counts: each message's share of the prompt is the text its prefix adds (its content plus the
  // template's markup), tokenized alone. When a template rewrites earlier turns (a prefix is not a prefix of the
  // whole), fall back to counting each message's own text.
  const segments: string[] = [];
  let previous = '';
  let prefixesHold = true;
  for (let i = 0; i < messages.length; i++) {
    let text: string;
    try {
      text = render(messages.slice(0, i + 1), false);
    } catch (error) {
      // A budget that ran out on a prefix would run out again: only templates refusing a shape fall back.
      if (error instanceof TemplateBudgetError) throw new ModelChatTemplateError(info, error);
      prefixesHold = false;
      break;
    }
    if (!text.startsWith(previous) || !prompt.startsWith(text)) {
      prefixesHold = false;
      break;
    }
    segments.push(text.slice(previous.length));
    previous = text;
  }
  if (!prefixesHold) return { prompt, totalTokens: count(prompt), messageTokens: messages.map((m) => count(m.content)) };
  const messageTokens = segments.map(count);
  const tail = count(prompt.slice(previous.length));
  const segmentTotal = messageTokens.reduce((sum, n) => sum + n, 0) + tail;
  // Segments usually start at a special token, where tokenizers split anyway, so their counts add up to the whole
  // prompt's. Checked once per tokenizer and template: then an edit re-tokenizes only the message that changed.
  const key = `${info.chatTemplate.length}:${info.chatTemplate.slice(0, 64)}`;
  const additive = additiveTemplates.get(info.tokenizer) ?? new Map<string, boolean>();
  additiveTemplates.set(info.tokenizer, additive);
  let totalTokens = segmentTotal;
  if (additive.get(key) !== true) {
    totalTokens = count(prompt);
    additive.set(key, totalTokens === segmentTotal);
  }
  return { prompt, totalTokens, messageTokens };
}

const parsedTemplates = new Map<string, GuardedJinjaTemplate>();

/** Chat templates parsed once: the preview renders the same one on every keystroke. */
function parsedChatTemplate(source: string): GuardedJinjaTemplate {
  let template = parsedTemplates.get(source);
  if (!template) {
    template = new GuardedJinjaTemplate(source, { chatTemplate: true });
    if (parsedTemplates.size >= 8) parsedTemplates.delete(parsedTemplates.keys().next().value!);
    parsedTemplates.set(source, template);
  }
  return template;
}

const additiveTemplates = new WeakMap<Tokenizer, Map<string, boolean>>();
const countCaches = new WeakMap<Tokenizer, Map<string, number>>();

/** Token counts with a small per-tokenizer cache: between two edits most messages are unchanged. */
function cachedCounter(tokenizer: Tokenizer): (text: string) => number {
  let cache = countCaches.get(tokenizer);
  if (!cache) countCaches.set(tokenizer, (cache = new Map<string, number>()));
  return (text) => {
    const hit = cache.get(text);
    if (hit !== undefined) return hit;
    const count = tokenizer.encode(text, { add_special_tokens: false }).ids.length;
    if (cache.size >= 512) cache.delete(cache.keys().next().value!);
    cache.set(text, count);
    return count;
  };
}
