import { type DatasetFormat } from './formats';

/** Counts tokens with a real tokenizer. Implementations: `loadTokenCounter` (tokenizer.json) and test doubles. */
export interface TokenCounter {
  /** Human-readable: which tokenizer, and where it came from. */
  readonly name: string;
  count(text: string): number;
  /** The model's chat template, when it has one: the text its trainer builds from a conversation (undefined if it refuses). */
  renderChat?(messages: { role: string; content: string }[]): string | undefined;
}

type Json = unknown;
interface ChatTurn {
  role: string;
  content: string;
}

/** The first of `keys` that holds a string, or ''. */
function stringField(object: Record<string, Json>, ...keys: string[]): string {
  for (const key of keys) if (typeof object[key] === 'string') return object[key];
  return '';
}

function contentText(content: Json): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) => (typeof part === 'object' && part !== null ? stringField(part as Record<string, Json>, 'text', 'value') : ''))
      .join('');
  }
  return '';
}

function messageTurns(list: Json): ChatTurn[] {
  if (!Array.isArray(list)) return [];
  return list.map((raw) => {
    const message = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, Json>;
    let content = contentText(message.content);
    if (message.tool_calls !== undefined) content += `<tool_call>${JSON.stringify(message.tool_calls)}</tool_call>`;
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
    case 'text':
      return typeof row.text === 'string' ? row.text : '';
    case 'segments':
      return Array.isArray(row.segments) ? row.segments.map((s: Json) => (typeof s === 'object' && s !== null ? stringField(s as Record<string, Json>, 'text') : '')).join('') : '';
    case 'prompt-completion':
    case 'unpaired-preference':
      return `${typeof row.prompt === 'string' ? row.prompt : ''}${typeof row.completion === 'string' ? row.completion : ''}`;
    case 'preference': {
      // The longer side bounds the sequence a preference trainer builds.
      const side = (value: Json): string => (typeof value === 'string' ? value : Array.isArray(value) ? messageTurns(value).map((t) => t.content).join('') : contentText((value as Record<string, Json> | null)?.value ?? (value as Record<string, Json> | null)?.content));
      const prompt = typeof row.prompt === 'string' ? row.prompt : Array.isArray(row.prompt) ? messageTurns(row.prompt).map((t) => t.content).join('') : Array.isArray(row.conversations) ? row.conversations.map((t: Json) => (typeof t === 'object' && t !== null ? stringField(t as Record<string, Json>, 'value') : '')).join('') : '';
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
