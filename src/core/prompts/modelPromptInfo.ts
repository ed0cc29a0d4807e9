import { statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { isMissingFileError, readBoundedTextSync, type FileKind } from '../files/boundedRead';
import { type ChatTurn } from '../text/chatTurn';
import { ChatTemplateError, readChatTemplate, renderChatTemplate, selectedTemplateName, type ModelChatTemplate } from '../templates/chatTemplate';
import { type TemplateBudgets } from '../templates/guardedTemplates';

/** What a model folder says about turning messages into its prompt string and counting its tokens. */
export interface ModelPromptInfo {
  folder: string;
  chatTemplate?: ModelChatTemplate;
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

function statOrUndefined(path: string): Stats | undefined {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}

const tokenizerCache = new Map<string, { mtime: number; tokenizer: Tokenizer }>();

/**
 * Loads a local model folder's chat template (`readChatTemplate`: the order transformers uses), context window
 * (`config.json`) and tokenizer (`tokenizer.json`). Tokenizers are cached by folder.
 */
export function loadModelPromptInfo(folder: string): ModelPromptInfo {
  const notes: string[] = [];
  const config = readJson(join(folder, 'tokenizer_config.json'), 'tokenizerConfig', notes);
  const modelConfig = readJson(join(folder, 'config.json'), 'modelConfig', notes);
  const { template: chatTemplate, problems } = readChatTemplate(folder, config);
  // A template file that is not a safe file is said first, so the preview shows why another template (or none) is used.
  for (const problem of problems) notes.unshift(problem.message);
  if (!chatTemplate) notes.push(`No chat template in ${folder}: it needs \`chat_template\` in tokenizer_config.json, or a chat_template.jinja file.`);
  const windowCandidates = [
    modelConfig?.max_position_embeddings,
    modelConfig?.n_positions,
    modelConfig?.max_sequence_length,
    (modelConfig?.text_config as Record<string, unknown> | undefined)?.max_position_embeddings,
    config?.model_max_length,
  ];
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
  return { folder, ...(chatTemplate ? { chatTemplate } : {}), ...(contextWindow !== undefined ? { contextWindow } : {}), ...(tokenizer ? { tokenizer } : {}), notes };
}

export interface AppliedChatTemplate {
  prompt: string;
  totalTokens?: number;
  /** Tokens each message adds to the prompt (its text plus the template's markup around it). */
  messageTokens?: number[];
}

/**
 * Renders messages through the model's chat template, as transformers' `apply_chat_template(add_generation_prompt=True)`
 * (the engine renders with the same function), with each message's share of the prompt's tokens.
 */
export function applyChatTemplate(info: ModelPromptInfo, messages: readonly ChatTurn[], extra: Record<string, unknown> = {}, budgets?: Partial<TemplateBudgets>): AppliedChatTemplate {
  const template = info.chatTemplate;
  if (!template) throw new Error(info.notes[0] ?? 'The model has no chat template.');
  const render = (list: readonly ChatTurn[], addGenerationPrompt: boolean): string => renderChatTemplate(template, list, { addGenerationPrompt, variables: extra, ...(budgets ? { budgets } : {}) });
  const prompt = render(messages, true);
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
      if (error instanceof ChatTemplateError && error.failure === 'budget') throw error;
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
  const source = template.templates[selectedTemplateName(template, extra)]!;
  const key = `${source.length}:${source.slice(0, 64)}`;
  const additive = additiveTemplates.get(info.tokenizer) ?? new Map<string, boolean>();
  additiveTemplates.set(info.tokenizer, additive);
  let totalTokens = segmentTotal;
  if (additive.get(key) !== true) {
    totalTokens = count(prompt);
    additive.set(key, totalTokens === segmentTotal);
  }
  return { prompt, totalTokens, messageTokens };
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
