import { createHash } from 'node:crypto';
import { type Block } from './blocks';
import { type Chunk, type ChunkBudget } from './chunk';
import { htmlBlocks } from './htmlBlocks';
import { asciidocBlocks, plainTextBlocks, rstBlocks } from './markupBlocks';
import { markdownBlocks } from './markdownBlocks';

export type DocumentFormat = 'markdown' | 'text' | 'rst' | 'asciidoc' | 'html' | 'pdf' | 'code';

const formatsByExtension: Record<string, DocumentFormat> = {
  md: 'markdown',
  markdown: 'markdown',
  mdx: 'markdown',
  mdown: 'markdown',
  mkd: 'markdown',
  txt: 'text',
  text: 'text',
  rst: 'rst',
  rest: 'rst',
  adoc: 'asciidoc',
  asciidoc: 'asciidoc',
  asc: 'asciidoc',
  html: 'html',
  htm: 'html',
  xhtml: 'html',
  pdf: 'pdf',
};

/** The format a file is chunked as, from its extension (anything else included by the user's globs is code). */
export function formatOf(path: string): DocumentFormat {
  const extension = /\.([^./\\]+)$/.exec(path)?.[1]?.toLowerCase() ?? '';
  return formatsByExtension[extension] ?? 'code';
}

/** Text formats to blocks (PDF is parsed separately, asynchronously, into blocks). */
export function textBlocks(format: Exclude<DocumentFormat, 'pdf'>, source: string): Block[] {
  switch (format) {
    case 'markdown':
      return markdownBlocks(source);
    case 'rst':
      return rstBlocks(source);
    case 'asciidoc':
      return asciidocBlocks(source);
    case 'html':
      return htmlBlocks(source);
    case 'code':
      return codeBlocks(source);
    case 'text':
      return plainTextBlocks(source);
  }
}

/** Source code: blank-line separated groups of lines, kept as code (splitting inside a group goes by lines). */
function codeBlocks(source: string): Block[] {
  return plainTextBlocks(source).map((block) => ({ ...block, kind: 'code' as const }));
}

/** The smallest piece the packer moves: a whole block, or a sentence / line group of a block too big to fit. */
interface Unit {
  text: string;
  startLine: number;
  endLine: number;
  block: number;
  kind: Block['kind'];
  tokens: number;
}

function contextOf(headingPath: readonly string[]): string {
  return headingPath.join(' > ');
}

function sameSection(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((title, index) => title === b[index]);
}

/** A document's chunks, and why some of its text was left out when it was over its chunk budget. */
export interface ChunkedDocument {
  chunks: Chunk[];
  truncated?: string;
}

/**
 * Packs blocks into chunks. A chunk never crosses a section (a change of heading path) or a page; blocks are kept
 * whole where they fit (code fences included); a block larger than the budget is split into sentences (prose) or line
 * groups (code), then words or characters as a last resort. When a section needs several chunks, each repeats up to
 * `overlapTokens` of the previous chunk's trailing units, and the last two share what is left of the section evenly.
 * The heading path is the chunk's context: it is prepended to the embedded text and counted in the budget.
 */
export function chunkBlocks(documentPath: string, blocks: readonly Block[], budget: ChunkBudget): Chunk[] {
  return chunkDocument(documentPath, blocks, budget, Number.POSITIVE_INFINITY).chunks;
}

/** `chunkBlocks` that stops at `maxChunks` (the rest of the document is left out, and said so). */
export function chunkDocument(documentPath: string, blocks: readonly Block[], budget: ChunkBudget, maxChunks: number): ChunkedDocument {
  const chunks: Chunk[] = [];
  const seen = new Map<string, number>();
  let full = false;
  let stoppedAtLine: number | undefined;
  let stoppedAtPage: number | undefined;
  const accept = (chunk: Chunk): boolean => {
    if (chunks.length >= maxChunks) {
      full = true;
      stoppedAtLine = chunk.startLine;
      stoppedAtPage = chunk.page;
      return false;
    }
    chunks.push(chunk);
    return true;
  };
  let section: Block[] = [];
  const flushSection = (): void => {
    if (section.length > 0) chunkSection(documentPath, section, budget, seen, accept);
    section = [];
  };
  for (const block of blocks) {
    if (full) break;
    const first = section[0];
    const boundary = first && (block.kind === 'heading' || !sameSection(first.headingPath, block.headingPath) || first.page !== block.page);
    if (boundary) flushSection();
    section.push(block);
  }
  if (!full) flushSection();
  if (!full) return { chunks };
  const where = stoppedAtPage !== undefined ? `page ${stoppedAtPage}` : `line ${stoppedAtLine ?? 1}`;
  return { chunks, truncated: `cut at ${where}: the document reached the limit of ${maxChunks.toLocaleString('en-US')} chunks per document` };
}

/**
 * The heading path as written before each chunk, kept to half the budget: a heading can be a whole generated line,
 * and repeating it in every chunk of its section would multiply it by the number of chunks.
 */
function boundedContext(headingPath: readonly string[], budget: ChunkBudget): { context: string; tokens: number } {
  let context = contextOf(headingPath);
  if (!context) return { context, tokens: 0 };
  const limit = Math.floor(budget.maxTokens / 2);
  let tokens = budget.counter.count(context);
  while (tokens > limit && context.length > 1) {
    context = `${context.slice(0, Math.max(1, Math.floor((context.length * limit) / tokens) - 1)).trimEnd()}…`;
    tokens = budget.counter.count(context);
  }
  return { context, tokens: tokens + 1 };
}

/** Chunks one section, handing each chunk to `accept`; stops when `accept` says the document is full. */
function chunkSection(documentPath: string, blocks: readonly Block[], budget: ChunkBudget, seen: Map<string, number>, accept: (chunk: Chunk) => boolean): void {
  const first = blocks[0];
  if (!first) return;
  // A heading followed directly by a sub-heading has no text of its own: its title lives on in its children's context.
  if (blocks.every((block) => block.kind === 'heading')) return;
  const headingPath = first.headingPath;
  const { context, tokens: contextTokens } = boundedContext(headingPath, budget);
  const room = Math.max(16, budget.maxTokens - contextTokens);
  const units: Unit[] = [];
  blocks.forEach((block, index) => {
    const tokens = budget.counter.count(block.text);
    if (tokens <= room) units.push({ text: block.text, startLine: block.startLine, endLine: block.endLine, block: index, kind: block.kind, tokens });
    else for (const unit of splitBlock(block, index, room, budget)) units.push(unit);
  });
  const overlap = Math.min(budget.overlapTokens, Math.floor(room / 2));
  let current: Unit[] = [];
  let currentTokens = 0;
  let freshUnits = 0;
  let open = true;
  const emit = (): void => {
    if (freshUnits === 0) return;
    open = accept(makeChunk(documentPath, current, headingPath, context, first.page, budget, seen));
    const carried: Unit[] = [];
    let carriedTokens = 0;
    for (let index = current.length - 1; index > 0; index--) {
      const unit = current[index];
      if (!unit || carriedTokens + unit.tokens > overlap) break;
      carried.unshift(unit);
      carriedTokens += unit.tokens;
    }
    current = carried;
    currentTokens = carriedTokens;
    freshUnits = 0;
  };
  // Tokens from each unit to the end of the section, so the last two chunks can share what is left evenly instead of
  // ending the section in a sliver (a lone closing sentence retrieves well and answers nothing).
  const remaining = new Array<number>(units.length + 1).fill(0);
  for (let index = units.length - 1; index >= 0; index--) remaining[index] = remaining[index + 1]! + units[index]!.tokens + 1;
  for (const [index, unit] of units.entries()) {
    const pending = currentTokens + remaining[index]!;
    const limit = pending > room && pending <= 2 * room - overlap ? Math.ceil((pending + overlap) / 2) : room;
    if (currentTokens + unit.tokens + 1 > limit && current.length > 0) {
      emit();
      if (!open) return;
      // The carried overlap must never push a unit out of budget.
      while (current.length > 0 && currentTokens + unit.tokens + 1 > room) currentTokens -= current.shift()?.tokens ?? 0;
    }
    current.push(unit);
    currentTokens += unit.tokens + 1;
    freshUnits++;
  }
  emit();
}

function joinUnits(units: readonly Unit[]): string {
  let text = '';
  units.forEach((unit, index) => {
    const previous = units[index - 1];
    if (previous) text += previous.block === unit.block ? (unit.kind === 'code' ? '\n' : ' ') : '\n\n';
    text += unit.text;
  });
  return text;
}

function makeChunk(documentPath: string, units: readonly Unit[], headingPath: string[], context: string, page: number | undefined, budget: ChunkBudget, seen: Map<string, number>): Chunk {
  const text = joinUnits(units);
  const embedText = context ? `${context}\n${text}` : text;
  const base = `${documentPath}\u0000${context}\u0000${text}`;
  const occurrence = seen.get(base) ?? 0;
  seen.set(base, occurrence + 1);
  const id = createHash('sha256').update(`${base}\u0000${occurrence}`).digest('hex').slice(0, 32);
  const contentHash = createHash('sha256').update(embedText).digest('hex').slice(0, 32);
  return {
    id,
    contentHash,
    text,
    embedText,
    tokens: budget.counter.count(embedText),
    startLine: units[0]?.startLine ?? 1,
    endLine: units[units.length - 1]?.endLine ?? 1,
    headingPath,
    ...(page !== undefined ? { page } : {}),
  };
}

const sentenceEnd = /(?<=[.!?。！？])\s+(?=[\p{Lu}\p{N}"'([`*])/u;

/** A block too large for one chunk: prose into sentences, code into lines. */
function splitBlock(block: Block, index: number, room: number, budget: ChunkBudget): Unit[] {
  const lines = block.text.split('\n');
  const pieces: { text: string; line: number }[] = [];
  if (block.kind === 'code') {
    lines.forEach((line, at) => pieces.push({ text: line, line: block.startLine + at }));
  } else {
    lines.forEach((line, at) => {
      for (const sentence of line.split(sentenceEnd)) if (sentence.trim()) pieces.push({ text: sentence.trim(), line: block.startLine + at });
    });
  }
  // Each sentence or line is its own unit: the packer regroups them, and overlap can carry whole sentences or lines.
  const units: Unit[] = [];
  for (const piece of pieces) {
    const tokens = budget.counter.count(piece.text);
    if (tokens <= room) {
      units.push({ text: piece.text, startLine: piece.line, endLine: piece.line, block: index, kind: block.kind, tokens });
      continue;
    }
    for (const part of splitOversized(piece.text, room, budget))
      units.push({ text: part, startLine: piece.line, endLine: piece.line, block: index, kind: block.kind, tokens: budget.counter.count(part) });
  }
  return units;
}

/** A single sentence or line longer than the budget (a huge line): split at spaces, or hard-split long runs. */
function splitOversized(text: string, room: number, budget: ChunkBudget): string[] {
  const parts: string[] = [];
  let current = '';
  let currentTokens = 0;
  for (const word of text.split(/(?<=\s)/)) {
    const wordTokens = budget.counter.count(word);
    if (wordTokens > room) {
      if (current.trim()) parts.push(current.trim());
      current = '';
      currentTokens = 0;
      const step = Math.max(16, room * 2);
      for (let at = 0; at < word.length; at += step) parts.push(word.slice(at, at + step));
      continue;
    }
    if (current && currentTokens + wordTokens > room) {
      parts.push(current.trim());
      current = '';
      currentTokens = 0;
    }
    current += word;
    currentTokens += wordTokens;
  }
  if (current.trim()) parts.push(current.trim());
  return parts.filter((part) => part.length > 0);
}
