import { type LineAnalysis, type LineAnalysisOptions, analyzeLine } from '../../core/datasets/rowAnalysis';

/** Splits a document into lines the way LSP numbers them: LF, CRLF and a lone CR all end a line. */
export function splitLines(text: string): string[] {
  // The common case (no CR at all) is one native split.
  if (text.indexOf('\r') < 0) return text.split('\n');
  return text.split(/\r\n|\r|\n/);
}

/**
 * The per-line analyses of one open document, kept between edits. An edit re-analyses only the lines whose text
 * changed: unchanged lines at the start and the end are matched by string equality (native, fast), whatever the
 * edit did to the lines between.
 */
export class DocumentAnalysis {
  lines: string[] = [];
  analyses: LineAnalysis[] = [];
  bom = false;
  terminated = false;
  /** Token counts per line, filled in the background; -1 where not counted yet. */
  tokens: number[] = [];
  /** How many lines the last update re-analysed (for tests and logs). */
  lastReanalysed = 0;

  constructor(private readonly optionsKey: string) {}

  matches(optionsKey: string): boolean {
    return this.optionsKey === optionsKey;
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
    this.tokens = this.tokens.slice(0, head).concat(fresh.map(() => -1), this.tokens.slice(end));
    this.lines = next;
    this.bom = bom;
    this.terminated = terminated;
    this.lastReanalysed = fresh.length;
  }
}
