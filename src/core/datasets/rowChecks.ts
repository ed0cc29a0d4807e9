import { shareGptSpeakers } from './chatRoles';
import { evalSourcesProblem } from './evalRows';
import { type DatasetFormat } from './formats';
import { isJson, isObject, sameJson, shown, typeName, type Json, type JsonObject } from './jsonValues';
import { checkMessages, checkTools } from './messageChecks';
import { type RowPath, type RowProblem, type RowShape } from './rowProblems';

/**
 * The structural checks of each row format, one checker per format in `rowCheckers`. Pure and allocation-light on
 * the happy path: paths are built only for problems. Chat message lists are checked by `messageChecks.ts`;
 * conversions between formats are in `rowConversions.ts`.
 */

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
    if (options.target)
      out.push({ code: 'empty-target', message: `"${key}" is empty: it is what the model trains on, so the row teaches it to answer with nothing. Write it or drop the row.`, path: [key] });
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

function checkMessagesRow(row: JsonObject, out: RowProblem[]): RowShape {
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

function checkShareGptRow(row: JsonObject, out: RowProblem[]): RowShape {
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
      out.push({
        code: 'unrecognized-speaker',
        message: `Turn ${index + 1} is from ${speaker === undefined ? 'nobody' : shown(speaker)}; use human, gpt, system, function_call or observation.`,
        path: 'from' in turn ? [...at(), 'from'] : at(),
      });
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

function checkAlpacaRow(row: JsonObject, out: RowProblem[]): RowShape {
  requireString(row, 'instruction', out);
  requireString(row, 'input', out, { allowEmpty: true, optional: true });
  requireString(row, 'output', out, { target: true });
  return { turns: 2 };
}

function checkTextRow(row: JsonObject, out: RowProblem[]): RowShape {
  requireString(row, 'text', out, { target: true });
  return { turns: 1 };
}

function checkPromptCompletionRow(row: JsonObject, out: RowProblem[]): RowShape {
  requireString(row, 'prompt', out, { allowEmpty: true });
  requireString(row, 'completion', out, { target: true });
  return { turns: 2 };
}

function checkConversationalPromptCompletionRow(row: JsonObject, out: RowProblem[]): RowShape {
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

function checkPreferenceRow(row: JsonObject, out: RowProblem[]): RowShape {
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

function checkUnpairedPreferenceRow(row: JsonObject, out: RowProblem[]): RowShape {
  requireString(row, 'prompt', out, { allowEmpty: true });
  requireString(row, 'completion', out, { target: true });
  if (typeof row.label !== 'boolean') out.push({ code: 'invalid-label', message: `"label" is ${shown(row.label)}; it must be true (desirable) or false (undesirable).`, path: ['label'] });
  return { turns: 2 };
}

function checkSegmentsRow(row: JsonObject, out: RowProblem[]): RowShape {
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

/**
 * An eval-set row: it is never trained on, so an empty reference is a warning (metrics that compare with a reference
 * cannot score it; an LLM judge still can), while an empty question leaves nothing to ask.
 */
function checkEvalRow(row: JsonObject, out: RowProblem[]): RowShape {
  const question = row.question;
  if (typeof question !== 'string') {
    out.push({ code: 'wrong-type', message: `"question" is ${typeName(question)}; it must be the question as a string.`, path: ['question'] });
  } else if (question.trim() === '') {
    out.push({ code: 'eval-empty-question', message: '"question" is empty, so there is nothing to ask the model; write the question or drop the row.', path: ['question'] });
  }
  const answer = row.answer;
  const reference = row.reference;
  if (answer !== undefined && reference !== undefined) {
    out.push({
      code: 'eval-two-references',
      message: 'The row has both "answer" and "reference"; keep one of them (they name the same thing: the reference answer).',
      path: ['reference'],
      part: 'key',
    });
  }
  const key = answer !== undefined ? 'answer' : 'reference';
  const value = answer ?? reference;
  if (value === undefined) {
    out.push({
      code: 'eval-missing-reference',
      message: 'The row has no "answer": metrics that compare with a reference (exact match, token F1, ROUGE-L, embedding similarity) cannot score it; only an LLM judge can. Add the expected answer.',
      path: [],
    });
  } else if (typeof value !== 'string') {
    out.push({ code: 'wrong-type', message: `"${key}" is ${typeName(value)}; it must be the reference answer as a string.`, path: [key] });
  } else if (value.trim() === '') {
    out.push({
      code: 'eval-missing-reference',
      message: `"${key}" is empty: metrics that compare with a reference (exact match, token F1, ROUGE-L, embedding similarity) cannot score it; only an LLM judge can. Write the expected answer.`,
      path: [key],
    });
  }
  const sources = evalSourcesProblem(row.sources);
  if (sources) out.push({ code: 'eval-bad-sources', message: sources, path: ['sources'] });
  if (row.id !== undefined && typeof row.id !== 'string' && typeof row.id !== 'number') {
    out.push({ code: 'wrong-type', message: `"id" is ${typeName(row.id)}; it must be a string or a number.`, path: ['id'] });
  }
  return { turns: 2 };
}

/** Each format's checker; a new format gets its checker here (the type asks for one per format). */
const rowCheckers: Record<DatasetFormat, (row: JsonObject, out: RowProblem[]) => RowShape> = {
  messages: checkMessagesRow,
  sharegpt: checkShareGptRow,
  alpaca: checkAlpacaRow,
  text: checkTextRow,
  'prompt-completion': checkPromptCompletionRow,
  'conversational-prompt-completion': checkConversationalPromptCompletionRow,
  preference: checkPreferenceRow,
  'unpaired-preference': checkUnpairedPreferenceRow,
  segments: checkSegmentsRow,
  eval: checkEvalRow,
};

/** Runs the structural checks of `format` on one parsed row. */
export function checkRow(row: JsonObject, format: DatasetFormat, out: RowProblem[]): RowShape {
  return rowCheckers[format](row, out);
}
