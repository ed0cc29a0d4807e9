import { type TextChange } from '../text/documentChangeLog';
import { splitLines } from '../text/lineIndex';
import { type LineAnalysis, type LineAnalysisOptions, analyzeLine } from './rowAnalysis';
import { rowCounterFor, type TokenCounter } from './tokenCount';

/** An edit touching more lines than this is applied by a full `update` (cheaper than many splices, and no spread limits). */
const maxIncrementalLines = 2000;

/**
 * The per-line analyses of one open document, kept between edits. An edit re-analyses only the lines whose text
 * changed: unchanged lines at the start and the end are matched by string equality (native, fast), whatever the
 * edit did to the lines between.
 */
export class DocumentAnalysis {
  /** The editor's version of the document these lines are; -1 before the first `catchUp`. */
  version = -1;
  lines: string[] = [];
  analyses: LineAnalysis[] = [];
  bom = false;
  terminated = false;
  /** Token counts per line, filled in the background; -1 where not counted yet. */
  tokens: number[] = [];
  /** How many lines the last update re-analysed (for tests and logs). */
  lastReanalysed = 0;
  /** Whether the text has a carriage return anywhere (then edits are applied by a full `update`). */
  private carriageReturns = false;

  constructor(private readonly optionsKey: string) {}

  matches(optionsKey: string): boolean {
    return this.optionsKey === optionsKey;
  }

  /**
   * Brings the analysis to the document's `version`: by the editor's changes since the analysed version
   * (`changesSince` answers them, or undefined when they are not all known), else by re-reading the whole `text()`.
   */
  catchUp(version: number, text: () => string, changesSince: (version: number) => readonly TextChange[] | undefined, options: LineAnalysisOptions): void {
    if (version === this.version) return;
    const changes = this.version >= 0 ? changesSince(this.version) : undefined;
    if (!changes || !this.applyChanges(changes, options)) this.update(text(), options);
    this.version = version;
  }

  update(text: string, options: LineAnalysisOptions): void {
    const bom = text.charCodeAt(0) === 0xfeff;
    const body = bom ? text.slice(1) : text;
    // split('\n') is native and makes cheap sliced strings; comparing them to the previous lines finds the edit.
    const next = splitLines(body);
    const terminated = body.length > 0 && (body.charCodeAt(body.length - 1) === 10 || body.charCodeAt(body.length - 1) === 13);
    // The empty string after a final line terminator is not a line.
    if (body.length === 0 || terminated) next.pop();
    const previous = this.lines;
    const shortest = Math.min(previous.length, next.length);
    let head = 0;
    // Line 0 is analysed without the BOM; when the BOM comes or goes, start from line 0 anyway.
    while (head < shortest && previous[head] === next[head]) head++;
    let tail = 0;
    while (tail < shortest - head && previous[previous.length - 1 - tail] === next[next.length - 1 - tail]) tail++;
    const fresh: LineAnalysis[] = [];
    for (let i = head; i < next.length - tail; i++) fresh.push(analyzeLine(next[i]!, options));
    const end = previous.length - tail;
    // concat, not splice(...fresh): spreading 100,000 arguments overflows the stack.
    this.analyses = this.analyses.slice(0, head).concat(fresh, this.analyses.slice(end));
    this.tokens = this.tokens.slice(0, head).concat(
      fresh.map(() => -1),
      this.tokens.slice(end),
    );
    this.lines = next;
    this.bom = bom;
    this.terminated = terminated;
    this.carriageReturns = body.indexOf('\r') >= 0;
    this.lastReanalysed = fresh.length;
  }

  /**
   * Applies an editor's incremental changes (in order, each in the coordinates left by the one before) to the lines,
   * re-analysing only the lines they touch: no split or comparison of the whole text, so an edit costs the same in a
   * 50,000-row document as in a small one. Returns false when a change is outside what it handles (a whole-text
   * change, carriage returns, the BOM line, the last line, a large paste); lines and analyses then still match each
   * other, and a full `update` with the document's text brings them up to date.
   */
  applyChanges(changes: readonly TextChange[], options: LineAnalysisOptions): boolean {
    if (this.carriageReturns) return false;
    let reanalysed = 0;
    for (const change of changes) {
      if (!('range' in change) || change.text.indexOf('\r') >= 0) return false;
      const { start, end } = change.range;
      // Only changes strictly before the last line: the end of the text (terminated or not) stays as it is.
      if (start.line < 0 || start.line > end.line || (start.line === end.line && start.character > end.character) || end.line >= this.lines.length - 1) return false;
      if (start.line === 0 && (this.bom || change.text.charCodeAt(0) === 0xfeff)) return false;
      const first = this.lines[start.line]!;
      const last = this.lines[end.line]!;
      if (start.character < 0 || start.character > first.length || end.character < 0 || end.character > last.length) return false;
      if (end.line - start.line > maxIncrementalLines || change.text.length > maxIncrementalLines * 200) return false;
      const fresh = (first.slice(0, start.character) + change.text + last.slice(end.character)).split('\n');
      if (fresh.length > maxIncrementalLines) return false;
      const analyses = fresh.map((line) => analyzeLine(line, options));
      const removed = end.line - start.line + 1;
      /* eslint-disable no-restricted-syntax -- `fresh` is at most maxIncrementalLines long (checked above) */
      this.lines.splice(start.line, removed, ...fresh);
      this.analyses.splice(start.line, removed, ...analyses);
      this.tokens.splice(start.line, removed, ...fresh.map(() => -1));
      /* eslint-enable no-restricted-syntax */
      reanalysed += fresh.length;
    }
    this.lastReanalysed = reanalysed;
    return true;
  }

  /** Whether some row's tokens are not counted yet. */
  tokensPending(): boolean {
    return this.tokens.some((tokens, line) => tokens === -1 && this.analyses[line]?.kind === 'row');
  }

  /** The tokens of one line (counted now and kept); 0 for a line that is not a row in a training format. */
  countTokens(line: number, counter: TokenCounter): number {
    const row = parseRow(this.lines[line] ?? '');
    const format = this.analyses[line]?.format;
    const tokens = row && format ? rowCounterFor(counter).count(row, format) : 0;
    this.tokens[line] = tokens;
    return tokens;
  }

  /**
   * Counts the lines not counted yet, from line `from` on, until `Date.now()` passes `deadline`; returns the line to
   * go on from (the number of lines once all are counted), so a caller can count a large document in slices.
   */
  countTokensUntil(from: number, counter: TokenCounter, deadline: number): number {
    let line = from;
    while (line < this.lines.length && Date.now() < deadline) {
      if (this.tokens[line] === -1) this.countTokens(line, counter);
      line++;
    }
    return line;
  }
}

function parseRow(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
