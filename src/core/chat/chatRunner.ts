import { type AssistantMessage, type ChatSettings, type Conversation, type FewShotExample, type Passage } from './chatTypes';
import { ChatBackendError, parseModelRef, toChatBackendError, type ChatBackend, type ChatModelInfo } from './backend';
import { historyBefore } from './conversation';
import { type TemplateRetrievalSettings } from '../prompts/promptySettings';
import { buildPrompt, templateInputs, type RenderedTemplate } from './promptBuilder';

/** A passage as the retrieval feature returns it, before the chat numbers it for citation. */
export type RetrievedPassage = Omit<Passage, 'index'>;

/**
 * The one seam between the chat and where an answer's ingredients come from: backends and their models, prompt
 * templates, few-shot examples, retrieval. The extension host implements it once over its features
 * (`src/host/chat/workspaceChatSources.ts`); tests implement it with fakes. All but `backend` are optional: a missing
 * one is reported in the answer's notes, never a crash. Every call that can take long stops when `signal` aborts.
 */
export interface ChatSources {
  backend(id: string): ChatBackend | undefined;
  modelInfo?(backend: ChatBackend, model: string): Promise<ChatModelInfo | undefined>;
  /** Renders a `.prompty` template for this question, with up to `examplesK` of its own few-shot examples. */
  renderTemplate?(path: string, inputs: Record<string, unknown>, examplesK: number, signal: AbortSignal): Promise<RenderedTemplate>;
  readExamples?(path: string, k: number): Promise<{ examples: FewShotExample[]; notes: string[] }>;
  /** The best `k` passages for the question, from one index (a folder's name) or all, limited to files matching `paths`. */
  retrieve?(query: string, k: number, index: string | undefined, signal: AbortSignal, paths?: readonly string[]): Promise<RetrievedPassage[]>;
  /** The `retrieval:` settings of a `.prompty` template (k, index, path globs, the variable that receives the passages). */
  templateRetrieval?(path: string, signal: AbortSignal): Promise<TemplateRetrievalSettings | undefined>;
}

export interface ExchangeObserver {
  /** The prompt is built: what the model will see. */
  onInput?(answer: AssistantMessage): void;
  onToken(text: string, answer: AssistantMessage): void;
  /** Reasoning streamed apart from the answer (into `answer.reasoning`); `answer.reasoningMs` is set once it is over. */
  onReasoning?(text: string, answer: AssistantMessage): void;
}

/**
 * Produces one answer: gathers the template, examples and passages the settings ask for, builds the prompt, streams
 * the backend's tokens into `answer`, and records the stats — or the error, with its code, so the UI can offer the
 * fix. Never throws: every outcome ends up in `answer.status`.
 */
export async function runExchange(conversation: Conversation, answer: AssistantMessage, sources: ChatSources, observer: ExchangeObserver, signal: AbortSignal): Promise<void> {
  const settings: ChatSettings = conversation.settings;
  // When the model started thinking: an answer stopped or failed mid-thought still says how long it thought.
  let reasoningStartedAt: number | undefined;
  const endThinking = () => {
    if (reasoningStartedAt !== undefined && answer.reasoningMs === undefined) answer.reasoningMs = Date.now() - reasoningStartedAt;
  };
  try {
    const model = settings.model;
    const ref = model ? parseModelRef(model) : undefined;
    if (!model || !ref) throw new ChatBackendError('model-missing', 'No model is selected for this conversation. Choose one in the model list.');
    const backend = sources.backend(ref.backend);
    if (!backend) throw new ChatBackendError('backend-unavailable', `The backend "${ref.backend}" is not available. Choose another model, or install and configure that backend.`);
    answer.model = model;
    const history = historyBefore(conversation, answer.id);
    const question = history.at(-1);
    if (!question || question.role !== 'user') throw new ChatBackendError('invalid-request', 'There is no question to answer.');
    const earlier = history.slice(0, -1);
    const notes: string[] = [];

    // A template's `retrieval:` block says how its prompt wants passages: it refines the chat's RAG settings.
    const templateRetrieval = settings.template && sources.templateRetrieval ? await sources.templateRetrieval(settings.template, signal) : undefined;
    let passages: Passage[] = [];
    if (settings.rag.enabled) {
      const k = templateRetrieval?.k ?? settings.rag.k;
      const index = templateRetrieval?.index ?? settings.rag.index;
      const paths = templateRetrieval?.paths ?? [];
      if (templateRetrieval) notes.push(`Retrieval settings from ${settings.template}: k=${k}${index ? `, index ${index}` : ''}${paths.length > 0 ? `, paths ${paths.join(', ')}` : ''}.`);
      if (!sources.retrieve) notes.push('RAG is on, but no document index is available in this workspace yet.');
      else {
        const found = await sources.retrieve(question.content, k, index, signal, paths);
        passages = found.slice(0, k).map((p, i) => ({ ...p, index: i + 1 }));
        if (passages.length === 0) notes.push('RAG found no passages for this question.');
      }
    } else if (templateRetrieval) {
      notes.push(`${settings.template} asks for retrieved passages (retrieval: in its front matter); turn RAG on to give them.`);
    }

    const examplesK = settings.fewShot.enabled ? settings.fewShot.k : 0;
    let template: { path: string; rendered: RenderedTemplate } | undefined;
    if (settings.template) {
      if (!sources.renderTemplate) notes.push(`Prompt templates cannot be rendered yet; ${settings.template} was not used.`);
      else {
        const useTemplateExamples = examplesK > 0 && !settings.fewShot.examplesFile;
        const rendered = await sources.renderTemplate(settings.template, templateInputs(question.content, earlier, passages, templateRetrieval?.variable), useTemplateExamples ? examplesK : 0, signal);
        template = { path: settings.template, rendered };
      }
    }
    let examples: FewShotExample[] = [];
    if (examplesK > 0 && settings.fewShot.examplesFile) {
      if (!sources.readExamples) notes.push('Few-shot examples cannot be read here.');
      else {
        const read = await sources.readExamples(settings.fewShot.examplesFile, examplesK);
        examples = read.examples;
        for (const note of read.notes) notes.push(note);
      }
    } else if (examplesK > 0 && !settings.template) {
      notes.push('Few-shot is on, but there is neither an examples file nor a template with examples.');
    }

    const info = await sources.modelInfo?.(backend, ref.model);
    const input = buildPrompt({
      model: settings.model!,
      question: question.content,
      history: earlier,
      ...(template ? { template } : {}),
      examples,
      passages,
      ...(info?.contextLength ? { contextLength: info.contextLength } : {}),
      maxTokens: settings.maxTokens,
      notes,
    });
    answer.input = input;
    observer.onInput?.(answer);
    if (signal.aborted) {
      answer.status = 'stopped';
      return;
    }

    const stats = await backend.generate(
      {
        model: ref.model,
        messages: input.messages.map((m) => ({ role: m.role as 'system' | 'user' | 'assistant', content: m.content })),
        options: { temperature: settings.temperature, maxTokens: settings.maxTokens },
      },
      (event) => {
        if (event.type === 'warning') {
          // The answer's notes are what the chat shows about how it was made (sent with the finished answer).
          if (!input.notes.includes(event.message)) input.notes.push(event.message);
          return;
        }
        if (answer.status !== 'streaming') return;
        if (event.type === 'reasoning') {
          reasoningStartedAt ??= Date.now();
          answer.reasoning = (answer.reasoning ?? '') + event.text;
          observer.onReasoning?.(event.text, answer);
          return;
        }
        if (event.type !== 'token') return;
        endThinking();
        answer.content += event.text;
        observer.onToken(event.text, answer);
      },
      signal,
    );
    endThinking();
    answer.stats = stats;
    answer.status = stats.finishReason === 'cancelled' || signal.aborted ? 'stopped' : 'done';
  } catch (error) {
    const failure = toChatBackendError(error);
    if (failure.code === 'cancelled' || signal.aborted) {
      answer.status = 'stopped';
      return;
    }
    answer.status = 'error';
    answer.error = { code: failure.code, message: failure.message };
  } finally {
    endThinking();
  }
}
