import { settingDefaults } from '../settings/settingDefaults';
import { datasetChecks, finding, lineRange, type DatasetFinding, type DatasetFindingCode } from './findings';
import { FingerprintTable, type RowText } from './fingerprint';
import { datasetFormats, type DatasetFormat } from './formats';
import { type LineAnalysis } from './rowAnalysis';

/** What the report needs from a whole file; plain JSON, mergeable across worker threads. */
export interface DatasetStats {
  /** Lines in the file (a final line terminator does not start a new line). */
  lines: number;
  /** Lines holding a JSON object. */
  rows: number;
  blankLines: number;
  invalidLines: number;
  /** Object rows that match no training format. */
  unrecognizedRows: number;
  formats: Partial<Record<DatasetFormat, number>>;
  /** First line (zero-based) of each format, for mixed-format findings. */
  formatFirstLine: Partial<Record<DatasetFormat, number>>;
  /** Findings per code, counting those not listed because of a per-code cap. */
  findings: Partial<Record<DatasetFindingCode, number>>;
  duplicates: { exact: number; normalized: number };
  tokens: { counter?: string; rows: number; total: number; max: number; overLimit: number; trainingTotal: number; maxTokens?: number; histogram: [number, number][] };
  turns: [number, number][];
  bytes: number;
  /** Whether the file looks like training data (or was configured as such); otherwise only syntax is checked. */
  trainingData: boolean;
}

export function emptyStats(): DatasetStats {
  return {
    lines: 0,
    rows: 0,
    blankLines: 0,
    invalidLines: 0,
    unrecognizedRows: 0,
    formats: {},
    formatFirstLine: {},
    findings: {},
    duplicates: { exact: 0, normalized: 0 },
    tokens: { rows: 0, total: 0, max: 0, overLimit: 0, trainingTotal: 0, histogram: [] },
    turns: [],
    bytes: 0,
    trainingData: false,
  };
}

export interface DatasetScanOptions {
  /** The configured format, if any: every row is checked as this format. */
  format?: DatasetFormat;
  /** Fewer rows than this gets a `too-few-rows` finding; 0 turns the check off. Default 10 (OpenAI's minimum). */
  minRows?: number;
  /** Report at most this many findings of each code (the stats still count them all). Default: no limit. */
  maxFindingsPerCode?: number;
  checkDuplicates?: boolean;
  /** Other splits of the same dataset: rows found there are reported. */
  splits?: { file: string; table: FingerprintTable }[];
  maxTokens?: number;
  tokenCounterName?: string;
  /** Rows expected, to size the duplicate table once instead of growing it (the editor knows its line count). */
  expectedRows?: number;
  /** Reads an earlier row back by line number, to confirm a duplicate (the file's row index, or the editor's lines). */
  rowText?: RowText;
  /** Whether to build the turn and token histograms (the report needs them; editor diagnostics do not). Default true. */
  histograms?: boolean;
  /**
   * Whether `finish` runs the file-level checks (mixed formats, too few rows). Default true; a worker scanning one range
   * of a file turns them off, and the coordinator runs them once over the whole file.
   */
  fileLevelChecks?: boolean;
}

/** Rows of each format, as flat [line, length, line, length, …] pairs: the first ones only (see `DatasetAccumulator`). */
export type FormatRows = Partial<Record<DatasetFormat, number[]>>;

/** A row counts as training data when most parsed rows match a format (or a format is configured). */
export function looksLikeTrainingData(recognizedRows: number, objectRows: number, configured: boolean): boolean {
  return configured || (recognizedRows > 0 && recognizedRows * 2 >= objectRows);
}

/** Codes reported even in files that do not look like training data: they break any JSON Lines reader. */
export const syntaxCodes = new Set<DatasetFindingCode>(['invalid-json', 'invalid-utf8', 'truncated-last-line']);

function bump(map: Map<number, number>, key: number): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/**
 * Turns line analyses, fed in file order, into findings with line numbers, plus the file-level checks and stats.
 * Holds no line text: memory grows only with the duplicate table (about 16 bytes a row) and the histograms.
 */
export class DatasetAccumulator {
  readonly stats = emptyStats();
  private readonly table: FingerprintTable | undefined;
  private readonly emitted = new Map<DatasetFindingCode, number>();
  private readonly tokenHistogram = new Map<number, number>();
  private readonly turnHistogram = new Map<number, number>();
  private readonly cap: number;
  private readonly histograms: boolean;
  private readonly splits: readonly { file: string; table: FingerprintTable }[];
  /**
   * Where the rows of each format are, to mark every row outside the file's main format once that is known (at the
   * end). Only as many per format as can be listed: a row past the cap of its own format is past the cap of the file.
   */
  private readonly formatRows = new Map<DatasetFormat, number[]>();

  constructor(
    private readonly options: DatasetScanOptions,
    trainingData: boolean,
    private readonly emit: (finding: DatasetFinding) => void,
  ) {
    this.stats.trainingData = trainingData;
    this.cap = options.maxFindingsPerCode ?? Number.POSITIVE_INFINITY;
    this.splits = options.splits ?? [];
    if (options.checkDuplicates !== false) this.table = new FingerprintTable(options.expectedRows ?? 1024, options.rowText);
    this.histograms = options.histograms !== false;
    if (options.tokenCounterName) this.stats.tokens.counter = options.tokenCounterName;
    if (options.maxTokens !== undefined) this.stats.tokens.maxTokens = options.maxTokens;
  }

  /** Counts a finding reported elsewhere (a worker) as shown, so the per-code cap spans the whole file. */
  passThrough(item: DatasetFinding): void {
    const shown = this.emitted.get(item.code) ?? 0;
    if (shown >= this.cap) return;
    this.emitted.set(item.code, shown + 1);
    this.emit(item);
  }

  /** The duplicate fingerprints seen so far (to merge worker results, or to check another split against). */
  get fingerprints(): FingerprintTable | undefined {
    return this.table;
  }

  report(item: DatasetFinding): void {
    if (!this.stats.trainingData && !syntaxCodes.has(item.code)) return;
    this.stats.findings[item.code] = (this.stats.findings[item.code] ?? 0) + 1;
    const shown = this.emitted.get(item.code) ?? 0;
    if (shown >= this.cap) return;
    this.emitted.set(item.code, shown + 1);
    this.emit(item);
  }

  /**
   * Records one line. `line` is zero-based in the whole file; `text` is the line's text when at hand, or a function
   * that gives it synchronously (asked only if a duplicate check needs it); otherwise it is read back.
   */
  add(line: number, analysis: LineAnalysis, text?: string | (() => string | undefined)): void {
    if (line >= this.stats.lines) this.stats.lines = line + 1;
    if (analysis.kind === 'blank') {
      this.stats.blankLines++;
      this.report(
        finding('blank-line', 'Blank line: some loaders stop or fail here. Delete it.', lineRange(line, 0, analysis.length), {
          fix: { title: 'Delete the blank line', edits: [{ range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' }] },
        }),
      );
      return;
    }
    if (analysis.kind === 'invalid') {
      this.stats.invalidLines++;
    } else {
      this.stats.rows++;
      if (analysis.format && analysis.recognized) {
        this.stats.formats[analysis.format] = (this.stats.formats[analysis.format] ?? 0) + 1;
        if (this.stats.formatFirstLine[analysis.format] === undefined) this.stats.formatFirstLine[analysis.format] = line;
        this.noteFormatRow(analysis.format, line, analysis.length);
      } else if (!analysis.format) {
        this.stats.unrecognizedRows++;
        if (this.stats.trainingData) {
          this.report(
            finding(
              'unrecognized-row',
              "This row matches no training format (messages, prompt/completion, text, chosen/rejected, instruction/output, conversations, segments) nor an eval set's question/answer; fix its keys or remove it.",
              lineRange(line, 0, analysis.length),
            ),
          );
        }
      }
      if (this.histograms) bump(this.turnHistogram, analysis.turns);
      if (analysis.tokens !== undefined) {
        const tokens = this.stats.tokens;
        tokens.rows++;
        tokens.total += analysis.tokens;
        tokens.max = Math.max(tokens.max, analysis.tokens);
        tokens.trainingTotal += this.options.maxTokens !== undefined ? Math.min(analysis.tokens, this.options.maxTokens) : analysis.tokens;
        if (this.options.maxTokens !== undefined && analysis.tokens > this.options.maxTokens) tokens.overLimit++;
        if (this.histograms) bump(this.tokenHistogram, analysis.tokens);
      }
    }
    for (const item of analysis.problems) {
      this.report({
        code: item.code,
        severity: item.severity,
        message: item.message,
        range: lineRange(line, item.start, item.end),
        ...(item.fix ? { fix: { title: item.fix.title, edits: [{ range: lineRange(line, item.fix.start, item.fix.end), newText: item.fix.newText }] } } : {}),
        ...(item.alternativeFixes
          ? { alternativeFixes: item.alternativeFixes.map((fix) => ({ title: fix.title, edits: [{ range: lineRange(line, fix.start, fix.end), newText: fix.newText }] })) }
          : {}),
      });
    }
    const key = analysis.fingerprint;
    if (key !== undefined && analysis.kind === 'row') {
      const current = text ?? ((): string | undefined => this.options.rowText?.(line));
      const previous = this.table?.add(key, line, current, analysis);
      if (previous) this.reportDuplicate(line, previous.firstLine, previous.exact, analysis.length);
      for (const split of this.splits) {
        const other = split.table.find(key, current, analysis)?.line;
        if (other !== undefined) {
          this.report(
            finding(
              'split-overlap',
              `This row is also in ${split.file} (line ${other + 1}); evaluating on training rows overstates quality. Remove it from one of the splits.`,
              lineRange(line, 0, analysis.length),
              { relatedFile: split.file, relatedLine: other },
            ),
          );
        }
      }
    }
  }

  private noteFormatRow(format: DatasetFormat, line: number, length: number): void {
    let rows = this.formatRows.get(format);
    if (!rows) this.formatRows.set(format, (rows = []));
    if (rows.length < this.cap * 2) rows.push(line, length);
  }

  /** The rows of each format noted so far (a worker's, for the coordinator). */
  get rowsByFormat(): FormatRows {
    return Object.fromEntries(this.formatRows);
  }

  /** Adds the rows of each format a worker noted in its range, its lines shifted by `lineOffset`. In file order. */
  addRowsByFormat(rows: FormatRows, lineOffset: number): void {
    for (const [format, pairs] of Object.entries(rows) as [DatasetFormat, number[]][]) {
      for (let i = 0; i < pairs.length; i += 2) this.noteFormatRow(format, pairs[i]! + lineOffset, pairs[i + 1]!);
    }
  }

  reportDuplicate(line: number, firstLine: number, exact: boolean, length: number): void {
    if (exact) this.stats.duplicates.exact++;
    else this.stats.duplicates.normalized++;
    const fix = { title: 'Delete this duplicate row', edits: [{ range: { start: { line, character: 0 }, end: { line: line + 1, character: 0 } }, newText: '' }] };
    this.report(
      exact
        ? finding('duplicate-row', `This row repeats line ${firstLine + 1} exactly; duplicates over-weight one example. Delete it.`, lineRange(line, 0, length), { relatedLine: firstLine, fix })
        : finding('near-duplicate-row', `This row repeats line ${firstLine + 1} up to case and whitespace; delete it or make it differ.`, lineRange(line, 0, length), { relatedLine: firstLine, fix }),
    );
  }

  /**
   * The file-level checks, once every line is in. `lastLine` describes the final line: its number, whether a line
   * terminator ended it, and its analysis (to tell a truncated row from a merely unterminated one).
   */
  finish(last?: { line: number; terminated: boolean; invalid: boolean; length: number }): DatasetStats {
    const stats = this.stats;
    if (last && !last.terminated && last.invalid) {
      this.report(
        finding(
          'truncated-last-line',
          'The last line is cut off (invalid JSON and no line end): the file was probably truncated while writing. Restore the row or delete it.',
          lineRange(last.line, 0, last.length),
        ),
      );
    }
    if (this.options.fileLevelChecks !== false) this.fileLevelChecks();
    stats.tokens.histogram = mergeHistograms(stats.tokens.histogram, [...this.tokenHistogram.entries()]);
    stats.turns = mergeHistograms(stats.turns, [...this.turnHistogram.entries()]);
    return stats;
  }

  private fileLevelChecks(): void {
    const stats = this.stats;
    // The file's format: the one most rows are in; on a tie, the one that came first.
    const formats = (Object.entries(stats.formats) as [DatasetFormat, number][]).sort((a, b) => b[1] - a[1] || (stats.formatFirstLine[a[0]] ?? 0) - (stats.formatFirstLine[b[0]] ?? 0));
    const dominant = formats[0];
    if (stats.trainingData && dominant && formats.length > 1) {
      const [main, mainRows] = dominant;
      const others: [number, number, DatasetFormat][] = [];
      let unlisted = 0;
      for (const [format, count] of formats.slice(1)) {
        const pairs = this.formatRows.get(format) ?? [];
        for (let i = 0; i < pairs.length; i += 2) others.push([pairs[i]!, pairs[i + 1]!, format]);
        unlisted += count - pairs.length / 2;
      }
      others.sort((a, b) => a[0] - b[0]);
      for (const [line, length, format] of others) {
        this.report(
          finding(
            'mixed-formats',
            `This row is ${datasetFormats[format]}, while ${mainRows} of the file's rows are ${datasetFormats[main]}; trainers read one format per file and fail on, or drop, the others. Convert it or move it to its own file.`,
            lineRange(line, 0, length),
          ),
        );
      }
      // Rows past the listing cap are counted, not listed.
      if (unlisted > 0) stats.findings['mixed-formats'] = (stats.findings['mixed-formats'] ?? 0) + unlisted;
    }
    const minRows = this.options.minRows ?? settingDefaults['datasets.minRows'];
    // The minimum is a training platform's; an eval set is never trained on, and a small one is the comparison's to judge.
    const evalSet = (this.options.format ?? dominant?.[0]) === 'eval';
    if (stats.trainingData && !evalSet && minRows > 0 && stats.rows > 0 && stats.rows < minRows) {
      this.report(
        finding(
          'too-few-rows',
          `Only ${stats.rows} row(s): fine-tuning needs at least ${minRows} (OpenAI's minimum) and usually 50-100 or more to help. With this few examples, put them in the prompt as few-shot examples, or retrieve from your documents with RAG, instead of fine-tuning. To measure which works for your questions, compare the strategies: see "Should I fine-tune?" in docs/evaluation.md.`,
          lineRange(0, 0, 0),
        ),
      );
    }
  }
}

/** Adds one worker's stats into another's (histograms merged, counters summed). */
export function mergeStats(into: DatasetStats, from: DatasetStats, lineOffset: number): void {
  into.lines = Math.max(into.lines, from.lines + lineOffset);
  into.rows += from.rows;
  into.blankLines += from.blankLines;
  into.invalidLines += from.invalidLines;
  into.unrecognizedRows += from.unrecognizedRows;
  into.bytes += from.bytes;
  for (const [format, count] of Object.entries(from.formats) as [DatasetFormat, number][]) {
    into.formats[format] = (into.formats[format] ?? 0) + count;
    const first = from.formatFirstLine[format];
    if (first !== undefined && into.formatFirstLine[format] === undefined) into.formatFirstLine[format] = first + lineOffset;
  }
  for (const [code, count] of Object.entries(from.findings) as [DatasetFindingCode, number][]) into.findings[code] = (into.findings[code] ?? 0) + count;
  into.duplicates.exact += from.duplicates.exact;
  into.duplicates.normalized += from.duplicates.normalized;
  const t = into.tokens;
  if (from.tokens.counter) t.counter = from.tokens.counter;
  if (from.tokens.maxTokens !== undefined) t.maxTokens = from.tokens.maxTokens;
  t.rows += from.tokens.rows;
  t.total += from.tokens.total;
  t.max = Math.max(t.max, from.tokens.max);
  t.overLimit += from.tokens.overLimit;
  t.trainingTotal += from.tokens.trainingTotal;
  t.histogram = mergeHistograms(t.histogram, from.tokens.histogram);
  into.turns = mergeHistograms(into.turns, from.turns);
}

function mergeHistograms(a: [number, number][], b: [number, number][]): [number, number][] {
  const map = new Map(a);
  for (const [key, count] of b) map.set(key, (map.get(key) ?? 0) + count);
  return [...map.entries()].sort((x, y) => x[0] - y[0]);
}

export function countBySeverity(stats: DatasetStats): { error: number; warning: number; information: number } {
  const totals = { error: 0, warning: 0, information: 0 };
  for (const [code, count] of Object.entries(stats.findings) as [DatasetFindingCode, number][]) totals[datasetChecks[code].severity] += count;
  return totals;
}
