import { renderMarkdown, type RenderOptions } from './markdown';

/**
 * Renders a growing Markdown text in time proportional to what is new, not to the whole answer: the text is cut
 * at blank lines outside code fences; each completed block run is rendered once and kept, and only the open tail
 * is re-rendered per frame. The final answer is rendered whole once (a list or a reference link that spans blocks
 * then comes out exactly as markdown-it renders it).
 */
export class StreamingMarkdown {
  private stableLength = 0;
  private readonly stable: HTMLElement;
  private readonly tail: HTMLElement;

  constructor(
    readonly container: HTMLElement,
    private readonly options: () => RenderOptions,
  ) {
    this.stable = document.createElement('div');
    this.stable.className = 'md-stable';
    this.tail = document.createElement('div');
    this.tail.className = 'md-tail';
    container.replaceChildren(this.stable, this.tail);
  }

  update(text: string, cursor: Node | undefined): void {
    const boundary = lastBlockBoundary(text, this.stableLength);
    if (boundary > this.stableLength) {
      this.stable.append(renderMarkdown(text.slice(this.stableLength, boundary), this.options()));
      this.stableLength = boundary;
    }
    const tail = renderMarkdown(text.slice(this.stableLength), this.options());
    if (cursor) tail.append(cursor);
    this.tail.replaceChildren(tail);
  }
}

/**
 * The end of the last complete block run in `text` after `from` (which must be outside a code fence): the offset
 * just after a blank line that is not inside a fenced code block. Returns `from` when there is none.
 */
export function lastBlockBoundary(text: string, from: number): number {
  let boundary = from;
  let fence: string | undefined;
  let lineStart = from;
  let previousBlank = false;
  while (lineStart < text.length) {
    const newline = text.indexOf('\n', lineStart);
    if (newline < 0) break; // the last line is still being written
    const line = text.slice(lineStart, newline);
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
    } else if (marker) fence = marker;
    const blank = line.trim() === '';
    if (!fence && blank && !previousBlank && lineStart > from) boundary = newline + 1;
    previousBlank = blank;
    lineStart = newline + 1;
  }
  return boundary;
}
