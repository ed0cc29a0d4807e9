import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { isMissingFileError, readBoundedTextSync } from '../files/boundedRead';
import { type ChatTurn } from '../text/chatTurn';
import { GuardedJinjaTemplate, TemplateBudgetError, type TemplateBudgets } from './guardedTemplates';

/** The files a model's chat template can come from, in the order transformers prefers them. */
export type ChatTemplateFileName = 'chat_template.jinja' | 'chat_template.json' | 'tokenizer_config.json';

/** A model folder's chat template(s) and the special tokens they are rendered with. */
export interface ModelChatTemplate {
  readonly folder: string;
  /** Where the template came from, for messages and the preview. */
  readonly fileName: ChatTemplateFileName;
  /** The same, as a path. */
  readonly file: string;
  /** Jinja sources by name: `default` and, where the model has them, others such as `tool_use`. */
  readonly templates: Readonly<Record<string, string>>;
  /** tokenizer_config.json's bos_token, eos_token, pad_token and unk_token that are set, as text. */
  readonly specialTokens: Readonly<Record<string, string>>;
}

/** A model file that could not be read (not a regular file, over its size limit, not JSON), with its path. */
export interface ChatTemplateFileProblem {
  message: string;
  file: string;
}

/** The model's chat template could not be parsed or failed on a conversation; `file` is where the template came from. */
export class ChatTemplateError extends Error {
  constructor(
    message: string,
    readonly file: string,
    /** It does not parse; it refused the conversation (`raise_exception`, a strict check); it ran out of a budget. */
    readonly failure: 'syntax' | 'conversation' | 'budget',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'ChatTemplateError';
  }
}

const specialTokenKeys = ['bos_token', 'eos_token', 'pad_token', 'unk_token'];
/** transformers' folder of named templates saved beside chat_template.jinja (`tool_use.jinja` …). */
const namedTemplatesFolder = 'additional_chat_templates';

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/** tokenizer_config.json's bos_token, eos_token, pad_token and unk_token that are set, as text (strings or added-token objects). */
export function specialTokensOf(tokenizerConfig: Readonly<Record<string, unknown>> | undefined): Record<string, string> {
  const specialTokens: Record<string, string> = {};
  for (const key of specialTokenKeys) {
    const text = tokenText(tokenizerConfig?.[key]);
    if (text !== undefined) specialTokens[key] = text;
  }
  return specialTokens;
}

/**
 * The templates a `chat_template` value holds, by name: a string is the default; a list of `{name, template}` (how
 * transformers saves several) or an object keyed by name holds named ones. Undefined when it holds none.
 */
function templatesOf(value: unknown): Record<string, string> | undefined {
  if (typeof value === 'string') return { default: value };
  const entries = Array.isArray(value)
    ? value.map((entry: unknown) => [(entry as { name?: unknown } | null)?.name, (entry as { template?: unknown } | null)?.template])
    : typeof value === 'object' && value !== null
      ? Object.entries(value)
      : [];
  const templates: Record<string, string> = {};
  for (const [name, template] of entries) if (typeof name === 'string' && typeof template === 'string') templates[name] = template;
  return Object.keys(templates).length > 0 ? templates : undefined;
}

/**
 * Reads a model folder's chat template in the order transformers uses: `chat_template.jinja` (with the named
 * templates of `additional_chat_templates/`), which overrides everything else; then `chat_template.json` (the
 * processors' file of multimodal models); then `chat_template` in tokenizer_config.json (given already parsed). A file
 * that cannot be read is skipped and said in `problems`, so each caller decides whether that is fatal.
 */
export function readChatTemplate(folder: string, tokenizerConfig: Readonly<Record<string, unknown>> | undefined): { template?: ModelChatTemplate; problems: ChatTemplateFileProblem[] } {
  const problems: ChatTemplateFileProblem[] = [];
  const readText = (file: string): string | undefined => {
    try {
      return readBoundedTextSync(file, { kind: 'chatTemplate' });
    } catch (error) {
      if (!isMissingFileError(error)) problems.push({ message: error instanceof Error ? error.message : String(error), file });
      return undefined;
    }
  };
  const specialTokens = specialTokensOf(tokenizerConfig);
  const found = (fileName: ChatTemplateFileName, templates: Record<string, string>): { template: ModelChatTemplate; problems: ChatTemplateFileProblem[] } => ({
    template: { folder, fileName, file: join(folder, fileName), templates, specialTokens },
    problems,
  });

  const jinja = readText(join(folder, 'chat_template.jinja'));
  if (jinja !== undefined) return found('chat_template.jinja', { default: jinja, ...namedTemplates(join(folder, namedTemplatesFolder), readText) });
  const jsonFile = join(folder, 'chat_template.json');
  const json = readText(jsonFile);
  if (json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      problems.push({ message: `${jsonFile} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`, file: jsonFile });
    }
    if (parsed !== undefined) {
      const templates = templatesOf(typeof parsed === 'object' && parsed !== null ? (parsed as { chat_template?: unknown }).chat_template : undefined);
      if (templates) return found('chat_template.json', templates);
      problems.push({ message: `${jsonFile} has no "chat_template" string`, file: jsonFile });
    }
  }
  const configured = templatesOf(tokenizerConfig?.chat_template);
  return configured ? found('tokenizer_config.json', configured) : { problems };
}

/** `additional_chat_templates/<name>.jinja`, by name. */
function namedTemplates(dir: string, readText: (file: string) => string | undefined): Record<string, string> {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.jinja'));
  } catch {
    return {};
  }
  const templates: Record<string, string> = {};
  for (const name of names.sort()) {
    const text = readText(join(dir, name));
    if (text !== undefined) templates[name.slice(0, -'.jinja'.length)] = text;
  }
  return templates;
}

/**
 * Which of the model's templates a render uses, as transformers' `get_chat_template` chooses: `tool_use` when tools
 * are given and the model has one, else `default`. A list without a default (which transformers refuses) gets its
 * first template, as Chatwright always did.
 */
export function selectedTemplateName(template: ModelChatTemplate, variables: Readonly<Record<string, unknown>> = {}): string {
  const names = Object.keys(template.templates);
  if (variables.tools !== undefined && variables.tools !== null && names.includes('tool_use')) return 'tool_use';
  return names.includes('default') ? 'default' : names[0]!;
}

const parsedTemplates = new Map<string, GuardedJinjaTemplate>();

/** Chat templates parsed once: the preview renders the same one on every keystroke, a dataset on every row. */
function parsedChatTemplate(source: string): GuardedJinjaTemplate {
  let parsed = parsedTemplates.get(source);
  if (!parsed) {
    parsed = new GuardedJinjaTemplate(source, { chatTemplate: true });
    if (parsedTemplates.size >= 8) parsedTemplates.delete(parsedTemplates.keys().next().value!);
    parsedTemplates.set(source, parsed);
  }
  return parsed;
}

export interface ChatTemplateRenderOptions {
  /** Open the assistant's turn at the end (generation and the preview); datasets render whole conversations without. */
  addGenerationPrompt: boolean;
  /** Further template variables (`enable_thinking`, `tools` …). */
  variables?: Readonly<Record<string, unknown>>;
  /** The render's time, loop and size budgets (defaults: guardedTemplates.ts). */
  budgets?: Partial<TemplateBudgets>;
}

/**
 * Renders a conversation through the model's chat template, as transformers' `apply_chat_template(tokenize=False)`:
 * the special tokens, the caller's variables, `messages` and `add_generation_prompt`, with the guarded renderer's
 * globals (`raise_exception`, `strftime_now`, a capped `range`). The one renderer of the engine, the prompt preview
 * and dataset token counts, so all three see the same string.
 */
export function renderChatTemplate(template: ModelChatTemplate, messages: readonly ChatTurn[], options: ChatTemplateRenderOptions): string {
  const variables = options.variables ?? {};
  const name = selectedTemplateName(template, variables);
  const described = `The chat template of ${template.folder} (${template.fileName}${name === 'default' ? '' : `, "${name}"`})`;
  let parsed: GuardedJinjaTemplate;
  try {
    parsed = parsedChatTemplate(template.templates[name]!);
  } catch (error) {
    throw new ChatTemplateError(`${described} cannot be parsed: ${error instanceof Error ? error.message : String(error)}`, template.file, 'syntax', { cause: error });
  }
  try {
    return parsed.render({ ...template.specialTokens, ...variables, messages: messages.map((message) => ({ ...message })), add_generation_prompt: options.addGenerationPrompt }, options.budgets);
  } catch (error) {
    throw new ChatTemplateError(`${described} failed: ${error instanceof Error ? error.message : String(error)}`, template.file, error instanceof TemplateBudgetError ? 'budget' : 'conversation', {
      cause: error,
    });
  }
}
