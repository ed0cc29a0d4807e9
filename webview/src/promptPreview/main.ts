import { countOf } from '../../../src/shared/humanText';
import { PreviewNotifications, previewUpdate, type PreviewModelState, type PreviewPromptResult } from '../../../src/shared/promptPreviewProtocol';
import { HostConnection } from '../lib/hostConnection';
import { noticeElement } from '../lib/noticeMarkdown';
import { connectToHost, element } from '../lib/vscodeApi';

// The prompt preview: messages, few-shot examples, the exact prompt string and token counts. Template text is set
// with textContent (via `element`), never as markup; notices are sanitized Markdown (lib/noticeMarkdown.ts).
const host = new HostConnection(connectToHost());
const root = document.getElementById('root')!;
// Three fixed regions: the inputs form survives re-renders (so typing in it never loses focus).
const header = element('div', { id: 'preview-header' });
const inputsRegion = element('div', { id: 'preview-inputs' });
const bodyRegion = element('div', { id: 'preview-body' });
let overrides: Record<string, string> = {};
let inputTimer: number | undefined;
let lastInputsKey = '';

function show(value: unknown): string {
  if (value === undefined) return '';
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function section(title: string, ...children: (Node | string)[]): HTMLElement {
  return element('section', { class: 'preview-section' }, element('h2', {}, title), ...children);
}

function renderInputs(rendered: NonNullable<PreviewPromptResult['rendered']>): void {
  const key = rendered.inputs.map((input) => input.name).join('\u0000');
  if (key === lastInputsKey && inputsRegion.childElementCount > 0) {
    // Same inputs: refresh only the fields the user is not editing.
    for (const input of rendered.inputs) {
      const field = inputsRegion.querySelector<HTMLTextAreaElement>(`textarea[data-name="${CSS.escape(input.name)}"]`);
      if (field && document.activeElement !== field && overrides[input.name] === undefined) field.value = show(input.value);
      const source = inputsRegion.querySelector<HTMLElement>(`span[data-source-of="${CSS.escape(input.name)}"]`);
      if (source) source.textContent = ` ${input.source}`;
    }
    return;
  }
  lastInputsKey = key;
  if (rendered.inputs.length === 0) {
    inputsRegion.replaceChildren();
    return;
  }
  const form = element('form', { id: 'inputs-form', class: 'inputs' });
  for (const input of rendered.inputs) {
    const id = `input-${input.name}`;
    const field = element('textarea', {
      id,
      rows: String(Math.min(6, Math.max(1, show(input.value).split('\n').length))),
      'data-name': input.name,
      placeholder: input.source === 'missing' ? '(no sample value)' : '',
    });
    field.value = overrides[input.name] ?? show(input.value);
    field.addEventListener('input', () => {
      overrides[input.name] = field.value;
      window.clearTimeout(inputTimer);
      inputTimer = window.setTimeout(() => host.notify(PreviewNotifications.setInputs, { inputs: overrides }), 250);
    });
    form.append(element('label', { for: id }, input.name, element('span', { class: 'hint', 'data-source-of': input.name }, ` ${input.source}`)), field);
  }
  const reset = element('button', { type: 'button', class: 'secondary', id: 'reset-inputs' }, 'Reset to sample');
  reset.addEventListener('click', () => {
    overrides = {};
    lastInputsKey = '';
    host.notify(PreviewNotifications.setInputs, { inputs: {} });
  });
  form.append(reset);
  inputsRegion.replaceChildren(section('Inputs', form));
}

/** The model button (opens the host's picker) and "Try in Chat". */
function toolbar(result: PreviewPromptResult, previewModel: PreviewModelState): HTMLElement {
  const inEffect = result.rendered?.model?.id;
  const label = previewModel.chosen ?? (inEffect ? `Automatic (${inEffect})` : 'Automatic');
  const chooseModel = element(
    'button',
    { type: 'button', class: 'secondary model-button', id: 'choose-model', title: 'Choose the model to preview with (remembered for this workspace)' },
    element('span', { class: 'model-button-label' }, 'Model: '),
    element('span', { id: 'preview-model' }, label),
    element('span', { class: 'chevron', 'aria-hidden': 'true' }, ' ▾'),
  );
  chooseModel.addEventListener('click', () => host.notify(PreviewNotifications.choosePreviewModel));
  const tryInChat = element('button', { type: 'button', id: 'try-in-chat', title: 'Open the chat with this template selected' }, 'Try in Chat');
  tryInChat.addEventListener('click', () => host.notify(PreviewNotifications.tryInChat));
  return element('div', { class: 'preview-toolbar' }, chooseModel, tryInChat);
}

function renderResult(fileName: string, result: PreviewPromptResult, previewModel: PreviewModelState): void {
  if (!root.contains(header)) root.replaceChildren(header, inputsRegion, bodyRegion);
  const top: Node[] = [element('h1', { class: 'preview-title' }, fileName), toolbar(result, previewModel)];
  if (result.error) {
    top.push(element('div', { class: 'preview-error', role: 'alert', id: 'preview-error' }, result.error));
    header.replaceChildren(...top);
    bodyRegion.replaceChildren();
    return;
  }
  const rendered = result.rendered!;
  const model = rendered.model;
  const summary: string[] = [countOf(rendered.messages.length, 'message'), `${rendered.format}`, `api: ${rendered.api}`];
  if (rendered.totalTokens !== undefined) summary.push(`${rendered.totalTokens} tokens${model?.contextWindow ? ` of ${model.contextWindow}` : ''}`);
  summary.push(`rendered in ${result.elapsedMs.toFixed(0)} ms`);
  top.push(element('p', { class: 'status', id: 'preview-summary' }, summary.join(' · ')));
  if (rendered.totalTokens !== undefined && model?.contextWindow) {
    top.push(element('meter', { min: '0', max: String(model.contextWindow), value: String(rendered.totalTokens), title: 'tokens used of the context window' }));
  }
  if (model) top.push(element('p', { class: 'hint', id: 'model-info' }, `Model: ${model.id}${model.chatTemplateSource ? ` (chat template from ${model.chatTemplateSource})` : ''}`));
  if (rendered.modelHint) top.push(noticeElement({ class: 'model-state', id: 'model-hint' }, rendered.modelHint));
  for (const warning of rendered.warnings) top.push(noticeElement({ class: 'preview-warning' }, warning));
  header.replaceChildren(...top);
  renderInputs(rendered);

  const parts: Node[] = [];
  if (rendered.examples) {
    const info = `${countOf(rendered.examples.count, 'example')} from ${rendered.examples.file}: ${rendered.examples.method}`;
    parts.push(element('p', { class: 'hint', id: 'examples-info' }, info));
    for (const problem of rendered.examples.problems.slice(0, 5)) parts.push(element('p', { class: 'preview-warning' }, `${rendered.examples.file} ${problem}`));
  }
  const list = element('ol', { class: 'messages', id: 'messages' });
  for (const message of rendered.messages) {
    const head = element('div', { class: 'message-header' }, element('span', { class: `role role-${message.role}` }, message.role));
    if (message.source === 'example') head.append(element('span', { class: 'badge' }, 'example'));
    if (message.tokens !== undefined) head.append(element('span', { class: 'tokens' }, `${message.tokens} tokens`));
    list.append(element('li', { class: `message source-${message.source}` }, head, element('pre', { class: 'content' }, message.content)));
  }
  parts.push(section('Messages', list));
  if (rendered.prompt !== undefined) {
    const copy = element('button', { type: 'button', class: 'secondary' }, 'Copy');
    copy.addEventListener('click', () => host.notify(PreviewNotifications.copyPrompt));
    parts.push(
      section(
        'Prompt string',
        element('p', { class: 'hint' }, 'Exactly what the model receives, its chat template applied.'),
        copy,
        element('pre', { class: 'prompt', id: 'prompt-string' }, rendered.prompt),
      ),
    );
  }
  bodyRegion.replaceChildren(...parts);
}

host.onNotification(previewUpdate, (message) => {
  if (message.type === 'update') {
    overrides = { ...message.inputOverrides };
    renderResult(message.fileName, message.result, message.previewModel);
    document.body.dataset.version = String(message.result.version);
  } else if (message.type === 'rendering') document.body.classList.add('rendering');
  else if (message.type === 'closedDocument') root.replaceChildren(element('p', { class: 'hint' }, `${message.fileName} was closed.`));
  if (message.type !== 'rendering') document.body.classList.remove('rendering');
});

root.replaceChildren(element('p', { class: 'hint' }, 'Rendering…'));
host.notify(PreviewNotifications.ready);
