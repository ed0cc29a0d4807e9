import { type SelectionStrategy } from './fewShotSelection';
import { parseReference, resolveEnvReference } from './promptyInputs';

/** Examples settings from the front matter: `examples: file.jsonl` or `{file, k, strategy, seed, input}`. */
export function examplesSettings(data: Record<string, unknown> | undefined): { file: string; k: number; strategy: SelectionStrategy; seed: number; input?: string } | undefined {
  const raw = data?.examples;
  if (typeof raw === 'string') return { file: raw, k: 3, strategy: 'first', seed: 0 };
  if (!raw || typeof raw !== 'object' || typeof (raw as { file?: unknown }).file !== 'string') return undefined;
  const settings = raw as { file: string; k?: unknown; strategy?: unknown; seed?: unknown; input?: unknown };
  const strategy = settings.strategy === 'random' || settings.strategy === 'similar' ? settings.strategy : 'first';
  return {
    file: settings.file,
    k: typeof settings.k === 'number' && settings.k >= 0 ? Math.floor(settings.k) : 3,
    strategy,
    seed: typeof settings.seed === 'number' ? settings.seed : 0,
    ...(typeof settings.input === 'string' ? { input: settings.input } : {}),
  };
}

/** The model a template names: `model` (string), `model.id`, or `model.configuration.model`, env references resolved. */
export function modelIdOf(data: Record<string, unknown> | undefined, env: Record<string, string | undefined> = {}): string | undefined {
  const model = data?.model;
  if (typeof model === 'string') return String(resolveEnvReference(model, env));
  if (!model || typeof model !== 'object') return undefined;
  const record = model as { id?: unknown; configuration?: { model?: unknown } };
  const id = record.id ?? record.configuration?.model;
  if (typeof id !== 'string') return undefined;
  const resolved = resolveEnvReference(id, env);
  return typeof resolved === 'string' && !/^\$\{/.test(resolved) ? resolved : undefined;
}

/** The environment variable a template's model id is read from (`model.id: ${env:NAME}`), when it is. */
export function modelIdEnvName(data: Record<string, unknown> | undefined): string | undefined {
  const model = data?.model;
  const raw =
    typeof model === 'string' ? model : model && typeof model === 'object' ? ((model as { id?: unknown }).id ?? (model as { configuration?: { model?: unknown } }).configuration?.model) : undefined;
  const reference = parseReference(raw);
  return reference?.kind === 'env' ? reference.target : undefined;
}

/** How a value read from the environment is shown: its variable, never its value (a template may name a secret). */
export function envPlaceholder(name: string): string {
  return `«env:${name}»`;
}

/** `text` with an environment variable's value (and its Hub-cache folder form `org--name`) shown as its placeholder. */
export function redactEnvValue(text: string, name: string, value: string | undefined): string {
  // A value this short would garble the text, and cannot be a secret worth hiding.
  if (!value || value.length < 3) return text;
  const placeholder = envPlaceholder(name);
  let redacted = text.split(value).join(placeholder);
  if (value.includes('/')) redacted = redacted.split(value.replaceAll('/', '--')).join(placeholder);
  return redacted;
}

/** Whether a model name can be a Hugging Face repository id (`org/name`) rather than a hosted model's name. */
export function looksLikeHubId(id: string): boolean {
  return /^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/.test(id);
}

/** Retrieval settings from the front matter (`retrieval: {index, k, paths, input, variable}`), as the chat uses them. */
export interface TemplateRetrievalSettings {
  index?: string;
  k?: number;
  /** Globs limiting which files passages may come from; empty means every indexed file. */
  paths: string[];
  /** The input that is the search query (default: the user's question). */
  input?: string;
  /** The template variable that receives the formatted passages (default `context`). */
  variable: string;
}

export function retrievalSettings(data: Record<string, unknown> | undefined): TemplateRetrievalSettings | undefined {
  const raw = data?.retrieval;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const settings = raw as { index?: unknown; k?: unknown; paths?: unknown; input?: unknown; variable?: unknown };
  const paths = typeof settings.paths === 'string' ? [settings.paths] : Array.isArray(settings.paths) ? settings.paths.filter((p): p is string => typeof p === 'string' && p.trim() !== '') : [];
  return {
    ...(typeof settings.index === 'string' && settings.index.trim() ? { index: settings.index } : {}),
    ...(typeof settings.k === 'number' && Number.isInteger(settings.k) && settings.k >= 1 ? { k: Math.min(settings.k, 100) } : {}),
    paths,
    ...(typeof settings.input === 'string' && settings.input.trim() ? { input: settings.input } : {}),
    variable: typeof settings.variable === 'string' && /^[A-Za-z_]\w*$/.test(settings.variable) ? settings.variable : 'context',
  };
}
