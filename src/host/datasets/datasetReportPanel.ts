import * as vscode from 'vscode';
import { reportToMarkdown } from '../../core/datasets/report';
import { datasetReportUpdate, DatasetReportNotifications, validOccurrencePosition, type DatasetReport, type HostToDatasetReport } from '../../shared/datasetReportProtocol';
import { type Ctx } from '../context';
import { createWebviewPanel, WebviewShell } from '../webviewShell';

/** The dataset report in an editor-area webview: one panel, re-used for each report. */
export class DatasetReportPanel {
  static readonly viewType = 'chatwright.datasetReport';
  private panel: vscode.WebviewPanel | undefined;
  private shell: WebviewShell | undefined;
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
    const panel = createWebviewPanel(this.ctx.extension.extensionUri, DatasetReportPanel.viewType, title, { preserveFocus: true, retainContextWhenHidden: true });
    const shell = new WebviewShell(this.ctx.log, panel, this.ctx.extension.extensionUri, { title: 'Dataset Report', script: 'datasetReport.js', styles: ['webview.css', 'datasetReport.css'] });
    this.panel = panel;
    this.shell = shell;
    this.ready = false;
    shell.onNotification(DatasetReportNotifications.ready, () => {
      this.ready = true;
      if (this.queued) void shell.notify(datasetReportUpdate, this.queued);
      this.queued = undefined;
    });
    shell.onNotification(DatasetReportNotifications.exportMarkdown, () => void this.exportMarkdown());
    shell.onValidatedNotification(DatasetReportNotifications.openOccurrence, validOccurrencePosition, ({ line, character }) => void this.openOccurrence(line, character));
    shell.onDidDispose(() => {
      this.panel = undefined;
      this.shell = undefined;
    });
  }

  /** Shows a report or progress; until the page has loaded, only the latest one is kept for it. */
  post(message: HostToDatasetReport): void {
    if (message.type === 'report') this.report = message.report;
    if (!this.ready) {
      this.queued = message;
      return;
    }
    void this.shell?.notify(datasetReportUpdate, message);
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
