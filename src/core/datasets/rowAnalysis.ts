import { findJsonSyntaxError } from './jsonlSyntax';
import { mayHoldSpecialContent, scanRowContent } from './contentScan';
import { datasetChecks, type DatasetFindingCode, type DatasetSeverity } from './findings';
import { sampleKey } from './fingerprint';
import { datasetFormats, detectRowFormat, type DatasetFormat } from './formats';
import { RowLocator } from './locate';
import { checkRow, convertRowToMessages, type RowProblem } from './rowChecks';
import { rowCounterFor, type TokenCounter } from './tokenCount';

/** A problem located within its line: character offsets only, so the analysis stays valid when lines move. */
export interface LineProblem {
  code: DatasetFindingCode;
  severity: DatasetSeverity;
  message: string;
  start: number;
  end: number;
  fix?: { title: string; start: number; end: number; newText: string };
}

/** Everything the validator learns from one line, independent of the line's number and of the other lines. */
export interface LineAnalysis {
  kind: 'blank' | 'invalid' | 'row';
  /** The row's format (the configured one, or detected); undefined for rows that look like no training format. */
  format?: DatasetFormat;
  /** Whether the row's own keys matched a format (false when only a configured format applies). */
  recognized: boolean;
  problems: LineProblem[];
  /** The duplicate table's sample key (see fingerprint.ts). */
  fingerprint?: number;
  /** The row's full normalized hash, once a duplicate check needed it (kept with the analysis: the editor reuses it). */
  fullHash?: number;
  turns: number;
  /** Token count of the rendered row, when a counter ran. */
  tokens?: number;
  /** Length of the line, for whole-row ranges. */
  length: number;
}

export interface LineAnalysisOptions {
  /** The format every row must be in (from the glob → format setting or `--format`). */
  format?: DatasetFormat;
  tokenCounter?: TokenCounter;
  maxTokens?: number;
  checkDuplicates?: boolean;
}

const mainKey: Record<DatasetFormat, string> = {
  messages: 'messages',
  'prompt-completion': 'completion',
  'conversational-prompt-completion': 'completion',
  text: 'text',
  preference: 'chosen',
  'unpaired-preference': 'completion',
  alpaca: 'output',
  sharegpt: 'conversations',
  segments: 'segments',
};

function problem(code: DatasetFindingCode, message: string, start: number, end: number): LineProblem {
  return { code, severity: datasetChecks[code].severity, message, start, end };
}

/**
 * Analyses one line of a JSON Lines dataset (without its terminator, and without a leading BOM). The happy path is
 * `JSON.parse` plus a walk over the value; the jsonc locator runs only for rows with problems.
 */
export function analyzeLine(text: string, options: LineAnalysisOptions = {}): LineAnalysis {
  let blank = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 9 && c !== 13) {
      blank = false;
      break;
    }
  }
  if (blank) return { kind: 'blank', recognized: false, problems: [], turns: 0, length: text.length };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    let error: { column: number; length: number; message: string } | undefined;
    try {
      error = findJsonSyntaxError(text);
    } catch {
      // The locating parser recurses; on absurdly deep input say what JSON.parse said, at the start.
      error = undefined;
    }
    error ??= { column: 0, length: 1, message: 'invalid JSON (too deeply nested to locate)' };
    return {
      kind: 'invalid',
      recognized: false,
      problems: [problem('invalid-json', `Invalid JSON at column ${error.column + 1}: ${error.message}. Each line must be one complete JSON object.`, error.column, Math.min(text.length, error.column + error.length))],
      turns: 0,
      length: text.length,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    const start = text.length - text.trimStart().length;
    return { kind: 'invalid', recognized: false, problems: [problem('not-an-object', `The line is ${what}, not an object; each row must be a JSON object such as {"messages": […]}.`, start, text.trimEnd().length)], turns: 0, length: text.length };
  }
  const row = value as Record<string, unknown>;
  const detected = detectRowFormat(row);
  const format = options.format ?? detected;
  const analysis: LineAnalysis = { kind: 'row', recognized: detected !== undefined, problems: [], turns: 0, length: text.length };
  if (options.checkDuplicates !== false) analysis.fingerprint = sampleKey(text);
  if (!format) return analysis;
  analysis.format = format;
  const found: RowProblem[] = [];
  let hits: ReturnType<typeof scanRowContent>;
  try {
    analysis.turns = checkRow(row, format, found).turns;
    // JSON escapes (\u003c…) could hide a token from the raw-text prefilter; trainers see the decoded text, but such escaping is rare.
    hits = mayHoldSpecialContent(text) ? scanRowContent(row) : [];
    if (options.tokenCounter) analysis.tokens = rowCounterFor(options.tokenCounter).count(row, format);
  } catch {
    // Only pathological rows get here (nesting deep enough to overflow a recursive step): say so instead of crashing.
    analysis.problems.push(problem('wrong-type', 'The row is nested too deeply to check; real training rows are a few levels deep. Flatten it.', 0, text.length));
    return analysis;
  }
  const overLimit = options.maxTokens !== undefined && analysis.tokens !== undefined && analysis.tokens > options.maxTokens;
  if (found.length === 0 && hits.length === 0 && !overLimit && (detected === format || !options.format)) return analysis;

  const locator = new RowLocator(text);
  if (options.format && detected && detected !== options.format) {
    const [start, end] = locator.locate([]);
    analysis.problems.push(problem('format-mismatch', `This row looks like ${datasetFormats[detected]}, but the file is configured as ${datasetFormats[options.format]}; convert the row or change the chatwright.datasets.formats setting.`, start, end));
  }
  for (const item of found) {
    const [start, end] = locator.locate(item.path, item.part);
    const located: LineProblem = problem(item.code, item.message, start, end);
    if (item.fix) {
      if (item.fix.kind === 'replaceValue') {
        const [fixStart, fixEnd] = locator.locate(item.fix.path);
        located.fix = { title: item.fix.title, start: fixStart, end: fixEnd, newText: item.fix.json };
      } else {
        located.fix = { title: item.fix.title, start: 0, end: text.length, newText: item.fix.json };
      }
    }
    analysis.problems.push(located);
  }
  for (const hit of hits) {
    const [start, end] = locator.locate(hit.path);
    analysis.problems.push(
      hit.kind === 'special-token'
        ? problem('special-token', `The text contains the literal special token ${hit.what}; the trainer's chat template adds these itself, and a literal one teaches the model to print it. Remove it or escape it.`, start, end)
        : problem('possible-secret', `This looks like ${hit.what}. Remove it (and revoke the key) before training: models memorise what they are trained on.`, start, end),
    );
  }
  if (overLimit) {
    const [start, end] = locator.locate([mainKey[format]], 'key');
    analysis.problems.push(problem('too-many-tokens', `The row is ${analysis.tokens} tokens (${options.tokenCounter!.name}), over the limit of ${options.maxTokens}; trainers truncate or drop it. Shorten or split the conversation.`, start, end));
  }
  analysis.problems.sort((a, b) => a.start - b.start);
  return analysis;
}

/** Whether a converted form exists for the row on this line (ShareGPT and Alpaca rows → OpenAI `messages`). */
export function convertLineToMessages(text: string): string | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const format = detectRowFormat(value as Record<string, unknown>);
    return format ? convertRowToMessages(value as Record<string, unknown>, format) : undefined;
  } catch {
    return undefined;
  }
}
