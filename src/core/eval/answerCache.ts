/**
 * The answer cache of a comparison: `<outputDir>/answers.jsonl`, one JSON line per answer, appended as each answer
 * settles. Appending is the only write: each answer is one `appendFileSync` of one line (the file is opened with
 * O_APPEND), so a run killed mid-write leaves at most one torn last line, which the next open skips — and the next
 * append starts on a fresh line so it is not glued to it. The file may have been edited or damaged by anyone: every
 * line is parsed, checked field by field, and rebuilt from the known fields only; what does not pass is skipped and
 * counted (`skippedLines`).
 *
 * The latest line of a (strategyKey, questionKey) pair wins. Only a `done` answer is reused (`get`); an `error` or
 * `stopped` one is answered again on the next run, but stays readable (`latest`) so a report can show it until then.
 */
import { appendFileSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type FewShotExample, type FinishReason, type GenerationStats, type Passage } from '../chat/chatTypes';
import { formatBinaryBytes } from '../text/byteSize';
import { type EvalAnswer } from './evalTypes';

export const answersFileName = 'answers.jsonl';
/** Far above any real comparison (2,000 answers with their prompts and passages are tens of megabytes). */
export const answerCacheByteLimit = 512 * 1024 * 1024;

const pairKey = (strategyKey: string, questionKey: string) => `${strategyKey}\u0000${questionKey}`;

export class AnswerCache {
  /** The latest answer of each pair; re-inserted on every append, so the map's order is the file order of the latest lines. */
  private readonly latestByPair = new Map<string, EvalAnswer>();
  /** The file does not end in a newline (a torn last line): the next append must start a new line. */
  private needsNewline: boolean;
  private folderMade: boolean;

  private constructor(
    /** Absolute path of `answers.jsonl`. */
    readonly file: string,
    private readonly outputDir: string,
    answers: EvalAnswer[],
    /** Lines that were torn, not JSON, or not an answer. */
    readonly skippedLines: number,
    endsMidLine: boolean,
    exists: boolean,
  ) {
    for (const answer of answers) this.remember(answer);
    this.needsNewline = endsMidLine;
    this.folderMade = exists;
  }

  /**
   * Reads `<outputDir>/answers.jsonl` if there is one; creates nothing until the first append. Throws when the file
   * is larger than 512 MiB (not a cache Chatwright wrote) or cannot be read.
   */
  static open(outputDir: string): AnswerCache {
    const file = join(outputDir, answersFileName);
    let size: number;
    try {
      size = statSync(file).size;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new AnswerCache(file, outputDir, [], 0, false, false);
      throw new Error(`The answer cache ${file} cannot be read: ${(error as Error).message}`, { cause: error });
    }
    if (size > answerCacheByteLimit)
      throw new Error(
        `The answer cache ${file} is ${formatBinaryBytes(size)}, more than the ${formatBinaryBytes(answerCacheByteLimit)} read: it is not a file Chatwright wrote. Move it away to answer the comparison again.`,
      );
    const bytes = readFileSync(file);
    const answers: EvalAnswer[] = [];
    let skipped = 0;
    let start = 0;
    while (start < bytes.length) {
      const newline = bytes.indexOf(0x0a, start);
      const end = newline === -1 ? bytes.length : newline;
      const line = bytes.subarray(start, end).toString('utf8').trim();
      start = end + 1;
      if (line === '') continue;
      const answer = answerFromLine(line);
      if (answer) answers.push(answer);
      else skipped += 1;
    }
    return new AnswerCache(file, outputDir, answers, skipped, bytes.length > 0 && bytes[bytes.length - 1] !== 0x0a, true);
  }

  /** The finished answer of this pair, if there is one: what a run reuses. */
  get(strategyKey: string, questionKey: string): EvalAnswer | undefined {
    const answer = this.latestByPair.get(pairKey(strategyKey, questionKey));
    return answer?.status === 'done' ? answer : undefined;
  }

  /** The latest answer of this pair whatever its status (a failed or stopped one too), for the report. */
  latest(strategyKey: string, questionKey: string): EvalAnswer | undefined {
    return this.latestByPair.get(pairKey(strategyKey, questionKey));
  }

  /** Writes one answer as one line; creates the folder and the file on the first. Throws when the file cannot be written. */
  append(answer: EvalAnswer): void {
    if (!this.folderMade) {
      mkdirSync(this.outputDir, { recursive: true });
      this.folderMade = true;
    }
    appendFileSync(this.file, `${this.needsNewline ? '\n' : ''}${JSON.stringify(answer)}\n`);
    this.needsNewline = false;
    this.remember(answer);
  }

  /** The latest answer of every pair, in file order. */
  all(): EvalAnswer[] {
    return [...this.latestByPair.values()];
  }

  private remember(answer: EvalAnswer): void {
    const key = pairKey(answer.strategyKey, answer.questionKey);
    this.latestByPair.delete(key);
    this.latestByPair.set(key, answer);
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Checking a line: the file is input like any other.

type Fields = Record<string, unknown>;

const isFields = (value: unknown): value is Fields => typeof value === 'object' && value !== null && !Array.isArray(value);
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((item) => typeof item === 'string');
const statuses: readonly EvalAnswer['status'][] = ['done', 'error', 'stopped'];
const finishReasons: readonly FinishReason[] = ['stop', 'length', 'cancelled'];

function turnsOf(value: unknown): { role: string; content: string }[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const turns: { role: string; content: string }[] = [];
  for (const item of value) {
    if (!isFields(item) || typeof item.role !== 'string' || typeof item.content !== 'string') return undefined;
    turns.push({ role: item.role, content: item.content });
  }
  return turns;
}

function statsOf(value: unknown): GenerationStats | undefined {
  if (!isFields(value)) return undefined;
  const { promptTokens, completionTokens, timeToFirstTokenMs, tokensPerSecond, totalMs, finishReason } = value;
  if (![promptTokens, completionTokens, timeToFirstTokenMs, tokensPerSecond, totalMs].every(isFiniteNumber)) return undefined;
  if (!finishReasons.includes(finishReason as FinishReason)) return undefined;
  return {
    promptTokens: promptTokens as number,
    completionTokens: completionTokens as number,
    timeToFirstTokenMs: timeToFirstTokenMs as number,
    tokensPerSecond: tokensPerSecond as number,
    totalMs: totalMs as number,
    finishReason: finishReason as FinishReason,
  };
}

function passageOf(value: unknown): Passage | undefined {
  if (!isFields(value)) return undefined;
  const { index, file, startLine, endLine, headingPath, text, score, scores } = value;
  if (![index, startLine, endLine, score].every(isFiniteNumber) || typeof file !== 'string' || typeof text !== 'string' || !isStringArray(headingPath)) return undefined;
  let checkedScores: Record<string, number> | undefined;
  if (scores !== undefined) {
    if (!isFields(scores) || !Object.values(scores).every(isFiniteNumber)) return undefined;
    checkedScores = Object.fromEntries(Object.entries(scores) as [string, number][]);
  }
  return {
    index: index as number,
    file,
    startLine: startLine as number,
    endLine: endLine as number,
    headingPath: [...headingPath],
    text,
    score: score as number,
    ...(checkedScores ? { scores: checkedScores } : {}),
  };
}

function exampleOf(value: unknown): FewShotExample | undefined {
  if (!isFields(value) || typeof value.source !== 'string') return undefined;
  const messages = turnsOf(value.messages);
  return messages ? { source: value.source, messages } : undefined;
}

/** Every item of `value` through `check`, or undefined when `value` is not a list or one item fails. */
function listOf<T>(value: unknown, check: (item: unknown) => T | undefined): T[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const items: T[] = [];
  for (const item of value) {
    const checked = check(item);
    if (checked === undefined) return undefined;
    items.push(checked);
  }
  return items;
}

/** The answer a cache line holds, rebuilt from its known fields; undefined when the line is torn or not an answer. */
export function answerFromLine(line: string): EvalAnswer | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isFields(value)) return undefined;
  const { strategy, strategyKey, questionId, questionKey, status, content, reasoning, error, stats, startedAt, finishedAt } = value;
  if (![strategy, strategyKey, questionId, questionKey, content].every((field) => typeof field === 'string')) return undefined;
  if (!statuses.includes(status as EvalAnswer['status']) || !isFiniteNumber(startedAt) || !isFiniteNumber(finishedAt)) return undefined;
  if (reasoning !== undefined && typeof reasoning !== 'string') return undefined;
  let checkedError: { code: string; message: string } | undefined;
  if (error !== undefined) {
    if (!isFields(error) || typeof error.code !== 'string' || typeof error.message !== 'string') return undefined;
    checkedError = { code: error.code, message: error.message };
  }
  const checkedStats = stats === undefined ? undefined : statsOf(stats);
  if (stats !== undefined && !checkedStats) return undefined;
  const messages = turnsOf(value.messages);
  const passages = listOf(value.passages, passageOf);
  const examples = listOf(value.examples, exampleOf);
  if (!messages || !passages || !examples || !isStringArray(value.notes)) return undefined;
  return {
    strategy: strategy as string,
    strategyKey: strategyKey as string,
    questionId: questionId as string,
    questionKey: questionKey as string,
    status: status as EvalAnswer['status'],
    content: content as string,
    ...(reasoning !== undefined ? { reasoning } : {}),
    ...(checkedError ? { error: checkedError } : {}),
    ...(checkedStats ? { stats: checkedStats } : {}),
    messages,
    passages,
    examples,
    notes: [...value.notes],
    startedAt,
    finishedAt,
  };
}
