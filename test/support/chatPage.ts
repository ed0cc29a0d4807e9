import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { chromiumArgs, chromiumPath } from './codeServer.mjs';
import { defaultChatSettings } from '../../src/core/chat/chatTypes';
import { chatViewUpdate, type ChatViewState, type Conversation, type HostToChatView } from '../../src/shared/chatViewProtocol';

/**
 * The Chat webview alone in Chromium: the built bundle (dist/webview/chat.js) and CSS in a page with the same CSP
 * as in VS Code, a fake `acquireVsCodeApi` that records what the UI posts and answers every request (a mock
 * host), and VS Code's theme variables for a light or a dark theme. Tests play the host with `send`.
 */
const root = join(__dirname, '..', '..');

const themes = {
  dark: {
    foreground: '#cccccc',
    'sideBar-background': '#181818',
    'editor-background': '#1f1f1f',
    descriptionForeground: '#9d9d9d',
    focusBorder: '#0078d4',
    'button-background': '#0078d4',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#026ec1',
    'button-secondaryBackground': '#313131',
    'button-secondaryForeground': '#cccccc',
    'button-secondaryHoverBackground': '#3c3c3c',
    'input-background': '#313131',
    'input-foreground': '#cccccc',
    'input-border': '#3c3c3c',
    'dropdown-background': '#313131',
    'dropdown-foreground': '#cccccc',
    'dropdown-border': '#3c3c3c',
    'panel-border': '#2b2b2b',
    'widget-border': '#313131',
    'textCodeBlock-background': '#2b2b2b',
    'textLink-foreground': '#4daafc',
    'textLink-activeForeground': '#4daafc',
    'textBlockQuote-background': '#2b2b2b',
    'textBlockQuote-border': '#616161',
    'badge-background': '#616161',
    'badge-foreground': '#f8f8f8',
    errorForeground: '#f85149',
    'inputValidation-errorBackground': '#5a1d1d',
    'inputValidation-errorBorder': '#be1100',
    'editorWidget-background': '#202020',
    'editorInfo-foreground': '#3794ff',
    'editorWarning-foreground': '#cca700',
    'font-family': 'system-ui, sans-serif',
    'font-size': '13px',
    'editor-font-family': 'monospace',
    'editor-font-size': '13px',
  },
  light: {
    foreground: '#3b3b3b',
    'sideBar-background': '#f8f8f8',
    'editor-background': '#ffffff',
    descriptionForeground: '#717171',
    focusBorder: '#005fb8',
    'button-background': '#005fb8',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#0258a8',
    'button-secondaryBackground': '#e5e5e5',
    'button-secondaryForeground': '#3b3b3b',
    'button-secondaryHoverBackground': '#cccccc',
    'input-background': '#ffffff',
    'input-foreground': '#3b3b3b',
    'input-border': '#cecece',
    'dropdown-background': '#ffffff',
    'dropdown-foreground': '#3b3b3b',
    'dropdown-border': '#cecece',
    'panel-border': '#e5e5e5',
    'widget-border': '#e5e5e5',
    'textCodeBlock-background': '#f2f2f2',
    'textLink-foreground': '#005fb8',
    'textLink-activeForeground': '#005fb8',
    'textBlockQuote-background': '#f2f2f2',
    'textBlockQuote-border': '#e5e5e5',
    'badge-background': '#cccccc',
    'badge-foreground': '#3b3b3b',
    errorForeground: '#f85149',
    'inputValidation-errorBackground': '#f2dede',
    'inputValidation-errorBorder': '#be1100',
    'editorWidget-background': '#f8f8f8',
    'editorInfo-foreground': '#1a85ff',
    'editorWarning-foreground': '#bf8803',
    'font-family': 'system-ui, sans-serif',
    'font-size': '13px',
    'editor-font-family': 'monospace',
    'editor-font-size': '13px',
  },
  'high-contrast': {
    foreground: '#ffffff',
    'sideBar-background': '#000000',
    'editor-background': '#000000',
    descriptionForeground: '#ffffff',
    focusBorder: '#f38518',
    contrastBorder: '#6fc3df',
    'button-background': '#000000',
    'button-foreground': '#ffffff',
    'button-hoverBackground': '#000000',
    'button-border': '#6fc3df',
    'button-secondaryBackground': '#000000',
    'button-secondaryForeground': '#ffffff',
    'button-secondaryHoverBackground': '#000000',
    'input-background': '#000000',
    'input-foreground': '#ffffff',
    'input-border': '#6fc3df',
    'dropdown-background': '#000000',
    'dropdown-foreground': '#ffffff',
    'dropdown-border': '#6fc3df',
    'panel-border': '#6fc3df',
    'widget-border': '#6fc3df',
    'textCodeBlock-background': '#000000',
    'textLink-foreground': '#21a6ff',
    'textLink-activeForeground': '#21a6ff',
    'textBlockQuote-background': '#000000',
    'textBlockQuote-border': '#ffffff',
    'badge-background': '#000000',
    'badge-foreground': '#ffffff',
    errorForeground: '#f48771',
    'inputValidation-errorBackground': '#000000',
    'inputValidation-errorBorder': '#f48771',
    'editorWidget-background': '#0c141f',
    'editorInfo-foreground': '#3794ff',
    'editorWarning-foreground': '#ffd370',
    'font-family': 'system-ui, sans-serif',
    'font-size': '13px',
    'editor-font-family': 'monospace',
    'editor-font-size': '13px',
  },
} as const;
export type Theme = keyof typeof themes;

export function themeCss(theme: Theme): string {
  return `html { ${Object.entries(themes[theme])
    .map(([k, v]) => `--vscode-${k}: ${v};`)
    .join(' ')} }`;
}

function pageHtml(nonce: string, theme: Theme, perf: boolean, script: string): string {
  // The same CSP as src/host/webviewHtml.ts, with this server as the cspSource.
  const csp = `default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; script-src 'nonce-${nonce}'`;
  return `<!DOCTYPE html><html lang="en"${perf ? ' data-perf="on"' : ''}><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="/theme-${theme}.css"><link rel="stylesheet" href="/codicons/codicon.css"><link rel="stylesheet" href="/webview.css"><link rel="stylesheet" href="/chat.css">
<title>Chat test</title></head><body class="vscode-${theme}">
<main id="root"></main>
<script nonce="${nonce}" src="/fake-vscode.js"></script>
<script nonce="${nonce}" src="${script}"></script>
</body></html>`;
}

/**
 * The mock host: speaks JSON-RPC as the extension host does (src/host/webviewRpc.ts), records each request and
 * notification the UI sends as `{ type: <method without "chat/">, ...params }`, and answers every request (the test
 * may set `window.hostReplies[type]` to `{ value }`, `{ error }` or 'never').
 */
const fakeVsCode = `
window.posted = [];
window.hostReplies = {};
window.savedState = undefined;
window.acquireVsCodeApi = () => ({
  postMessage(message) {
    const type = String(message.method).replace(/^chat\\//, '');
    window.posted.push({ type, ...(message.params || {}) });
    if (message.id === undefined) return;
    const reply = window.hostReplies[type];
    if (reply === 'never') return;
    const answer = reply && reply.error
      ? { jsonrpc: '2.0', id: message.id, error: { code: -31999, message: reply.error, data: { name: 'Error', message: reply.error, fields: {} } } }
      : { jsonrpc: '2.0', id: message.id, result: reply && reply.value !== undefined ? reply.value : null };
    setTimeout(() => window.postMessage(answer, '*'), 0);
  },
  getState() { return window.savedState; },
  setState(state) { window.savedState = state; },
});
`;

/** The host's message as it travels: a `chat/update` notification. */
export function chatUpdate(message: HostToChatView): { jsonrpc: '2.0'; method: string; params: HostToChatView } {
  return { jsonrpc: '2.0', method: chatViewUpdate.method, params: message };
}

/**
 * Waits until a JavaScript expression is true in the page. Polls with `evaluate`, which the page's CSP does not
 * govern (Playwright's string `waitForFunction` compiles the text in the page, which the CSP forbids).
 */
export async function until(page: Page, expression: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${expression}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export interface ChatPage {
  page: Page;
  /** Plays the host: delivers a message to the webview. */
  send(message: HostToChatView): Promise<void>;
  posted(): Promise<{ type: string; [key: string]: unknown }[]>;
  close(): Promise<void>;
}

export class ChatPageHost {
  private server: Server | undefined;
  private browser: Browser | undefined;
  private origin = '';
  /** Extra scripts to serve (path → JavaScript), e.g. a benchmark's peer renderer. */
  readonly scripts = new Map<string, string>();

  static assertBuilt(): void {
    if (!existsSync(join(root, 'dist', 'webview', 'chat.js'))) throw new Error('dist/webview/chat.js is missing: run node scripts/build.mjs first');
  }

  async start(): Promise<void> {
    ChatPageHost.assertBuilt();
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const nonce = randomBytes(16).toString('base64');
      const send = (type: string, body: string | Buffer) => {
        response.setHeader('content-type', type);
        response.end(body);
      };
      const script = url.searchParams.get('script') ?? '/chat.js';
      if (url.pathname === '/')
        return send('text/html', pageHtml(nonce, (url.searchParams.get('theme') as Theme) ?? 'dark', url.searchParams.has('perf'), this.scripts.has(script) ? script : '/chat.js'));
      const extra = this.scripts.get(url.pathname);
      if (extra !== undefined) return send('text/javascript', extra);
      if (url.pathname === '/fake-vscode.js') return send('text/javascript', fakeVsCode);
      if (url.pathname === '/chat.js') return send('text/javascript', readFileSync(join(root, 'dist', 'webview', 'chat.js')));
      if (url.pathname === '/webview.css' || url.pathname === '/chat.css') return send('text/css', readFileSync(join(root, 'media', url.pathname.slice(1))));
      // VS Code's icons, as the build copies them beside the bundle (the CSS names the font relative to itself).
      if (url.pathname === '/codicons/codicon.css') return send('text/css', readFileSync(join(root, 'dist', 'webview', 'codicons', 'codicon.css')));
      if (url.pathname === '/codicons/codicon.ttf') return send('font/ttf', readFileSync(join(root, 'dist', 'webview', 'codicons', 'codicon.ttf')));
      const theme = /^\/theme-(light|dark|high-contrast)\.css$/.exec(url.pathname)?.[1] as Theme | undefined;
      if (theme) return send('text/css', themeCss(theme));
      response.statusCode = 404;
      response.end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
  }

  async open(options: { theme?: Theme; perf?: boolean; script?: string; viewport?: { width: number; height: number } } = {}): Promise<ChatPage> {
    const page = await this.browser!.newPage({ viewport: options.viewport ?? { width: 420, height: 760 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(`${this.origin}/?theme=${options.theme ?? 'dark'}${options.perf ? '&perf' : ''}${options.script ? `&script=${encodeURIComponent(options.script)}` : ''}`);
    await until(page, 'window.posted && window.posted.some((m) => m.type === "ready")');
    return {
      page,
      send: (message) => page.evaluate((m) => (globalThis as unknown as { postMessage(data: unknown, origin: string): void }).postMessage(m, '*'), chatUpdate(message)),
      posted: () => page.evaluate<{ type: string; [key: string]: unknown }[]>('window.posted'),
      close: async () => {
        await page.close();
        if (errors.length > 0) throw new Error(`The webview threw: ${errors.join('; ')}`);
      },
    };
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export function testState(overrides: Partial<ChatViewState> = {}): ChatViewState {
  return {
    extensionVersion: '0.1.0',
    chatModel: { kind: 'selected', id: 'Qwen/Qwen3-test', label: 'Qwen/Qwen3-test', ref: 'engine/Qwen/Qwen3-test' },
    workspaceTrusted: true,
    models: [
      { ref: 'engine/Qwen/Qwen3-test', label: 'Qwen/Qwen3-test', backendLabel: 'Built-in engine (ONNX)' },
      { ref: 'local/llama', label: 'llama', backendLabel: 'Local server' },
    ],
    templates: ['prompts/support.prompty'],
    examplesFiles: ['data/examples.jsonl'],
    indexes: ['support-bot'],
    conversations: [{ id: 'c-1', title: 'Installing the device', updatedAt: 1, messageCount: 0 }],
    activeConversationId: 'c-1',
    ...overrides,
  };
}

export function testConversation(overrides: Partial<Conversation> = {}): Conversation {
  return { id: 'c-1', title: 'Installing the device', createdAt: 1, updatedAt: 1, settings: { ...defaultChatSettings, model: 'engine/Qwen/Qwen3-test' }, messages: [], ...overrides };
}
