import { element } from '../lib/vscodeApi';

/** One of VS Code's own icons (@vscode/codicons, loaded by the page); decorative, so screen readers skip it. */
export function codicon(name: string): HTMLElement {
  return element('span', { class: `codicon codicon-${name}`, 'aria-hidden': 'true' });
}

/**
 * A button showing an icon, with its label as the accessible name and tooltip; `text` shows the label beside the
 * icon too, for actions an icon alone would not explain.
 */
export function iconButton(options: { icon: string; label: string; id?: string; className?: string; text?: string; attributes?: Record<string, string> }): HTMLButtonElement {
  const attributes: Record<string, string> = {
    type: 'button',
    class: `icon-button${options.className ? ` ${options.className}` : ''}`,
    title: options.label,
    'aria-label': options.label,
    ...options.attributes,
  };
  if (options.id) attributes.id = options.id;
  const button = element('button', attributes, codicon(options.icon));
  if (options.text) button.append(element('span', { class: 'icon-button-text' }, options.text));
  return button;
}

/** A checkbox drawn like VS Code's (a box with the check icon), still a native input for keyboard and forms. */
export function checkbox(input: HTMLInputElement, label: string): HTMLLabelElement {
  input.classList.add('checkbox-input');
  return element(
    'label',
    { class: 'checkbox', for: input.id },
    input,
    element('span', { class: 'checkbox-box codicon codicon-check', 'aria-hidden': 'true' }),
    element('span', { class: 'checkbox-label' }, label),
  );
}
