import DOMPurify from 'dompurify';
import MarkdownIt from 'markdown-it';

/**
 * Model answers and retrieved documents are untrusted. They are rendered by markdown-it with raw HTML off (so
 * `<script>` or `<img onerror>` in the text stay text), then sanitized by DOMPurify as a second wall (no SVG, MathML,
 * forms, styles or event attributes), and every link loses its href: clicks go to the host, which opens workspace
 * files itself and external addresses only after the user confirms. Images are not loaded (no tracking pixels);
 * they become links. The CSP (`default-src 'none'`, nonce scripts) is the third wall.
 */
const markdown = new MarkdownIt({ html: false, linkify: true, breaks: false, typographer: false });

// Images render as a link to their address, never as <img>.
markdown.renderer.rules.image = (tokens, index, _options, _env, self) => {
  const token = tokens[index]!;
  const src = token.attrGet('src') ?? '';
  const alt = self.renderInlineAsText(token.children ?? [], _options, _env) || 'image';
  return `<a href="${markdown.utils.escapeHtml(src)}" class="image-link">${markdown.utils.escapeHtml(`[image: ${alt}]`)}</a>`;
};

const purifyConfig = {
  USE_PROFILES: { html: true },
  FORBID_TAGS: ['style', 'img', 'svg', 'math', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'video', 'audio', 'source', 'link', 'meta', 'base'],
  FORBID_ATTR: ['style', 'srcset', 'action', 'formaction', 'xlink:href'],
  ALLOW_DATA_ATTR: false,
};

export interface RenderOptions {
  /** Citation numbers that exist for this answer: `[n]` in the text becomes a chip for each. */
  citations?: ReadonlySet<number>;
}

/** Renders Markdown to sanitized, inert DOM: links are defused (`data-href`), code blocks get copy buttons. */
export function renderMarkdown(text: string, options: RenderOptions = {}): DocumentFragment {
  const html = markdown.render(text);
  const fragment = DOMPurify.sanitize(html, { ...purifyConfig, RETURN_DOM_FRAGMENT: true });
  for (const link of fragment.querySelectorAll('a')) {
    const href = link.getAttribute('href');
    link.removeAttribute('href');
    link.removeAttribute('target');
    if (href) {
      link.dataset.href = href;
      link.setAttribute('role', 'link');
      link.tabIndex = 0;
      link.title = href;
    }
  }
  for (const pre of fragment.querySelectorAll('pre')) decorateCodeBlock(pre);
  if (options.citations && options.citations.size > 0) linkCitations(fragment, options.citations);
  return fragment;
}

function decorateCodeBlock(pre: HTMLPreElement): void {
  const code = pre.querySelector('code');
  const language = /language-([\w+#.-]+)/.exec(code?.className ?? '')?.[1];
  const wrapper = document.createElement('div');
  wrapper.className = 'code-block';
  const bar = document.createElement('div');
  bar.className = 'code-bar';
  const label = document.createElement('span');
  label.className = 'code-language';
  label.textContent = language ?? '';
  const copy = document.createElement('button');
  copy.type = 'button';
  copy.className = 'icon-button copy-code';
  copy.textContent = 'Copy';
  copy.setAttribute('aria-label', `Copy ${language ?? ''} code`.replace(/\s+/g, ' '));
  bar.append(label, copy);
  pre.replaceWith(wrapper);
  wrapper.append(bar, pre);
}

/** `[1]` or `[1, 2]` outside code becomes citation chips for the numbers that are real passages. */
function linkCitations(root: DocumentFragment, known: ReadonlySet<number>): void {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.parentElement?.closest('code, pre, a') ? NodeFilter.FILTER_REJECT : /\[\d/.test(node.nodeValue ?? '') ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_SKIP),
  });
  const nodes: Text[] = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) nodes.push(node as Text);
  for (const node of nodes) {
    const text = node.nodeValue ?? '';
    const pattern = /\[(\d+(?:\s*,\s*\d+)*)\]/g;
    const parts: (string | Node)[] = [];
    let last = 0;
    for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
      const numbers = match[1]!.split(',').map((n) => Number(n.trim()));
      if (!numbers.every((n) => known.has(n))) continue;
      parts.push(text.slice(last, match.index));
      for (const n of numbers) parts.push(citationChip(n));
      last = match.index + match[0].length;
    }
    if (parts.length === 0) continue;
    parts.push(text.slice(last));
    node.replaceWith(...parts);
  }
}

export function citationChip(n: number, label = String(n), title = `Open source ${n}`): HTMLButtonElement {
  const chip = document.createElement('button');
  chip.type = 'button';
  chip.className = 'citation';
  chip.dataset.citation = String(n);
  chip.textContent = label;
  chip.title = title;
  chip.setAttribute('aria-label', title);
  return chip;
}
