import { type OffsetFinding } from './promptFinding';

/**
 * The tags of a Jinja2 template, found with their offsets: @huggingface/jinja's tokenizer gives no positions, so the
 * scanner walks the text itself, skipping string literals inside tags and the body of `{% raw %}`.
 */

export type JinjaTagKind = 'expression' | 'statement' | 'comment';

export interface JinjaTag {
  kind: JinjaTagKind;
  /** Offsets of the whole tag, delimiters included. */
  start: number;
  end: number;
  /** Offsets of the inside, without delimiters and whitespace-control marks. */
  innerStart: number;
  innerEnd: number;
  inner: string;
  /** The statement's keyword (`for`, `endif`, …); empty for expressions and comments. */
  keyword: string;
}

/** Finds the tags of a template with their offsets. Unterminated tags become findings; `{% raw %}` is skipped. */
export function scanJinjaTags(text: string): { tags: JinjaTag[]; findings: OffsetFinding[] } {
  const tags: JinjaTag[] = [];
  const findings: OffsetFinding[] = [];
  let index = 0;
  while (index < text.length) {
    const open = text.indexOf('{', index);
    if (open < 0 || open + 1 >= text.length) break;
    const next = text[open + 1];
    if (next !== '{' && next !== '%' && next !== '#') {
      index = open + 1;
      continue;
    }
    if (next === '#') {
      const close = text.indexOf('#}', open + 2);
      if (close < 0) {
        findings.push({ start: open, end: open + 2, severity: 'error', code: 'jinja-unclosed-comment', message: 'This `{#` comment is never closed: add `#}`.' });
        break;
      }
      tags.push(makeTag('comment', text, open, close + 2));
      index = close + 2;
      continue;
    }
    const closer = next === '{' ? '}}' : '%}';
    const close = findTagEnd(text, open + 2, closer);
    if (close < 0) {
      const what = next === '{' ? '`{{` expression is never closed: add `}}`' : '`{%` statement is never closed: add `%}`';
      findings.push({ start: open, end: open + 2, severity: 'error', code: 'jinja-unclosed-tag', message: `This ${what}.` });
      break;
    }
    const tag = makeTag(next === '{' ? 'expression' : 'statement', text, open, close + 2);
    tags.push(tag);
    index = close + 2;
    if (tag.keyword === 'raw') {
      const endRaw = /\{%-?\s*endraw\s*-?%\}/g;
      endRaw.lastIndex = index;
      const match = endRaw.exec(text);
      if (!match) {
        findings.push({ start: tag.start, end: tag.end, severity: 'error', code: 'jinja-unclosed-block', message: '`{% raw %}` is never closed: add `{% endraw %}`.' });
        break;
      }
      tags.push(makeTag('statement', text, match.index, match.index + match[0].length));
      index = match.index + match[0].length;
    }
  }
  return { tags, findings };
}

/** The closing delimiter's offset, skipping string literals (a `}}` inside quotes does not close the tag). */
function findTagEnd(text: string, from: number, closer: string): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i]!;
    if (c === '"' || c === "'") {
      const partner = findQuoteEnd(text, i + 1, c);
      if (partner >= 0) i = partner;
      continue;
    }
    if (text.startsWith(closer, i)) return i;
    // Another opener before this tag closes means this one was left open.
    if (c === '{' && (text[i + 1] === '%' || text[i + 1] === '{' || text[i + 1] === '#') && text[i + 2] !== '{') return -1;
  }
  return -1;
}

function findQuoteEnd(text: string, from: number, quote: string): number {
  for (let i = from; i < text.length; i++) {
    const c = text[i];
    if (c === '\\') i++;
    else if (c === quote) return i;
    else if (c === '\n') return -1;
  }
  return -1;
}

function makeTag(kind: JinjaTagKind, text: string, start: number, end: number): JinjaTag {
  let innerStart = start + 2;
  let innerEnd = end - 2;
  if (text[innerStart] === '-' || text[innerStart] === '+') innerStart++;
  if (innerEnd > innerStart && (text[innerEnd - 1] === '-' || text[innerEnd - 1] === '+')) innerEnd--;
  const inner = text.slice(innerStart, innerEnd);
  const keyword = kind === 'statement' ? (/^\s*([A-Za-z_]\w*)/.exec(inner)?.[1] ?? '') : '';
  return { kind, start, end, innerStart, innerEnd, inner, keyword };
}
