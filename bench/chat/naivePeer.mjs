// The peer the chat is measured against: the same Markdown pipeline (markdown-it + DOMPurify, copy buttons,
// citations) wired the way many chat panels do it — the whole answer re-rendered synchronously on every token
// message, and every message of a conversation rendered up front. Bundled for the browser by bench/chat/run.ts.
import { renderMarkdown } from '../../webview/src/chat/markdown.ts';

const samples = [];
window.chatwrightPerf = { tokenToPaint: samples, reset: () => (samples.length = 0) };
const root = document.getElementById('root');
root.className = 'chat';
const log = document.createElement('section');
log.className = 'message-log';
log.id = 'message-log';
root.append(log);
const contents = new Map();
const bodies = new Map();

function addMessage(message) {
  const article = document.createElement('article');
  article.className = `message ${message.role}`;
  article.dataset.messageId = message.id;
  const body = document.createElement('div');
  body.className = 'message-body';
  article.append(body);
  log.append(article);
  contents.set(message.id, message.content);
  bodies.set(message.id, body);
  if (message.role === 'user') body.textContent = message.content;
  else body.replaceChildren(renderMarkdown(message.content));
}

const channel = new MessageChannel();
let waiting = [];
channel.port1.onmessage = () => {
  const now = performance.now();
  for (const t of waiting) samples.push(now - t);
  waiting = [];
};

window.addEventListener('message', (event) => {
  // The host's messages arrive as JSON-RPC `chat/update` notifications.
  const message = event.data.params;
  if (message.type === 'conversation') {
    log.replaceChildren();
    for (const m of message.conversation.messages) addMessage(m);
    log.scrollTop = log.scrollHeight;
    performance.mark('chatwright:first-render');
  } else if (message.type === 'answerStarted') {
    addMessage(message.question);
    addMessage(message.answer);
  } else if (message.type === 'tokens') {
    const arrived = performance.now();
    const content = contents.get(message.messageId) + message.text;
    contents.set(message.messageId, content);
    bodies.get(message.messageId).replaceChildren(renderMarkdown(content));
    log.scrollTop = log.scrollHeight;
    waiting.push(arrived);
    requestAnimationFrame(() => channel.port2.postMessage(0));
  }
});
acquireVsCodeApi().postMessage({ jsonrpc: '2.0', method: 'chat/ready' });
