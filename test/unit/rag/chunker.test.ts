import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { approximateTokenCounter, type ChunkBudget } from '../../../src/core/rag/chunk';
import { chunkBlocks, formatOf, textBlocks } from '../../../src/core/rag/chunker';
import { defaultDocumentBudget } from '../../../src/core/rag/documentBudget';
import { pdfBlocks } from '../../../src/core/rag/pdfBlocks';

const fixtures = join(__dirname, '../../fixtures/rag');
const read = (name: string): string => readFileSync(join(fixtures, name), 'utf8');
const budget: ChunkBudget = { maxTokens: 256, overlapTokens: 32, counter: approximateTokenCounter };

function lines(name: string, start: number, end: number): string {
  return read(name)
    .split('\n')
    .slice(start - 1, end)
    .join('\n');
}

describe('Markdown chunking (rclone docs)', () => {
  const source = read('b2.md');
  const chunks = chunkBlocks('b2.md', textBlocks('markdown', source), budget);

  it('keeps the heading path, starting with the front-matter title', () => {
    const upload = chunks.find((chunk) => chunk.text.includes('--b2-upload-concurrency'));
    assert.ok(upload);
    assert.deepEqual(upload.headingPath.slice(0, 3), ['B2', 'Backblaze B2', 'Configuration']);
    assert.ok(upload.headingPath.includes('Advanced options'));
  });

  it('strips {#anchor} attributes from heading titles', () => {
    assert.ok(chunks.every((chunk) => chunk.headingPath.every((title) => !title.includes('{#'))));
  });

  it('keeps every chunk within the token budget, heading context included', () => {
    for (const chunk of chunks) assert.ok(chunk.tokens <= budget.maxTokens, `${chunk.startLine}-${chunk.endLine} has ${chunk.tokens} tokens`);
  });

  it('keeps code fences whole where they fit', () => {
    const fenced = chunks.filter((chunk) => chunk.text.includes('```'));
    assert.ok(fenced.length > 5);
    for (const chunk of fenced) {
      const fences = chunk.text.split('\n').filter((line) => /^\s*```/.test(line)).length;
      assert.equal(fences % 2, 0, `unbalanced fence in lines ${chunk.startLine}-${chunk.endLine}:\n${chunk.text}`);
    }
  });

  it('gives line ranges that point at the chunk text in the file', () => {
    for (const chunk of chunks) {
      const firstLine = chunk.text.split('\n')[0] ?? '';
      assert.ok(lines('b2.md', chunk.startLine, chunk.endLine).includes(firstLine.slice(0, 40)), `chunk at ${chunk.startLine} does not start inside its range`);
    }
  });

  it('gives stable ids: re-chunking is identical, and an edit changes only the edited chunk', () => {
    const again = chunkBlocks('b2.md', textBlocks('markdown', source), budget);
    assert.deepEqual(
      again.map((chunk) => chunk.id),
      chunks.map((chunk) => chunk.id),
    );
    const edited = source.replace('The optimum number for you may vary', 'The optimum number for you might vary');
    assert.notEqual(edited, source);
    const after = chunkBlocks('b2.md', textBlocks('markdown', edited), budget);
    const before = new Set(chunks.map((chunk) => chunk.id));
    const changed = after.filter((chunk) => !before.has(chunk.id));
    assert.equal(changed.length, 1);
    assert.match(changed[0]?.text ?? '', /might vary/);
  });

  it('ids are unique within a document', () => {
    assert.equal(new Set(chunks.map((chunk) => chunk.id)).size, chunks.length);
  });

  it('covers the whole document text: every non-blank, non-heading line lands in some chunk', () => {
    const covered = new Set<number>();
    for (const chunk of chunks) for (let line = chunk.startLine; line <= chunk.endLine; line++) covered.add(line);
    const body = source.split('\n');
    const frontMatterEnd = body.indexOf('---', 1) + 1;
    body.forEach((text, index) => {
      if (index < frontMatterEnd || !text.trim() || /^#{1,6} /.test(text)) return;
      assert.ok(covered.has(index + 1), `line ${index + 1} not in any chunk: ${text}`);
    });
  });
});

describe('splitting large sections', () => {
  const sentences = Array.from({ length: 120 }, (_, index) => `Sentence number ${index} talks about harbour logistics and tides.`);
  const source = `# Big\n\n${sentences.join(' ')}\n`;
  const chunks = chunkBlocks('big.md', textBlocks('markdown', source), { maxTokens: 64, overlapTokens: 16, counter: approximateTokenCounter });

  it('splits a paragraph larger than the budget at sentence boundaries, with overlap', () => {
    assert.ok(chunks.length > 5);
    for (const chunk of chunks) {
      assert.ok(chunk.tokens <= 64);
      assert.match(chunk.text.replace(/^# Big\n\n/, ''), /^Sentence number \d+/);
      assert.match(chunk.text, /tides\.$/);
    }
    const first = chunks[0]?.text.split('. ') ?? [];
    const lastOfFirst = first[first.length - 1] ?? '';
    assert.ok(chunks[1]?.text.includes(lastOfFirst.replace(/\.$/, '')), 'second chunk repeats the end of the first');
  });

  it('splits a single huge line without losing text', () => {
    const huge = 'x'.repeat(5000);
    const result = chunkBlocks('huge.txt', textBlocks('text', huge), { maxTokens: 64, overlapTokens: 0, counter: approximateTokenCounter });
    assert.equal(result.map((chunk) => chunk.text.replace(/ /g, '')).join(''), huge);
    for (const chunk of result) assert.ok(chunk.tokens <= 64);
  });

  it('ends a split section in two even chunks, not a sliver', () => {
    // A section a little over the budget: greedy packing would leave its last sentence alone in a chunk.
    for (const count of [9, 10, 11, 13, 17]) {
      const paragraphs = Array.from({ length: count }, (_, index) => `Paragraph ${index} explains how the pump primes its chamber.`);
      const result = chunkBlocks('even.md', textBlocks('markdown', `# Pump\n\n${paragraphs.join('\n\n')}\n`), { maxTokens: 64, overlapTokens: 8, counter: approximateTokenCounter });
      assert.ok(result.length >= 2, `${count} paragraphs fit one chunk`);
      for (const chunk of result) assert.ok(chunk.tokens <= 64, `${count} paragraphs: a chunk of ${chunk.tokens} tokens`);
      const [last, beforeLast] = [result[result.length - 1]!, result[result.length - 2]!];
      assert.ok(last.tokens >= beforeLast.tokens / 2, `${count} paragraphs: the last chunk has ${last.tokens} tokens after one of ${beforeLast.tokens}`);
      const covered = result.map((chunk) => chunk.text).join('\n');
      for (const paragraph of paragraphs) assert.ok(covered.includes(paragraph), `${paragraph} was lost`);
    }
  });

  it('splits an oversized code block by lines', () => {
    const code = Array.from({ length: 200 }, (_, index) => `    step_${index}()`).join('\n');
    const result = chunkBlocks('code.md', textBlocks('markdown', `# Code\n\n\`\`\`\n${code}\n\`\`\`\n`), { maxTokens: 100, overlapTokens: 0, counter: approximateTokenCounter });
    assert.ok(result.length > 1);
    for (const chunk of result) assert.ok(chunk.tokens <= 100);
    assert.ok(result.every((chunk) => chunk.startLine <= chunk.endLine));
  });
});

describe('other formats', () => {
  it('reStructuredText: section titles by adornment, literal blocks kept with their introduction', () => {
    const chunks = chunkBlocks('manual.rst', textBlocks('rst', read('manual.rst')), budget);
    const lamp = chunks.find((chunk) => chunk.text.includes('Clean the lens'));
    assert.deepEqual(lamp?.headingPath, ['Lighthouse Manual', 'Lamp maintenance']);
    assert.ok(lamp?.text.includes('lamp --status'));
    const fog = chunks.find((chunk) => chunk.text.includes('horn'));
    assert.deepEqual(fog?.headingPath, ['Lighthouse Manual', 'Lamp maintenance', 'Fog signals']);
    assert.equal(fog?.startLine, 18, 'the section starts at its title');
  });

  it('AsciiDoc: = headings and delimited listing blocks', () => {
    const blocks = textBlocks('asciidoc', read('handbook.adoc'));
    const listing = blocks.find((block) => block.text.includes('ticket scan'));
    assert.equal(listing?.kind, 'code');
    assert.deepEqual(listing?.headingPath, ['Ferry Handbook', 'Boarding']);
    const vehicles = chunkBlocks('handbook.adoc', blocks, budget).find((chunk) => chunk.text.includes('Vehicles board first'));
    assert.deepEqual(vehicles?.headingPath, ['Ferry Handbook', 'Boarding', 'Vehicles']);
  });

  it('HTML: text without scripts or styles, entities decoded, headings as path, source line numbers', () => {
    const chunks = chunkBlocks('page.html', textBlocks('html', read('page.html')), budget);
    const all = chunks.map((chunk) => chunk.text).join('\n');
    assert.ok(!all.includes('tracking'));
    assert.ok(!all.includes('color: red'));
    assert.ok(all.includes('published & updated weekly'));
    const mooring = chunks.find((chunk) => chunk.text.includes('pontoon C'));
    assert.deepEqual(mooring?.headingPath, ['Harbour Notes', 'Mooring']);
    assert.equal(mooring?.startLine, 7, 'the section starts at its <h2>');
    assert.ok(mooring?.text.includes('moor --pontoon C\n  --hours 24'));
  });

  it('plain text: paragraphs', () => {
    const blocks = textBlocks('text', read('notes.txt'));
    assert.deepEqual(
      blocks.map((block) => [block.startLine, block.endLine]),
      [
        [1, 2],
        [4, 4],
      ],
    );
  });

  it('PDF: text per page with page numbers', async () => {
    const { blocks } = await pdfBlocks(readFileSync(join(fixtures, 'guide.pdf')), defaultDocumentBudget);
    const chunks = chunkBlocks('guide.pdf', blocks, budget);
    const relay = chunks.find((chunk) => chunk.text.includes('ninety days'));
    assert.equal(relay?.page, 1);
    const contact = chunks.find((chunk) => chunk.text.includes('harbour master'));
    assert.equal(contact?.page, 2);
    assert.ok(!chunks.some((chunk) => chunk.text.includes('ninety') && chunk.text.includes('harbour master')), 'a chunk never spans pages');
  });

  it('knows formats by extension', () => {
    assert.equal(formatOf('a/b/README.MD'), 'markdown');
    assert.equal(formatOf('x.mdx'), 'markdown');
    assert.equal(formatOf('x.adoc'), 'asciidoc');
    assert.equal(formatOf('x.htm'), 'html');
    assert.equal(formatOf('x.ts'), 'code');
  });
});
