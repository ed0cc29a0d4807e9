import { type Block, HeadingStack, paragraphBlocks } from './blocks';
import { splitLines } from '../text/lineIndex';

/** Plain text: paragraphs separated by blank lines. */
export function plainTextBlocks(source: string): Block[] {
  return paragraphBlocks(splitLines(source), 1, []);
}

const rstAdornment = /^([=\-`:'"~^_*+#<>.])\1{2,}\s*$/;

/**
 * reStructuredText: section titles are a line underlined (optionally also overlined) with one punctuation character;
 * levels follow the order in which adornment styles first appear, as docutils does. Literal blocks (`::` then an
 * indented block) and directives stay whole as code.
 */
export function rstBlocks(source: string): Block[] {
  const lines = splitLines(source);
  const styles: string[] = [];
  const stack = new HeadingStack();
  const blocks: Block[] = [];
  let path: string[] = [];
  let segmentStart = 0;
  const flushSegment = (end: number): void => {
    for (const block of indentedCodeAware(lines.slice(segmentStart, end), segmentStart + 1, path)) blocks.push(block);
  };
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const next = lines[index + 1];
    const title = line.trim();
    if (title && !rstAdornment.test(line) && next !== undefined && rstAdornment.test(next) && next.trim().length >= title.length) {
      const over = index > 0 && rstAdornment.test(lines[index - 1] ?? '') && (lines[index - 1] ?? '').trim()[0] === next.trim()[0];
      const style = `${over ? 'o' : ''}${next.trim()[0]}`;
      if (!styles.includes(style)) styles.push(style);
      const headingStart = over ? index - 1 : index;
      flushSegment(headingStart);
      path = stack.push(styles.indexOf(style) + 1, title);
      blocks.push({ kind: 'heading', text: lines.slice(headingStart, index + 2).join('\n'), startLine: headingStart + 1, endLine: index + 2, headingPath: path });
      index++;
      segmentStart = index + 1;
    }
  }
  flushSegment(lines.length);
  return blocks.filter((block) => !(block.kind === 'prose' && rstAdornment.test(block.text)));
}

/** Paragraphs, with a paragraph ending in `::` joined to the indented literal block after it (kept as code). */
function indentedCodeAware(lines: readonly string[], firstLine: number, path: string[]): Block[] {
  const paragraphs = paragraphBlocks(lines, firstLine, path);
  const merged: Block[] = [];
  // A literal block can run on for thousands of paragraphs: its text is joined once, when it ends, not at every merge.
  let literalFrom = -1;
  const closeLiteral = (): void => {
    const literal = merged[merged.length - 1];
    if (literalFrom >= 0 && literal) merged[merged.length - 1] = { ...literal, kind: 'code', text: lines.slice(literalFrom - firstLine, literal.endLine - firstLine + 1).join('\n') };
    literalFrom = -1;
  };
  for (const block of paragraphs) {
    const previous = merged[merged.length - 1];
    const indented = /^\s+\S/.test(block.text.split('\n', 1)[0] ?? '') || /^\s/.test(lines[block.startLine - firstLine] ?? '');
    if (previous && indented && (literalFrom >= 0 || previous.kind === 'code' || /::\s*$/.test(previous.text) || /^\.\. /.test(previous.text))) {
      if (literalFrom < 0) literalFrom = previous.startLine;
      merged[merged.length - 1] = { ...previous, kind: 'code', endLine: block.endLine };
    } else {
      closeLiteral();
      merged.push(block);
    }
  }
  closeLiteral();
  return merged;
}

const asciidocDelimiters = /^(-{4,}|\.{4,}|={4,}|\+{4,}|\*{4,}|_{4,}|\/{4,}|`{3,}.*)\s*$/;

/**
 * AsciiDoc: `=`…`======` section titles (and Markdown-style `#`), delimited blocks (listing `----`, literal `....`,
 * example `====`, passthrough `++++`, sidebar `****`, quote `____`, comment `////`) kept whole as code.
 */
export function asciidocBlocks(source: string): Block[] {
  const lines = splitLines(source);
  const stack = new HeadingStack();
  const blocks: Block[] = [];
  let path: string[] = [];
  let segmentStart = 0;
  const flushSegment = (end: number): void => {
    for (const block of paragraphBlocks(lines.slice(segmentStart, end), segmentStart + 1, path)) blocks.push(block);
  };
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    const heading = /^(={1,6}|#{1,6})\s+(\S.*?)\s*$/.exec(line);
    if (heading?.[1] && heading[2]) {
      flushSegment(index);
      path = stack.push(heading[1].length, heading[2]);
      blocks.push({ kind: 'heading', text: line, startLine: index + 1, endLine: index + 1, headingPath: path });
      segmentStart = index + 1;
      continue;
    }
    const delimiter = asciidocDelimiters.exec(line);
    if (delimiter?.[1]) {
      const fence = delimiter[1].startsWith('```') ? '```' : delimiter[1];
      // Searched from the opening line on (not from the top), or a file of many delimited blocks takes quadratic time.
      let end = index + 1;
      while (end < lines.length && (lines[end] ?? '').trimEnd() !== fence) end++;
      if (end >= lines.length) end = lines.length - 1;
      flushSegment(index);
      if (!fence.startsWith('////')) blocks.push({ kind: 'code', text: lines.slice(index, end + 1).join('\n'), startLine: index + 1, endLine: end + 1, headingPath: path });
      index = end;
      segmentStart = end + 1;
    }
  }
  flushSegment(lines.length);
  return blocks;
}
