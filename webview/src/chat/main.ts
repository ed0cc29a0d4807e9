import { type ChatViewCommand, type ChatViewState, type ChatViewToHost, type HostToChatView } from '../../../src/shared/chatViewProtocol';
import { connectToHost, element } from '../lib/vscodeApi';

const host = connectToHost<ChatViewToHost>();
const root = document.getElementById('root')!;
const status = element('p', { class: 'status', role: 'status', id: 'command-status' });

function commandButton(label: string, command: ChatViewCommand, id: string): HTMLButtonElement {
  const button = element('button', { type: 'button', id, 'aria-describedby': 'command-status' }, label);
  button.addEventListener('click', () => {
    status.textContent = `Running “${label}”…`;
    host.postMessage({ type: 'runCommand', command });
  });
  return button;
}

function render(state: ChatViewState): void {
  const modelText = state.chatModel.kind === 'none' ? 'No model selected' : `Model: ${state.chatModel.label}`;
  const panel = element(
    'section',
    { class: 'chat-state', 'aria-label': 'Chatwright status' },
    element('h2', {}, 'Chatwright'),
    element('p', { class: 'version', id: 'extension-version' }, `Version ${state.extensionVersion}`),
    element('p', { class: 'model-state', id: 'model-state', 'data-state': state.chatModel.kind }, modelText),
  );
  if (!state.workspaceTrusted) {
    panel.append(element('p', { class: 'restricted', id: 'restricted-mode' }, 'Restricted Mode: Chatwright lints and previews files but launches no process configured by this workspace.'));
  }
  panel.append(
    element('p', { class: 'hint' }, 'Chat needs a model. Choose one in the settings; datasets and prompt templates are checked as you type.'),
    element('div', { class: 'actions' }, commandButton('Open Chatwright Settings', 'chatwright.openSettings', 'open-settings'), commandButton('Show Logs', 'chatwright.showLogs', 'show-logs')),
    status,
  );
  root.replaceChildren(panel);
}

window.addEventListener('message', (event: MessageEvent<HostToChatView>) => {
  const message = event.data;
  switch (message.type) {
    case 'state':
      render(message.state);
      return;
    case 'commandResult':
      status.textContent = message.ok ? 'Done.' : `Failed: ${message.error}`;
      status.dataset.result = message.ok ? 'ok' : 'error';
      return;
  }
});

root.replaceChildren(element('p', { class: 'loading' }, 'Loading…'));
host.postMessage({ type: 'ready' });
