import { type ChatSettings, type ChatViewState } from '../../../src/shared/chatViewProtocol';
import { element } from '../lib/vscodeApi';
import { checkbox, codicon, iconButton } from './icons';

export interface ComposerCallbacks {
  send(text: string): Promise<boolean>;
  stop(): void;
  settingsChanged(settings: ChatSettings): void;
}

let uniqueId = 0;
function labelled<T extends HTMLElement>(label: string, control: T, hint?: string, className = 'field'): HTMLElement {
  control.id ||= `composer-control-${++uniqueId}`;
  return element('label', { class: className, for: control.id, ...(hint ? { title: hint } : {}) }, element('span', { class: 'field-label' }, label), control);
}

function option(value: string, label: string, selected: boolean): HTMLOptionElement {
  const o = element('option', { value }, label);
  o.selected = selected;
  return o;
}

/**
 * The composer: a growing text box (Enter sends, Shift+Enter is a new line, Escape stops), Send/Stop, and the
 * conversation's settings — model, template, few-shot, RAG, temperature, max tokens — which apply to the next answer.
 */
export class Composer {
  readonly element: HTMLElement;
  readonly input: HTMLTextAreaElement;
  private readonly sendButton: HTMLButtonElement;
  private readonly settingsBox: HTMLElement;
  private settings: ChatSettings | undefined;
  private state: ChatViewState | undefined;
  private streaming = false;
  /** Turns compare on (a second model picker appears) and off again. */
  readonly compareToggle: HTMLButtonElement;
  private readonly compareField: HTMLElement;
  readonly controls: {
    model: HTMLSelectElement;
    compareModel: HTMLSelectElement;
    template: HTMLSelectElement;
    fewShot: HTMLInputElement;
    fewShotK: HTMLInputElement;
    examplesFile: HTMLSelectElement;
    rag: HTMLInputElement;
    ragK: HTMLInputElement;
    index: HTMLSelectElement;
    temperature: HTMLInputElement;
    maxTokens: HTMLInputElement;
  };

  constructor(private readonly callbacks: ComposerCallbacks) {
    this.input = element('textarea', {
      id: 'composer-input',
      class: 'composer-input',
      rows: '1',
      placeholder: 'Ask a question (Enter to send, Shift+Enter for a new line)',
      'aria-label': 'Message',
      'aria-describedby': 'composer-hint',
    });
    this.sendButton = iconButton({ icon: 'send', label: 'Send', id: 'send-button', className: 'send' });
    this.controls = {
      model: element('select', { id: 'setting-model', 'aria-label': 'Model' }),
      compareModel: element('select', { id: 'setting-compare-model', 'aria-label': 'Compare with model' }),
      template: element('select', { id: 'setting-template', 'aria-label': 'Prompt template' }),
      fewShot: element('input', { id: 'setting-few-shot', type: 'checkbox', 'aria-label': 'Few-shot examples' }),
      fewShotK: element('input', { id: 'setting-few-shot-k', type: 'number', min: '0', max: '50', step: '1', 'aria-label': 'Number of few-shot examples' }),
      examplesFile: element('select', { id: 'setting-examples-file', 'aria-label': 'Few-shot examples file' }),
      rag: element('input', { id: 'setting-rag', type: 'checkbox', 'aria-label': 'Retrieval (RAG)' }),
      ragK: element('input', { id: 'setting-rag-k', type: 'number', min: '1', max: '50', step: '1', 'aria-label': 'Number of passages to retrieve' }),
      index: element('select', { id: 'setting-index', 'aria-label': 'Index' }),
      temperature: element('input', { id: 'setting-temperature', type: 'number', min: '0', max: '2', step: '0.1', 'aria-label': 'Temperature' }),
      maxTokens: element('input', { id: 'setting-max-tokens', type: 'number', min: '1', max: '32768', step: '1', 'aria-label': 'Maximum new tokens' }),
    };
    const c = this.controls;
    this.compareToggle = element(
      'button',
      {
        type: 'button',
        id: 'compare-toggle',
        class: 'secondary compare-toggle',
        'aria-pressed': 'false',
        'aria-controls': 'compare-field',
        title: 'Ask a second model the same question and see both answers side by side',
      },
      codicon('split-horizontal'),
      element('span', {}, 'Compare'),
    );
    this.compareToggle.addEventListener('click', () => this.setCompare(this.compareToggle.getAttribute('aria-pressed') !== 'true'));
    const removeCompare = iconButton({ icon: 'close', label: 'Stop comparing', id: 'compare-remove' });
    removeCompare.addEventListener('click', () => {
      this.setCompare(false);
      this.compareToggle.focus();
    });
    this.compareField = element(
      'div',
      { class: 'field-row compare-field', id: 'compare-field' },
      labelled('Compare with', c.compareModel, 'The second model that answers each question, side by side'),
      removeCompare,
    );
    this.compareField.hidden = true;
    // One setting per line, the choice lists at full width: a sidebar is often under 300 pixels wide.
    this.settingsBox = element(
      'div',
      { class: 'settings', role: 'group', 'aria-label': 'Conversation settings' },
      element('div', { class: 'field-row model-row' }, labelled('Model', c.model, 'The model that answers in this conversation'), this.compareToggle),
      this.compareField,
      labelled('Template', c.template, 'A .prompty template from the workspace'),
      element(
        'div',
        { class: 'setting-group' },
        element('div', { class: 'field-row' }, checkbox(c.fewShot, 'Few-shot examples'), labelled('k', c.fewShotK, 'How many examples', 'field inline')),
        labelled('From', c.examplesFile, 'A JSONL file of messages rows, or the examples in the template'),
      ),
      element(
        'div',
        { class: 'setting-group' },
        element('div', { class: 'field-row' }, checkbox(c.rag, 'Retrieval (RAG)'), labelled('k', c.ragK, 'How many passages', 'field inline')),
        labelled('Index', c.index, 'Which document index to search'),
      ),
      labelled('Temperature', c.temperature, '0 answers the same way every time; higher varies more'),
      labelled('Max tokens', c.maxTokens, 'Most tokens an answer may have'),
      this.version,
    );
    const toggle = element(
      'button',
      { type: 'button', class: 'icon-button settings-toggle', 'aria-expanded': 'false', 'aria-controls': 'composer-settings', title: 'Conversation settings' },
      codicon('settings-gear'),
      element('span', { class: 'icon-button-text' }, 'Settings'),
      codicon('chevron-up'),
    );
    this.settingsBox.id = 'composer-settings';
    this.settingsBox.hidden = true;
    toggle.addEventListener('click', () => this.setSettingsOpen(this.settingsBox.hidden));
    this.summary = element('span', { class: 'settings-summary', id: 'settings-summary' });
    this.element = element(
      'form',
      { class: 'composer', 'aria-label': 'Ask the chatbot' },
      this.settingsBox,
      element('div', { class: 'composer-row' }, this.input, this.sendButton),
      element(
        'div',
        { class: 'composer-meta' },
        toggle,
        this.summary,
        element('span', { id: 'composer-hint', class: 'visually-hidden' }, 'Enter sends, Shift+Enter adds a line, Escape stops the answer.'),
      ),
    );
    this.element.addEventListener('submit', (event) => event.preventDefault());
    this.input.addEventListener('keydown', (event) => {
      if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        void this.submit();
      } else if (event.key === 'Escape' && this.streaming) {
        event.preventDefault();
        this.callbacks.stop();
      }
    });
    this.input.addEventListener('input', () => this.autosize());
    // The placeholder wraps in a narrow view: size the box whenever its width changes (first layout included).
    let width = 0;
    new ResizeObserver(([entry]) => {
      if (!entry || entry.contentRect.width === width) return;
      width = entry.contentRect.width;
      this.autosize();
    }).observe(this.input);
    this.sendButton.addEventListener('click', () => (this.streaming ? this.callbacks.stop() : void this.submit()));
    for (const control of Object.values(this.controls)) control.addEventListener('change', () => this.readSettings());
  }

  private readonly summary: HTMLElement;
  private readonly version = element('p', { class: 'hint version', id: 'extension-version' });

  private autosize(): void {
    this.input.style.height = 'auto';
    this.input.style.height = `${Math.min(this.input.scrollHeight, 240)}px`;
  }

  private async submit(): Promise<void> {
    const text = this.input.value;
    if (!text.trim() || this.streaming) return;
    this.input.value = '';
    this.autosize();
    if (!(await this.callbacks.send(text))) {
      // Not sent (e.g. the host refused): give the text back rather than losing it.
      if (!this.input.value) this.input.value = text;
    }
  }

  setStreaming(streaming: boolean): void {
    this.streaming = streaming;
    this.sendButton.replaceChildren(codicon(streaming ? 'debug-stop' : 'send'));
    this.sendButton.setAttribute('aria-label', streaming ? 'Stop the answer' : 'Send');
    this.sendButton.title = streaming ? 'Stop the answer (Escape)' : 'Send (Enter)';
    this.sendButton.classList.toggle('stop', streaming);
    this.sendButton.id = streaming ? 'stop-button' : 'send-button';
  }

  private setSettingsOpen(open: boolean): void {
    this.settingsBox.hidden = !open;
    const toggle = this.element.querySelector('.settings-toggle');
    toggle?.setAttribute('aria-expanded', String(open));
    toggle?.querySelector('.codicon-chevron-up, .codicon-chevron-down')?.setAttribute('class', `codicon codicon-chevron-${open ? 'down' : 'up'}`);
  }

  showSettings(focus?: HTMLElement): void {
    this.setSettingsOpen(true);
    focus?.focus();
  }

  /** The model the next answer uses: the conversation's own choice, else the workspace's chat model. */
  private effectiveModel(): string | undefined {
    const workspace = this.state?.chatModel;
    return this.settings?.model ?? (workspace?.kind === 'selected' ? workspace.ref : undefined);
  }

  update(state: ChatViewState, settings: ChatSettings): void {
    this.state = state;
    this.settings = settings;
    this.version.textContent = `Version ${state.extensionVersion}`;
    const c = this.controls;
    // The empty choice follows the workspace's chat model; the backends' models are grouped so each line stays short.
    const workspace = state.chatModel.kind === 'selected' ? state.chatModel : undefined;
    const follow = option('', workspace ? `Workspace model: ${workspace.label}` : state.models.length ? 'Choose a model…' : 'No model available', !settings.model);
    const groups = new Map<string, HTMLOptGroupElement>();
    for (const m of state.models) {
      let group = groups.get(m.backendLabel);
      if (!group) groups.set(m.backendLabel, (group = element('optgroup', { label: m.backendLabel })));
      group.append(option(m.ref, m.label, m.ref === settings.model));
    }
    const missing = settings.model && !state.models.some((m) => m.ref === settings.model) ? [option(settings.model, `${settings.model} (not available)`, true)] : [];
    c.model.replaceChildren(follow, ...missing, ...groups.values());
    this.renderCompare(state, settings);
    const templates = state.templates.map((t) => option(t, t, t === settings.template));
    if (settings.template && !state.templates.includes(settings.template)) templates.unshift(option(settings.template, `${settings.template} (missing)`, true));
    c.template.replaceChildren(option('', 'None', !settings.template), ...templates);
    c.fewShot.checked = settings.fewShot.enabled;
    c.fewShotK.value = String(settings.fewShot.k);
    c.examplesFile.replaceChildren(option('', "The template's", !settings.fewShot.examplesFile), ...state.examplesFiles.map((f) => option(f, f, f === settings.fewShot.examplesFile)));
    c.rag.checked = settings.rag.enabled;
    c.ragK.value = String(settings.rag.k);
    c.index.replaceChildren(option('', state.indexes.length ? 'Default' : 'No index yet', !settings.rag.index), ...state.indexes.map((i) => option(i, i, i === settings.rag.index)));
    c.temperature.value = String(settings.temperature);
    c.maxTokens.value = String(settings.maxTokens);
    c.fewShotK.disabled = c.examplesFile.disabled = !settings.fewShot.enabled;
    c.ragK.disabled = c.index.disabled = !settings.rag.enabled;
    this.renderSummary();
  }

  /** The compare picker offers every model the registry has (engine models, endpoints, served models). */
  private renderCompare(state: ChatViewState, settings: ChatSettings): void {
    const c = this.controls;
    const comparing = settings.compareModel !== undefined;
    const groups = new Map<string, HTMLOptGroupElement>();
    for (const m of state.models) {
      let group = groups.get(m.backendLabel);
      if (!group) groups.set(m.backendLabel, (group = element('optgroup', { label: m.backendLabel })));
      group.append(option(m.ref, m.label, m.ref === settings.compareModel));
    }
    const missing = settings.compareModel && !state.models.some((m) => m.ref === settings.compareModel) ? [option(settings.compareModel, `${settings.compareModel} (not available)`, true)] : [];
    c.compareModel.replaceChildren(...missing, ...groups.values());
    this.compareField.hidden = !comparing;
    this.compareToggle.setAttribute('aria-pressed', String(comparing));
    this.compareToggle.disabled = !comparing && state.models.length === 0;
    this.element.classList.toggle('comparing', comparing);
  }

  /**
   * Compare on: the second picker appears with a model other than the one answering now (the user changes it);
   * off: it goes, and the next question gets one answer.
   */
  private setCompare(on: boolean): void {
    if (!this.settings || !this.state) return;
    const c = this.controls;
    if (on) {
      const current = this.effectiveModel();
      const other = this.state.models.find((m) => m.ref !== current) ?? this.state.models[0];
      if (!other) return;
      c.compareModel.value = other.ref;
      this.compareField.hidden = false;
      this.compareToggle.setAttribute('aria-pressed', 'true');
      this.readSettings();
      c.compareModel.focus();
    } else {
      this.compareField.hidden = true;
      this.compareToggle.setAttribute('aria-pressed', 'false');
      this.readSettings();
    }
  }

  private renderSummary(): void {
    const s = this.settings;
    if (!s) return;
    const ref = this.effectiveModel();
    const label = (r: string | undefined) => this.state?.models.find((m) => m.ref === r)?.label ?? r;
    const model = label(ref) ?? 'no model';
    const parts = [
      s.compareModel ? `${model} vs ${label(s.compareModel)}` : model,
      s.template ? (s.template.split('/').pop() ?? s.template) : undefined,
      s.fewShot.enabled ? `${s.fewShot.k}-shot` : undefined,
      s.rag.enabled ? `RAG k=${s.rag.k}` : undefined,
      `t=${s.temperature}`,
    ];
    this.summary.textContent = parts.filter(Boolean).join(' · ');
  }

  private readSettings(): void {
    if (!this.settings) return;
    const c = this.controls;
    const number = (input: HTMLInputElement, fallback: number, min: number, max: number) => {
      const value = Number(input.value);
      return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : fallback;
    };
    const s = this.settings;
    const next: ChatSettings = {
      fewShot: { enabled: c.fewShot.checked, k: Math.round(number(c.fewShotK, s.fewShot.k, 0, 50)), ...(c.examplesFile.value ? { examplesFile: c.examplesFile.value } : {}) },
      rag: { enabled: c.rag.checked, k: Math.round(number(c.ragK, s.rag.k, 1, 50)), ...(c.index.value ? { index: c.index.value } : {}) },
      temperature: number(c.temperature, s.temperature, 0, 2),
      maxTokens: Math.round(number(c.maxTokens, s.maxTokens, 1, 32_768)),
      ...(c.model.value ? { model: c.model.value } : {}),
      ...(!this.compareField.hidden && c.compareModel.value ? { compareModel: c.compareModel.value } : {}),
      ...(c.template.value ? { template: c.template.value } : {}),
    };
    this.settings = next;
    this.element.classList.toggle('comparing', next.compareModel !== undefined);
    c.fewShotK.disabled = c.examplesFile.disabled = !next.fewShot.enabled;
    c.ragK.disabled = c.index.disabled = !next.rag.enabled;
    this.renderSummary();
    this.callbacks.settingsChanged(next);
  }

  focus(): void {
    this.input.focus();
  }
}
