/**
 * The hand grades of a comparison, `<outputDir>/grades.jsonl`: one JSON object a line, appended as the user grades
 * answers in the report. A grade names the answer it grades by its strategy and question and, when the report gave
 * them, the answer's `strategyKey` and `questionKey`; the last grade of an answer wins, and a grade of 0 clears it.
 * Reading is bounded and tolerant: a line cut short by a crash, or one that is not a grade, is skipped, never fatal.
 */
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { isMissingFileError, readBoundedTextSync } from '../files/boundedRead';
import { type ManualGrade } from './evalTypes';

export const gradesFileName = 'grades.jsonl';

/** Far above any hand grading (a grade line is ~200 bytes: about 80,000 grades). */
const maxGradesFileBytes = 16 << 20;
/** A note longer than this is cut (a note is a sentence or two, not a document). */
const maxNoteLength = 4000;
/** Far above the keys' length (16 hex digits): a longer one is not a key. */
const maxKeyLength = 128;
/** The highest score a grade may carry (judge scales are small integers; 100 leaves room for a percentage scale). */
export const maxGradeScore = 100;

/**
 * The grades in force (`gradesInForce`), in the order they were last given. A missing file is no grades; a file too
 * large or not a regular file throws a clear error.
 */
export function readGrades(outputDir: string): ManualGrade[] {
  let text: string;
  try {
    text = readBoundedTextSync(join(outputDir, gradesFileName), { kind: 'small', maxBytes: maxGradesFileBytes });
  } catch (error) {
    if (isMissingFileError(error)) return [];
    throw error;
  }
  const grades: ManualGrade[] = [];
  for (const line of text.split('\n')) {
    const grade = parseGradeLine(line);
    if (grade !== undefined) grades.push(grade);
  }
  return gradesInForce(grades);
}

/**
 * Of grades in the order they were given, those in force, in the order they were last given: the last grade of each
 * answer (strategy, question and, when the grade has them, the answer's keys) wins, and one of 0 clears it. A grade
 * also ends every earlier grade of its strategy and question it stands for: one with keys ends those without keys
 * (given to an answer that can no longer be told apart, and the user has graded or cleared the current one since); one
 * without keys ends them all (it grades whatever answer the pair has).
 */
export function gradesInForce(grades: Iterable<ManualGrade>): ManualGrade[] {
  const latest = new Map<string, ManualGrade>();
  const keysOfPair = new Map<string, Set<string>>();
  for (const grade of grades) {
    const pair = gradeKey({ strategy: grade.strategy, questionId: grade.questionId });
    const key = gradeKey(grade);
    let keys = keysOfPair.get(pair);
    if (keys === undefined) keysOfPair.set(pair, (keys = new Set()));
    const ended = key === pair ? [...keys] : [pair, key];
    for (const earlier of ended) {
      latest.delete(earlier);
      keys.delete(earlier);
    }
    // Deleted above so that the Map's order is the order grades were last given.
    latest.set(key, grade);
    keys.add(key);
  }
  return [...latest.values()].filter((grade) => grade.score !== 0);
}

/** Whether `grade` grades `answer`: same strategy and question, and the same keys when the grade has them. */
export function gradeAppliesTo(
  grade: Pick<ManualGrade, 'strategy' | 'questionId' | 'strategyKey' | 'questionKey'>,
  answer: { strategy: string; questionId: string; strategyKey: string; questionKey: string },
): boolean {
  if (grade.strategy !== answer.strategy || grade.questionId !== answer.questionId) return false;
  if (grade.strategyKey !== undefined && grade.strategyKey !== answer.strategyKey) return false;
  return grade.questionKey === undefined || grade.questionKey === answer.questionKey;
}

function gradeKey(grade: Pick<ManualGrade, 'strategy' | 'questionId' | 'strategyKey' | 'questionKey'>): string {
  return [grade.strategy, grade.questionId, grade.strategyKey ?? '', grade.questionKey ?? ''].join('\u0000');
}

/** Appends one grade (0 clears the pair's grade), creating the folder and file when needed. Throws on a grade that is not one. */
export function appendGrade(outputDir: string, grade: ManualGrade): void {
  const problem = gradeProblem(grade);
  if (problem !== undefined) throw new RangeError(`Not a grade: ${problem}`);
  mkdirSync(outputDir, { recursive: true });
  const file = join(outputDir, gradesFileName);
  const record: ManualGrade = {
    strategy: grade.strategy,
    questionId: grade.questionId,
    score: grade.score,
    ...(grade.note !== undefined && grade.note !== '' ? { note: grade.note.slice(0, maxNoteLength) } : {}),
    gradedAt: grade.gradedAt,
    ...(grade.strategyKey !== undefined ? { strategyKey: grade.strategyKey } : {}),
    ...(grade.questionKey !== undefined ? { questionKey: grade.questionKey } : {}),
  };
  // A line torn by a crash would swallow this one: start on a fresh line when the file does not end with one.
  const separator = endsWithoutNewline(file) ? '\n' : '';
  appendFileSync(file, `${separator}${JSON.stringify(record)}\n`, 'utf8');
}

function parseGradeLine(line: string): ManualGrade | undefined {
  const trimmed = line.trim();
  if (!trimmed.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const fields = value as Record<string, unknown>;
  const candidate = {
    strategy: fields.strategy,
    questionId: fields.questionId,
    score: fields.score,
    note: fields.note,
    gradedAt: fields.gradedAt,
    strategyKey: fields.strategyKey,
    questionKey: fields.questionKey,
  };
  if (gradeProblem(candidate) !== undefined) return undefined;
  const grade = candidate as ManualGrade & { note: unknown };
  return {
    strategy: grade.strategy,
    questionId: grade.questionId,
    score: grade.score,
    ...(typeof grade.note === 'string' && grade.note !== '' ? { note: grade.note.slice(0, maxNoteLength) } : {}),
    gradedAt: grade.gradedAt,
    ...(grade.strategyKey !== undefined ? { strategyKey: grade.strategyKey } : {}),
    ...(grade.questionKey !== undefined ? { questionKey: grade.questionKey } : {}),
  };
}

/** Why a value is not a grade, or undefined when it is one. */
function gradeProblem(grade: { strategy: unknown; questionId: unknown; score: unknown; note?: unknown; gradedAt: unknown; strategyKey?: unknown; questionKey?: unknown }): string | undefined {
  if (typeof grade.strategy !== 'string' || grade.strategy === '') return 'strategy must be a non-empty string';
  if (typeof grade.questionId !== 'string' || grade.questionId === '') return 'questionId must be a non-empty string';
  if (typeof grade.score !== 'number' || !Number.isInteger(grade.score) || grade.score < 0 || grade.score > maxGradeScore) return `score must be an integer from 0 (clear) to ${maxGradeScore}`;
  if (grade.note !== undefined && typeof grade.note !== 'string') return 'note must be text';
  if (typeof grade.gradedAt !== 'number' || !Number.isFinite(grade.gradedAt)) return 'gradedAt must be a time in Unix milliseconds';
  for (const [name, key] of [
    ['strategyKey', grade.strategyKey],
    ['questionKey', grade.questionKey],
  ] as const) {
    if (key !== undefined && (typeof key !== 'string' || key === '' || key.length > maxKeyLength)) return `${name} must be an answer's key (text of at most ${maxKeyLength} characters)`;
  }
  return undefined;
}

function endsWithoutNewline(file: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return false;
    const last = Buffer.alloc(1);
    readSync(fd, last, 0, 1, size - 1);
    return last[0] !== 0x0a;
  } finally {
    closeSync(fd);
  }
}
