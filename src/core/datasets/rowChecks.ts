import { type DatasetFindingCode } from './findings';
import { type DatasetFormat } from './formats';

/** A JSON path inside one row: keys and array indexes. */
export type RowPath = (string | number)[];

/** A mechanical fix for one row, expressed on the row's own JSON so the scanner can turn it into a text edit. */
export type RowFix =
  | { title: string; kind: 'replaceValue'; path: RowPath; json: string }
  | { title: string; kind: 'replaceRow'; json: string };

/** A problem found in one parsed row; the scanner locates `path` in the line text only when it reports it. */
export interface RowProblem {
  code: DatasetFindingCode;
  message: string;
  /** Where: the value at this path, or its key when `part` is 'key'. Empty: the whole row. */
  path: RowPath;
  part?: 'key' | 'value';
  /** The fix to offer first (the editor's preferred one). */
  fix?: RowFix;
  /** Other plausible fixes, offered after `fix`. */
  alternativeFixes?: RowFix[];
}

/** What a row contributes to the report besides problems. */
export interface RowShape {
  turns: number;
}

type Json = unknown;
type JsonObject = Record<string, Json>;

function isObject(value: Json): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A value as a message shows it: primitives as JSON, lists and objects by kind (never serialized: they may nest without end). */
function shown(value: Json): string {
  if (typeof value === 'object' && value !== null) return typeName(value);
  return JSON.stringify(value) ?? 'missing';
}

/** JSON text of a value, or undefined when it nests too deeply to serialize (JSON.stringify recurses). */
function jsonTextOf(value: Json): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}

/** Deep equality of two parsed JSON values, with an explicit stack: any depth, no stack overflow. */
export function sameJson(a: Json, b: Json): boolean {
  const pending: [Json, Json][] = [[a, b]];
  for (let pair = pending.pop(); pair; pair = pending.pop()) {
    const [x, y] = pair;
    if (x === y) continue;
    if (typeof x !== 'object' || typeof y !== 'object' || x === null || y === null || Array.isArray(x) !== Array.isArray(y)) return false;
    if (Array.isArray(x) && Array.isArray(y)) {
      if (x.length !== y.length) return false;
      for (let i = 0; i < x.length; i++) pending.push([x[i], y[i]]);
      continue;
    }
    const xKeys = Object.keys(x);
    const yObject = y as JsonObject;
    if (xKeys.length !== Object.keys(yObject).length) return false;
    for (const key of xKeys) {
      if (!Object.prototype.hasOwnProperty.call(yObject, key)) return false;
      pending.push([(x as JsonObject)[key], yObject[key]]);
    }
  }
  return true;
}

function typeName(value: Json): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}

export const chatRoles = new Set(['system', 'developer', 'user', 'assistant', 'tool', 'function']);
/** Role names other conventions use, and the chat role they mean: the rename quick fix offers these. */
export const roleRenames: Record<string, string> = {
  bot: 'assistant',
  gpt: 'assistant',
  model: 'assistant',
  ai: 'assistant',
  chatbot: 'assistant',
  human: 'user',
  usr: 'user',
  prompter: 'user',
  observation: 'tool',
};
const messageKeys = new Set(['role', 'content', 'name', 'weight', 'tool_calls', 'tool_call_id', 'function_call', 'refusal']);
const contentPartTypes = new Set(['text', 'image_url', 'input_audio', 'file']);
export const shareGptSpeakers: Record<string, string> = {
  human: 'user',
  user: 'user',
  gpt: 'assistant',
  assistant: 'assistant',
  system: 'system',
  tool: 'tool',
  function_call: 'assistant',
  observation: 'tool',
  function: 'tool',
};

interface MessageListOptions {
  /** Supervised fine-tuning: the conversation should end with the assistant and contain one. */
  requireAssistant: boolean;
  requireUser: boolean;
  lastMustBeAssistant: boolean;
  /** False while a candidate role fix is being tried out: its trial run needs the problems, not more fixes. */
  suggestRoleFixes?: boolean;
}

/** The chat role a message's value stands for: a chat role, or one other conventions use; undefined when unknown. */
function knownRoleOf(message: Json): string | undefined {
  if (!isObject(message) || typeof message.role !== 'string') return undefined;
  return chatRoles.has(message.role) ? message.role : roleRenames[message.role.toLowerCase()];
}

/**
 * The role a message must have where it stands: what its own fields imply (tool calls are the assistant's, a
 * `tool_call_id` answers one), else what follows its predecessor in a chat (user → assistant → user, a call → tool).
 */
function roleByPosition(messages: readonly Json[], index: number, options: MessageListOptions): string | undefined {
  const message = messages[index];
  if (!isObject(message)) return undefined;
  if ((message.tool_calls !== undefined && message.tool_calls !== null) || message.function_call !== undefined) return 'assistant';
  if (typeof message.tool_call_id === 'string') return 'tool';
  if (index === 0) return knownRoleOf(messages[1]) === 'user' ? 'system' : 'user';
  const previous = messages[index - 1];
  const previousRole = knownRoleOf(previous);
  if (previousRole === 'user' || previousRole === 'tool') return 'assistant';
  if (previousRole === 'assistant') {
    const calls = isObject(previous) && previous.tool_calls !== undefined && previous.tool_calls !== null;
    if (calls) return 'tool';
    // The conversation must end with the assistant, so its last turn is the assistant's even after the assistant.
    return options.lastMustBeAssistant && index === messages.length - 1 ? 'assistant' : 'user';
  }
  if (previousRole === 'system' || previousRole === 'developer') return 'user';
  return undefined;
}

/** Edit distance (insertions, deletions, substitutions) of two short words. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

/** Chat roles spelled like `word` (case aside, up to one typo in a short word, two in a long one), closest first. */
function rolesSpelledLike(word: string): string[] {
  const lower = word.toLowerCase();
  // Role values are short; a long one is text, not a misspelled role, and is not worth the distance table.
  if (lower.length > 24) return [];
  return [...chatRoles]
    .filter((role) => role !== 'function')
    .map((role) => ({ role, distance: editDistance(lower, role) }))
    .filter(({ role, distance }) => distance <= (role.length <= 4 ? 1 : 2))
    .sort((a, b) => a.distance - b.distance)
    .map(({ role }) => role);
}

/** Problems as comparable keys, counted: a trial fix is clean when it adds none. */
function problemCounts(problems: readonly RowProblem[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of problems) {
    const key = `${item.code}\u0000${item.path.join('\u0000')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

/**
 * Renames to offer for the unrecognized role of message `index`: the role its position requires first, then the role
 * its name means elsewhere (`human` → user) and chat roles spelled like it. Each is tried on a copy of the messages;
 * the ones that leave no new problem come first, and only such a one is preferred.
 */
function roleFixes(messages: readonly Json[], index: number, path: RowPath, options: MessageListOptions): { preferred?: RowFix; others: RowFix[] } {
  const message = messages[index] as JsonObject;
  const role = typeof message.role === 'string' ? message.role : undefined;
  const candidates = new Set<string>();
  const byPosition = roleByPosition(messages, index, options);
  if (byPosition) candidates.add(byPosition);
  if (role !== undefined) {
    const alias = roleRenames[role.toLowerCase()];
    if (alias) candidates.add(alias);
    for (const spelled of rolesSpelledLike(role)) candidates.add(spelled);
  }
  const trialOptions = { ...options, suggestRoleFixes: false };
  const baseline: RowProblem[] = [];
  checkMessages(messages as Json[], path, trialOptions, baseline);
  const before = problemCounts(baseline);
  const ownKey = `unrecognized-role\u0000${[...path, index, 'role'].join('\u0000')}`;
  before.delete(ownKey);
  const clean: RowFix[] = [];
  const unverified: RowFix[] = [];
  for (const candidate of candidates) {
    const trial = messages.slice();
    trial[index] = { ...message, role: candidate };
    const after: RowProblem[] = [];
    checkMessages(trial, path, trialOptions, after);
    const remaining = new Map(before);
    let adds = false;
    for (const [key, count] of problemCounts(after)) {
      const left = (remaining.get(key) ?? 0) - count;
      if (left < 0) adds = true;
      remaining.set(key, left);
    }
    const fix: RowFix = { title: `Rename the role to "${candidate}"`, kind: 'replaceValue', path: [...path, index, 'role'], json: JSON.stringify(candidate) };
    (adds ? unverified : clean).push(fix);
  }
  const [first, ...rest] = clean;
  return first ? { preferred: first, others: [...rest, ...unverified] } : { others: unverified };
}

/** Whether a content value holds no text at all. */
function isEmptyContent(content: Json): boolean {
  if (content === undefined || content === null) return true;
  if (typeof content === 'string') return content.trim() === '';
  // Malformed parts are reported on their own; only well-formed, blank text parts make the content empty.
  if (Array.isArray(content)) return content.every((part) => isObject(part) && part.type === 'text' && typeof part.text === 'string' && part.text.trim() === '');
  return false;
}

function checkContentParts(parts: Json[], path: RowPath, out: RowProblem[]): void {
  parts.forEach((part, index) => {
    const at = (): RowPath => [...path, index];
    if (!isObject(part)) {
      out.push({ code: 'invalid-content', message: `Content part ${index + 1} is ${typeName(part)}; each part must be an object like {"type": "text", "text": "…"}.`, path: at() });
      return;
    }
    if (typeof part.type !== 'string' || !contentPartTypes.has(part.type)) {
      out.push({ code: 'invalid-content', message: `Content part ${index + 1} has type ${'type' in part ? shown(part.type) : 'missing'}; use "text" (or "image_url" for images).`, path: 'type' in part ? [...at(), 'type'] : at() });
      return;
    }
    if (part.type === 'text' && typeof part.text !== 'string') {
      const other = ['value', 'content'].find((key) => typeof part[key] === 'string');
      out.push({
        code: 'invalid-content',
        message: other
          ? `Text content part ${index + 1} keeps its text under "${other}"; OpenAI expects it under "text". Rename the key to "text".`
          : `Text content part ${index + 1} has no "text" string; add one.`,
        path: other ? [...at(), other] : at(),
        part: other ? 'key' : 'value',
      });
    }
  });
}

function checkToolCalls(calls: Json, path: RowPath, out: RowProblem[], ids: Set<string>): void {
  if (!Array.isArray(calls)) {
    out.push({ code: 'invalid-tool-call', message: `"tool_calls" is ${typeName(calls)}; it must be a list of {id, type: "function", function: {name, arguments}}.`, path });
    return;
  }
  calls.forEach((call, index) => {
    const at = (): RowPath => [...path, index];
    if (!isObject(call) || !isObject(call.function)) {
      out.push({ code: 'invalid-tool-call', message: `Tool call ${index + 1} needs a "function" object with "name" and "arguments".`, path: at() });
      return;
    }
    if (typeof call.id === 'string') ids.add(call.id);
    if (typeof call.function.name !== 'string' || call.function.name === '') {
      out.push({ code: 'invalid-tool-call', message: `Tool call ${index + 1} has no function name; set "function.name" to the tool's name.`, path: 'name' in call.function ? [...at(), 'function', 'name'] : [...at(), 'function'] });
    }
    const args = call.function.arguments;
    const argsPath = [...at(), 'function', 'arguments'];
    if (args === undefined) {
      out.push({ code: 'invalid-tool-call', message: `Tool call ${index + 1} has no "arguments"; add them as a JSON string, e.g. "{}".`, path: [...at(), 'function'] });
    } else if (typeof args !== 'string') {
      const serialized = jsonTextOf(args);
      out.push({
        code: 'tool-arguments-not-string',
        message: `"arguments" of tool call ${index + 1} is ${typeName(args)}; OpenAI expects the arguments serialized as a JSON string.`,
        path: argsPath,
        ...(serialized !== undefined ? { fix: { title: 'Serialize the arguments as a JSON string', kind: 'replaceValue' as const, path: argsPath, json: JSON.stringify(serialized) } } : {}),
      });
    } else if (!isJson(args)) {
      out.push({ code: 'invalid-tool-arguments', message: `"arguments" of tool call ${index + 1} is not valid JSON; the model learns to emit exactly this text, so make it a JSON object.`, path: argsPath });
    }
  });
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** Checks a list of chat messages ({role, content, …}); returns the number of turns. */
function checkMessages(messages: Json[], path: RowPath, options: MessageListOptions, out: RowProblem[]): number {
  let seenNonSystem = false;
  let assistants = 0;
  let users = 0;
  let lastRole: string | undefined;
  // Created on the first tool call only: most rows have none, and a Set per row is garbage on the hot path.
  let callIds: Set<string> | undefined;
  let pendingCalls = false;
  // Built only for problems; one shared helper instead of a closure per message (this runs on every row).
  const at = (index: number): RowPath => [...path, index];
  messages.forEach((message, index) => {
    if (!isObject(message)) {
      out.push({ code: 'wrong-type', message: `Message ${index + 1} is ${typeName(message)}; each message must be an object with "role" and "content".`, path: at(index) });
      return;
    }
    for (const key in message) {
      if (!messageKeys.has(key)) {
        out.push({
          code: 'message-unrecognized-key',
          message: `Message ${index + 1} has the key "${key}", which OpenAI's fine-tuning format does not accept (it allows role, content, name, weight, tool_calls, tool_call_id). Remove or rename it.`,
          path: [...at(index), key],
          part: 'key',
        });
      }
    }
    const role = message.role;
    if (role === undefined) {
      out.push({ code: 'message-missing-role', message: `Message ${index + 1} has no "role"; add one of system, user, assistant, tool.`, path: at(index) });
    } else if (typeof role !== 'string' || !chatRoles.has(role)) {
      const fixes = options.suggestRoleFixes === false ? { others: [] } : roleFixes(messages, index, path, options);
      const likely = fixes.preferred ? (JSON.parse(fixes.preferred.json) as string) : undefined;
      out.push({
        code: 'unrecognized-role',
        message: `Message ${index + 1} has the role ${shown(role)}; use one of system, developer, user, assistant, tool${likely ? ` (here probably "${likely}")` : ''}.`,
        path: [...at(index), 'role'],
        ...(fixes.preferred ? { fix: fixes.preferred } : {}),
        ...(fixes.others.length > 0 ? { alternativeFixes: fixes.others } : {}),
      });
    }
    const effectiveRole = typeof role === 'string' ? (chatRoles.has(role) ? role : roleRenames[role.toLowerCase()]) : undefined;
    const hasToolCalls = message.tool_calls !== undefined && message.tool_calls !== null;
    const content = message.content;
    if (content === undefined || content === null) {
      if (!(effectiveRole === 'assistant' && (hasToolCalls || message.function_call !== undefined))) {
        out.push({ code: 'message-missing-content', message: `Message ${index + 1} has no "content"; add the message text (only an assistant message with "tool_calls" may omit it).`, path: content === null ? [...at(index), 'content'] : at(index) });
      }
    } else if (Array.isArray(content)) {
      checkContentParts(content, [...at(index), 'content'], out);
    } else if (typeof content !== 'string') {
      out.push({ code: 'invalid-content', message: `Message ${index + 1} has content that is ${typeName(content)}; it must be a string or a list of content parts.`, path: [...at(index), 'content'] });
    }
    if (hasToolCalls) checkToolCalls(message.tool_calls, [...at(index), 'tool_calls'], out, (callIds ??= new Set<string>()));
    if (message.weight !== undefined && message.weight !== 0 && message.weight !== 1) {
      out.push({ code: 'invalid-weight', message: `Message ${index + 1} has weight ${shown(message.weight)}; weight must be 0 (do not train on this turn) or 1.`, path: [...at(index), 'weight'] });
    }
    if (effectiveRole === 'system' || effectiveRole === 'developer') {
      if (seenNonSystem) out.push({ code: 'system-not-first', message: `Message ${index + 1} is a ${effectiveRole} message after the conversation started; move it to the start.`, path: [...at(index), 'role'] });
    } else if (effectiveRole !== undefined) {
      seenNonSystem = true;
    }
    if (effectiveRole === 'assistant') {
      assistants++;
      if (!hasToolCalls && message.function_call === undefined && content !== undefined && isEmptyContent(content)) {
        out.push({ code: 'empty-assistant-turn', message: `Assistant message ${index + 1} is empty; the model would learn to answer with nothing. Write the reply or remove the turn.`, path: [...at(index), 'content'] });
      }
      pendingCalls = hasToolCalls;
    } else if (effectiveRole === 'user') {
      users++;
      pendingCalls = false;
    } else if (effectiveRole === 'tool') {
      const id = message.tool_call_id;
      if (!pendingCalls && lastRole !== 'tool') {
        out.push({ code: 'tool-without-call', message: `Tool message ${index + 1} does not follow an assistant message with "tool_calls"; put the assistant's call before the tool's result.`, path: [...at(index), 'role'] });
      } else if (typeof id === 'string' && callIds !== undefined && callIds.size > 0 && !callIds.has(id)) {
        out.push({ code: 'tool-without-call', message: `Tool message ${index + 1} answers the call "${id}", which no earlier tool call has; use the "id" of the call it answers.`, path: [...at(index), 'tool_call_id'] });
      }
    }
    if (effectiveRole !== undefined) lastRole = effectiveRole;
  });
  if (options.requireAssistant && assistants === 0 && messages.length > 0) {
    out.push({ code: 'no-assistant-message', message: 'The conversation has no assistant message, so there is nothing to train on; add the reply the model should learn.', path });
  }
  if (options.requireUser && users === 0 && messages.length > 0) {
    out.push({ code: 'no-user-message', message: 'The conversation has no user message; add the user turn the assistant answers.', path });
  }
  if (options.lastMustBeAssistant && assistants > 0 && lastRole !== undefined && lastRole !== 'assistant') {
    out.push({ code: 'last-turn-not-assistant', message: `The conversation ends with a ${lastRole} message; turns after the last assistant reply are not trained on. End with the assistant's reply.`, path: [...path, messages.length - 1] });
  }
  return messages.length;
}

function checkTools(tools: Json, out: RowProblem[]): void {
  let list = tools;
  if (typeof tools === 'string') {
    // ShareGPT (LLaMA-Factory) keeps tools as a JSON string.
    try {
      list = JSON.parse(tools);
    } catch {
      out.push({ code: 'invalid-tools', message: '"tools" is a string that is not valid JSON; it must hold a JSON list of tool definitions.', path: ['tools'] });
      return;
    }
  }
  if (!Array.isArray(list)) {
    out.push({ code: 'invalid-tools', message: `"tools" is ${typeName(list)}; it must be a list of {type: "function", function: {name, parameters}}.`, path: ['tools'] });
    return;
  }
  list.forEach((tool, index) => {
    const fn = isObject(tool) ? (isObject(tool.function) ? tool.function : tool) : undefined;
    if (!fn || typeof fn.name !== 'string') {
      out.push({ code: 'invalid-tools', message: `Tool ${index + 1} has no function name; each tool needs {type: "function", function: {name, description, parameters}}.`, path: typeof tools === 'string' ? ['tools'] : ['tools', index] });
    }
  });
}

/**
 * `target`: the field is what the model is trained to produce, so an empty one teaches it to answer with nothing
 * (an error); any other required field left empty is a warning.
 */
function requireString(row: JsonObject, key: string, out: RowProblem[], options: { allowEmpty?: boolean; optional?: boolean; target?: boolean } = {}): void {
  const value = row[key];
  if (value === undefined) {
    if (!options.optional) out.push({ code: 'missing-field', message: `The row has no "${key}"; add it as a string.`, path: [] });
  } else if (typeof value !== 'string') {
    out.push({ code: 'wrong-type', message: `"${key}" is ${typeName(value)}; it must be a string.`, path: [key] });
  } else if (!options.allowEmpty && value.trim() === '') {
    if (options.target) out.push({ code: 'empty-target', message: `"${key}" is empty: it is what the model trains on, so the row teaches it to answer with nothing. Write it or drop the row.`, path: [key] });
    else out.push({ code: 'empty-value', message: `"${key}" is empty; write the text or drop the row.`, path: [key] });
  }
}

function checkPreferenceSide(value: Json, key: string, out: RowProblem[]): void {
  if (typeof value === 'string') {
    if (value.trim() === '') out.push({ code: 'empty-preference', message: `"${key}" is empty; both sides of a preference pair need a response.`, path: [key] });
  } else if (Array.isArray(value)) {
    if (value.length === 0) out.push({ code: 'empty-preference', message: `"${key}" is an empty list; give the response as messages.`, path: [key] });
    else if (value.every(isObject) && value.some((m) => 'role' in m)) checkMessages(value, [key], { requireAssistant: true, requireUser: false, lastMustBeAssistant: true }, out);
  } else if (isObject(value)) {
    const text = value.content ?? value.value;
    if (typeof text === 'string' && text.trim() === '') out.push({ code: 'empty-preference', message: `"${key}" holds an empty response; both sides need text.`, path: [key] });
  } else {
    out.push({ code: 'wrong-type', message: `"${key}" is ${typeName(value)}; it must be a string, a message or a list of messages.`, path: [key] });
  }
}

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

/**
 * Runs the structural checks of `format` on one parsed row. Pure and allocation-light on the happy path: paths are
 * built only for problems.
 */
export function checkRow(row: JsonObject, format: DatasetFormat, out: RowProblem[]): RowShape {
  switch (format) {
    case 'messages': {
      const messages = row.messages;
      if (messages === undefined) {
        out.push({ code: 'missing-messages', message: 'The row has no "messages" list; each row must be {"messages": [{"role": …, "content": …}, …]}.', path: [] });
        return { turns: 0 };
      }
      if (!Array.isArray(messages)) {
        out.push({ code: 'missing-messages', message: `"messages" is ${typeName(messages)}; it must be a list of {role, content} objects.`, path: ['messages'] });
        return { turns: 0 };
      }
      if (messages.length === 0) {
        out.push({ code: 'missing-messages', message: '"messages" is empty; add the conversation turns.', path: ['messages'] });
        return { turns: 0 };
      }
      if (row.tools !== undefined) checkTools(row.tools, out);
      return { turns: checkMessages(messages, ['messages'], { requireAssistant: true, requireUser: true, lastMustBeAssistant: true }, out) };
    }
    case 'sharegpt': {
      const conversations = row.conversations;
      if (!Array.isArray(conversations) || conversations.length === 0) {
        out.push({ code: 'missing-field', message: '"conversations" must be a non-empty list of {"from": …, "value": …} turns.', path: conversations === undefined ? [] : ['conversations'] });
        return { turns: 0 };
      }
      let assistants = 0;
      let seenNonSystem = false;
      conversations.forEach((turn, index) => {
        const at = (): RowPath => ['conversations', index];
        if (!isObject(turn)) {
          out.push({ code: 'wrong-type', message: `Turn ${index + 1} is ${typeName(turn)}; it must be {"from": …, "value": …}.`, path: at() });
          return;
        }
        const speaker = turn.from;
        const role = typeof speaker === 'string' ? shareGptSpeakers[speaker] : undefined;
        if (!role) {
          out.push({ code: 'unrecognized-speaker', message: `Turn ${index + 1} is from ${speaker === undefined ? 'nobody' : shown(speaker)}; use human, gpt, system, function_call or observation.`, path: 'from' in turn ? [...at(), 'from'] : at() });
        }
        if (typeof turn.value !== 'string') {
          out.push({ code: 'message-missing-content', message: `Turn ${index + 1} has no "value" string; add the turn's text.`, path: 'value' in turn ? [...at(), 'value'] : at() });
        } else if (role === 'assistant' && turn.value.trim() === '') {
          out.push({ code: 'empty-assistant-turn', message: `Turn ${index + 1} from the model is empty; write the reply or remove the turn.`, path: [...at(), 'value'] });
        } else if (speaker === 'function_call' && !isJson(turn.value)) {
          out.push({ code: 'invalid-tool-arguments', message: `Function call in turn ${index + 1} is not valid JSON; write it as {"name": …, "arguments": {…}}.`, path: [...at(), 'value'] });
        }
        if (role === 'system') {
          if (seenNonSystem) out.push({ code: 'system-not-first', message: `Turn ${index + 1} is a system turn after the conversation started; move it to the start.`, path: [...at(), 'from'] });
        } else if (role) seenNonSystem = true;
        if (role === 'assistant') assistants++;
      });
      if (assistants === 0) out.push({ code: 'no-assistant-message', message: 'The conversation has no "gpt" turn, so there is nothing to train on; add the reply.', path: ['conversations'] });
      if (row.tools !== undefined) checkTools(row.tools, out);
      return { turns: conversations.length };
    }
    case 'alpaca':
      requireString(row, 'instruction', out);
      requireString(row, 'input', out, { allowEmpty: true, optional: true });
      requireString(row, 'output', out, { target: true });
      return { turns: 2 };
    case 'text':
      requireString(row, 'text', out, { target: true });
      return { turns: 1 };
    case 'prompt-completion':
      requireString(row, 'prompt', out, { allowEmpty: true });
      requireString(row, 'completion', out, { target: true });
      return { turns: 2 };
    case 'conversational-prompt-completion': {
      let turns = 0;
      for (const key of ['prompt', 'completion'] as const) {
        const list = row[key];
        if (!Array.isArray(list)) {
          out.push({ code: 'wrong-type', message: `"${key}" is ${typeName(list)}; in the conversational format it must be a list of {role, content} messages.`, path: list === undefined ? [] : [key] });
          continue;
        }
        if (key === 'completion' && list.length === 0) {
          out.push({ code: 'empty-target', message: '"completion" is an empty list: it is what the model trains on, so the row teaches nothing. Add the assistant\'s reply.', path: [key] });
          continue;
        }
        turns += checkMessages(list, [key], { requireAssistant: key === 'completion', requireUser: key === 'prompt', lastMustBeAssistant: key === 'completion' }, out);
      }
      return { turns };
    }
    case 'preference': {
      if (row.prompt !== undefined && typeof row.prompt !== 'string' && !Array.isArray(row.prompt)) {
        out.push({ code: 'wrong-type', message: `"prompt" is ${typeName(row.prompt)}; it must be a string or a list of messages.`, path: ['prompt'] });
      }
      checkPreferenceSide(row.chosen, 'chosen', out);
      checkPreferenceSide(row.rejected, 'rejected', out);
      if (row.chosen !== undefined && sameJson(row.chosen, row.rejected)) {
        out.push({ code: 'identical-preference', message: '"chosen" and "rejected" are the same, so the pair teaches nothing; write a worse rejected response or drop the row.', path: ['rejected'] });
      }
      return { turns: Array.isArray(row.conversations) ? row.conversations.length + 1 : Array.isArray(row.prompt) ? row.prompt.length + 1 : 2 };
    }
    case 'unpaired-preference':
      requireString(row, 'prompt', out, { allowEmpty: true });
      requireString(row, 'completion', out, { target: true });
      if (typeof row.label !== 'boolean') out.push({ code: 'invalid-label', message: `"label" is ${shown(row.label)}; it must be true (desirable) or false (undesirable).`, path: ['label'] });
      return { turns: 2 };
    case 'segments': {
      const segments = row.segments;
      if (!Array.isArray(segments) || segments.length === 0) {
        out.push({ code: 'wrong-type', message: '"segments" must be a non-empty list of {"text": …, "label": true|false}.', path: ['segments'] });
        return { turns: 0 };
      }
      segments.forEach((segment, index) => {
        if (!isObject(segment) || typeof segment.text !== 'string') {
          out.push({ code: 'wrong-type', message: `Segment ${index + 1} needs a "text" string.`, path: ['segments', index] });
        } else if (segment.label !== undefined && typeof segment.label !== 'boolean') {
          out.push({ code: 'invalid-label', message: `Segment ${index + 1} has label ${shown(segment.label)}; it must be true (train on it) or false.`, path: ['segments', index, 'label'] });
        }
      });
      const trained = segments.filter((segment): segment is JsonObject => isObject(segment) && segment.label === true);
      if (trained.length === 0) {
        out.push({ code: 'no-assistant-message', message: 'No segment has "label": true, so there is nothing to train on; mark the segments the model should learn.', path: ['segments'] });
      } else if (trained.every((segment) => typeof segment.text === 'string' && segment.text.trim() === '')) {
        out.push({ code: 'empty-target', message: 'Every segment with "label": true is empty, so the row trains on nothing; write their text or drop the row.', path: ['segments'] });
      }
      return { turns: segments.length };
    }
  }
}
