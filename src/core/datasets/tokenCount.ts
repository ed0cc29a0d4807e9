import { type ChatTurn } from '../text/chatTurn';
import { type DatasetFormat } from './formats';

/**
 * The context of the default tokenizer's model, for rows when no maximum length is configured. Qwen3's model card
 * gives 32,768 tokens of native context (131,072 only with YaRN rope scaling, which a fine-tuning run must turn on);
 * its config's `max_position_embeddings` of 40,960 adds room for 8,192 generated tokens, which training rows do not use.
 */
export const defaultContextTokens = 32_768;

/**
 * Whether a row's line is long enough that its rendered text might pass `limit` tokens. A byte-level BPE tokenizer
 * gives at most one token per byte of text, and the JSON line holds at least the bytes of the text it renders (JSON
 * escapes are never shorter than what they stand for) plus its keys and punctuation, more bytes than the few special
 * tokens a template writes per turn. UTF-16 units under-count bytes by at most three times.
 */
export function mayExceedTokens(line: string, limit: number): boolean {
  if (line.length * 3 < limit) return false;
  return line.length >= limit || Buffer.byteLength(line) >= limit;
}

/** Counts tokens with a real tokenizer. Implementations: `loadTokenCounter` (tokenizer.json) and test doubles. */
export interface TokenCounter {
  /** Human-readable: which tokenizer, and where it came from. */
  readonly name: string;
  count(text: string): number;
  /** The longest token of the vocabulary, in characters: a text of n characters is at least n / this many tokens. */
  readonly maxTokenChars?: number;
  /** The model's chat template, when it has one: the text its trainer builds from a conversation (undefined if it refuses). */
  renderChat?(messages: ChatTurn[]): string | undefined;
}

type Json = unknown;
/** The first of `keys` that holds a string, or ''. */
function stringField(object: Record<string, Json>, ...keys: string[]): string {
  for (const key of keys) if (typeof object[key] === 'string') return object[key];
  return '';
}

function contentText(content: Json): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => (typeof part === 'object' && part !== null ? stringField(part as Record<string, Json>, 'text', 'value') : '')).join('');
  }
  return '';
}

/** Tool calls as the template writes them; calls nested too deeply to serialize (JSON.stringify recurses) count as their kind. */
function serializedCalls(calls: Json): string {
  try {
    return JSON.stringify(calls) ?? '';
  } catch {
    return '[tool calls]';
  }
}

function messageTurns(list: Json): ChatTurn[] {
  if (!Array.isArray(list)) return [];
  return list.map((raw) => {
    const message = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, Json>;
    let content = contentText(message.content);
    if (message.tool_calls !== undefined) content += `<tool_call>${serializedCalls(message.tool_calls)}</tool_call>`;
    return { role: typeof message.role === 'string' ? message.role : 'user', content };
  });
}

const shareGptRoles: Record<string, string> = { human: 'user', gpt: 'assistant', system: 'system', observation: 'tool', function_call: 'assistant' };

/** The conversation a row trains on, as chat turns (or one plain text for language modelling). */
export function rowTurns(row: Record<string, Json>, format: DatasetFormat): ChatTurn[] | string {
  switch (format) {
    case 'messages':
      return messageTurns(row.messages);
    case 'conversational-prompt-completion':
      return [...messageTurns(row.prompt), ...messageTurns(row.completion)];
    case 'sharegpt':
      return Array.isArray(row.conversations)
        ? row.conversations.map((turn: Json) => {
            const t = (typeof turn === 'object' && turn !== null ? turn : {}) as Record<string, Json>;
            return { role: shareGptRoles[String(t.from)] ?? 'user', content: typeof t.value === 'string' ? t.value : '' };
          })
        : [];
    case 'alpaca':
      return [
        { role: 'user', content: [row.instruction, row.input].filter((x) => typeof x === 'string' && x !== '').join('\n\n') },
        { role: 'assistant', content: typeof row.output === 'string' ? row.output : '' },
      ];
    case 'eval': {
      const reference = typeof row.answer === 'string' ? row.answer : typeof row.reference === 'string' ? row.reference : '';
      return [
        { role: 'user', content: typeof row.question === 'string' ? row.question : '' },
        { role: 'assistant', content: reference },
      ];
    }
    case 'text':
      return typeof row.text === 'string' ? row.text : '';
    case 'segments':
      return Array.isArray(row.segments) ? row.segments.map((s: Json) => (typeof s === 'object' && s !== null ? stringField(s as Record<string, Json>, 'text') : '')).join('') : '';
    case 'prompt-completion':
    case 'unpaired-preference':
      return `${typeof row.prompt === 'string' ? row.prompt : ''}${typeof row.completion === 'string' ? row.completion : ''}`;
    case 'preference': {
      // The longer side bounds the sequence a preference trainer builds.
      const side = (value: Json): string =>
        typeof value === 'string'
          ? value
          : Array.isArray(value)
            ? messageTurns(value)
                .map((t) => t.content)
                .join('')
            : contentText((value as Record<string, Json> | null)?.value ?? (value as Record<string, Json> | null)?.content);
      const prompt =
        typeof row.prompt === 'string'
          ? row.prompt
          : Array.isArray(row.prompt)
            ? messageTurns(row.prompt)
                .map((t) => t.content)
                .join('')
            : Array.isArray(row.conversations)
              ? row.conversations.map((t: Json) => (typeof t === 'object' && t !== null ? stringField(t as Record<string, Json>, 'value') : '')).join('')
              : '';
      const chosen = side(row.chosen);
      const rejected = side(row.rejected);
      return prompt + (chosen.length >= rejected.length ? chosen : rejected);
    }
  }
}

/**
 * The text a trainer feeds the model for a row, rendered with the ChatML layout Qwen-family templates use
 * (`<|im_start|>role\n…<|im_end|>\n`). With the default Qwen3 tokenizer the count matches its chat template for
 * plain turns; for another tokenizer it is a close estimate (a few tokens per turn of template overhead).
 */
export function renderForCounting(row: Record<string, Json>, format: DatasetFormat): string {
  const turns = rowTurns(row, format);
  if (typeof turns === 'string') return turns;
  let text = '';
  for (const turn of turns) text += `<|im_start|>${turn.role}\n${turn.content}<|im_end|>\n`;
  return text;
}

/**
 * Counts the tokens of a row: through the model's chat template when the tokenizer came with one, else the ChatML
 * layout. (Counting turn by turn with a memo of repeated turns was measured slower: each encode call has a fixed
 * cost that outweighs the repeats in real datasets.)
 */
export class RowTokenCounter {
  constructor(readonly counter: TokenCounter) {}

  get name(): string {
    return this.counter.name;
  }

  /**
   * The row's tokens when they are `limit` or fewer; otherwise some number above `limit` (a lower bound). Counting
   * stops once past the limit, and a text longer than the longest token times the limit is over without counting:
   * the tokenizer runs at well under a megabyte a second, and slower still on long runs without spaces.
   */
  countUpTo(row: Record<string, unknown>, format: DatasetFormat, limit: number): number {
    const text = this.renderedText(row, format);
    const longest = this.counter.maxTokenChars;
    if (longest !== undefined && text.length > limit * longest) return Math.ceil(text.length / longest);
    let total = 0;
    for (let from = 0; from < text.length && total <= limit;) {
      let to = Math.min(text.length, from + countSlice);
      if (to < text.length) {
        // Cut before a space that starts a word: the pre-tokenizer attaches it to that word either way, so the sum matches a whole count.
        const space = text.lastIndexOf(' ', to);
        if (space > from + countSlice / 2) to = space;
      }
      total += this.counter.count(text.slice(from, to));
      from = to;
    }
    return total;
  }

  private renderedText(row: Record<string, unknown>, format: DatasetFormat): string {
    const turns = rowTurns(row, format);
    if (typeof turns === 'string') return turns;
    return (this.counter.renderChat ? this.counter.renderChat(turns) : undefined) ?? renderForCounting(row, format);
  }

  count(row: Record<string, unknown>, format: DatasetFormat): number {
    const turns = rowTurns(row, format);
    if (typeof turns === 'string') return this.counter.count(turns);
    if (this.counter.renderChat) {
      const rendered = this.counter.renderChat(turns);
      if (rendered !== undefined) return this.counter.count(rendered);
    }
    return this.counter.count(renderForCounting(row, format));
  }
}

/** Characters per slice when counting up to a limit (see `countUpTo`). */
const countSlice = 64 * 1024;

const rowCounters = new WeakMap<TokenCounter, RowTokenCounter>();

/** The row counter of a token counter, made once per counter. */
export function rowCounterFor(counter: TokenCounter): RowTokenCounter {
  let rows = rowCounters.get(counter);
  if (!rows) {
    rows = new RowTokenCounter(counter);
    rowCounters.set(counter, rows);
  }
  return rows;
}
