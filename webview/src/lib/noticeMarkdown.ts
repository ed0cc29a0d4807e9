import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';

/**
 * Notices (hints and warnings about a template, its model and its files) are short Markdown: `code`, emphasis,
 * lists and links. They carry text from outside (file names, model ids, a template's own strings), so they are
 * rendered as the chat renders answers, but narrower: markdown-it's `zero` preset with only those rules and raw HTML
 * off, then DOMPurify with an allow-list of those few tags and no attributes but `href`, which is then removed (a
 * link shows its address as a tooltip and never navigates). The page's CSP (`default-src 'none'`) is the last wall.
 */
const markdown = new MarkdownIt('zero', { html: false, linkify: false, typographer: false }).enable(['backticks', 'emphasis', 'link', 'list', 'newline', 'escape', 'entity']);

const allowedTags = ['p', 'code', 'em', 'strong', 'a', 'ul', 'ol', 'li', 'br'];

export function renderNoticeMarkdown(text: string): DocumentFragment {
  const fragment = DOMPurify.sanitize(markdown.render(text), { ALLOWED_TAGS: allowedTags, ALLOWED_ATTR: ['href'], ALLOW_DATA_ATTR: false, RETURN_DOM_FRAGMENT: true });
  for (const link of fragment.querySelectorAll('a')) {
    const href = link.getAttribute('href');
    link.removeAttribute('href');
    if (href) link.title = href;
  }
  return fragment;
}

/** A notice (`div.notice`) holding the rendered Markdown. */
export function noticeElement(attributes: Record<string, string>, text: string): HTMLDivElement {
  const node = document.createElement('div');
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  node.classList.add('notice');
  node.append(renderNoticeMarkdown(text));
  return node;
}
