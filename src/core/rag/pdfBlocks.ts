import { type Block, paragraphBlocks } from './blocks';

interface PdfTextItem {
  str: string;
  hasEOL?: boolean;
  transform?: number[];
  height?: number;
}

/**
 * PDF text with page numbers, through Mozilla's pdf.js (`pdfjs-dist` 4.x, the last major line that runs on Node 20).
 * Each page's text items become lines (pdf.js marks line ends; a vertical gap larger than 1.5 line heights starts a
 * new paragraph). Line numbers are counted within the page. A PDF without a text layer yields no blocks.
 */
export async function pdfBlocks(data: Uint8Array, signal?: AbortSignal): Promise<Block[]> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const task = pdfjs.getDocument({ data: new Uint8Array(data), useSystemFonts: false, isEvalSupported: false, disableFontFace: true, verbosity: 0 });
  const document = await task.promise;
  try {
    const blocks: Block[] = [];
    for (let pageNumber = 1; pageNumber <= document.numPages; pageNumber++) {
      if (signal?.aborted) throw new Error('cancelled');
      const page = await document.getPage(pageNumber);
      const content = await page.getTextContent();
      const lines: string[] = [];
      let current = '';
      let lastY: number | undefined;
      let lastHeight = 0;
      for (const raw of content.items) {
        const item = raw as PdfTextItem;
        if (typeof item.str !== 'string') continue;
        const y = item.transform?.[5];
        if (y !== undefined && lastY !== undefined && lastHeight > 0 && Math.abs(lastY - y) > lastHeight * 1.5 && current === '') lines.push('');
        current += item.str;
        if (item.hasEOL) {
          lines.push(current);
          current = '';
        }
        if (y !== undefined) lastY = y;
        if (item.height) lastHeight = item.height;
      }
      if (current) lines.push(current);
      blocks.push(...paragraphBlocks(lines, 1, [], pageNumber));
      page.cleanup();
    }
    return blocks;
  } finally {
    await document.destroy();
  }
}
