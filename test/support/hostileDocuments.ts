// Builders of hostile documents for the indexer's robustness tests: small files that expand into enormous work.
import { deflateSync } from 'node:zlib';

export interface PdfPageContent {
  /** The page's content stream (PDF operators). */
  operators: string;
}

export interface PdfOptions {
  /** Compress every content stream with FlateDecode (a few KB on disk can expand to megabytes of operators). */
  compress?: boolean;
}

/**
 * A syntactically valid PDF (with a correct cross-reference table) of the given pages, each drawing with the standard
 * Helvetica font, so pdf.js extracts its text without any font file.
 */
export function buildPdf(pages: readonly PdfPageContent[], options: PdfOptions = {}): Buffer {
  const objects: Buffer[] = [];
  const fontId = 3 + pages.length * 2;
  const pageIds = pages.map((_, index) => 3 + index * 2);
  objects.push(Buffer.from('<< /Type /Catalog /Pages 2 0 R >>'));
  objects.push(Buffer.from(`<< /Type /Pages /Kids [${pageIds.map((id) => `${id} 0 R`).join(' ')}] /Count ${pages.length} >>`));
  pages.forEach((page, index) => {
    const contentId = pageIds[index]! + 1;
    objects.push(Buffer.from(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 ${fontId} 0 R >> >> /Contents ${contentId} 0 R >>`));
    const raw = Buffer.from(page.operators, 'latin1');
    const body = options.compress ? deflateSync(raw, { level: 9 }) : raw;
    const filter = options.compress ? ' /Filter /FlateDecode' : '';
    objects.push(Buffer.concat([Buffer.from(`<< /Length ${body.length}${filter} >>\nstream\n`), body, Buffer.from('\nendstream')]));
  });
  objects.push(Buffer.from('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'));
  const parts: Buffer[] = [Buffer.from('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n', 'latin1')];
  let offset = parts[0]!.length;
  const offsets: number[] = [];
  objects.forEach((object, index) => {
    offsets.push(offset);
    const framed = Buffer.concat([Buffer.from(`${index + 1} 0 obj\n`), object, Buffer.from('\nendobj\n')]);
    parts.push(framed);
    offset += framed.length;
  });
  const xref = [`xref\n0 ${objects.length + 1}\n`, '0000000000 65535 f \n', ...offsets.map((at) => `${String(at).padStart(10, '0')} 00000 n \n`)].join('');
  parts.push(Buffer.from(`${xref}trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${offset}\n%%EOF\n`));
  return Buffer.concat(parts);
}

/**
 * A page of `lines` short lines in a tiny font, each far enough below the last to count as its own paragraph, in
 * columns so that every line stays on the page (pdf.js drops text drawn outside it): the shape that turns a few
 * kilobytes of compressed operators into hundreds of thousands of text items and blocks.
 */
export function manyParagraphsPage(lines: number, text: (line: number) => string = (line) => `w${line}`): PdfPageContent {
  const linesPerColumn = 20_000;
  const operators: string[] = ['BT\n/F1 0.01 Tf\n0.03 TL\n'];
  for (let line = 0; line < lines; line++) {
    if (line % linesPerColumn === 0) operators.push(`1 0 0 1 ${10 + (line / linesPerColumn) * 20} 780 Tm\n`);
    operators.push(`(${text(line)}) Tj T*\n`);
  }
  operators.push('ET\n');
  return { operators: operators.join('') };
}

/** A page with one line of readable text. */
export function textPage(text: string): PdfPageContent {
  return { operators: `BT\n/F1 12 Tf\n72 720 Td\n(${text}) Tj\nET\n` };
}
