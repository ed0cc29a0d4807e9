import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export interface WebviewPage {
  title: string;
  /** Script bundle under dist/webview/, e.g. `chat.js`. */
  script: string;
  /** Stylesheets under media/. */
  styles: string[];
  /** Stylesheets the build writes beside the script under dist/webview/ (a bundled library's CSS, e.g. `jobPage.css`). */
  bundleStyles?: string[];
  /** Loads VS Code's icon font (`<span class="codicon codicon-add">`), copied by the build to dist/webview/codicons. */
  codicons?: boolean;
}

/** Webviews may load only Chatwright's built webview bundles and media, nothing from the workspace. */
export function webviewResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(extensionUri, 'media')];
}

/**
 * The HTML shell of every Chatwright webview: a strict CSP (nothing by default, scripts only with this page's
 * nonce, styles and images only from the extension), and an empty body the bundle renders into.
 */
export function renderWebviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: WebviewPage): string {
  const nonce = randomBytes(16).toString('base64');
  const csp = ["default-src 'none'", `style-src ${webview.cspSource}`, `img-src ${webview.cspSource} data:`, `font-src ${webview.cspSource}`, `script-src 'nonce-${nonce}'`].join('; ');
  const scriptUri = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', page.script));
  const styleUris = [
    ...(page.codicons ? [vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'codicons', 'codicon.css')] : []),
    ...(page.bundleStyles ?? []).map((style) => vscode.Uri.joinPath(extensionUri, 'dist', 'webview', style)),
    ...page.styles.map((style) => vscode.Uri.joinPath(extensionUri, 'media', style)),
  ];
  const styleLinks = styleUris.map((uri) => `<link rel="stylesheet" href="${webview.asWebviewUri(uri).toString()}">`).join('\n    ');
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="${csp}">
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    ${styleLinks}
    <title>${escapeHtml(page.title)}</title>
  </head>
  <body>
    <main id="root" aria-live="polite"></main>
    <script nonce="${nonce}" src="${scriptUri.toString()}"></script>
  </body>
</html>`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
