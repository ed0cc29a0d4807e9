import { findJsonSyntaxError, maxNestingDepth, nestsDeeperThan } from './jsonlSyntax';
import { mayHoldSpecialContent, scanRowContent } from './contentScan';
import { datasetChecks, type DatasetFindingCode, type DatasetSeverity } from './findings';
import { sampleKey } from './fingerprint';
import { datasetFormats, detectRowFormat, type DatasetFormat } from './formats';
import { RowLocator } from './locate';
import { checkRow } from './rowChecks';
import { convertRowToMessages } from './rowConversions';
import { type RowFix, type RowPath, type RowProblem } from './rowProblems';
import { defaultContextTokens, mayExceedTokens, rowCounterFor, type TokenCounter } from './tokenCount';

/** A problem located within its line: character offsets only, so the analysis stays valid when lines move. */
export interface LineProblem {
  code: DatasetFindingCode;
  severity: DatasetSeverity;
  message: string;
  start: number;
  end: number;
  fix?: LineFix;
  alternativeFixes?: LineFix[];
}

/** A fix within one line: replace characters `start`…`end` by `newText`. */
export interface LineFix {
  title: string;
  start: number;
  end: number;
  newText: string;
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
  /**
   * When no `maxTokens` is configured: the default tokenizer, asked for only by rows long enough to pass the default
   * model's context (`defaultContextTokens`), which are then flagged. Absent: no such check (the editor passes it
   * unless its own background count applies a configured maximum).
   */
  contextCounter?: () => TokenCounter | undefined;
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
  eval: 'question',
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
    const error = findJsonSyntaxError(text);
    const { column, length, message } = error ?? { column: 0, length: 1, message: 'invalid JSON' };
    const syntax = problem('invalid-json', `Invalid JSON at column ${column + 1}: ${message}. Each line must be one complete JSON object.`, column, Math.min(text.length, column + length));
    const closing = closingBracketsFix(text);
    if (closing) syntax.fix = closing;
    return {
      kind: 'invalid',
      recognized: false,
      problems: [syntax],
      turns: 0,
      length: text.length,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`;
    const start = text.length - text.trimStart().length;
    return {
      kind: 'invalid',
      recognized: false,
      problems: [problem('not-an-object', `The line is ${what}, not an object; each row must be a JSON object such as {"messages": […]}.`, start, text.trimEnd().length)],
      turns: 0,
      length: text.length,
    };
  }
  const row = value as Record<string, unknown>;
  const detected = detectRowFormat(row);
  const format = options.format ?? detected;
  const analysis: LineAnalysis = { kind: 'row', recognized: detected !== undefined, problems: [], turns: 0, length: text.length };
  if (options.checkDuplicates !== false) analysis.fingerprint = sampleKey(text);
  if (!format) return analysis;
  analysis.format = format;
  const found: RowProblem[] = [];
  // Every check below walks the row without recursion, so a row nested a million levels deep gets the same findings
  // as one nested a thousand deep; past the limit they all point at the whole row (the locator recurses).
  const tooDeep = nestsDeeperThan(text, maxNestingDepth);
  let hits: ReturnType<typeof scanRowContent> = [];
  let tokens: number | undefined;
  let counterName = options.tokenCounter?.name;
  try {
    analysis.turns = checkRow(row, format, found).turns;
    // JSON escapes (\u003c…) could hide a token from the raw-text prefilter; trainers see the decoded text, but such escaping is rare.
    if (mayHoldSpecialContent(text)) hits = scanRowContent(row);
    if (options.tokenCounter) analysis.tokens = rowCounterFor(options.tokenCounter).count(row, format);
    tokens = analysis.tokens;
    if (tokens === undefined && options.maxTokens === undefined && options.contextCounter && mayExceedTokens(text, defaultContextTokens)) {
      const counter = options.contextCounter();
      if (counter) {
        tokens = rowCounterFor(counter).countUpTo(row, format, defaultContextTokens);
        counterName = counter.name;
      }
    }
  } catch (error) {
    // No check should throw (none recurses); if one does, the row says so instead of stopping the scan.
    found.push({ code: 'wrong-type', message: `The row could not be checked (${error instanceof Error ? error.message : String(error)}).`, path: [] });
  }
  const limit = options.maxTokens ?? (options.contextCounter ? defaultContextTokens : undefined);
  const overLimit = limit !== undefined && tokens !== undefined && tokens > limit;
  if (!tooDeep && found.length === 0 && hits.length === 0 && !overLimit && (detected === format || !options.format)) return analysis;

  const locator = tooDeep ? undefined : new RowLocator(text);
  const wholeRow: [number, number] = [text.length - text.trimStart().length, text.trimEnd().length];
  const locate = (path: RowPath, part?: 'key' | 'value'): [number, number] => (locator ? locator.locate(path, part) : wholeRow);
  if (tooDeep) {
    analysis.problems.push(
      problem(
        'too-deeply-nested',
        `The row nests lists and objects more than ${maxNestingDepth} levels deep; Python's json module fails on such rows (RecursionError past about 1,000 levels on Python 3.11). Real rows are a few levels deep: flatten it or drop it.`,
        wholeRow[0],
        wholeRow[1],
      ),
    );
  }
  if (options.format && detected && detected !== options.format) {
    const [start, end] = locate([]);
    analysis.problems.push(
      problem(
        'format-mismatch',
        `This row looks like ${datasetFormats[detected]}, but the file is configured as ${datasetFormats[options.format]}; convert the row or change the chatwright.datasets.formats setting.`,
        start,
        end,
      ),
    );
  }
  for (const item of found) {
    const [start, end] = locate(item.path, item.part);
    const located: LineProblem = problem(item.code, item.message, start, end);
    const lineFix = (fix: RowFix): LineFix | undefined => {
      if (fix.kind === 'replaceRow') return { title: fix.title, start: 0, end: text.length, newText: fix.json };
      // Without the locator a value's place is unknown: no fix rather than one that replaces the whole row.
      if (!locator) return undefined;
      const [fixStart, fixEnd] = locate(fix.path);
      return { title: fix.title, start: fixStart, end: fixEnd, newText: fix.json };
    };
    const preferred = item.fix && lineFix(item.fix);
    if (preferred) located.fix = preferred;
    const alternatives = (item.alternativeFixes ?? []).map(lineFix).filter((fix): fix is LineFix => fix !== undefined);
    if (alternatives.length > 0) located.alternativeFixes = alternatives;
    analysis.problems.push(located);
  }
  for (const hit of hits) {
    const [start, end] = locate(hit.path);
    analysis.problems.push(
      hit.kind === 'special-token'
        ? problem(
            'special-token',
            `The text contains the literal special token ${hit.what}; the trainer's chat template adds these itself, and a literal one teaches the model to print it. Remove it or escape it.`,
            start,
            end,
          )
        : problem('possible-secret', `This looks like ${hit.what}. Remove it (and revoke the key) before training: models memorise what they are trained on.`, start, end),
    );
  }
  if (overLimit) {
    const [start, end] = locate([mainKey[format]], 'key');
    const why =
      options.maxTokens !== undefined
        ? `over the limit of ${options.maxTokens}`
        : `over ${defaultContextTokens.toLocaleString('en-US')}, the native context of the default model (Qwen3; no maximum length is configured)`;
    // Past the default context the count stops early: the exact number is no use, the excess is.
    const size = options.tokenCounter ? `${tokens}` : `more than ${defaultContextTokens.toLocaleString('en-US')}`;
    analysis.problems.push(problem('too-many-tokens', `The row is ${size} tokens (${counterName}), ${why}; trainers truncate or drop it. Shorten or split the conversation.`, start, end));
  }
  analysis.problems.sort((a, b) => a.start - b.start);
  return analysis;
}

/**
 * For a row that is complete but for its closing brackets (`{"messages": [ … ]` cut short), the fix that appends exactly
 * those: the brackets still open outside strings, innermost first. Offered only when the mended line parses as an object.
 */
export function closingBracketsFix(text: string): LineFix | undefined {
  const open: string[] = [];
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === '{') open.push('}');
    else if (c === '[') open.push(']');
    else if (c === '}' || c === ']') {
      if (open.pop() !== c) return undefined;
    }
  }
  if (inString || open.length === 0) return undefined;
  const closers = open.reverse().join('');
  const end = text.trimEnd().length;
  const mended = text.slice(0, end) + closers;
  try {
    const value: unknown = JSON.parse(mended);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  } catch {
    return undefined;
  }
  return { title: `Insert \`${closers}\` to close the row`, start: end, end, newText: closers };
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
