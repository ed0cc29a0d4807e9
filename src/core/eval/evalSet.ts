import { createHash } from 'node:crypto';
import { evalReferenceKeys, evalSourcesProblem } from '../datasets/evalRows';
import { readBoundedFileSync } from '../files/boundedRead';
import { type ChatTurn } from '../text/chatTurn';
import { type EvalQuestion, type EvalSet, type EvalSetProblem } from './evalTypes';

/**
 * The one reader of eval sets. Two row shapes, one per file:
 * - `{"messages": [...]}`: the reference is the LAST assistant turn, the question the last user turn before it, and
 *   the user/assistant turns before the question are the history (a multi-turn question). System turns are left out:
 *   a strategy's template gives the system prompt, so the comparison is about the strategies, not the rows' prompts.
 * - `{"question": …, "answer": …}` (`reference` is accepted for `answer`, as ragas names it; `query`/`input` are not
 *   taken for `question`: retrieval data and Alpaca rows use them for other things).
 * Beside either, `sources` (workspace-relative paths or globs the answer should be retrieved from) and `id`.
 */

/** More rows than this is not an eval set a comparison can run (each row is asked of every strategy). */
export const maxEvalRows = 50_000;

type Row = Record<string, unknown>;

class RowError extends Error {}

function isObject(value: unknown): value is Row {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** A message's text: a string, or the text parts of an OpenAI content list. */
function messageText(content: unknown, index: number): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    const parts: string[] = [];
    for (const part of content) {
      if (isObject(part) && part.type === 'text' && typeof part.text === 'string') parts.push(part.text);
      else throw new RowError(`message ${index + 1} has a content part that is not text; eval questions are text only.`);
    }
    return parts.join('');
  }
  throw new RowError(`message ${index + 1} has ${content === undefined ? 'no content' : `content of type ${describeType(content)}`}; it must be a string.`);
}

interface ParsedRow {
  question: string;
  reference: string;
  history: ChatTurn<'user' | 'assistant'>[];
  /** What the row left out or could not fill, to report as warnings. */
  droppedSystem: boolean;
  trailingTurns: number;
  missingReference: boolean;
}

function parseMessagesRow(row: Row): ParsedRow {
  const messages = row.messages;
  if (!Array.isArray(messages) || messages.length === 0) throw new RowError('"messages" must be a non-empty list of {role, content} turns.');
  const turns: { role: string; content: string }[] = [];
  let droppedSystem = false;
  messages.forEach((message: unknown, index) => {
    if (!isObject(message) || typeof message.role !== 'string') throw new RowError(`message ${index + 1} must be an object with a "role".`);
    const role = message.role;
    if (role === 'system' || role === 'developer') {
      droppedSystem = true;
      return;
    }
    if (role !== 'user' && role !== 'assistant') throw new RowError(`message ${index + 1} has role "${role}"; an eval question's turns are user and assistant (tool calls cannot be replayed).`);
    turns.push({ role, content: messageText(message.content, index) });
  });
  let last = -1;
  for (let i = turns.length - 1; i >= 0; i--) {
    if (turns[i]!.role === 'assistant') {
      last = i;
      break;
    }
  }
  if (last < 0) throw new RowError('the conversation has no assistant turn; its last assistant turn is the reference answer.');
  let asked = -1;
  for (let i = last - 1; i >= 0; i--) {
    if (turns[i]!.role === 'user') {
      asked = i;
      break;
    }
  }
  if (asked < 0) throw new RowError('no user turn comes before the last assistant turn; that user turn is the question.');
  const history = turns.slice(0, asked).map((turn) => ({ role: turn.role as 'user' | 'assistant', content: turn.content }));
  const reference = turns[last]!.content;
  return { question: turns[asked]!.content, reference, history, droppedSystem, trailingTurns: turns.length - 1 - last, missingReference: reference.trim() === '' };
}

function parseQuestionAnswerRow(row: Row): ParsedRow {
  if (typeof row.question !== 'string') throw new RowError(`"question" is ${describeType(row.question)}; it must be a string.`);
  const present = evalReferenceKeys.filter((key) => row[key] !== undefined);
  if (present.length > 1) throw new RowError('the row has both "answer" and "reference"; keep one (both name the reference answer).');
  const key = present[0];
  const value = key === undefined ? '' : row[key];
  if (typeof value !== 'string') throw new RowError(`"${key}" is ${describeType(value)}; it must be the reference answer as a string.`);
  return { question: row.question, reference: value, history: [], droppedSystem: false, trailingTurns: 0, missingReference: value.trim() === '' };
}

function rowId(row: Row, line: number): string {
  const id = row.id;
  if (id === undefined) return `line-${line}`;
  if (typeof id === 'number' && Number.isFinite(id)) return String(id);
  if (typeof id === 'string' && id.trim() !== '') return id;
  throw new RowError(`"id" is ${typeof id === 'string' ? 'empty' : describeType(id)}; it must be a non-empty string or a number.`);
}

/** The key that tells two rows ask the same thing: the question with its history, case and spacing aside. */
function questionKey(parsed: ParsedRow): string {
  const squash = (text: string): string => text.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
  return [...parsed.history.map((turn) => `${turn.role}:${squash(turn.content)}`), squash(parsed.question)].join('\u0000');
}

/**
 * Reads an eval set: JSONL rows of `messages` (the last assistant turn is the reference) or `{question, answer,
 * sources?}`. Never throws on bad rows: they become `problems` with their line. `text` defaults to the file's content
 * (bounded read).
 */
export function readEvalSet(file: string, text?: string): EvalSet {
  let bytes: Buffer;
  if (text !== undefined) {
    bytes = Buffer.from(text, 'utf8');
  } else {
    try {
      bytes = readBoundedFileSync(file, { kind: 'evalSet' });
    } catch (error) {
      const sha256 = createHash('sha256').update('').digest('hex');
      return { file, shape: 'question-answer', questions: [], problems: [{ line: 0, severity: 'error', message: error instanceof Error ? error.message : String(error) }], sha256 };
    }
    text = bytes.toString('utf8');
  }
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  const problems: EvalSetProblem[] = [];
  const questions: EvalQuestion[] = [];
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split('\n');
  let shape: EvalSet['shape'] | undefined;
  let shapeLine = 0;
  let rows = 0;
  let droppedSystem = false;
  const ids = new Map<string, number>();
  const asked = new Map<string, number>();
  for (let index = 0; index < lines.length; index++) {
    const line = index + 1;
    const raw = lines[index]!;
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (content.trim() === '') continue;
    if (++rows > maxEvalRows) {
      return {
        file,
        shape: shape ?? 'question-answer',
        questions: [],
        problems: [{ line: 0, severity: 'error', message: `The eval set has more than ${maxEvalRows.toLocaleString('en-US')} rows; every row is asked of every strategy, so split it or sample it.` }],
        sha256,
      };
    }
    const fail = (message: string): void => {
      problems.push({ line, severity: 'error', message });
    };
    let row: unknown;
    try {
      row = JSON.parse(content);
    } catch (error) {
      fail(`Invalid JSON: ${error instanceof Error ? error.message : String(error)}. Each line must be one JSON object.`);
      continue;
    }
    if (!isObject(row)) {
      fail(`The line is ${describeType(row)}, not an object; each row must be {"question": …, "answer": …} or {"messages": […]}.`);
      continue;
    }
    const rowShape: EvalSet['shape'] | undefined = 'messages' in row ? 'messages' : 'question' in row ? 'question-answer' : undefined;
    if (!rowShape) {
      fail('The row has neither "messages" nor "question"; write {"question": …, "answer": …} or {"messages": [{"role": "user", …}, {"role": "assistant", …}]}.');
      continue;
    }
    if (shape === undefined) {
      shape = rowShape;
      shapeLine = line;
    } else if (rowShape !== shape) {
      fail(
        `This row is ${rowShape === 'messages' ? 'a messages row' : 'a question/answer row'}, but line ${shapeLine} made this a file of ${shape === 'messages' ? 'messages' : 'question/answer'} rows; use one shape per file.`,
      );
      continue;
    }
    let parsed: ParsedRow;
    let id: string;
    try {
      parsed = rowShape === 'messages' ? parseMessagesRow(row) : parseQuestionAnswerRow(row);
      id = rowId(row, line);
    } catch (error) {
      if (!(error instanceof RowError)) throw error;
      fail(`The row cannot be used: ${error.message}`);
      continue;
    }
    if (parsed.question.trim() === '') {
      fail('The question is empty; there is nothing to ask.');
      continue;
    }
    const sourcesProblem = evalSourcesProblem(row.sources);
    if (sourcesProblem) {
      fail(sourcesProblem);
      continue;
    }
    const earlierId = ids.get(id);
    if (earlierId !== undefined) {
      fail(`The id "${id}" is also the id of line ${earlierId}; ids must be unique (answers and grades are kept by id).`);
      continue;
    }
    ids.set(id, line);
    const key = questionKey(parsed);
    const earlierQuestion = asked.get(key);
    if (earlierQuestion !== undefined) problems.push({ line, severity: 'warning', message: `This question repeats line ${earlierQuestion}; it counts twice in every mean.` });
    else asked.set(key, line);
    if (parsed.missingReference) {
      problems.push({
        line,
        severity: 'warning',
        message: 'No reference answer: the metrics that compare with one (exact match, token F1, ROUGE-L, embedding similarity) skip this question; only an LLM judge can score it.',
      });
    }
    if (parsed.trailingTurns > 0) problems.push({ line, severity: 'warning', message: `The ${parsed.trailingTurns} turn(s) after the last assistant turn are ignored.` });
    droppedSystem ||= parsed.droppedSystem;
    const sources = Array.isArray(row.sources) ? (row.sources as string[]) : [];
    questions.push({ id, line, question: parsed.question, reference: parsed.reference, history: parsed.history, sources: [...sources] });
  }
  if (droppedSystem) {
    problems.push({ line: 0, severity: 'warning', message: "System turns in the rows are left out: each strategy's template gives the system prompt, so every strategy is asked the same question." });
  }
  problems.sort((a, b) => a.line - b.line);
  return { file, shape: shape ?? 'question-answer', questions, problems, sha256 };
}
