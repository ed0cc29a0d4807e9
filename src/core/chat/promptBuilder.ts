import { type FewShotExample, type ModelInput, type Passage } from './chatTypes';
import { type ChatRole, type ChatTurn } from '../text/chatTurn';
import { ChatBackendError } from './backend';

/**
 * What a prompt template renders to for one question. Produced by the prompt-template feature's render function
 * (src/core/prompts) through the adapter in `templateAdapter.ts`.
 */
export interface RenderedTemplate {
  messages: ChatTurn<ChatRole>[];
  /** The template's own few-shot examples, already selected (its `k` and strategy). */
  examples: FewShotExample[];
}

export interface PromptParts {
  model: string;
  question: string;
  /** Earlier turns of the conversation, oldest first. */
  history: ChatTurn<ChatRole>[];
  template?: { path: string; rendered: RenderedTemplate };
  examples: FewShotExample[];
  passages: Passage[];
  /** The model's context window, when the backend knows it. */
  contextLength?: number;
  maxTokens: number;
  countTokens?: (text: string) => number;
  notes?: string[];
}

/** Used when the backend does not give a tokenizer: about four characters a token, rounded up, for budgeting only. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

/** Chat templates add a few tokens of markup per message. */
const perMessageOverhead = 4;

export const citationInstruction =
  'Answer from the numbered sources below when they are relevant. Cite each source you use by its number in square brackets, like [1]. If the sources do not contain the answer, say so.';

export function formatPassages(passages: readonly Passage[]): string {
  return passages
    .map((p) => {
      const where = `${p.file}:${p.startLine}-${p.endLine}${p.headingPath.length > 0 ? ` (${p.headingPath.join(' > ')})` : ''}`;
      return `[${p.index}] ${where}\n${p.text.trim()}`;
    })
    .join('\n\n');
}

/** The variables a template may use: Prompty's usual names for the question, the history and the retrieved context. */
export function templateInputs(question: string, history: readonly ChatTurn<ChatRole>[], passages: readonly Passage[], passagesVariable = 'context'): Record<string, unknown> {
  const context = formatPassages(passages);
  return { question, input: question, query: question, chat_history: history, history, context, documents: passages, sources: context, [passagesVariable]: context };
}

function exampleTurns(examples: readonly FewShotExample[]): ChatTurn<ChatRole>[] {
  const turns: ChatTurn<ChatRole>[] = [];
  for (const example of examples) {
    for (const message of example.messages) {
      if (message.role === 'user' || message.role === 'assistant') turns.push({ role: message.role, content: message.content });
    }
  }
  return turns;
}

/**
 * Assembles the messages for one answer, in the order chat models expect: system prompt (with the retrieved
 * sources when the template does not place them itself), few-shot examples as earlier turns, the conversation so
 * far, the question. History is trimmed oldest-first to fit the context window; if the rest still does not fit,
 * it fails with `context-too-long` and says what takes the room.
 */
export function buildPrompt(parts: PromptParts): ModelInput {
  const count = parts.countTokens ?? estimateTokens;
  const notes = [...(parts.notes ?? [])];
  const context = formatPassages(parts.passages);
  const rendered = parts.template?.rendered;
  const examples = [...(rendered?.examples ?? []), ...parts.examples];

  let system: string | undefined;
  let templateTurns: ChatTurn<ChatRole>[] = [];
  if (rendered) {
    const leadingSystem: string[] = [];
    let i = 0;
    for (; i < rendered.messages.length && rendered.messages[i]!.role === 'system'; i++) leadingSystem.push(rendered.messages[i]!.content);
    system = leadingSystem.length > 0 ? leadingSystem.join('\n\n') : undefined;
    templateTurns = rendered.messages.slice(i);
  }
  const systemPrompt = system;
  const templatePlacesContext = parts.passages.length > 0 && rendered !== undefined && rendered.messages.some((m) => m.content.includes(context));
  if (parts.passages.length > 0 && !templatePlacesContext) {
    system = `${system ? `${system}\n\n` : ''}${citationInstruction}\n\n${context}`;
  }

  // The question goes last. A template that asks it itself (a user turn containing it) keeps its wording.
  const lastUser = templateTurns.findLastIndex((t) => t.role === 'user');
  const templateAsks = lastUser >= 0 && templateTurns[lastUser]!.content.includes(parts.question);
  const before = templateAsks ? templateTurns.slice(0, lastUser) : templateTurns;
  const ask: ChatTurn<ChatRole>[] = templateAsks ? templateTurns.slice(lastUser) : [{ role: 'user', content: parts.question }];
  if (rendered && !templateAsks && templateTurns.some((t) => t.role === 'user')) {
    notes.push('The template has a user turn that does not contain the question; the question was added after it.');
  }

  const head: ChatTurn<ChatRole>[] = [...(system !== undefined ? [{ role: 'system' as const, content: system }] : []), ...exampleTurns(examples), ...before];
  const sizeOf = (turns: readonly ChatTurn<ChatRole>[]) => turns.reduce((sum, t) => sum + count(t.content) + perMessageOverhead, 0);
  let history = [...parts.history];
  let dropped = 0;
  if (parts.contextLength !== undefined) {
    const budget = parts.contextLength - parts.maxTokens;
    const fixed = sizeOf(head) + sizeOf(ask);
    while (history.length > 0 && fixed + sizeOf(history) > budget) {
      // Drop whole exchanges, so the history never starts with an answer.
      const cut = history.length >= 2 && history[0]!.role === 'user' && history[1]!.role === 'assistant' ? 2 : 1;
      history = history.slice(cut);
      dropped += cut;
    }
    if (fixed > budget) {
      const pieces = [
        `the prompt needs about ${fixed} tokens but ${parts.contextLength}-token context leaves ${Math.max(0, budget)} after reserving ${parts.maxTokens} for the answer`,
        parts.passages.length > 0 ? `${parts.passages.length} retrieved passages take about ${count(context)}` : '',
        examples.length > 0 ? `${examples.length} few-shot examples take about ${sizeOf(exampleTurns(examples))}` : '',
      ].filter(Boolean);
      throw new ChatBackendError('context-too-long', `Too long for ${parts.model}: ${pieces.join('; ')}. Lower max tokens, retrieve fewer passages or use fewer examples.`);
    }
    if (dropped > 0) notes.push(`${dropped} earlier turn${dropped === 1 ? '' : 's'} left out to fit the ${parts.contextLength}-token context window.`);
  }

  const input: ModelInput = {
    model: parts.model,
    messages: [...head, ...history, ...ask],
    examples,
    passages: [...parts.passages],
    droppedTurns: dropped,
    notes,
  };
  if (parts.template) input.template = parts.template.path;
  if (systemPrompt !== undefined) input.systemPrompt = systemPrompt;
  return input;
}

/** The passage numbers an answer cites as `[n]` or `[n, m]`, in order of first mention, limited to those that exist. */
export function citedPassages(answer: string, passages: readonly Passage[]): number[] {
  const known = new Set(passages.map((p) => p.index));
  const seen: number[] = [];
  for (const match of answer.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)) {
    for (const part of match[1]!.split(',')) {
      const n = Number(part.trim());
      if (known.has(n) && !seen.includes(n)) seen.push(n);
    }
  }
  return seen;
}
