import { dirname, resolve } from 'node:path';
import { type TextEmbedder } from '../inference/embedding';
import { resolveLocalModel } from '../hub/cacheLocation';
import { applyChatTemplate, loadModelPromptInfo } from './modelPromptInfo';
import { type TemplateBudgets } from '../templates/guardedTemplates';
import { readExamplesText } from './examplesFile';
import { selectExamples } from './fewShotSelection';
import { type ChatTurn } from '../text/chatTurn';
import { examplesSettings, looksLikeHubId, modelIdEnvName, modelIdOf, redactEnvValue } from './promptySettings';
import { declaredInputs, inputValues } from './promptyInputs';
import { parsePromptyDocument } from './promptyDocument';
import { splitMessages } from './promptMessages';
import { renderTemplateBody } from './templateRendering';
import { readWorkspaceFile } from './workspaceFiles';

export interface RenderRequest {
  /** The template's text (the editor's, possibly unsaved). */
  text: string;
  /** Absolute path of the template, for `${file:…}` and the examples file. */
  templatePath?: string;
  /** Files may be read only under these folders (the template's folder when empty). */
  workspaceRoots: string[];
  /** Values that override the sample. */
  inputs?: Record<string, unknown>;
  /** A model id or folder that overrides the front matter's. */
  model?: string;
  /** The model used when the front matter names none, or names one that is not available locally. */
  fallbackModel?: string;
  /** An embedding model (Hub id or folder) for `strategy: similar`; without one, BM25 is used. */
  embeddingModel?: string;
  env?: Record<string, string | undefined>;
  /** Show the values of `${env:…}` references; by default they are shown as `«env:NAME»` (they may be secrets). */
  showEnv?: boolean;
}

export interface RenderedMessage extends ChatTurn {
  source: 'template' | 'example';
  /** Tokens this message adds to the model's prompt, when the model's tokenizer is known. */
  tokens?: number;
}

export interface RenderedPrompt {
  format: 'jinja2' | 'mustache';
  /** `chat`, `completion`, `embedding`, …: the API the front matter names. */
  api: string;
  messages: RenderedMessage[];
  /** The rendered body, before it is split into messages. */
  renderedText: string;
  inputs: { name: string; value: unknown; source: 'given' | 'sample' | 'missing' }[];
  examples?: { file: string; method: string; count: number; problems: string[] };
  model?: {
    id: string;
    folder?: string;
    chatTemplateSource?: string;
    contextWindow?: number;
    notes: string[];
  };
  /** The exact string the model receives (its chat template applied), when a model with a template is known. */
  prompt?: string;
  totalTokens?: number;
  /** What the preview should say when no prompt string can be shown. */
  modelHint?: string;
  /** Environment variables the template read (`${env:NAME}`); their values appear as `«env:NAME»` unless asked for. */
  environmentVariables?: string[];
  warnings: string[];
}

/** A model named by id (looked up in the Hugging Face cache) or by folder (relative to the template). */
export function resolveModelFolder(idOrPath: string, templatePath: string | undefined, env: Record<string, string | undefined>): string | undefined {
  if (templatePath && /^\.{1,2}[\\/]/.test(idOrPath)) return resolveLocalModel(resolve(dirname(templatePath), idOrPath), env);
  return resolveLocalModel(idOrPath, env);
}

/**
 * Renders a template as the model will see it: inputs (sample, overridden by the caller's), the body through
 * Jinja2 or Mustache, role lines into messages, few-shot examples after the system message, and — when a local
 * model with a chat template is known — the final prompt string with token counts.
 */
export async function renderPrompt(
  request: RenderRequest,
  options: {
    embedder?: TextEmbedder;
    /** Loads the embedder for `request.embeddingModel` on demand (the worker caches it); a failure falls back to BM25. */
    loadEmbedder?: (idOrPath: string) => Promise<TextEmbedder>;
    signal?: AbortSignal;
    onPhase?: (phase: 'model') => void;
    /** Budgets of the template's and the chat template's renders (defaults: guardedTemplates.ts). */
    budgets?: Partial<TemplateBudgets>;
  } = {},
): Promise<RenderedPrompt> {
  const envValues = new Map<string, string>();
  const rendered = await renderPromptUnredacted(request, options, envValues);
  if (request.showEnv === true) return rendered;
  for (const [name, value] of envValues) {
    const hide = (text: string): string => redactEnvValue(text, name, value);
    if (rendered.model)
      rendered.model = { ...rendered.model, id: hide(rendered.model.id), ...(rendered.model.folder ? { folder: hide(rendered.model.folder) } : {}), notes: rendered.model.notes.map(hide) };
    if (rendered.modelHint) rendered.modelHint = hide(rendered.modelHint);
    rendered.warnings = rendered.warnings.map(hide);
  }
  return rendered;
}

/** Renders with `${env:…}` values as they are; the values it read are put into `envValues` by variable name. */
async function renderPromptUnredacted(request: RenderRequest, options: NonNullable<Parameters<typeof renderPrompt>[1]>, envValues: Map<string, string>): Promise<RenderedPrompt> {
  const env = request.env ?? {};
  const document = parsePromptyDocument(request.text);
  const errors = document.findings.filter((finding) => finding.severity === 'error');
  if (errors.length > 0) {
    const first = errors[0]!;
    const position = document.positions.positionAt(first.start);
    throw new Error(`line ${position.line + 1}: ${first.message}`);
  }
  const data = document.frontMatter?.data;
  const warnings: string[] = [];
  const { inputs, problems } = declaredInputs(data, document.frontMatter?.yaml, request.templatePath, request.workspaceRoots);
  for (const problem of problems) warnings.push(problem.message);
  const values = inputValues(inputs, request.inputs);
  const renderedText = renderTemplateBody(document.body, document.format, values, options.budgets);
  const api =
    typeof (data?.model as { api?: unknown } | undefined)?.api === 'string'
      ? (data!.model as { api: string }).api
      : typeof (data?.model as { apiType?: unknown } | undefined)?.apiType === 'string'
        ? (data!.model as { apiType: string }).apiType
        : 'chat';
  let messages: RenderedMessage[] =
    api === 'chat' || api === 'responses' ? splitMessages(renderedText).map((m) => ({ ...m, source: 'template' as const })) : [{ role: 'user', content: renderedText.trim(), source: 'template' }];

  let examplesInfo: RenderedPrompt['examples'];
  const settings = examplesSettings(data);
  if (settings) {
    const file = readWorkspaceFile(settings.file, request.templatePath, request.workspaceRoots);
    if ('error' in file) {
      warnings.push(`Examples: ${file.error}`);
      examplesInfo = { file: settings.file, method: 'none (file not read)', count: 0, problems: [file.error] };
    } else {
      const { examples, problems: exampleProblems } = readExamplesText(file.text);
      const lastUser = [...messages].reverse().find((m) => m.role === 'user')?.content;
      const queryValue = settings.input !== undefined ? values[settings.input] : lastUser;
      let embedder = options.embedder;
      let embedderNote = '';
      if (!embedder && settings.strategy === 'similar' && request.embeddingModel && options.loadEmbedder) {
        // Loading an embedding model takes seconds: the template itself has rendered, so its time limit is over.
        options.onPhase?.('model');
        try {
          embedder = await options.loadEmbedder(request.embeddingModel);
        } catch (error) {
          embedderNote = ` (embedding model ${request.embeddingModel} could not be loaded: ${error instanceof Error ? error.message : String(error)})`;
        }
      }
      const selection = await selectExamples(examples, {
        k: settings.k,
        strategy: settings.strategy,
        seed: settings.seed,
        query: typeof queryValue === 'string' ? queryValue : JSON.stringify(queryValue ?? ''),
        ...(embedder ? { embedder } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      selection.method += embedderNote;
      const exampleMessages: RenderedMessage[] = selection.examples.flatMap((example) => example.messages.filter((m) => m.role !== 'system').map((m) => ({ ...m, source: 'example' as const })));
      let insertAt = 0;
      while (insertAt < messages.length && messages[insertAt]!.role === 'system') insertAt++;
      messages = [...messages.slice(0, insertAt), ...exampleMessages, ...messages.slice(insertAt)];
      examplesInfo = { file: settings.file, method: selection.method, count: selection.examples.length, problems: exampleProblems.map((p) => `line ${p.line + 1}: ${p.message}`) };
    }
  }

  const inputReport = inputs.map((input) => ({
    name: input.name,
    value: values[input.name],
    source: request.inputs && input.name in request.inputs ? ('given' as const) : input.hasValue ? ('sample' as const) : ('missing' as const),
  }));
  for (const [name, value] of Object.entries(request.inputs ?? {})) if (!inputs.some((input) => input.name === name)) inputReport.push({ name, value, source: 'given' });

  const result: RenderedPrompt = { format: document.format, api, messages, renderedText, inputs: inputReport, ...(examplesInfo !== undefined ? { examples: examplesInfo } : {}), warnings };
  const templateModel = modelIdOf(data, env);
  const modelEnvName = modelIdEnvName(data);
  if (modelEnvName !== undefined && request.model === undefined && templateModel !== undefined) {
    result.environmentVariables = [modelEnvName];
    envValues.set(modelEnvName, templateModel);
  }
  const available = (id: string | undefined): boolean => id !== undefined && resolveModelFolder(id, request.templatePath, env) !== undefined;
  const modelId = request.model ?? (available(templateModel) || !request.fallbackModel ? templateModel : request.fallbackModel);
  if (!modelId) {
    result.modelHint =
      "No model named: set `model.id` (a Hugging Face id or a model folder) or choose a preview model to see the exact prompt string and token counts. That needs the model's chat template (chat_template.jinja, chat_template.json, or `chat_template` in tokenizer_config.json) and tokenizer.json.";
    return result;
  }
  const folder = resolveModelFolder(modelId, request.templatePath, env);
  if (!folder) {
    result.model = { id: modelId, notes: [] };
    result.modelHint = looksLikeHubId(modelId)
      ? `\`${modelId}\` is not in the local Hugging Face cache. To see the exact prompt, download its chat template (chat_template.jinja, chat_template.json, or tokenizer_config.json with \`chat_template\`) and tokenizer.json.`
      : `\`${modelId}\` is a hosted model: its chat template is not public, so the preview shows the messages the API receives.`;
    return result;
  }
  // Loading a tokenizer takes a second or more the first time: the sandbox's limit for templates does not apply.
  options.onPhase?.('model');
  const info = loadModelPromptInfo(folder);
  result.model = {
    id: modelId,
    folder,
    ...(info.chatTemplate ? { chatTemplateSource: info.chatTemplate.fileName } : {}),
    ...(info.contextWindow !== undefined ? { contextWindow: info.contextWindow } : {}),
    notes: info.notes,
  };
  if (!info.chatTemplate) {
    const [why] = info.notes;
    if (why !== undefined) result.modelHint = why;
    return result;
  }
  const applied = applyChatTemplate(
    info,
    messages.map(({ role, content }) => ({ role, content })),
    {},
    options.budgets,
  );
  result.prompt = applied.prompt;
  if (applied.totalTokens !== undefined) result.totalTokens = applied.totalTokens;
  const { messageTokens } = applied;
  if (messageTokens) {
    messages.forEach((message, index) => {
      const tokens = messageTokens[index];
      if (tokens !== undefined) message.tokens = tokens;
    });
  }
  if (applied.totalTokens !== undefined && info.contextWindow !== undefined && applied.totalTokens > info.contextWindow) {
    warnings.push(`The prompt is ${applied.totalTokens} tokens, over the model's context window of ${info.contextWindow}.`);
  }
  return result;
}
