import { type Conversation, type ConversationSummary } from '../../../src/shared/chatViewProtocol';
import { element } from '../lib/vscodeApi';
import { iconButton } from './icons';

/** What the bar's controls do; the app implements these with host requests. */
export interface ConversationBarActions {
  select(conversationId: string): void;
  create(): void;
  rename(conversationId: string, title: string): void;
  export(conversationId: string): void;
  delete(conversationId: string): void;
}

/**
 * The conversation bar above the log: a picker of the workspace's conversations, and New, Rename (in place),
 * Export and Delete (after a confirmation shown in `confirmations`, the view's banner).
 */
export class ConversationBar {
  readonly element: HTMLElement;
  private readonly select: HTMLSelectElement;

  constructor(
    private readonly actions: ConversationBarActions,
    /** The conversation the view shows. */
    private readonly shown: () => Conversation | undefined,
    private readonly confirmations: HTMLElement,
  ) {
    this.select = element('select', { id: 'conversation-select', class: 'conversation-select', 'aria-label': 'Conversation' });
    this.select.addEventListener('change', () => actions.select(this.select.value));
    const button = (id: string, icon: string, label: string, run: () => void) => {
      const b = iconButton({ id, icon, label });
      b.addEventListener('click', run);
      return b;
    };
    this.element = element(
      'header',
      { class: 'chat-header' },
      this.select,
      element(
        'div',
        { class: 'header-actions', role: 'toolbar', 'aria-label': 'Conversation actions' },
        button('new-conversation', 'add', 'New conversation', () => actions.create()),
        button('rename-conversation', 'edit', 'Rename conversation', () => this.startRename()),
        button('export-conversation', 'export', 'Export conversation as Markdown', () => {
          const conversation = this.shown();
          if (conversation) actions.export(conversation.id);
        }),
        button('delete-conversation', 'trash', 'Delete conversation', () => this.confirmDelete()),
      ),
    );
  }

  /** Lists the conversations, the shown one selected (first, when the list does not have it yet). */
  render(summaries: readonly ConversationSummary[]): void {
    const shown = this.shown();
    const options = summaries.map((s) => {
      const o = element('option', { value: s.id }, s.title);
      o.selected = s.id === shown?.id;
      return o;
    });
    if (shown && !summaries.some((s) => s.id === shown.id)) {
      const o = element('option', { value: shown.id }, shown.title);
      o.selected = true;
      options.unshift(o);
    }
    this.select.replaceChildren(...options);
  }

  private startRename(): void {
    const conversation = this.shown();
    if (!conversation || this.element.querySelector('.rename-box')) return;
    const input = element('input', { type: 'text', class: 'rename-input', 'aria-label': 'Conversation title', maxlength: '200' });
    input.value = conversation.title;
    const box = element('div', { class: 'rename-box' }, input);
    let finished = false;
    const finish = (save: boolean) => {
      if (finished) return;
      finished = true;
      box.remove();
      this.select.hidden = false;
      const title = input.value.trim();
      if (save && title && title !== conversation.title) this.actions.rename(conversation.id, title);
      this.select.focus();
    };
    input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') finish(true);
      else if (event.key === 'Escape') finish(false);
    });
    input.addEventListener('blur', () => finish(true));
    this.select.hidden = true;
    this.select.after(box);
    input.focus();
    input.select();
  }

  private confirmDelete(): void {
    const conversation = this.shown();
    if (!conversation || this.confirmations.querySelector('.confirm-delete')) return;
    const yes = element('button', { type: 'button', id: 'confirm-delete' }, 'Delete');
    const no = element('button', { type: 'button', class: 'secondary' }, 'Keep');
    const box = element('div', { class: 'confirm-delete', role: 'alertdialog', 'aria-label': 'Delete conversation?' }, element('span', {}, `Delete “${conversation.title}”?`), yes, no);
    yes.addEventListener('click', () => {
      box.remove();
      this.actions.delete(conversation.id);
    });
    no.addEventListener('click', () => box.remove());
    this.confirmations.prepend(box);
    no.focus();
  }
}
