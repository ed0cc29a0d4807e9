import {
  type AssistantMessage,
  type ChatErrorCode,
  type ChatMessage,
  type ChatViewCommand,
  type GenerationStats,
  type ModelInput,
  type Passage,
  type StreamProgress,
} from '../../../src/shared/chatViewProtocol';
import { describeRelevance } from '../../../src/shared/relevance';
import { element } from '../lib/vscodeApi';
import { codicon, iconButton } from './icons';
import { citationChip, renderMarkdown, type RenderOptions } from './markdown';
import { StreamingMarkdown } from './streamingMarkdown';

/** What a message's buttons do; the app implements these with host requests. */
export interface MessageActions {
  openCitation(passage: Passage): void;
  retry(messageId: string): void;
  addToDataset(messageId: string, editedAnswer?: string): Promise<boolean>;
  copy(text: string): void;
  runCommand(command: ChatViewCommand): void;
  /** Picks the workspace's chat model for this conversation, then answers the failed question `retryMessageId` again. */
  pickChatModel(retryMessageId?: string): void;
  focusSetting(setting: 'model' | 'maxTokens' | 'rag'): void;
  /** "Prefer this answer" on one answer of a compare. */
  prefer(messageId: string): void;
  /** How a model reference is shown (the registry's label). */
  modelLabel(ref: string): string;
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** A finished compare answer's figures: time to first token, decoding speed, tokens, total time. */
function finalFigures(s: GenerationStats): string[] {
  const figures = [`first token ${formatMs(s.timeToFirstTokenMs)}`, `${s.tokensPerSecond.toFixed(1)} tokens/s`, `${s.completionTokens} tokens`, `total ${formatMs(s.totalMs)}`];
  if (s.finishReason === 'length') figures.push('cut at max tokens');
  return figures;
}

/** The same figures while the answer streams, from the host's count so far (or as far as it went, `ending` how it ended). */
function liveFigures(p: StreamProgress, ending?: string): string[] {
  const decodingSeconds = (p.elapsedMs - p.timeToFirstTokenMs) / 1000;
  const rate = decodingSeconds > 0 ? Math.max(0, p.completionTokens - 1) / decodingSeconds : 0;
  return [
    `first token ${formatMs(p.timeToFirstTokenMs)}`,
    `${rate.toFixed(1)} tokens/s`,
    `${p.completionTokens} tokens`,
    ending ? `${ending} ${formatMs(p.elapsedMs)}` : `${formatMs(p.elapsedMs)} so far`,
  ];
}

const errorActions: Record<ChatErrorCode, { label: string; run: (a: MessageActions, id: string) => void }[]> = {
  'model-missing': [
    { label: 'Choose a model', run: (a) => a.focusSetting('model') },
    { label: 'Pick Chat Model…', run: (a, id) => a.pickChatModel(id) },
  ],
  'context-too-long': [
    { label: 'Lower max tokens', run: (a) => a.focusSetting('maxTokens') },
    { label: 'Retrieve fewer passages', run: (a) => a.focusSetting('rag') },
  ],
  'engine-failure': [
    { label: 'Retry', run: (a, id) => a.retry(id) },
    { label: 'Show Logs', run: (a) => a.runCommand('chatwright.showLogs') },
  ],
  'backend-unavailable': [
    { label: 'Retry', run: (a, id) => a.retry(id) },
    { label: 'Choose a model', run: (a) => a.focusSetting('model') },
    { label: 'Open Settings', run: (a) => a.runCommand('chatwright.openSettings') },
  ],
  'invalid-request': [{ label: 'Show Logs', run: (a) => a.runCommand('chatwright.showLogs') }],
  cancelled: [{ label: 'Retry', run: (a, id) => a.retry(id) }],
};

/**
 * A message's text with the retrieved passages it carries replaced by a pointer to the list above, so each passage is
 * shown once. Found by the passages' own header lines and text; when they are not there verbatim, the text is kept whole.
 */
/** The retriever's own numbers, for the tooltip: they compare only within one search, so the row shows rank and relevance. */
function rawScores(passage: Passage): string {
  const parts = Object.entries(passage.scores ?? {}).map(([name, value]) => `${name} ${value.toFixed(3)}`);
  return `score ${passage.score.toFixed(3)}${parts.length > 0 ? ` (${parts.join(', ')})` : ''}`;
}

function withPassagesCollapsed(content: string, passages: readonly Passage[]): (string | Node)[] {
  const first = passages[0];
  const last = passages.at(-1);
  if (!first || !last) return [content];
  const header = (p: Passage) => `[${p.index}] ${p.file}:${p.startLine}-${p.endLine}`;
  const start = content.indexOf(header(first));
  const lastHeader = start < 0 ? -1 : content.indexOf(header(last), start);
  const lastText = last.text.trim();
  const lastTextAt = lastHeader < 0 ? -1 : content.indexOf(lastText, lastHeader);
  if (lastTextAt < 0) return [content];
  const note = `[the ${passages.length === 1 ? 'retrieved passage' : `${passages.length} retrieved passages`}, shown above]`;
  return [content.slice(0, start), element('span', { class: 'passages-ref' }, codicon('references'), ` ${note}`), content.slice(lastTextAt + lastText.length)];
}

/**
 * One message in the list. User messages are plain text (the user's own words, shown as typed); answers are
 * Markdown, rendered lazily: until the message nears the viewport it shows its text only, which costs nothing,
 * so a 200-message conversation opens at once.
 */
export class MessageView {
  readonly element: HTMLElement;
  private readonly body: HTMLElement;
  private readonly footer: HTMLElement;
  /** A compare answer's head: its side, its model and its stats as they arrive. */
  private readonly compareHead: HTMLElement | undefined;
  private progress: StreamProgress | undefined;
  private message: ChatMessage;
  private readonly plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  /** Whether the body shows rendered Markdown (else plain text, pending). */
  rendered = false;

  constructor(
    message: ChatMessage,
    private readonly actions: MessageActions,
  ) {
    this.message = message;
    const isUser = message.role === 'user';
    this.body = element('div', { class: 'message-body' });
    this.footer = element('div', { class: 'message-footer' });
    const compare = message.role === 'assistant' ? message.compare : undefined;
    if (compare) this.compareHead = element('header', { class: 'compare-head' });
    this.element = element(
      'article',
      {
        class: `message ${message.role}${compare ? ' compared' : ''}`,
        'data-message-id': message.id,
        'aria-label': isUser ? 'You said' : compare ? `Answer ${compare.slot.toUpperCase()}` : 'Assistant answered',
        tabindex: '-1',
        ...(compare ? { 'data-slot': compare.slot } : {}),
      },
      this.compareHead ?? element('div', { class: 'message-role', 'aria-hidden': 'true' }, isUser ? 'You' : 'Assistant'),
      this.body,
      this.footer,
    );
    this.showPlain();
    this.renderFooter();
  }

  /** A reasoning model's thinking, folded above the answer; made once, so that opening it survives the stream. */
  private reasoningBlock: { details: HTMLDetailsElement; summary: HTMLElement; text: HTMLElement } | undefined;

  /** Shows the thinking as plain text (inert: nothing in it is markup), "Thinking…" while it streams. */
  private renderReasoning(): void {
    const message = this.message;
    if (message.role !== 'assistant' || !message.reasoning) {
      // A retried answer starts without the thinking of the one it replaces.
      this.reasoningBlock?.details.remove();
      this.reasoningBlock = undefined;
      return;
    }
    if (!this.reasoningBlock) {
      const summary = element('summary', {});
      const text = element('div', { class: 'reasoning-text' });
      const details = element('details', { class: 'reasoning' }, summary, text);
      this.body.before(details);
      this.reasoningBlock = { details, summary, text };
    }
    const thinking = message.status === 'streaming' && message.reasoningMs === undefined;
    const label = thinking ? 'Thinking…' : message.reasoningMs !== undefined ? `Thought for ${Math.max(1, Math.round(message.reasoningMs / 1000))} s` : 'Thought';
    if (this.reasoningBlock.summary.textContent !== label) this.reasoningBlock.summary.textContent = label;
    this.reasoningBlock.details.classList.toggle('thinking', thinking);
    this.reasoningBlock.text.textContent = message.reasoning;
  }

  get id(): string {
    return this.message.id;
  }

  get current(): ChatMessage {
    return this.message;
  }

  private showPlain(): void {
    this.renderReasoning();
    this.body.textContent = this.message.content;
    this.rendered = this.message.role === 'user';
    this.body.classList.toggle('plain', this.message.role === 'user');
  }

  private streaming: StreamingMarkdown | undefined;

  private renderOptions(): RenderOptions {
    const message = this.message;
    return { citations: new Set(message.role === 'assistant' ? (message.input?.passages ?? []).map((p) => p.index) : []) };
  }

  /** Renders the Markdown (answers). While streaming, only the new part is rendered (see StreamingMarkdown). */
  renderBody(): void {
    const message = this.message;
    if (message.role === 'user') return;
    this.renderReasoning();
    if (message.status === 'streaming') {
      this.streaming ??= new StreamingMarkdown(this.body, () => this.renderOptions());
      this.streaming.update(message.content, element('span', { class: 'cursor', 'aria-hidden': 'true' }));
    } else {
      this.streaming = undefined;
      this.body.replaceChildren(renderMarkdown(message.content, this.renderOptions()));
    }
    this.rendered = true;
  }

  /** Takes the answer with more streamed text; it shows at the next `renderBody` (the render scheduler's frame). */
  streamed(message: AssistantMessage, progress?: StreamProgress): void {
    this.message = message;
    if (progress && this.compareHead) {
      this.progress = progress;
      this.renderCompareHead();
    }
  }

  /** Side, model and stats of a compare answer: live while it streams, the backend's own once it ends. */
  private renderCompareHead(): void {
    const message = this.message;
    if (!this.compareHead || message.role !== 'assistant' || !message.compare) return;
    const slot = message.compare.slot.toUpperCase();
    const model = message.model ? this.actions.modelLabel(message.model) : 'No model';
    const ending = message.status === 'error' ? 'failed after' : message.status === 'stopped' ? 'stopped after' : undefined;
    const figures = message.stats ? finalFigures(message.stats) : this.progress ? liveFigures(this.progress, ending) : [];
    const head = [
      element('span', { class: 'compare-slot', 'aria-hidden': 'true' }, slot),
      element('span', { class: 'compare-model', title: message.model ?? '' }, model),
      ...(message.preferred ? [element('span', { class: 'compare-preferred' }, codicon('star-full'), ' Preferred')] : []),
    ];
    const stats = element(
      'p',
      { class: 'compare-stats', 'aria-label': `Stats: ${figures.join(', ') || 'waiting for the first token'}` },
      figures.join(' · ') || (message.status === 'streaming' ? 'Waiting for the first token…' : ''),
    );
    this.compareHead.replaceChildren(element('div', { class: 'compare-title' }, ...head), stats);
  }

  update(message: ChatMessage): void {
    // A retried answer starts over: its streamed blocks are gone.
    if (message.role === 'assistant' && message.status === 'streaming' && message.content.length < this.message.content.length) this.streaming = undefined;
    this.message = message;
    this.element.setAttribute('aria-busy', String(message.role === 'assistant' && message.status === 'streaming'));
    if (this.rendered || message.role === 'user') {
      if (message.role === 'user') this.showPlain();
      else this.renderBody();
    } else this.showPlain();
    this.renderFooter();
  }

  private renderFooter(): void {
    const message = this.message;
    if (message.role !== 'assistant') {
      this.footer.replaceChildren();
      return;
    }
    this.renderCompareHead();
    this.element.dataset.status = message.status;
    const parts: Node[] = [];
    if (message.status === 'error' && message.error) parts.push(this.errorBox(message, message.error.code, message.error.message));
    if (message.status === 'stopped') parts.push(element('p', { class: 'stopped-note' }, 'Stopped.'));
    const passages = message.input?.passages ?? [];
    if (passages.length > 0) parts.push(this.sources(passages, message.content));
    // A compare answer shows its stats in its head, where the two answers' figures line up.
    if (message.stats && !message.compare) parts.push(this.stats(message));
    if (message.input) parts.push(this.modelInput(message.input));
    if (message.status !== 'streaming') parts.push(this.actionsBar(message));
    this.footer.replaceChildren(...parts);
  }

  private errorBox(message: AssistantMessage, code: ChatErrorCode, text: string): HTMLElement {
    const box = element('div', { class: 'error-box', role: 'alert', 'data-code': code }, element('p', { class: 'error-text' }, text));
    const buttons = element('div', { class: 'actions' });
    for (const action of errorActions[code]) {
      const button = element('button', { type: 'button', class: 'secondary' }, action.label);
      button.addEventListener('click', () => action.run(this.actions, message.id));
      buttons.append(button);
    }
    box.append(buttons);
    return box;
  }

  private sources(passages: readonly Passage[], answer: string): HTMLElement {
    const cited = new Set([...answer.matchAll(/\[(\d+(?:\s*,\s*\d+)*)\]/g)].flatMap((m) => m[1]!.split(',').map((n) => Number(n.trim()))));
    const list = element('div', { class: 'sources', role: 'list', 'aria-label': 'Sources' }, element('span', { class: 'sources-label' }, 'Sources'));
    for (const passage of passages) {
      const lines = passage.startLine === passage.endLine ? `${passage.startLine}` : `${passage.startLine}-${passage.endLine}`;
      const name = passage.file.split('/').pop() ?? passage.file;
      const chip = citationChip(passage.index, `${passage.index} ${name}:${lines}`, `Open ${passage.file}, lines ${lines}${passage.headingPath.length ? ` (${passage.headingPath.join(' › ')})` : ''}`);
      chip.setAttribute('role', 'listitem');
      if (cited.has(passage.index)) chip.classList.add('cited');
      list.append(chip);
    }
    return list;
  }

  private stats(message: AssistantMessage): HTMLElement {
    const s = message.stats!;
    const text = [`${s.promptTokens} prompt tokens`, `${s.completionTokens} tokens`, `first token ${formatMs(s.timeToFirstTokenMs)}`, `${s.tokensPerSecond.toFixed(1)} tokens/s`];
    if (s.finishReason === 'length') text.push('cut at max tokens');
    return element('p', { class: 'stats', 'aria-label': `Stats: ${text.join(', ')}` }, text.join(' · '));
  }

  private modelInput(input: ModelInput): HTMLElement {
    const details = element('details', { class: 'model-input' });
    const counts = [
      this.plural(input.messages.length, 'message'),
      input.template ? `template ${input.template}` : 'no template',
      this.plural(input.examples.length, 'example'),
      this.plural(input.passages.length, 'passage'),
    ];
    details.append(element('summary', {}, `What the model saw (${counts.join(', ')})`));
    for (const note of input.notes) details.append(element('p', { class: 'note' }, note));
    if (input.passages.length > 0) {
      const table = element('ol', { class: 'passages', 'aria-label': 'Retrieved passages' });
      const relevance = describeRelevance(input.passages.map((p) => p.score));
      input.passages.forEach((p, position) => {
        const where = `${p.file}:${p.startLine}-${p.endLine}${p.headingPath.length ? ` — ${p.headingPath.join(' › ')}` : ''}`;
        const shown = relevance[position]!;
        const spoken = shown.percent === undefined ? `rank ${shown.rank}` : `rank ${shown.rank}, ${shown.percent}% of the best passage's score`;
        const head = element(
          'div',
          { class: 'passage-head' },
          `[${p.index}] ${where} · `,
          element('span', { class: 'passage-relevance', role: 'img', title: rawScores(p), 'aria-label': spoken }, shown.text),
        );
        table.append(element('li', {}, head, element('pre', { class: 'passage-text' }, p.text)));
      });
      details.append(element('h4', {}, 'Retrieved passages'), table);
    }
    if (input.examples.length > 0) {
      details.append(element('h4', {}, 'Few-shot examples'), element('ul', { class: 'examples' }, ...input.examples.map((e) => element('li', {}, `${e.source}: ${e.messages.length} turns`))));
    }
    const transcript = element('div', { class: 'transcript' });
    for (const m of input.messages)
      transcript.append(
        element('div', { class: `turn ${m.role}` }, element('span', { class: 'turn-role' }, m.role), element('pre', { class: 'turn-text' }, ...withPassagesCollapsed(m.content, input.passages))),
      );
    details.append(element('h4', {}, `Messages sent to ${input.model}`), transcript);
    return details;
  }

  private actionsBar(message: AssistantMessage): HTMLElement {
    const bar = element('div', { class: 'message-actions', role: 'toolbar', 'aria-label': 'Answer actions' });
    const copy = iconButton({ icon: 'copy', label: 'Copy answer', attributes: { 'data-action': 'copy' } });
    copy.addEventListener('click', () => this.actions.copy(message.content));
    bar.append(copy);
    if (message.status !== 'error' && message.content.trim()) {
      const add = iconButton({ icon: 'add', label: 'Add to dataset', text: 'Add to dataset', attributes: { 'data-action': 'add-to-dataset' } });
      add.addEventListener('click', () => void this.actions.addToDataset(message.id));
      const edit = iconButton({ icon: 'edit', label: 'Edit & add to dataset…', text: 'Edit & add…', attributes: { 'data-action': 'edit-and-add' } });
      edit.addEventListener('click', () => this.openEditor(message));
      bar.append(add, edit);
    }
    if (message.compare && message.status !== 'error' && message.content.trim()) {
      const preferred = message.preferred === true;
      const prefer = iconButton({
        icon: preferred ? 'star-full' : 'star-empty',
        label: preferred ? 'Preferred: later questions continue from this answer' : 'Prefer this answer: later questions continue from it',
        text: preferred ? 'Preferred' : 'Prefer this answer',
        attributes: { 'data-action': 'prefer', 'aria-pressed': String(preferred) },
      });
      prefer.addEventListener('click', () => !preferred && this.actions.prefer(message.id));
      bar.append(prefer);
    }
    if (message.status === 'error' || message.status === 'stopped') {
      const retry = iconButton({ icon: 'refresh', label: 'Retry', text: 'Retry', attributes: { 'data-action': 'retry' } });
      retry.addEventListener('click', () => this.actions.retry(message.id));
      bar.append(retry);
    }
    return bar;
  }

  /** "Edit & add": the answer in a text box, so the user can write the answer the model should have given. */
  private openEditor(message: AssistantMessage): void {
    if (this.footer.querySelector('.answer-editor')) return;
    const textarea = element('textarea', { class: 'answer-editor-text', 'aria-label': 'Answer to add to the dataset', rows: '8' });
    textarea.value = message.content;
    const add = element('button', { type: 'button' }, 'Add to dataset');
    const cancel = element('button', { type: 'button', class: 'secondary' }, 'Cancel');
    const editor = element('div', { class: 'answer-editor' }, textarea, element('div', { class: 'actions' }, add, cancel));
    cancel.addEventListener('click', () => editor.remove());
    add.addEventListener('click', () => {
      void this.actions.addToDataset(message.id, textarea.value).then((added) => {
        if (added) editor.remove();
      });
    });
    this.footer.append(editor);
    textarea.focus();
  }
}
