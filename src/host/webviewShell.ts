import * as vscode from 'vscode';
import { type MessageConnection, type NotificationType, type NotificationType0, type RequestType } from 'vscode-jsonrpc/node';
import { renderWebviewHtml, webviewResourceRoots, type WebviewPage } from './webviewHtml';
import { connectToWebview, onValidatedNotification, onValidatedRequest, type ParamsValidator } from './webviewRpc';

/** Scripts on, command links off, and resources only from Chatwright's webview bundles and media. */
export function webviewOptions(extensionUri: vscode.Uri): vscode.WebviewOptions {
  return { enableScripts: true, enableCommandUris: false, localResourceRoots: webviewResourceRoots(extensionUri) };
}

/**
 * Opens an editor-area panel for one of Chatwright's webviews, beside the active editor. `retainContextWhenHidden`
 * keeps a page whose state is costly to rebuild (a report, a preview) alive in a background tab.
 */
export function createWebviewPanel(extensionUri: vscode.Uri, viewType: string, title: string, options: { preserveFocus: boolean; retainContextWhenHidden: boolean }): vscode.WebviewPanel {
  return vscode.window.createWebviewPanel(
    viewType,
    title,
    { viewColumn: vscode.ViewColumn.Beside, preserveFocus: options.preserveFocus },
    { ...webviewOptions(extensionUri), retainContextWhenHidden: options.retainContextWhenHidden },
  );
}

/**
 * The host's side of one Chatwright webview (a panel, a restored panel or a sidebar view): it sets the webview's
 * options and page (strict CSP, see webviewHtml.ts), holds the typed RPC connection to it, validates every request
 * on receipt, and logs what the page sent that nobody serves. It ends with the panel or view (`onDidDispose`), or
 * when its owner disposes it first.
 */
export class WebviewShell implements vscode.Disposable {
  private readonly connection: MessageConnection;
  private readonly disposables: vscode.Disposable[] = [];
  private readonly disposed = new vscode.EventEmitter<void>();
  private isDisposed = false;
  /** Fires once, when the panel or view is closed or the shell disposed. */
  readonly onDidDispose = this.disposed.event;
  readonly webview: vscode.Webview;

  constructor(
    private readonly log: vscode.LogOutputChannel,
    container: vscode.WebviewPanel | vscode.WebviewView,
    extensionUri: vscode.Uri,
    private readonly page: WebviewPage,
  ) {
    this.webview = container.webview;
    this.webview.options = webviewOptions(extensionUri);
    this.webview.html = renderWebviewHtml(this.webview, extensionUri, page);
    this.connection = connectToWebview(this.webview, (problem) => this.warn(problem));
    this.disposables.push(container.onDidDispose(() => this.dispose()));
  }

  private warn(problem: string): void {
    this.log.warn(`${this.page.title}: ${problem}`);
  }

  /** Serves a request whose params `validate` accepts; see `onValidatedRequest`. */
  onRequest<P, R>(type: RequestType<P, R, void>, validate: ParamsValidator<P>, handler: (params: P, signal: AbortSignal) => R | Promise<R>): void {
    this.disposables.push(onValidatedRequest(this.connection, type, validate, (problem) => this.warn(problem), handler));
  }

  /** Handles a notification without params (the page's `ready`, sent again each time a hidden view is shown). */
  onNotification(type: NotificationType0, handler: () => void): void {
    this.disposables.push(this.connection.onNotification(type, handler));
  }

  /** Handles a notification whose params `validate` accepts (a malformed one is logged and dropped). */
  onValidatedNotification<P>(type: NotificationType<P>, validate: ParamsValidator<P>, handler: (params: P) => void): void {
    this.disposables.push(onValidatedNotification(this.connection, type, validate, (problem) => this.warn(problem), handler));
  }

  /**
   * Tells the page something; resolves once it is posted. A page that is gone (hidden, closed) misses it and asks
   * again with `ready`.
   */
  notify<P>(type: NotificationType<P>, params: P): Promise<void> {
    return this.isDisposed ? Promise.resolve() : this.connection.sendNotification(type, params);
  }

  dispose(): void {
    if (this.isDisposed) return;
    this.isDisposed = true;
    for (const disposable of this.disposables.splice(0)) disposable.dispose();
    this.connection.dispose();
    this.disposed.fire();
    this.disposed.dispose();
  }
}
