import { element } from '../lib/vscodeApi';

/** The most lines kept: the page shows a tail, "Show log" opens the whole file. */
export const maxLogLines = 1000;

/**
 * The tail of the run's log. Lines are untrusted (the trainer prints what libraries print, dataset text included):
 * each is a text node. It follows new lines while scrolled to the bottom, and stays put when the user scrolled up.
 */
export class LogView {
  readonly root: HTMLElement;
  private readonly output: HTMLElement;
  private readonly empty: HTMLElement;
  private count = 0;

  constructor() {
    this.output = element('pre', { class: 'log-tail', id: 'log-tail', tabindex: '0', 'aria-label': 'Log tail' });
    this.empty = element('p', { class: 'hint', id: 'log-empty' }, 'Nothing logged yet.');
    this.root = element('section', { class: 'run-section', id: 'log' }, element('h2', {}, 'Log'), this.empty, this.output);
    this.output.hidden = true;
  }

  append(lines: string[], reset: boolean): void {
    const atBottom = this.output.scrollTop + this.output.clientHeight >= this.output.scrollHeight - 4;
    if (reset) {
      this.output.replaceChildren();
      this.count = 0;
    }
    const fragment = document.createDocumentFragment();
    for (const line of lines.slice(-maxLogLines)) fragment.append(element('div', { class: 'log-line' }, line));
    this.output.append(fragment);
    this.count += Math.min(lines.length, maxLogLines);
    while (this.count > maxLogLines && this.output.firstChild) {
      this.output.firstChild.remove();
      this.count--;
    }
    this.output.hidden = this.count === 0;
    this.empty.hidden = this.count > 0;
    if (atBottom || reset) this.output.scrollTop = this.output.scrollHeight;
  }
}
