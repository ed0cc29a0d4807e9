import { type ChatViewRequest, type HostToChatView } from '../../../src/shared/chatViewProtocol';
import { Messenger } from '../lib/messenger';
import { connectToHost } from '../lib/vscodeApi';
import { ChatApp } from './chatApp';

const api = connectToHost<unknown, { conversationId?: string }>();
const host = new Messenger<ChatViewRequest, HostToChatView, { conversationId?: string }>(api);
const root = document.getElementById('root')!;
root.removeAttribute('aria-live');
const app = new ChatApp(root, host);
host.onMessage((message) => app.handle(message));
host.notify({ type: 'ready' });
