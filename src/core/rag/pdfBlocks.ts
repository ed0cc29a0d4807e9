import { type Block, paragraphBlocks } from './blocks';
import { type DocumentBudget, DocumentTimeoutError, formatSeconds } from './documentBudget';

interface PdfTextItem {
  str: string;
  hasEOL?: boolean;
  transform?: number[];
  height?: number;
}

/** The blocks of a PDF's text layer, and why part of it was left out when it was over its budget. */
export interface PdfText {
  blocks: Block[];
  truncated?: string;
}

type PdfBudget = Pick<DocumentBudget, 'maxPages' | 'maxCharacters' | 'maxParseMs'>;

/**
 * PDF text with page numbers, through Mozilla's pdf.js (`pdfjs-dist` 4.x, the last major line that runs on Node 20).
 * Each page's text items become lines (pdf.js marks line ends; a vertical gap larger than 1.5 line heights starts a
 * new paragraph). Line numbers are counted within the page. A PDF without a text layer yields no blocks.
 *
 * A page's text is streamed from pdf.js in small batches rather than asked for whole, so a page whose compressed
 * content expands to millions of text items is cut at the character budget before it is ever held in memory. The
 * page and time budgets keep what was read before them; a PDF that runs out of time before its first page is an error.
 */
export async function pdfBlocks(data: Uint8Array, budget: PdfBudget, signal?: AbortSignal): Promise<PdfText> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({ data: new Uint8Array(data), useSystemFonts: false, isEvalSupported: false, disableFontFace: true, verbosity: 0 });
  let rejectInterrupt: (error: Error) => void = () => undefined;
  // pdf.js runs in this thread (its "fake worker" in Node) as one long chain of promise callbacks, which starves the
  // timers: the deadline is checked between batches of text, and every batch first yields to the event loop (which
  // also lets the worker answer a cancel or a search). The timer and the race only catch a stall inside pdf.js.
  const deadline = performance.now() + budget.maxParseMs;
  const interrupted = new Promise<never>((_, reject) => (rejectInterrupt = reject));
  interrupted.catch(() => undefined);
  const timer = setTimeout(() => rejectInterrupt(new DocumentTimeoutError(budget.maxParseMs)), budget.maxParseMs);
  const onAbort = (): void => rejectInterrupt(new Error('cancelled'));
  signal?.addEventListener('abort', onAbort, { once: true });
  // The interruption comes first: a race settles with the first of its already-settled promises, and the text stream
  // usually has a batch ready.
  const bounded = <T>(promise: Promise<T>): Promise<T> => Promise.race([interrupted, promise]);
  const blocks: Block[] = [];
  let characters = 0;
  let pageNumber = 0;
  let pageCount = 0;
  let truncated: string | undefined;
  let reader: ReadableStreamDefaultReader<unknown> | undefined;
  try {
    if (signal?.aborted) throw new Error('cancelled');
    const document = await bounded(task.promise);
    pageCount = document.numPages;
    const lastPage = Math.min(pageCount, budget.maxPages);
    for (pageNumber = 1; pageNumber <= lastPage && truncated === undefined; pageNumber++) {
      if (performance.now() > deadline) throw new DocumentTimeoutError(budget.maxParseMs);
      const page = await bounded(document.getPage(pageNumber));
      const lines: string[] = [];
      let current = '';
      let lastY: number | undefined;
      let lastHeight = 0;
      reader = page.streamTextContent().getReader();
      for (;;) {
        await bounded(new Promise((resolve) => setImmediate(resolve)));
        if (performance.now() > deadline) throw new DocumentTimeoutError(budget.maxParseMs);
        const { value, done } = await bounded(reader.read());
        if (done) {
          reader = undefined;
          break;
        }
        for (const raw of (value as { items: unknown[] }).items) {
          const item = raw as PdfTextItem;
          if (typeof item.str !== 'string') continue;
          const y = item.transform?.[5];
          if (y !== undefined && lastY !== undefined && lastHeight > 0 && Math.abs(lastY - y) > lastHeight * 1.5 && current === '') lines.push('');
          current += item.str;
          characters += item.str.length;
          if (item.hasEOL) {
            lines.push(current);
            current = '';
            characters++;
          }
          if (y !== undefined) lastY = y;
          if (item.height) lastHeight = item.height;
          if (characters > budget.maxCharacters) {
            truncated = `cut at page ${pageNumber} of ${pageCount}: the text reached the limit of ${budget.maxCharacters.toLocaleString('en-US')} characters per document`;
            break;
          }
        }
        if (truncated !== undefined) break;
      }
      if (current) lines.push(current);
      // Pushed one by one: a page can hold hundreds of thousands of paragraphs, too many to spread into one call.
      for (const block of paragraphBlocks(lines, 1, [], pageNumber)) blocks.push(block);
      page.cleanup();
    }
    if (truncated === undefined && pageCount > lastPage)
      truncated = `only the first ${lastPage.toLocaleString('en-US')} of ${pageCount.toLocaleString('en-US')} pages are indexed (limit ${budget.maxPages.toLocaleString('en-US')} per document)`;
    return { blocks, ...(truncated !== undefined ? { truncated } : {}) };
  } catch (error) {
    // Out of time after some pages: what was read is kept, and the rest is said to be missing.
    if (error instanceof DocumentTimeoutError && blocks.length > 0) {
      return { blocks, truncated: `cut at page ${pageNumber} of ${pageCount}: reading stopped after ${formatSeconds(budget.maxParseMs)} (the limit per document)` };
    }
    throw error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
    await destroyDocument(task, reader);
  }
}

/**
 * Stops pdf.js's work on a document. A page's text stream left mid-way is drained, not cancelled: pdf.js 4 keeps
 * enqueueing into a cancelled stream and throws from its message handler, while its "Terminate" waits for the text
 * task, which waits for the reader (back-pressure). Destroying first marks the task terminated, so the drain is short.
 */
async function destroyDocument(task: { destroy(): Promise<void> }, reader: ReadableStreamDefaultReader<unknown> | undefined): Promise<void> {
  const destroyed = task.destroy().catch(() => undefined);
  if (!reader) return destroyed;
  const drainUntil = performance.now() + drainLimitMs;
  try {
    while (performance.now() < drainUntil && !(await reader.read()).done);
  } catch {
    // The stream ends in an error once the task notices it was terminated: that is the point.
  }
  if (performance.now() < drainUntil) await destroyed;
}

/** How long a terminated text task may take to notice; past it, the document is left to be collected. */
const drainLimitMs = 2_000;
