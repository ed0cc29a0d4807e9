import { clamp } from './clamp';
/** A zero-based position as LSP and VS Code count it: line, and UTF-16 code units within the line. */
export interface TextPosition {
  line: number;
  character: number;
}

export interface TextRange {
  start: TextPosition;
  end: TextPosition;
}

/** One line of a text, without its terminator. `offset` is where it starts in the text (UTF-16 units). */
export interface TextLine {
  index: number;
  offset: number;
  text: string;
}

/** Splits a text into lines on LF, CRLF and lone CR, the way editors and LSP number them. */
export function splitLines(text: string): string[] {
  // The common case (no CR at all) is one native split, which makes cheap sliced strings.
  if (text.indexOf('\r') < 0) return text.split('\n');
  return text.split(/\r\n|\r|\n/);
}

/** `splitLines` lazily, with each line's offset: for scans that may stop early or need positions. */
export function* iterateLines(text: string): Generator<TextLine> {
  let start = 0;
  let index = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === 10 /* \n */ || code === 13 /* \r */) {
      yield { index, offset: start, text: text.slice(start, i) };
      if (code === 13 && text.charCodeAt(i + 1) === 10) i++;
      start = i + 1;
      index++;
    }
  }
  yield { index, offset: start, text: text.slice(start) };
}

/** Converts between offsets and line/character positions of one text (LF, CRLF and lone CR line ends). */
export class TextPositions {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (const line of iterateLines(text)) if (line.index > 0) this.lineStarts.push(line.offset);
  }

  get lineCount(): number {
    return this.lineStarts.length;
  }

  positionAt(offset: number): TextPosition {
    const clamped = clamp(offset, 0, this.text.length);
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid]! <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low, character: clamped - this.lineStarts[low]! };
  }

  offsetAt(position: TextPosition): number {
    if (position.line >= this.lineStarts.length) return this.text.length;
    const line = Math.max(0, position.line);
    const start = this.lineStarts[line]!;
    // A character past the line's end means its end, before the terminator (both characters of a CRLF).
    return start + Math.min(Math.max(0, position.character), this.lineText(line).length);
  }

  rangeAt(start: number, end: number): TextRange {
    return { start: this.positionAt(start), end: this.positionAt(Math.max(start, end)) };
  }

  lineStart(line: number): number {
    return this.lineStarts[line] ?? this.text.length;
  }

  /** The text of a line without its terminator. */
  lineText(line: number): string {
    const start = this.lineStart(line);
    const next = this.lineStarts[line + 1];
    const raw = this.text.slice(start, next ?? this.text.length);
    return raw.replace(/\r?\n$|\r$/, '');
  }
}
