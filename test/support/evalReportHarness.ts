import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { themeCss, until, type Theme } from './chatPage';
import { chromiumArgs, chromiumPath } from './codeServer.mjs';
import { type EvalReport } from '../../src/core/eval/evalTypes';
import { ReportLookup, summarizeReport } from '../../src/core/eval/reportSummary';
import { validQuestion, validSearch } from '../../src/host/eval/evalReportRequests';
import { evalReportProgressNotification, evalReportStateNotification, type EvalReportState } from '../../src/shared/evalReportProtocol';

/**
 * The eval report webview alone in Chromium: the built bundle (dist/webview/evalReport.js) and media CSS in a page with
 * the same CSP as in VS Code, VS Code's theme variables, and a mock host that records what the page sends
 * (`window.posted`: `{ method, ...params }`) and answers each request (a test may set `window.hostReplies[method]` to
 * `{ error }` or `{ result }`). Tests play the host with `state`, given the whole report as the panel holds it: the
 * page gets its summary (the panel's `summarizeReport`), and the page's question and search requests are answered in
 * this process from the report, checked and looked up as the panel does (`validQuestion`, `ReportLookup`). `preload`
 * has the mock host answer the page's `ready` with a state at once, as VS Code's host does (the benchmark's way:
 * nothing waits on the test); `fullState` sends the whole report in that state instead of the summary (the
 * benchmark's peer: the page as it was before summaries). Every CSP violation and uncaught error is collected and
 * fails `close`.
 */
const root = join(__dirname, '..', '..');

function pageHtml(nonce: string, theme: Theme): string {
  const csp = `default-src 'none'; style-src 'self'; img-src 'self' data:; font-src 'self'; script-src 'nonce-${nonce}'`;
  return `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<link rel="stylesheet" href="/theme-${theme}.css"><link rel="stylesheet" href="/codicons/codicon.css"><link rel="stylesheet" href="/webview.css"><link rel="stylesheet" href="/evalReport.css">
<title>Eval report test</title></head><body class="vscode-${theme}">
<main id="root"></main>
<script nonce="${nonce}" src="/preload.js"></script>
<script nonce="${nonce}" src="/fake-vscode.js"></script>
<script nonce="${nonce}" src="/dist/evalReport.js"></script>
</body></html>`;
}

const fakeVsCode = `
window.posted = [];
window.hostReplies = {};
window.savedState = undefined;
window.cspViolations = [];
document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));
window.acquireVsCodeApi = () => ({
  postMessage(message) {
    window.posted.push({ method: message.method, ...(message.params || {}) });
    if (message.method === 'evalReport/ready' && window.preloadedState) {
      window.postMessage({ jsonrpc: '2.0', method: 'evalReport/state', params: window.preloadedState }, '*');
    }
    if (message.id === undefined) return;
    const reply = window.hostReplies[message.method];
    if (!reply && (message.method === 'evalReport/question' || message.method === 'evalReport/search')) {
      window.chatwrightHost(message.method, message.params).then(
        (result) => window.postMessage({ jsonrpc: '2.0', id: message.id, result }, '*'),
        (error) => window.postMessage({ jsonrpc: '2.0', id: message.id, error: { code: -31999, message: String(error.message || error), data: { name: 'Error', message: String(error.message || error), fields: {} } } }, '*'),
      );
      return;
    }
    const answer = reply && reply.error
      ? { jsonrpc: '2.0', id: message.id, error: { code: -31999, message: reply.error, data: { name: 'Error', message: reply.error, fields: {} } } }
      : { jsonrpc: '2.0', id: message.id, result: reply && 'result' in reply ? reply.result : null };
    setTimeout(() => window.postMessage(answer, '*'), reply && reply.delayMs ? reply.delayMs : 0);
  },
  getState() { return window.savedState; },
  setState(state) { window.savedState = state; },
});
`;

/** What a test hands the mock host: the state, with the whole report the host holds. */
export type HeldReportState = Omit<EvalReportState, 'report' | 'revision'> & { report: EvalReport };

/** The page's state: the report's summary; `full`: the summary's questions carrying the whole rows too (the peer). */
export function pageState(state: HeldReportState, revision: number, full = false): EvalReportState {
  const summary = summarizeReport(state.report);
  if (full) {
    summary.questions = summary.questions.map((row, index) => {
      const whole = state.report.questions[index]!;
      const answers = Object.fromEntries(Object.entries(row.answers).map(([name, answer]) => [name, { ...whole.answers[name]!, ...answer }]));
      return { ...whole, ...row, answers };
    });
  }
  return { ...state, report: summary, revision };
}

export interface EvalReportPage {
  page: Page;
  /** Holds the report and sends the page its summary (a new revision). */
  state(state: HeldReportState): Promise<void>;
  progress(running: EvalReportState['running']): Promise<void>;
  posted(): Promise<{ method: string; [key: string]: unknown }[]>;
  close(): Promise<void>;
}

export class EvalReportHarness {
  private server: Server | undefined;
  private browser: Browser | undefined;
  private origin = '';
  /** The state the next page is answered with on `ready` (as JavaScript), or empty. */
  private preloaded = '';

  async start(): Promise<void> {
    if (!existsSync(join(root, 'dist', 'webview', 'evalReport.js'))) throw new Error('dist/webview/evalReport.js is missing: run node scripts/build.mjs first');
    this.server = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const send = (type: string, body: string | Buffer) => {
        response.setHeader('content-type', type);
        response.end(body);
      };
      if (url.pathname === '/') return send('text/html', pageHtml(randomBytes(16).toString('base64'), (url.searchParams.get('theme') as Theme | null) ?? 'dark'));
      if (url.pathname === '/favicon.ico') {
        response.statusCode = 204;
        return response.end();
      }
      if (url.pathname === '/fake-vscode.js') return send('text/javascript', fakeVsCode);
      if (url.pathname === '/preload.js') return send('text/javascript', this.preloaded);
      if (url.pathname === '/dist/evalReport.js') return send('text/javascript', readFileSync(join(root, 'dist', 'webview', 'evalReport.js')));
      if (url.pathname.startsWith('/codicons/'))
        return send(url.pathname.endsWith('.css') ? 'text/css' : 'font/ttf', readFileSync(join(root, 'dist', 'webview', 'codicons', url.pathname.slice('/codicons/'.length).replace(/[^\w.-]/g, ''))));
      if (url.pathname === '/webview.css' || url.pathname === '/evalReport.css') return send('text/css', readFileSync(join(root, 'media', url.pathname.slice(1))));
      const theme = /^\/theme-(light|dark|high-contrast)\.css$/.exec(url.pathname)?.[1] as Theme | undefined;
      if (theme) return send('text/css', themeCss(theme));
      response.statusCode = 404;
      response.end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.origin = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    this.browser = await chromium.launch({ executablePath: chromiumPath, headless: true, args: chromiumArgs });
  }

  /** Opens the page; with `preload` the mock host answers `ready` with that state (from a script the page loads). */
  async open(options: { theme?: Theme; viewport?: { width: number; height: number }; preload?: HeldReportState; fullState?: boolean; virtualize?: boolean } = {}): Promise<EvalReportPage> {
    let revision = 1;
    let held = options.preload ? new ReportLookup(options.preload.report) : undefined;
    // A JSON string parsed at run time: V8 reads a large JSON.parse argument much faster than an object literal.
    this.preloaded = options.preload ? `window.preloadedState = JSON.parse(${JSON.stringify(JSON.stringify(pageState(options.preload, revision, options.fullState)))});` : '';
    const page = await this.browser!.newPage({ viewport: options.viewport ?? { width: 1280, height: 900 } });
    // The panel's answers to the page's question and search requests, from the report held.
    await page.exposeFunction('chatwrightHost', (method: string, params: unknown) => {
      if (method === 'evalReport/question') {
        const valid = validQuestion(held?.summary(), params);
        const question = valid && held?.question(valid.questionId);
        if (!question) throw new Error(`There is no question ${JSON.stringify(params)}`);
        return { revision, question };
      }
      const valid = validSearch(params);
      if (!valid || !held) throw new Error('Invalid search');
      return { revision, ids: held.search(valid.text) };
    });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    await page.goto(`${this.origin}/?theme=${options.theme ?? 'dark'}${options.virtualize === false ? '&virtualize=0' : ''}`);
    await until(page, 'window.posted && window.posted.some((m) => m.method === "evalReport/ready")');
    const post = (message: unknown) => page.evaluate((m) => (globalThis as unknown as { postMessage(data: unknown, origin: string): void }).postMessage(m, '*'), message);
    return {
      page,
      state: (state) => {
        held = new ReportLookup(state.report);
        revision++;
        return post({ jsonrpc: '2.0', method: evalReportStateNotification.method, params: pageState(state, revision) });
      },
      progress: (running) => post({ jsonrpc: '2.0', method: evalReportProgressNotification.method, params: running !== undefined ? { running } : {} }),
      posted: () => page.evaluate<{ method: string; [key: string]: unknown }[]>('window.posted'),
      close: async () => {
        const violations = await page.evaluate<string[]>('window.cspViolations');
        await page.close();
        if (violations.length > 0) errors.push(`CSP violations: ${violations.join(', ')}`);
        if (errors.length > 0) throw new Error(`The eval report page threw: ${errors.join('; ')}`);
      },
    };
  }

  async stop(): Promise<void> {
    await this.browser?.close();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
