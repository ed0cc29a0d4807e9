/**
 * The hand grades of a comparison, `<outputDir>/grades.jsonl`: one JSON object a line, appended as the user grades
 * answers in the report. The last grade of a (strategy, question) pair wins; a grade of 0 clears it. Reading is
 * bounded and tolerant: a line cut short by a crash, or one that is not a grade, is skipped, never fatal.
 */
import { appendFileSync, closeSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { isMissingFileError, readBoundedTextSync } from '../files/boundedRead';
import { type ManualGrade } from './evalTypes';

export const gradesFileName = 'grades.jsonl';

/** Far above any hand grading (a grade line is ~150 bytes: about 100,000 grades). */
const maxGradesFileBytes = 16 << 20;
/** A note longer than this is cut (a note is a sentence or two, not a document). */
const maxNoteLength = 4000;
/** The highest score a grade may carry (judge scales are small integers; 100 leaves room for a percentage scale). */
export const maxGradeScore = 100;

/**
 * The grades in force, in the order they were last given: the last line of each pair wins, and a pair whose last
 * grade is 0 has none. A missing file is no grades; a file too large or not a regular file throws a clear error.
 */
export function readGrades(outputDir: string): ManualGrade[] {
  let text: string;
  try {
    text = readBoundedTextSync(join(outputDir, gradesFileName), { kind: 'small', maxBytes: maxGradesFileBytes });
  } catch (error) {
    if (isMissingFileError(error)) return [];
    throw error;
  }
  const latest = new Map<string, ManualGrade>();
  for (const line of text.split('\n')) {
    const grade = parseGradeLine(line);
    if (grade === undefined) continue;
    const key = `${grade.strategy}\u0000${grade.questionId}`;
    // Deleted first so that the Map's order is the order grades were last given.
    latest.delete(key);
    latest.set(key, grade);
  }
  return [...latest.values()].filter((grade) => grade.score !== 0);
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
  const candidate = { strategy: fields.strategy, questionId: fields.questionId, score: fields.score, note: fields.note, gradedAt: fields.gradedAt };
  if (gradeProblem(candidate) !== undefined) return undefined;
  const grade = candidate as ManualGrade & { note: unknown };
  return {
    strategy: grade.strategy,
    questionId: grade.questionId,
    score: grade.score,
    ...(typeof grade.note === 'string' && grade.note !== '' ? { note: grade.note.slice(0, maxNoteLength) } : {}),
    gradedAt: grade.gradedAt,
  };
}

/** Why a value is not a grade, or undefined when it is one. */
function gradeProblem(grade: { strategy: unknown; questionId: unknown; score: unknown; note?: unknown; gradedAt: unknown }): string | undefined {
  if (typeof grade.strategy !== 'string' || grade.strategy === '') return 'strategy must be a non-empty string';
  if (typeof grade.questionId !== 'string' || grade.questionId === '') return 'questionId must be a non-empty string';
  if (typeof grade.score !== 'number' || !Number.isInteger(grade.score) || grade.score < 0 || grade.score > maxGradeScore) return `score must be an integer from 0 (clear) to ${maxGradeScore}`;
  if (grade.note !== undefined && typeof grade.note !== 'string') return 'note must be text';
  if (typeof grade.gradedAt !== 'number' || !Number.isFinite(grade.gradedAt)) return 'gradedAt must be a time in Unix milliseconds';
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
