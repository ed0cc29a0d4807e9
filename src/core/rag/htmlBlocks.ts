import { Parser } from 'htmlparser2';
import { TextPositions } from '../text/lineIndex';
import { type Block, HeadingStack } from './blocks';

const skipped = new Set(['script', 'style', 'noscript', 'template', 'svg', 'head', 'iframe', 'object', 'canvas']);
const blockElements = new Set([
  'p',
  'div',
  'section',
  'article',
  'main',
  'aside',
  'header',
  'footer',
  'li',
  'dt',
  'dd',
  'blockquote',
  'tr',
  'table',
  'ul',
  'ol',
  'dl',
  'figure',
  'figcaption',
  'form',
  'fieldset',
  'details',
  'summary',
  'br',
  'hr',
  'caption',
  'address',
]);

/**
 * HTML to text blocks: headings (h1–h6) build the heading path, `pre` stays whole as code, other block elements end a
 * paragraph. Scripts, styles and other non-content elements are dropped; entities are decoded. Line numbers are those
 * of the HTML source where each block starts and ends.
 */
export function htmlBlocks(source: string): Block[] {
  const positions = new TextPositions(source);
  const lineOf = (offset: number): number => positions.positionAt(offset).line + 1;
  const stack = new HeadingStack();
  const blocks: Block[] = [];
  let path: string[] = [];
  let text = '';
  let startOffset = -1;
  let endOffset = 0;
  let skipDepth = 0;
  let preDepth = 0;
  let headingLevel = 0;
  let title: string | undefined;
  let inTitle = false;
  const flush = (kind: Block['kind']): void => {
    const content =
      kind === 'code'
        ? text.replace(/^\n+|\s+$/g, '')
        : text
            .replace(/[ \t\f\v\u00a0]+/g, ' ')
            .replace(/\s*\n\s*/g, '\n')
            .trim();
    if (content && startOffset >= 0) {
      if (kind === 'heading') {
        path = stack.push(headingLevel, content.replace(/\s+/g, ' '));
        blocks.push({ kind, text: content, startLine: lineOf(startOffset), endLine: lineOf(endOffset), headingPath: path });
      } else {
        blocks.push({ kind, text: content, startLine: lineOf(startOffset), endLine: lineOf(endOffset), headingPath: path });
      }
    }
    text = '';
    startOffset = -1;
  };
  const parser = new Parser(
    {
      onopentag(name) {
        if (name === 'title') inTitle = true;
        if (skipped.has(name)) {
          skipDepth++;
          return;
        }
        if (skipDepth > 0) return;
        if (/^h[1-6]$/.test(name)) {
          flush('prose');
          headingLevel = Number(name.slice(1));
        } else if (name === 'pre') {
          flush('prose');
          preDepth++;
        } else if (blockElements.has(name) && preDepth === 0) {
          if (name === 'br') text += '\n';
          else if (name === 'li' || name === 'tr' || name === 'dt' || name === 'dd') text += '\n';
          else flush('prose');
        } else if ((name === 'td' || name === 'th') && preDepth === 0) {
          text += ' | ';
        }
      },
      ontext(data) {
        if (inTitle && !title) title = data.trim();
        if (skipDepth > 0) return;
        if (startOffset < 0 && data.trim()) startOffset = parser.startIndex;
        if (data.trim() || text) text += data;
        endOffset = parser.endIndex;
      },
      onclosetag(name) {
        if (name === 'title') inTitle = false;
        if (skipped.has(name)) {
          skipDepth = Math.max(0, skipDepth - 1);
          return;
        }
        if (skipDepth > 0) return;
        if (/^h[1-6]$/.test(name)) {
          flush('heading');
          headingLevel = 0;
        } else if (name === 'pre') {
          flush('code');
          preDepth = Math.max(0, preDepth - 1);
        } else if (blockElements.has(name) && preDepth === 0 && name !== 'li' && name !== 'tr' && name !== 'br') {
          flush('prose');
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true },
  );
  parser.write(source);
  parser.end();
  flush(preDepth > 0 ? 'code' : 'prose');
  if (title && !blocks.some((block) => block.kind === 'heading')) {
    return blocks.map((block) => ({ ...block, headingPath: [title ?? ''] }));
  }
  return blocks;
}
