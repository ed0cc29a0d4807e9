import { editDistance } from '../text/editDistance';
import { chatRoles, roleRenames } from './chatRoles';
import { isJson, isObject, jsonTextOf, shown, typeName, type Json, type JsonObject } from './jsonValues';
import { type RowFix, type RowPath, type RowProblem } from './rowProblems';

/**
 * The checks of a list of chat messages ({role, content, …}), shared by every format that holds one (OpenAI chat,
 * TRL's conversational prompt/completion, preference pairs), with the role renames they offer as quick fixes.
 */

const messageKeys = new Set(['role', 'content', 'name', 'weight', 'tool_calls', 'tool_call_id', 'function_call', 'refusal']);
const contentPartTypes = new Set(['text', 'image_url', 'input_audio', 'file']);

export interface MessageListOptions {
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
      out.push({
        code: 'invalid-content',
        message: `Content part ${index + 1} has type ${'type' in part ? shown(part.type) : 'missing'}; use "text" (or "image_url" for images).`,
        path: 'type' in part ? [...at(), 'type'] : at(),
      });
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
      out.push({
        code: 'invalid-tool-call',
        message: `Tool call ${index + 1} has no function name; set "function.name" to the tool's name.`,
        path: 'name' in call.function ? [...at(), 'function', 'name'] : [...at(), 'function'],
      });
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
      out.push({
        code: 'invalid-tool-arguments',
        message: `"arguments" of tool call ${index + 1} is not valid JSON; the model learns to emit exactly this text, so make it a JSON object.`,
        path: argsPath,
      });
    }
  });
}

/** Checks a list of chat messages ({role, content, …}); returns the number of turns. */
export function checkMessages(messages: Json[], path: RowPath, options: MessageListOptions, out: RowProblem[]): number {
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
        out.push({
          code: 'message-missing-content',
          message: `Message ${index + 1} has no "content"; add the message text (only an assistant message with "tool_calls" may omit it).`,
          path: content === null ? [...at(index), 'content'] : at(index),
        });
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
      if (seenNonSystem)
        out.push({ code: 'system-not-first', message: `Message ${index + 1} is a ${effectiveRole} message after the conversation started; move it to the start.`, path: [...at(index), 'role'] });
    } else if (effectiveRole !== undefined) {
      seenNonSystem = true;
    }
    if (effectiveRole === 'assistant') {
      assistants++;
      if (!hasToolCalls && message.function_call === undefined && content !== undefined && isEmptyContent(content)) {
        out.push({
          code: 'empty-assistant-turn',
          message: `Assistant message ${index + 1} is empty; the model would learn to answer with nothing. Write the reply or remove the turn.`,
          path: [...at(index), 'content'],
        });
      }
      pendingCalls = hasToolCalls;
    } else if (effectiveRole === 'user') {
      users++;
      pendingCalls = false;
    } else if (effectiveRole === 'tool') {
      const id = message.tool_call_id;
      if (!pendingCalls && lastRole !== 'tool') {
        out.push({
          code: 'tool-without-call',
          message: `Tool message ${index + 1} does not follow an assistant message with "tool_calls"; put the assistant's call before the tool's result.`,
          path: [...at(index), 'role'],
        });
      } else if (typeof id === 'string' && callIds !== undefined && callIds.size > 0 && !callIds.has(id)) {
        out.push({
          code: 'tool-without-call',
          message: `Tool message ${index + 1} answers the call "${id}", which no earlier tool call has; use the "id" of the call it answers.`,
          path: [...at(index), 'tool_call_id'],
        });
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
    out.push({
      code: 'last-turn-not-assistant',
      message: `The conversation ends with a ${lastRole} message; turns after the last assistant reply are not trained on. End with the assistant's reply.`,
      path: [...path, messages.length - 1],
    });
  }
  return messages.length;
}

/** Checks a row's tool definitions (a list, or ShareGPT's JSON string of one). */
export function checkTools(tools: Json, out: RowProblem[]): void {
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
      out.push({
        code: 'invalid-tools',
        message: `Tool ${index + 1} has no function name; each tool needs {type: "function", function: {name, description, parameters}}.`,
        path: typeof tools === 'string' ? ['tools'] : ['tools', index],
      });
    }
  });
}
