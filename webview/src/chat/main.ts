import { chatViewReady, chatViewUpdate } from '../../../src/shared/chatViewProtocol';
import { HostConnection } from '../lib/hostConnection';
import { connectToHost } from '../lib/vscodeApi';
import { ChatApp } from './chatApp';

const host = new HostConnection(connectToHost<unknown, { conversationId?: string }>());
const root = document.getElementById('root')!;
root.removeAttribute('aria-live');
const app = new ChatApp(root, host);
host.onNotification(chatViewUpdate, (message) => app.handle(message));
host.notify(chatViewReady);
