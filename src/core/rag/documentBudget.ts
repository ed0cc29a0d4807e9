/**
 * Limits on the work one document may cause, so that a single hostile or pathological file (a PDF whose few
 * compressed kilobytes expand into hundreds of thousands of text items, a text of millions of one-word paragraphs)
 * is truncated or skipped with a stated reason instead of stopping, stalling or swamping the whole index run.
 * The limits are per file and sit well above what real documents need.
 */
export interface DocumentBudget {
  /** Pages of a PDF that are read; the rest of a longer PDF is left out (and said so). */
  maxPages: number;
  /** Characters of extracted text kept per document, line breaks included; the rest is left out (and said so). */
  maxCharacters: number;
  /** Chunks kept per document; the rest is left out (and said so). */
  maxChunks: number;
  /** Time allowed for parsing one document (PDF through pdf.js); the pages read by then are kept. */
  maxParseMs: number;
}

/**
 * A 2,000-page PDF is a long book or a whole standard; longer ones are scanned archives or generated dumps, and every
 * page costs a content-stream parse.
 */
export const maxDocumentPages = 2_000;

/**
 * About 1,500 pages of dense prose (2,000 characters a page), and above the default 2 MiB cap on text files. It bounds
 * the memory of a document's blocks and chunks to a few hundred MB at worst (one-character paragraphs).
 */
export const maxDocumentCharacters = 3_000_000;

/**
 * What 3 million characters of prose make at the default 256-token chunks (about 1,000 characters each), plus room for
 * the overlap. More chunks from one file crowd every other file out of the results and take hours to embed on a CPU.
 */
export const maxDocumentChunks = 4_000;

/** pdf.js reads a real 1,000-page PDF in well under a minute on a laptop; a file that takes longer is hostile. */
export const maxDocumentParseMs = 60_000;

export const defaultDocumentBudget: DocumentBudget = {
  maxPages: maxDocumentPages,
  maxCharacters: maxDocumentCharacters,
  maxChunks: maxDocumentChunks,
  maxParseMs: maxDocumentParseMs,
};

/** Thrown when a document uses up its time budget before anything could be kept from it. */
export class DocumentTimeoutError extends Error {
  constructor(readonly limitMs: number) {
    super(`parsing took over ${formatSeconds(limitMs)} (the limit per document)`);
    this.name = 'DocumentTimeoutError';
  }
}

export function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${(ms / 1000).toFixed(1)} s`;
}

/**
 * The text cut at the character budget, at the last line break before it (so no line is cut in two), with the
 * reason when anything was left out.
 */
export function truncateText(text: string, maxCharacters: number): { text: string; truncated?: string } {
  if (text.length <= maxCharacters) return { text };
  const lastBreak = text.lastIndexOf('\n', maxCharacters);
  const end = lastBreak > 0 ? lastBreak : maxCharacters;
  return {
    text: text.slice(0, end),
    truncated: `only the first ${end.toLocaleString('en-US')} of ${text.length.toLocaleString('en-US')} characters are indexed (limit ${maxCharacters.toLocaleString('en-US')} per document)`,
  };
}
