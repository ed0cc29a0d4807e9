/**
 * Reading the error bodies OpenAI-compatible servers answer with. Each server words the same refusals its own way
 * (OpenAI, vLLM, llama.cpp's server, TGI, Ollama, LM Studio); these functions turn the common wordings into what the
 * chat can act on: a parameter to leave out, or a context window and the prompt's size in it.
 */

/** What an error body says, whatever its shape: `{error: {message, param}}`, `{message}`, `{detail}`, or plain text. */
export interface ServerErrorBody {
  message: string;
  /** OpenAI's `error.param`: the request field the error is about. */
  param?: string;
  /** The error object itself (llama.cpp puts `n_ctx` and `n_prompt_tokens` there). */
  fields: Record<string, unknown>;
}

/** The most of an error message kept for the user: the start says what went wrong. */
const errorMessageChars = 500;

export function serverErrorBody(text: string): ServerErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { message: oneLine(text), fields: {} };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { message: oneLine(text), fields: {} };
  const top = parsed as Record<string, unknown>;
  const error = typeof top.error === 'object' && top.error !== null && !Array.isArray(top.error) ? (top.error as Record<string, unknown>) : top;
  const raw = error.message ?? (typeof top.error === 'string' ? top.error : undefined) ?? top.message ?? top.detail;
  const message = typeof raw === 'string' ? raw : raw !== undefined ? JSON.stringify(raw) : text;
  return { message: oneLine(message), ...(typeof error.param === 'string' && error.param ? { param: error.param } : {}), fields: error };
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > errorMessageChars ? `${flat.slice(0, errorMessageChars)}…` : flat;
}

/** Words servers use when they refuse a field they do not know or do not allow. */
const refusalWords = /unrecogni[sz]ed|unknown|unsupported|not supported|extra|not permitted|not allowed|unexpected|invalid (?:field|param|argument|key)/i;

/**
 * Which of the parameters we sent a 400 refuses, if it refuses one: OpenAI's `param` field, or a message such as
 * "Unrecognized request argument supplied: seed" (OpenAI), "stream_options: Extra inputs are not permitted" (vLLM),
 * "unknown field `top_p`" (TGI), "Unsupported parameter: 'top_p'". Only parameters in `droppable` are ever named.
 */
export function rejectedParameter(body: ServerErrorBody, droppable: readonly string[]): string | undefined {
  if (body.param !== undefined) {
    const param = body.param.replace(/^body\./, '');
    if (droppable.includes(param)) return param;
  }
  if (!refusalWords.test(body.message)) return undefined;
  let first: { name: string; at: number } | undefined;
  for (const name of droppable) {
    const at = body.message.search(new RegExp(`(?<![\\w])${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?![\\w])`));
    if (at >= 0 && (first === undefined || at < first.at)) first = { name, at };
  }
  return first?.name;
}

/** A context window and how much of it the prompt takes, as a server's refusal states them. */
export interface ContextCap {
  contextLength: number;
  /** Tokens of the prompt alone, when the message says (or lets us work it out). */
  promptTokens?: number;
}

const number = (text: string | undefined): number | undefined => {
  if (text === undefined) return undefined;
  const value = Number(text.replace(/,/g, ''));
  return Number.isSafeInteger(value) && value >= 0 ? value : undefined;
};

const fieldNumber = (value: unknown): number | undefined => (typeof value === 'number' ? number(String(value)) : typeof value === 'string' ? number(value) : undefined);

/**
 * The context cap a 400 reports, if it is one:
 * - OpenAI and older vLLM: "maximum context length is 4096 tokens. However, you requested 5000 tokens (3000 in the
 *   messages, 2000 in the completion)";
 * - newer vLLM: "maximum context length is 4096 tokens and your request has 3000 input tokens", or "… However, your
 *   request has 5000 input tokens";
 * - llama.cpp: "request (5000 tokens) exceeds the available context size (4096 tokens)", with `n_ctx` and
 *   `n_prompt_tokens` in the error object;
 * - TGI: "`inputs` tokens + `max_new_tokens` must be <= 4096. Given: 3000 `inputs` tokens and 2000 `max_new_tokens`".
 */
export function contextCap(body: ServerErrorBody): ContextCap | undefined {
  const text = body.message;
  const fromFields = fieldNumber(body.fields.n_ctx);
  if (fromFields !== undefined && fromFields > 0) {
    const prompt = fieldNumber(body.fields.n_prompt_tokens);
    return { contextLength: fromFields, ...(prompt !== undefined ? { promptTokens: prompt } : {}) };
  }
  const openAi = /maximum context length is ([\d,]+)/i.exec(text);
  if (openAi) {
    const contextLength = number(openAi[1])!;
    const inMessages = number(/\(([\d,]+) in the messages/i.exec(text)?.[1]);
    if (inMessages !== undefined) return { contextLength, promptTokens: inMessages };
    const inputTokens = number(/([\d,]+) (?:input|prompt) tokens/i.exec(text)?.[1]);
    if (inputTokens !== undefined) return { contextLength, promptTokens: inputTokens };
    const requested = number(/requested ([\d,]+) tokens/i.exec(text)?.[1]);
    const completion = number(/([\d,]+) in the completion/i.exec(text)?.[1]);
    if (requested !== undefined && completion !== undefined && completion <= requested) return { contextLength, promptTokens: requested - completion };
    return { contextLength };
  }
  const llamaCpp = /request \(([\d,]+) tokens\) exceeds the available context size \(([\d,]+) tokens\)/i.exec(text);
  if (llamaCpp) return { contextLength: number(llamaCpp[2])!, promptTokens: number(llamaCpp[1])! };
  const tgi = /must be <= ([\d,]+)\. Given: ([\d,]+) `inputs` tokens/i.exec(text);
  if (tgi) return { contextLength: number(tgi[1])!, promptTokens: number(tgi[2])! };
  return undefined;
}
