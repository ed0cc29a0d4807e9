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
  /** The file the report is about: occurrences open it. */
  private source: vscode.Uri | undefined;
  private ready = false;
  private queued: HostToDatasetReport | undefined;

  constructor(private readonly ctx: Ctx) {}

  /** The report currently shown (for the API and tests). */
  get current(): DatasetReport | undefined {
    return this.report;
  }

  show(title: string, source?: vscode.Uri): void {
    this.source = source;
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
    if (message.type === 'exportMarkdown') await this.exportMarkdown();
    else await this.openOccurrence(message.line, message.character);
  }

  /** Opens the reported file at a line, in the editor group the report is not in (the dataset's own, usually). */
  async openOccurrence(line: number, character: number): Promise<vscode.TextEditor | undefined> {
    if (!this.source || !this.report || line >= Math.max(1, this.report.lines)) {
      this.ctx.log.warn(`Dataset report: no line ${line + 1} to open`);
      return undefined;
    }
    const position = new vscode.Position(line, character);
    const besideReport = this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One;
    try {
      const document = await vscode.workspace.openTextDocument(this.source);
      const editor = await vscode.window.showTextDocument(document, { viewColumn: besideReport, preserveFocus: false, preview: true, selection: new vscode.Range(position, position) });
      editor.revealRange(new vscode.Range(position, position), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
      return editor;
    } catch (error) {
      void vscode.window.showErrorMessage(`Chatwright: cannot open ${vscode.workspace.asRelativePath(this.source)} at line ${line + 1}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  /** Opens the report as an untitled Markdown document: the user decides where to save it. */
  async exportMarkdown(): Promise<vscode.TextDocument | undefined> {
    if (!this.report) return undefined;
    const document = await vscode.workspace.openTextDocument({ language: 'markdown', content: reportToMarkdown(this.report) });
    await vscode.window.showTextDocument(document, { preview: false });
    return document;
  }
}
