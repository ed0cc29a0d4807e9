import { type TextRange } from '../text/lineIndex';
import { type DocumentAnalysis } from './documentAnalysis';
import { datasetChecks, lineRange, type DatasetFinding, type DatasetSeverity } from './findings';
import { datasetFormats } from './formats';
import { RowLocator } from './locate';
import { convertLineToMessages } from './rowAnalysis';
import { type TokenCounter } from './tokenCount';

/**
 * What an editor shows for an open dataset document beyond the validator's findings: rows over a token limit, the
 * conversions of ShareGPT/Alpaca rows to OpenAI messages, a row's hover text, and notes about the list itself.
 * Editor-independent: the language server turns these into diagnostics, code actions and hovers.
 */

/** More findings than this in one document help nobody and slow the editor; the rest is summarised. */
export const maxListedFindings = 5000;

/** A note about the list of findings rather than about a row. */
export interface DocumentNotice {
  code: 'more-findings' | 'tokenizer-unusable';
  severity: DatasetSeverity;
  message: string;
  range: TextRange;
}

/** The findings to list, and a note saying how many more there are when they are too many. */
export function listedFindings(findings: readonly DatasetFinding[]): { listed: DatasetFinding[]; notice?: DocumentNotice } {
  const listed = findings.slice(0, maxListedFindings);
  if (findings.length <= maxListedFindings) return { listed };
  return {
    listed,
    notice: {
      code: 'more-findings',
      severity: 'information',
      message: `${findings.length - maxListedFindings} more problems are not listed. Run "Chatwright: Validate Dataset File…" or "Show Dataset Report" for all of them.`,
      range: lineRange(0, 0, 0),
    },
  };
}

/** Says that rows are not checked against the token limit, and why (`reason` ends with a full stop). */
export function tokenCountingOffNotice(reason: string): DocumentNotice {
  return { code: 'tokenizer-unusable', severity: 'warning', message: `Token counting is off: ${reason} Fix or change the setting chatwright.datasets.tokenizerPath.`, range: lineRange(0, 0, 0) };
}

/** One finding per counted row over `maxTokens`, located at the row's `messages` key (or its first key). */
export function tokenLimitFindings(analysis: DocumentAnalysis, maxTokens: number, counterName: string): DatasetFinding[] {
  const out: DatasetFinding[] = [];
  analysis.tokens.forEach((tokens, line) => {
    if (tokens <= maxTokens) return;
    const format = analysis.analyses[line]?.format;
    const [start, end] = new RowLocator(analysis.lines[line]!).locate(format === 'messages' ? ['messages'] : [], 'key');
    const shift = bomShift(analysis, line);
    out.push({
      code: 'too-many-tokens',
      severity: datasetChecks['too-many-tokens'].severity,
      message: `The row is ${tokens} tokens (${counterName}), over the limit of ${maxTokens}; trainers truncate or drop it. Shorten or split the conversation.`,
      range: lineRange(line, start + shift, end + shift),
    });
  });
  return out;
}

/** A ShareGPT or Alpaca row rewritten as an OpenAI `messages` row: replace `range` by `newText`. */
export interface RowConversion {
  line: number;
  format: 'sharegpt' | 'alpaca';
  range: TextRange;
  newText: string;
}

/** The conversions of the ShareGPT and Alpaca rows from line `first` to line `last` (all lines by default). */
export function rowConversions(analysis: DocumentAnalysis, first = 0, last = analysis.lines.length - 1): RowConversion[] {
  const out: RowConversion[] = [];
  for (let line = Math.max(0, first); line <= last && line < analysis.lines.length; line++) {
    const format = analysis.analyses[line]?.format;
    if (format !== 'sharegpt' && format !== 'alpaca') continue;
    const text = analysis.lines[line]!;
    const newText = convertLineToMessages(text);
    if (newText === undefined) continue;
    const shift = bomShift(analysis, line);
    out.push({ line, format, range: lineRange(line, shift, shift + text.length), newText });
  }
  return out;
}

/** What hovering a row shows: its number, format and turns, its tokens, and the codes of its problems. */
export interface RowHover {
  markdown: string;
  range: TextRange;
}

/**
 * The hover of line `line`, or undefined for a blank line or past the end. Tokens are counted with `tokenCounter`
 * (and kept in the analysis); when it cannot count, the hover says why.
 */
export async function rowHover(analysis: DocumentAnalysis, line: number, findings: readonly DatasetFinding[], tokenCounter: () => Promise<TokenCounter>): Promise<RowHover | undefined> {
  const row = analysis.analyses[line];
  const text = analysis.lines[line];
  if (!row || text === undefined || row.kind === 'blank') return undefined;
  const parts: string[] = [];
  if (row.kind === 'invalid') {
    parts.push(`**Row ${line + 1}**: not a valid JSON object`);
  } else {
    parts.push(`**Row ${line + 1}**: ${row.format ? datasetFormats[row.format] : 'no training format'}${row.format ? `, ${row.turns} turn${row.turns === 1 ? '' : 's'}` : ''}`);
    if (row.format) {
      try {
        const counter = await tokenCounter();
        parts.push(`${analysis.countTokens(line, counter)} tokens (${counter.name})`);
      } catch (error) {
        parts.push(`tokens: not counted (${error instanceof Error ? error.message : String(error)})`);
      }
    }
  }
  const problems = findings.filter((item) => item.range.start.line === line);
  if (problems.length > 0) parts.push(`${problems.length} problem${problems.length === 1 ? '' : 's'}: ${[...new Set(problems.map((p) => p.code))].join(', ')}`);
  return { markdown: parts.join('  \n'), range: lineRange(line, 0, text.length + bomShift(analysis, line)) };
}

/** Line 0 is analysed without the byte order mark, which the editor counts as a character. */
function bomShift(analysis: DocumentAnalysis, line: number): number {
  return line === 0 && analysis.bom ? 1 : 0;
}
