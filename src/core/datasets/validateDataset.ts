import { iterateLines } from '../text/lineIndex';
import { DatasetAccumulator, looksLikeTrainingData, type DatasetScanOptions, type DatasetStats } from './datasetScan';
import { finding, lineRange, movedFixes, severityRank, type DatasetFinding } from './findings';
import { type DatasetFormat } from './formats';
import { analyzeLine, type LineAnalysis } from './rowAnalysis';
import { type TokenCounter } from './tokenCount';

export type { DatasetFinding, DatasetFindingCode, DatasetSeverity, DatasetFix } from './findings';
export type { DatasetFormat } from './formats';
export type { DatasetStats } from './datasetScan';

export interface ValidateDatasetOptions extends Omit<DatasetScanOptions, 'tokenCounterName'> {
  /** Check every row as this format (otherwise each row's format is detected). */
  format?: DatasetFormat;
  /** Count tokens per row with this tokenizer (off when absent). */
  tokenCounter?: TokenCounter;
  /**
   * Whether to run the training-data checks: 'auto' (default) when most rows match a format or a format is set;
   * true to force them (e.g. few-shot example files), false for syntax only.
   */
  trainingData?: boolean | 'auto';
  /** Flags rows over the default model's context when no `maxTokens` is set (see `LineAnalysisOptions`). */
  contextCounter?: () => TokenCounter | undefined;
}

export interface DatasetValidation {
  /** Sorted by position, then severity. */
  findings: DatasetFinding[];
  stats: DatasetStats;
}

/** Analyses the lines of a text; the leading BOM (if any) is left out of line 0 and reported by the caller. */
export function analyzeText(text: string, options: ValidateDatasetOptions): { analyses: LineAnalysis[]; lines: string[]; bom: boolean; terminated: boolean } {
  const bom = text.charCodeAt(0) === 0xfeff;
  const body = bom ? text.slice(1) : text;
  const analyses: LineAnalysis[] = [];
  const lines: string[] = [];
  const lineOptions = {
    ...(options.format ? { format: options.format } : {}),
    ...(options.tokenCounter ? { tokenCounter: options.tokenCounter } : {}),
    ...(options.maxTokens !== undefined ? { maxTokens: options.maxTokens } : {}),
    ...(options.contextCounter ? { contextCounter: options.contextCounter } : {}),
    checkDuplicates: options.checkDuplicates !== false,
  };
  for (const line of iterateLines(body)) {
    lines.push(line.text);
    analyses.push(analyzeLine(line.text, lineOptions));
  }
  const last = body.charCodeAt(body.length - 1);
  const terminated = last === 10 || last === 13;
  // The empty string after a final line terminator is not a line.
  if (body.length === 0 || terminated) {
    analyses.pop();
    lines.pop();
  }
  return { analyses, lines, bom, terminated };
}

/** Shifts the ranges on line 0 right by one character, where a BOM was left out of the analysis. */
function shiftForBom(item: DatasetFinding): DatasetFinding {
  if (item.range.start.line !== 0) return item;
  const move = (p: { line: number; character: number }) => (p.line === 0 ? { line: 0, character: p.character + 1 } : p);
  return {
    ...item,
    range: { start: move(item.range.start), end: move(item.range.end) },
    ...movedFixes(item, move),
  };
}

export function decideTrainingData(analyses: readonly LineAnalysis[], options: ValidateDatasetOptions): boolean {
  if (options.trainingData === true || options.format) return true;
  if (options.trainingData === false) return false;
  let recognized = 0;
  let rows = 0;
  for (const analysis of analyses) {
    if (analysis.kind !== 'row') continue;
    rows++;
    if (analysis.recognized) recognized++;
  }
  return looksLikeTrainingData(recognized, rows, false);
}

/**
 * Feeds analysed lines to an accumulator and collects the findings: the whole validator for a text in memory.
 * `meta.lines` are the analysed texts (duplicates are confirmed against them).
 */
export function collectFindings(analyses: readonly LineAnalysis[], meta: { bom: boolean; terminated: boolean; lines: readonly string[] }, options: ValidateDatasetOptions): DatasetValidation {
  const findings: DatasetFinding[] = [];
  const trainingData = decideTrainingData(analyses, options);
  const accumulator = new DatasetAccumulator(
    { expectedRows: analyses.length, ...options, rowText: (line) => meta.lines[line], ...(options.tokenCounter ? { tokenCounterName: options.tokenCounter.name } : {}) },
    trainingData,
    (item) => findings.push(meta.bom && item.code !== 'bom' ? shiftForBom(item) : item),
  );
  if (meta.bom) {
    accumulator.report(
      finding('bom', 'The file starts with a byte order mark (BOM), which many JSON Lines readers reject as invalid JSON. Remove it.', lineRange(0, 0, 1), {
        fix: { title: 'Remove the byte order mark', edits: [{ range: lineRange(0, 0, 1), newText: '' }] },
      }),
    );
  }
  analyses.forEach((analysis, line) => accumulator.add(line, analysis, meta.lines[line]));
  const lastIndex = analyses.length - 1;
  const last = analyses[lastIndex];
  const stats = accumulator.finish(last ? { line: lastIndex, terminated: meta.terminated, invalid: last.kind === 'invalid', length: last.length } : undefined);
  if (last && !meta.terminated && last.kind === 'invalid') {
    // The truncated-line finding replaces the plain syntax error on that line.
    const index = findings.findIndex((item) => item.code === 'invalid-json' && item.range.start.line === lastIndex);
    if (index >= 0) {
      findings.splice(index, 1);
      stats.findings['invalid-json'] = (stats.findings['invalid-json'] ?? 1) - 1;
      if (stats.findings['invalid-json'] === 0) delete stats.findings['invalid-json'];
    }
  }
  findings.sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || severityRank[a.severity] - severityRank[b.severity]);
  return { findings, stats };
}

/**
 * Validates a JSON Lines dataset held in memory: syntax, the format checks per row, duplicates and the file-level
 * checks. Never throws on any input. For files on disk of any size, use `validateDatasetFile` (streamed, threaded).
 */
export function validateDatasetText(text: string, options: ValidateDatasetOptions = {}): DatasetFinding[] {
  return validateDataset(text, options).findings;
}

/** Like `validateDatasetText`, with the stats the report is built from. */
export function validateDataset(text: string, options: ValidateDatasetOptions = {}): DatasetValidation {
  const { analyses, lines, bom, terminated } = analyzeText(text, options);
  return collectFindings(analyses, { bom, terminated, lines }, options);
}
