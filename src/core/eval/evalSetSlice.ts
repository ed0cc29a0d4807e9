import { seededRandom } from '../text/seededRandom';
import { detectRowFormat } from '../datasets/formats';
import { convertRowToMessages } from '../datasets/rowConversions';
import { readEvalSet, maxEvalRows } from './evalSet';

/**
 * Makes an eval set from a slice of a dataset, held out: the sliced rows become eval rows, and every other line of the
 * dataset is kept, byte for byte, for a training file that no longer holds them (a model evaluated on rows it trained
 * on looks better than it is). Pure: the caller reads the dataset and writes both files.
 */

export type EvalSliceSize = { count: number } | { fraction: number };

export interface EvalSliceOptions {
  size: EvalSliceSize;
  /** `last`: the last rows of the file (often the newest); `random`: a seeded random sample, kept in file order. */
  selection: 'last' | 'random';
  /** For `random` (default 0): the same seed picks the same rows. */
  seed?: number;
  /** The dataset's file name, for the eval rows' ids (`<file>:<line>`). */
  fileName: string;
}

export interface EvalSlice {
  /** JSONL lines of the eval set: `{question, answer, id}`, or `{messages, id}` for a multi-turn conversation. */
  evalRows: string[];
  /** The dataset's lines not in the slice, byte-identical (blank lines left out), in file order. */
  restRows: string[];
  /** Lines that could not become eval rows (they stay in `restRows`), with why. 1-based lines. */
  skipped: { line: number; reason: string }[];
}

/** A slice that cannot be made (too large, nothing to slice): its message says what to change. */
export class EvalSliceError extends Error {}

/** The rows of each format as `{messages}` or `{question, answer}`, or why a row cannot be asked. */
function evalShapeOf(row: Record<string, unknown>): Record<string, unknown> | string {
  const format = detectRowFormat(row);
  switch (format) {
    case 'eval':
    case 'messages':
      return row;
    case 'prompt-completion':
      return { question: row.prompt, answer: row.completion };
    case 'conversational-prompt-completion':
      return { messages: [...(Array.isArray(row.prompt) ? (row.prompt as unknown[]) : []), ...(Array.isArray(row.completion) ? (row.completion as unknown[]) : [])] };
    case 'alpaca':
    case 'sharegpt': {
      const converted = convertRowToMessages(row, format);
      return converted === undefined ? `this ${format === 'alpaca' ? 'Alpaca' : 'ShareGPT'} row cannot be read as a conversation` : (JSON.parse(converted) as Record<string, unknown>);
    }
    case undefined:
      return 'the row matches no dataset format';
    default:
      return `a ${format} row has no question and answer to evaluate on`;
  }
}

function sliceCount(size: EvalSliceSize, usable: number): number {
  if ('count' in size) {
    if (!Number.isInteger(size.count) || size.count < 1) throw new EvalSliceError(`The count must be a whole number of at least 1, got ${size.count}.`);
    return size.count;
  }
  if (!(size.fraction > 0 && size.fraction < 1)) throw new EvalSliceError(`The fraction must be between 0 and 1 (exclusive), got ${size.fraction}.`);
  return Math.max(1, Math.round(size.fraction * usable));
}

/** Slices `count` rows (or a fraction) of a JSONL dataset off into an eval set; see `EvalSlice`. */
export function sliceEvalSet(text: string, options: EvalSliceOptions): EvalSlice {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const skipped: EvalSlice['skipped'] = [];
  /** Eval rows that each usable line would give, by index into `lines`. */
  const usable: { index: number; evalRow: string }[] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    const content = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (content.trim() === '') return;
    let row: unknown;
    try {
      row = JSON.parse(content);
    } catch {
      skipped.push({ line, reason: 'invalid JSON' });
      return;
    }
    if (typeof row !== 'object' || row === null || Array.isArray(row)) {
      skipped.push({ line, reason: 'not a JSON object' });
      return;
    }
    const shaped = evalShapeOf(row as Record<string, unknown>);
    if (typeof shaped === 'string') {
      skipped.push({ line, reason: shaped });
      return;
    }
    // The eval set's own reader decides what a usable question is, so the file written reads back without errors.
    const id = `${options.fileName}:${line}`;
    const read = readEvalSet(options.fileName, JSON.stringify({ ...shaped, id }));
    const question = read.questions[0];
    const error = read.problems.find((problem) => problem.severity === 'error');
    if (!question || error) {
      skipped.push({ line, reason: (error?.message ?? 'no question in the row').replace(/^The row cannot be used: /, '') });
      return;
    }
    const sources = Array.isArray((row as Record<string, unknown>).sources) ? { sources: question.sources } : {};
    const evalRow =
      question.history.length > 0
        ? { messages: [...question.history, { role: 'user', content: question.question }, { role: 'assistant', content: question.reference }], ...sources, id }
        : { question: question.question, answer: question.reference, ...sources, id };
    usable.push({ index, evalRow: JSON.stringify(evalRow) });
  });
  if (usable.length === 0) throw new EvalSliceError('No row of the dataset has a question and an answer to evaluate on (messages, prompt/completion, Alpaca, ShareGPT or eval rows).');
  const count = sliceCount(options.size, usable.length);
  if (count >= usable.length) {
    throw new EvalSliceError(`The dataset has ${usable.length} usable row(s); an eval set of ${count} would leave none to train on. Ask for fewer.`);
  }
  if (count > maxEvalRows) throw new EvalSliceError(`An eval set of ${count} rows is over the limit of ${maxEvalRows.toLocaleString('en-US')}; ask for fewer.`);
  let chosen: typeof usable;
  if (options.selection === 'last') {
    chosen = usable.slice(usable.length - count);
  } else {
    const random = seededRandom(options.seed ?? 0);
    const order = usable.map((_, i) => i);
    // A partial Fisher-Yates shuffle: the first `count` places are a uniform sample.
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(random() * (order.length - i));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    chosen = order
      .slice(0, count)
      .sort((a, b) => a - b)
      .map((i) => usable[i]!);
  }
  const held = new Set(chosen.map((item) => item.index));
  const restRows = lines.filter((raw, index) => !held.has(index) && raw.replace(/\r$/, '').trim() !== '');
  return { evalRows: chosen.map((item) => item.evalRow), restRows, skipped };
}
