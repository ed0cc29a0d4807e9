import * as vscode from 'vscode';
import { reportToMarkdown } from '../../core/datasets/report';
import { parseDatasetReportMessage, type DatasetReport, type HostToDatasetReport } from '../../shared/datasetReportProtocol';
import { type Ctx } from '../context';
import { renderWebviewHtml, webviewResourceRoots } from '../webviewHtml';

/** The dataset report in an editor-area webview: one panel, re-used for each report. */
export class DatasetReportPanel {
  static readonly viewType = 'chatwright.datasetReport';
  private panel: vscode.WebviewPanel | undefined;
  private report: DatasetReport | undefined;
  private ready = false;
  private queued: HostToDatasetReport | undefined;

  constructor(private readonly ctx: Ctx) {}

  /** The report currently shown (for the API and tests). */
  get current(): DatasetReport | undefined {
    return this.report;
  }

  show(title: string): void {
    if (this.panel) {
      this.panel.title = title;
      this.panel.reveal(undefined, true);
      return;
    }
    const extensionUri = this.ctx.extension.extensionUri;
    const panel = vscode.window.createWebviewPanel(DatasetReportPanel.viewType, title, { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true }, {
      enableScripts: true,
      enableCommandUris: false,
      retainContextWhenHidden: true,
      localResourceRoots: webviewResourceRoots(extensionUri),
    });
    this.panel = panel;
    this.ready = false;
    panel.webview.html = renderWebviewHtml(panel.webview, extensionUri, { title: 'Dataset Report', script: 'datasetReport.js', styles: ['webview.css', 'datasetReport.css'] });
    const subscription = panel.webview.onDidReceiveMessage((raw: unknown) => this.onMessage(raw));
    panel.onDidDispose(() => {
      subscription.dispose();
      this.panel = undefined;
    });
  }

  post(message: HostToDatasetReport): void {
    if (message.type === 'report') this.report = message.report;
    if (!this.ready) {
      this.queued = message;
      return;
    }
    void this.panel?.webview.postMessage(message);
  }

  private async onMessage(raw: unknown): Promise<void> {
    const message = parseDatasetReportMessage(raw);
    if (!message) {
      this.ctx.log.warn(`Dataset report sent an unknown message: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    if (message.type === 'ready') {
      this.ready = true;
      if (this.queued) void this.panel?.webview.postMessage(this.queued);
      this.queued = undefined;
      return;
    }
    await this.exportMarkdown();
  }

  /** Opens the report as an untitled Markdown document: the user decides where to save it. */
  async exportMarkdown(): Promise<vscode.TextDocument | undefined> {
    if (!this.report) return undefined;
    const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: reportToMarkdown(this.report) });
    await vscode.window.showTextDocument(document, { preview: false });
    return document;
  }
}
