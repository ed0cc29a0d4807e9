/**
 * A structural block of a document (paragraph, code block, list, table, heading) with its source lines. Every format
 * is first parsed into blocks; the chunker then packs blocks into chunks within a token budget.
 */
export interface Block {
  kind: 'heading' | 'prose' | 'code';
  text: string;
  /** 1-based, inclusive. */
  startLine: number;
  endLine: number;
  /** Headings that enclose the block, outermost first. A heading block's path ends with itself. */
  headingPath: string[];
  page?: number;
}

/**
 * Longest heading title kept in a heading path. Real titles are a line or two; a "heading" of thousands of characters
 * (a generated file, a setext underline under a huge paragraph) would otherwise be stored with every chunk below it.
 */
export const maxHeadingTitleCharacters = 200;

/** Maintains the heading path while walking a document: a heading of level n replaces everything at level ≥ n. */
export class HeadingStack {
  private readonly entries: { level: number; title: string }[] = [];

  push(level: number, title: string): string[] {
    while (this.entries.length > 0 && (this.entries[this.entries.length - 1]?.level ?? 0) >= level) this.entries.pop();
    const kept = title.length > maxHeadingTitleCharacters ? `${title.slice(0, maxHeadingTitleCharacters - 1).trimEnd()}…` : title;
    this.entries.push({ level, title: kept });
    return this.path();
  }

  path(): string[] {
    return this.entries.map((entry) => entry.title);
  }
}

/** Blocks separated by blank lines (plain text paragraphs), with their line ranges. */
export function paragraphBlocks(lines: readonly string[], firstLine: number, headingPath: string[], page?: number): Block[] {
  const blocks: Block[] = [];
  let start = -1;
  const flush = (end: number): void => {
    if (start < 0) return;
    const text = lines.slice(start, end).join('\n').trim();
    if (text) blocks.push({ kind: 'prose', text, startLine: firstLine + start, endLine: firstLine + end - 1, headingPath, ...(page !== undefined ? { page } : {}) });
    start = -1;
  };
  lines.forEach((line, index) => {
    if (line.trim() === '') flush(index);
    else if (start < 0) start = index;
  });
  flush(lines.length);
  return blocks;
}
