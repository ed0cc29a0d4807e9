import { shareGptSpeakers } from './chatRoles';
import { isObject, type JsonObject } from './jsonValues';
import { type DatasetFormat } from './formats';

/** Conversions of rows between formats: a ShareGPT or Alpaca row rewritten as OpenAI chat `messages`. */

function toMessagesFromShareGpt(row: JsonObject): string | undefined {
  const conversations = row.conversations;
  if (!Array.isArray(conversations)) return undefined;
  const messages: JsonObject[] = [];
  for (const turn of conversations) {
    if (!isObject(turn) || typeof turn.from !== 'string' || typeof turn.value !== 'string') return undefined;
    const role = shareGptSpeakers[turn.from];
    if (!role || turn.from === 'function_call' || turn.from === 'observation' || turn.from === 'function') return undefined;
    messages.push({ role, content: turn.value });
  }
  if (typeof row.system === 'string' && row.system !== '') messages.unshift({ role: 'system', content: row.system });
  return JSON.stringify({ messages });
}

function toMessagesFromAlpaca(row: JsonObject): string | undefined {
  if (typeof row.instruction !== 'string' || typeof row.output !== 'string') return undefined;
  const input = typeof row.input === 'string' ? row.input : '';
  const messages: JsonObject[] = [];
  if (typeof row.system === 'string' && row.system !== '') messages.push({ role: 'system', content: row.system });
  messages.push({ role: 'user', content: input ? `${row.instruction}\n\n${input}` : row.instruction });
  messages.push({ role: 'assistant', content: row.output });
  return JSON.stringify({ messages });
}

/** Converts a row of another chat-like format to OpenAI `messages`, or undefined when it cannot be done losslessly. */
export function convertRowToMessages(row: JsonObject, format: DatasetFormat): string | undefined {
  if (format === 'sharegpt') return toMessagesFromShareGpt(row);
  if (format === 'alpaca') return toMessagesFromAlpaca(row);
  return undefined;
}
