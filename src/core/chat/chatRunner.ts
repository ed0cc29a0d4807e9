import { type AssistantMessage, type ChatSettings, type Conversation, type FewShotExample, type ModelInput, type Passage } from './chatTypes';
import { ChatBackendError, parseModelRef, toChatBackendError, type ChatBackend, type ChatModelInfo, type ModelRef } from './backend';
import { historyBefore } from './conversation';
import { type TemplateRetrievalSettings } from '../prompts/promptySettings';
import { buildPrompt, templateInputs, type RenderedTemplate } from './promptBuilder';
import { type ChatTurn } from '../text/chatTurn';

/** A passage as the retrieval feature returns it, before the chat numbers it for citation. */
export type RetrievedPassage = Omit<Passage, 'index'>;

/** What a retrieval hit carries, whichever search produced it (the workspace's index manager, one index file). */
export interface PassageHit {
  startLine: number;
  endLine: number;
  headingPath: string[];
  text: string;
  score: number;
  bm25?: { score: number } | undefined;
  vector?: { score: number } | undefined;
}

/** A retrieval hit as a passage of `file` (workspace-relative), its separate scores kept for display. */
export function retrievedPassageOf(hit: PassageHit, file: string): RetrievedPassage {
  return {
    file,
    startLine: hit.startLine,
    endLine: hit.endLine,
    headingPath: hit.headingPath,
    text: hit.text,
    score: hit.score,
    scores: { fused: hit.score, ...(hit.bm25 ? { bm25: hit.bm25.score } : {}), ...(hit.vector ? { vector: hit.vector.score } : {}) },
  };
}

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
  /**
   * Up to `k` few-shot examples from a JSONL file of `messages` rows, chosen as `choice` says (default: the first
   * `k`; `similar` ranks them against `choice.query`, the question).
   */
  readExamples?(path: string, k: number, choice?: ExampleChoice, signal?: AbortSignal): Promise<{ examples: FewShotExample[]; notes: string[] }>;
  /** The best `k` passages for the question, from one index (a folder's name) or all, limited to files matching `paths`. */
  retrieve?(query: string, k: number, index: string | undefined, signal: AbortSignal, paths?: readonly string[]): Promise<RetrievedPassage[]>;
  /** The `retrieval:` settings of a `.prompty` template (k, index, path globs, the variable that receives the passages). */
  templateRetrieval?(path: string, signal: AbortSignal): Promise<TemplateRetrievalSettings | undefined>;
}

/** How an examples file's rows are chosen for one question. */
export interface ExampleChoice {
  selection: 'first' | 'random' | 'similar';
  seed: number;
  /** The question, which `similar` ranks the examples against. */
  query: string;
}

export interface ExchangeObserver {
  /** The prompt is built: what the model will see. */
  onInput?(answer: AssistantMessage): void;
  onToken(text: string, answer: AssistantMessage): void;
  /** Reasoning streamed apart from the answer (into `answer.reasoning`); `answer.reasoningMs` is set once it is over. */
  onReasoning?(text: string, answer: AssistantMessage): void;
  /** The answer settled (done, stopped or failed): a compare's two answers each end on their own. */
  onEnd?(answer: AssistantMessage): void;
}

/** What one question's prompt is made of, gathered once: a compare sends the same ingredients to both models. */
interface Ingredients {
  question: string;
  earlier: ChatTurn<'user' | 'assistant'>[];
  template?: { path: string; rendered: RenderedTemplate };
  examples: FewShotExample[];
  passages: Passage[];
  notes: string[];
}

/** A side of an exchange: the answer, the model it streams from, and that model's backend. */
interface Side {
  answer: AssistantMessage;
  model: string;
  ref: ModelRef;
  backend: ChatBackend;
}

/** The backend a model reference names, or the error that says which choice to make. */
function resolveSide(answer: AssistantMessage, model: string | undefined, sources: ChatSources): Side {
  const ref = model ? parseModelRef(model) : undefined;
  if (!model || !ref) throw new ChatBackendError('model-missing', 'No model is selected for this conversation. Choose one in the model list.');
  const backend = sources.backend(ref.backend);
  if (!backend) throw new ChatBackendError('backend-unavailable', `The backend "${ref.backend}" is not available. Choose another model, or install and configure that backend.`);
  answer.model = model;
  return { answer, model, ref, backend };
}

/** Gathers the template, examples and passages the settings ask for, for the question before `answerId`. */
async function gatherIngredients(conversation: Conversation, answerId: string, sources: ChatSources, signal: AbortSignal): Promise<Ingredients> {
  const settings: ChatSettings = conversation.settings;
  const history = historyBefore(conversation, answerId);
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
      const choice: ExampleChoice = { selection: settings.fewShot.selection ?? 'first', seed: settings.fewShot.seed ?? 0, query: question.content };
      const read = await sources.readExamples(settings.fewShot.examplesFile, examplesK, choice, signal);
      examples = read.examples;
      for (const note of read.notes) notes.push(note);
    }
  } else if (examplesK > 0 && !settings.template) {
    notes.push('Few-shot is on, but there is neither an examples file nor a template with examples.');
  }
  return { question: question.content, earlier, ...(template ? { template } : {}), examples, passages, notes };
}

/** The messages for one model: the ingredients, with the history trimmed to that model's context window. */
async function inputFor(side: Side, ingredients: Ingredients, settings: ChatSettings, sources: ChatSources): Promise<ModelInput> {
  const info = await sources.modelInfo?.(side.backend, side.ref.model);
  return buildPrompt({
    model: side.model,
    question: ingredients.question,
    history: ingredients.earlier,
    ...(ingredients.template ? { template: ingredients.template } : {}),
    examples: ingredients.examples,
    passages: ingredients.passages,
    ...(info?.contextLength ? { contextLength: info.contextLength } : {}),
    maxTokens: settings.maxTokens,
    notes: ingredients.notes,
  });
}

/** Streams the backend's answer to `input` into the side's answer, and records its stats. */
async function streamAnswer(side: Side, input: ModelInput, settings: ChatSettings, observer: ExchangeObserver, signal: AbortSignal): Promise<void> {
  const answer = side.answer;
  answer.input = input;
  observer.onInput?.(answer);
  if (signal.aborted) {
    answer.status = 'stopped';
    return;
  }
  // When the model started thinking: an answer stopped or failed mid-thought still says how long it thought.
  let reasoningStartedAt: number | undefined;
  const endThinking = () => {
    if (reasoningStartedAt !== undefined && answer.reasoningMs === undefined) answer.reasoningMs = Date.now() - reasoningStartedAt;
  };
  try {
    const stats = await side.backend.generate(
      {
        model: side.ref.model,
        messages: input.messages.map((m) => ({ role: m.role as 'system' | 'user' | 'assistant', content: m.content })),
        options: { temperature: settings.temperature, maxTokens: settings.maxTokens, ...(settings.seed !== undefined ? { seed: settings.seed } : {}) },
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
  } finally {
    endThinking();
  }
}

/** Records how an answer failed: stopped when the user stopped it, else the error with its code. */
function settleFailure(answer: AssistantMessage, error: unknown, signal: AbortSignal): void {
  const failure = toChatBackendError(error);
  if (failure.code === 'cancelled' || signal.aborted) {
    answer.status = 'stopped';
    return;
  }
  answer.status = 'error';
  answer.error = { code: failure.code, message: failure.message };
}

/**
 * Produces one answer: gathers the template, examples and passages the settings ask for, builds the prompt, streams
 * the backend's tokens into `answer`, and records the stats — or the error, with its code, so the UI can offer the
 * fix. Never throws: every outcome ends up in `answer.status`.
 */
export async function runExchange(conversation: Conversation, answer: AssistantMessage, sources: ChatSources, observer: ExchangeObserver, signal: AbortSignal): Promise<void> {
  try {
    const side = resolveSide(answer, conversation.settings.model, sources);
    const ingredients = await gatherIngredients(conversation, answer.id, sources, signal);
    await streamAnswer(side, await inputFor(side, ingredients, conversation.settings, sources), conversation.settings, observer, signal);
  } catch (error) {
    settleFailure(answer, error, signal);
  }
  observer.onEnd?.(answer);
}

/**
 * Produces the two answers of a compare: `a` from the conversation's model, `b` from its compare model. The
 * template, examples and passages are gathered once, so both models get the same messages (each trims the history
 * only to its own context window, and says so); both stream at once. Each side ends on its own: an error on one
 * leaves the other streaming, and `signal` stops both. Never throws.
 */
export async function runCompareExchange(
  conversation: Conversation,
  answers: { a: AssistantMessage; b: AssistantMessage },
  sources: ChatSources,
  observer: ExchangeObserver,
  signal: AbortSignal,
): Promise<void> {
  const settings = conversation.settings;
  const ended = new Set<AssistantMessage>();
  const end = (answer: AssistantMessage) => {
    if (ended.has(answer)) return;
    ended.add(answer);
    observer.onEnd?.(answer);
  };
  const fail = (answer: AssistantMessage, error: unknown) => {
    settleFailure(answer, error, signal);
    end(answer);
  };
  const sides: (Side | undefined)[] = [];
  for (const [answer, model] of [
    [answers.a, settings.model],
    [answers.b, settings.compareModel],
  ] as const) {
    try {
      sides.push(resolveSide(answer, model, sources));
    } catch (error) {
      fail(answer, error);
      sides.push(undefined);
    }
  }
  const ready = sides.filter((side): side is Side => side !== undefined);
  if (ready.length === 0) return;
  let ingredients: Ingredients;
  try {
    ingredients = await gatherIngredients(conversation, answers.a.id, sources, signal);
  } catch (error) {
    for (const side of ready) fail(side.answer, error);
    return;
  }
  const inputs = await Promise.all(
    ready.map(async (side) => {
      try {
        // Each side gets its own copy of the notes: warnings that arrive while streaming belong to one answer.
        return await inputFor(side, { ...ingredients, notes: [...ingredients.notes] }, settings, sources);
      } catch (error) {
        fail(side.answer, error);
        return undefined;
      }
    }),
  );
  const built = inputs.filter((input): input is ModelInput => input !== undefined);
  if (built.length === 2 && built[0]!.droppedTurns !== built[1]!.droppedTurns) {
    for (const [input, other] of [
      [built[0]!, built[1]!],
      [built[1]!, built[0]!],
    ] as const) {
      input.notes.push(
        `The compared models saw different history: ${other.model} left out ${other.droppedTurns} earlier turn${other.droppedTurns === 1 ? '' : 's'}, this one ${input.droppedTurns}, each to fit its context window.`,
      );
    }
  }
  await Promise.all(
    ready.map(async (side, i) => {
      const input = inputs[i];
      if (!input) return;
      try {
        await streamAnswer(side, input, settings, observer, signal);
      } catch (error) {
        settleFailure(side.answer, error, signal);
      }
      end(side.answer);
    }),
  );
}
