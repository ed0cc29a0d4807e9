import MarkdownIt from 'markdown-it';
import { type Block, HeadingStack } from './blocks';
import { splitLines } from '../text/lineIndex';

let parser: MarkdownIt | undefined;

/**
 * Markdown (and MDX) to blocks with markdown-it's block parser, which knows fences, lists, tables, HTML blocks and
 * setext headings. Each top-level block keeps its source text, so passages cite exactly what the file says.
 * YAML front matter is dropped; its `title`, when present, heads the document's heading path.
 */
export function markdownBlocks(source: string): Block[] {
  parser ??= new MarkdownIt({ html: true });
  const lines = splitLines(source);
  let offset = 0;
  const stack = new HeadingStack();
  if (lines[0]?.trim() === '---') {
    const end = lines.findIndex((line, index) => index > 0 && (line.trim() === '---' || line.trim() === '...'));
    if (end > 0) {
      const title = lines
        .slice(1, end)
        .map((line) => /^title:\s*["']?(.*?)["']?\s*$/.exec(line)?.[1])
        .find((value) => value);
      if (title) stack.push(0, title);
      offset = end + 1;
    }
  }
  const body = lines.slice(offset).join('\n');
  const tokens = parser.parse(body, {});
  const blocks: Block[] = [];
  let path = stack.path();
  for (let index = 0; index < tokens.length; index++) {
    const token = tokens[index];
    if (!token || token.level !== 0 || !token.map || token.nesting === -1) continue;
    const [start, end] = token.map;
    const startLine = offset + start + 1;
    const endLine = offset + end;
    const text = lines
      .slice(offset + start, offset + end)
      .join('\n')
      .replace(/\s+$/, '');
    if (token.type === 'heading_open') {
      const level = Number(token.tag.slice(1));
      const title = (tokens[index + 1]?.content ?? '').replace(/\s*\{#[^}]*\}\s*$/, '').trim();
      path = stack.push(level, title || text);
      blocks.push({ kind: 'heading', text, startLine, endLine, headingPath: path });
      continue;
    }
    if (!text.trim()) continue;
    const isCode = token.type === 'fence' || token.type === 'code_block';
    blocks.push({ kind: isCode ? 'code' : 'prose', text, startLine, endLine, headingPath: path });
  }
  return blocks;
}
