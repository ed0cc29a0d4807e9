/**
 * `.prompty` templates served as models of their own: a request to `support` (from `support.prompty`) is answered by
 * the template's chat model with the template's system prompt, its few-shot examples and, when its front matter has
 * a `retrieval:` block, passages from the document index — assembled by the chat's own code (`renderTemplateForChat`,
 * `templateInputs`, `buildPrompt`), so a served template answers from the same input as the chat in the editor.
 * Every other request goes to the provider underneath unchanged.
 */
import { basename } from 'node:path';
import { ChatBackendError } from '../chat/backend';
import { type RetrievedPassage } from '../chat/chatRunner';
import { type Passage } from '../chat/chatTypes';
import { buildPrompt, templateInputs } from '../chat/promptBuilder';
import { type PromptRenderer, renderTemplateForChat } from '../chat/templateAdapter';
import { parsePromptyDocument } from '../prompts/promptyDocument';
import { modelIdOf, retrievalSettings, type TemplateRetrievalSettings } from '../prompts/promptySettings';
import { type ChatRole, type ChatTurn } from '../text/chatTurn';
import { type ServedChatRequest, type ServedChatResult, type ServedEmbeddingResult, type ServedModel, type ServedModelProvider, ServingError } from './servedModels';

/** How many passages a template's retrieval returns when its `retrieval:` block names no `k` (the chat's default). */
export const defaultTemplatePassages = 4;

/** Finds passages for a template's retrieval: the query, the template's `retrieval:` settings, and how many. */
export type PassageSearch = (query: string, settings: TemplateRetrievalSettings, k: number, signal: AbortSignal) => Promise<RetrievedPassage[]>;

export interface ServedTemplate {
  /** The model id clients use. */
  id: string;
  /** Absolute path of the `.prompty` file. */
  path: string;
  /** How the template is named in notes and errors (as the user gave it). */
  label: string;
  text: string;
  /** The served chat model that answers. */
  parent: string;
  /** Folders the template may read files from (`${file:…}`, its examples). */
  workspaceRoots: string[];
  /** The front matter's `retrieval:` block, when it asks for passages. */
  retrieval?: TemplateRetrievalSettings;
}

/** The model id a template file is served as: its file name without `.prompty`. */
export function templateModelId(path: string): string {
  return basename(path).replace(/\.prompty$/i, '');
}

/**
 * Reads what serving needs from a template's text: its retrieval settings, and its parent — the front matter's model
 * when that is one of the served chat models, else the first of them.
 */
export function describeTemplate(
  input: { path: string; label: string; text: string; workspaceRoots: string[] },
  chatModels: readonly string[],
  env: Record<string, string | undefined> = {},
): ServedTemplate {
  if (chatModels.length === 0) throw new RangeError('a served template needs a served chat model to run on');
  const data = parsePromptyDocument(input.text).frontMatter?.data;
  const named = modelIdOf(data, env);
  const parent = named !== undefined && chatModels.includes(named) ? named : chatModels[0]!;
  const retrieval = retrievalSettings(data);
  return { id: templateModelId(input.path), path: input.path, label: input.label, text: input.text, parent, workspaceRoots: input.workspaceRoots, ...(retrieval ? { retrieval } : {}) };
}

export class TemplateServedModels implements ServedModelProvider {
  private readonly templates: Map<string, ServedTemplate>;
  readonly embed?: (model: string, inputs: readonly string[], signal: AbortSignal) => Promise<ServedEmbeddingResult>;

  constructor(
    private readonly base: ServedModelProvider,
    templates: readonly ServedTemplate[],
    private readonly render: PromptRenderer,
    private readonly searchPassages?: PassageSearch,
  ) {
    this.templates = new Map();
    for (const template of templates) {
      if (this.templates.has(template.id)) throw new RangeError(`two templates are served as '${template.id}': rename one of the files`);
      if (template.retrieval && !searchPassages) throw new RangeError(`${template.label} asks for retrieved passages (retrieval: in its front matter) but no document index is available`);
      this.templates.set(template.id, template);
    }
    const embed = base.embed?.bind(base);
    if (embed) this.embed = embed;
  }

  async listModels(): Promise<ServedModel[]> {
    const models = await this.base.listModels();
    const taken = new Set(models.map((model) => model.id));
    const served: ServedModel[] = [];
    for (const template of this.templates.values()) {
      if (taken.has(template.id)) throw new RangeError(`the template ${template.label} would be served as '${template.id}', which is already a model's id`);
      const parent = models.find((model) => model.id === template.parent);
      served.push({
        id: template.id,
        kind: 'chat',
        ownedBy: parent?.ownedBy ?? 'chatwright',
        parent: template.parent,
        ...(parent?.contextLength !== undefined ? { contextLength: parent.contextLength } : {}),
      });
    }
    return [...models, ...served];
  }

  async chat(request: ServedChatRequest, onText: (delta: string) => void, signal: AbortSignal): Promise<ServedChatResult> {
    const template = this.templates.get(request.model);
    if (!template) return this.base.chat(request, onText, signal);
    const messages = await this.templateMessages(template, request, signal);
    return this.base.chat({ ...request, model: template.parent, messages }, onText, signal);
  }

  /** The messages the parent model receives: the template rendered for the request's question, as the chat builds them. */
  async templateMessages(template: ServedTemplate, request: ServedChatRequest, signal: AbortSignal): Promise<ChatTurn[]> {
    const { question, history } = splitConversation(template, request.messages);
    let passages: Passage[] = [];
    if (template.retrieval && this.searchPassages) {
      const k = template.retrieval.k ?? defaultTemplatePassages;
      const found = await this.searchPassages(question, template.retrieval, k, signal);
      passages = found.slice(0, k).map((passage, i) => ({ ...passage, index: i + 1 }));
    }
    // The renderer applies the template's own `examples:` selection (its k and strategy); all of them are kept.
    const rendered = await renderTemplateForChat(
      {
        text: template.text,
        templatePath: template.path,
        label: template.label,
        workspaceRoots: template.workspaceRoots,
        inputs: templateInputs(question, history, passages, template.retrieval?.variable),
        examplesK: Number.MAX_SAFE_INTEGER,
        signal,
      },
      this.render,
    );
    const models = await this.base.listModels();
    const contextLength = models.find((model) => model.id === template.parent)?.contextLength;
    try {
      const input = buildPrompt({
        model: template.parent,
        question,
        history,
        template: { path: template.label, rendered },
        examples: [],
        passages,
        ...(contextLength !== undefined ? { contextLength } : {}),
        maxTokens: request.maxTokens ?? 0,
      });
      return input.messages;
    } catch (error) {
      if (error instanceof ChatBackendError && error.code === 'context-too-long') throw new ServingError(400, 'invalid_request_error', error.message, 'messages', 'context_length_exceeded');
      throw error;
    }
  }
}

/**
 * The question (the last message, a user's) and the earlier user and assistant turns. A system message is refused:
 * the template's system prompt is what this model id serves, and silently dropping the client's would mislead it.
 */
function splitConversation(template: ServedTemplate, messages: readonly ChatTurn[]): { question: string; history: ChatTurn<ChatRole>[] } {
  const last = messages.at(-1);
  if (!last || last.role !== 'user') {
    throw new ServingError(400, 'invalid_request_error', `The model '${template.id}' answers a question: the last message must be the user's.`, `messages[${Math.max(0, messages.length - 1)}].role`);
  }
  const history: ChatTurn<ChatRole>[] = [];
  messages.slice(0, -1).forEach((message, index) => {
    if (message.role === 'user' || message.role === 'assistant') history.push({ role: message.role, content: message.content });
    else {
      throw new ServingError(
        400,
        'invalid_request_error',
        `The model '${template.id}' serves the system prompt of ${template.label}; send no '${message.role}' message, or call '${template.parent}' to give your own.`,
        `messages[${index}].role`,
      );
    }
  });
  return { question: last.content, history };
}
