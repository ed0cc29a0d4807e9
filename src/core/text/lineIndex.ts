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

/** Splits a text on LF, CRLF and lone CR, the way editors number lines. */
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
