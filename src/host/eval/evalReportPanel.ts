import { basename, dirname, isAbsolute, join, relative } from 'node:path';
import * as vscode from 'vscode';
import type { EvalProgress, EvalReport, ManualGrade, QuestionAnswerView, QuestionRow } from '../../core/eval/evalTypes';
import { reportCsv, reportJson, reportMarkdown } from '../../core/eval/reportExport';
import { ReportLookup } from '../../core/eval/reportSummary';
import { ProcessLauncher } from '../../core/process/launcher';
import {
  evalReportExportRequest,
  evalReportGradeRequest,
  evalReportOpenSourceRequest,
  evalReportProgressNotification,
  evalReportQuestionRequest,
  evalReportReadyNotification,
  evalReportRerunRequest,
  evalReportSearchRequest,
  evalReportStateNotification,
  evalReportStopRequest,
  type EvalExportFormat,
  type EvalReportState,
  type EvalReportSummary,
  type EvalRunStage,
} from '../../shared/evalReportProtocol';
import { reportWorkerExportRequest, reportWorkerLoadRequest, reportWorkerQuestionRequest, reportWorkerSearchRequest } from '../../shared/evalReportWorkerProtocol';
import { resolveWorkspacePath } from '../chat/workspacePaths';
import { createWebviewPanel, WebviewShell } from '../webviewShell';
import { exportExtensions, validEmpty, validExport, validGrade, validOpenSource, validQuestion, validRerun, validSearch } from './evalReportRequests';

/** What the eval feature does for the page: store a grade (then calls `update`), run and stop the comparison. */
export interface EvalReportHandlers {
  grade(reportFile: string, grade: ManualGrade): Promise<void>;
  /** `reportFile`: the report whose page asked (the comparison must write that report). */
  rerun(comparisonFile: string, strategies: string[] | undefined, reportFile: string): Promise<void>;
  stop(comparisonFile: string): void;
}

export type EvalRunProgress = EvalProgress & { stage: EvalRunStage };

/** The fewest milliseconds between two progress states sent to one page. */
const progressIntervalMs = 250;
const viewType = 'chatwright.evalReport';

interface SavedPageState {
  reportFile?: unknown;
  comparisonFile?: unknown;
}

const exportRenderers: Record<EvalExportFormat, (report: EvalReport) => string> = { markdown: reportMarkdown, csv: reportCsv, json: reportJson };

/**
 * A report a panel shows, where it is held: its summary (what the page gets), and the rest on request. A report read
 * from disk is held by a report worker (parsing megabytes takes the host's thread too long); one a run hands over is
 * already in the host's memory and stays there.
 */
interface HeldReport {
  readonly summary: EvalReportSummary;
  question(id: string): Promise<QuestionRow | undefined>;
  search(text: string): Promise<string[]>;
  exportText(format: EvalExportFormat): Promise<string>;
  dispose(): void;
}

class MemoryReport implements HeldReport {
  private readonly lookup: ReportLookup;
  readonly summary: EvalReportSummary;

  constructor(report: EvalReport) {
    this.lookup = new ReportLookup(report);
    this.summary = this.lookup.summary();
  }

  question(id: string): Promise<QuestionRow | undefined> {
    return Promise.resolve(this.lookup.question(id));
  }

  search(text: string): Promise<string[]> {
    return Promise.resolve(this.lookup.search(text));
  }

  exportText(format: EvalExportFormat): Promise<string> {
    return Promise.resolve(exportRenderers[format](this.lookup.report));
  }

  dispose(): void {}
}

class WorkerReport implements HeldReport {
  private constructor(
    private readonly launcher: ProcessLauncher,
    readonly summary: EvalReportSummary,
  ) {}

  /** Reads a report.json in a new report worker: the worker holding it, or what is wrong with the file. */
  static async load(script: string, file: string): Promise<{ ok: true; held: WorkerReport } | { ok: false; message: string }> {
    const launcher = new ProcessLauncher({ name: 'The report worker', target: { kind: 'worker', entry: script } });
    try {
      const result = await launcher.request(reportWorkerLoadRequest, { file });
      if (result.ok) return { ok: true, held: new WorkerReport(launcher, result.summary) };
      void launcher.dispose();
      return result;
    } catch (error) {
      void launcher.dispose();
      return { ok: false, message: `The report at ${file} could not be read: ${error instanceof Error ? error.message : String(error)}` };
    }
  }

  async question(id: string): Promise<QuestionRow | undefined> {
    return (await this.launcher.request(reportWorkerQuestionRequest, { questionId: id })) ?? undefined;
  }

  search(text: string): Promise<string[]> {
    return this.launcher.request(reportWorkerSearchRequest, { text });
  }

  exportText(format: EvalExportFormat): Promise<string> {
    return this.launcher.request(reportWorkerExportRequest, { format });
  }

  dispose(): void {
    void this.launcher.dispose();
  }
}

/**
 * One report panel: the report of one comparison. Until a valid report.json is read it shows a static message page
 * (no script); once there is a report it is the report page, told the state (the report's summary) when ready and
 * whenever the report or the run changes, and answering the page's requests for a question's detail and searches from
 * the report it holds.
 */
class EvalReportPanel implements vscode.Disposable {
  private shell: WebviewShell | undefined;
  private ready = false;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = 0;
  private held: HeldReport | undefined;
  /** Counts the reports this panel has held: the page drops a detail or search of an older one. */
  private revision = 0;
  private running: EvalRunProgress | undefined;
  private readonly panelDisposed: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly handlers: EvalReportHandlers,
    readonly panel: vscode.WebviewPanel,
    readonly reportFile: string,
    public comparisonFile: string | undefined,
    onDispose: () => void,
  ) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'chatwright.svg');
    this.panelDisposed = panel.onDidDispose(() => {
      this.dispose();
      onDispose();
    });
  }

  /** The comparison the report came from: the one given, else the one the report names. */
  private comparison(): string | undefined {
    return this.comparisonFile ?? this.held?.summary.comparison.file;
  }

  showMessage(message: string): void {
    this.shell?.dispose();
    this.shell = undefined;
    this.ready = false;
    this.panel.title = `Report: ${basename(dirname(this.reportFile))}`;
    this.panel.webview.options = { enableScripts: false, enableCommandUris: false, localResourceRoots: [vscode.Uri.joinPath(this.extensionUri, 'media')] };
    this.panel.webview.html = messagePageHtml(this.panel.webview, this.extensionUri, message);
  }

  get hasReport(): boolean {
    return this.held !== undefined;
  }

  /** How many reports this panel has been given: a load that started before a newer report arrived is dropped. */
  get generation(): number {
    return this.revision;
  }

  /** A new report (and, when given, the run's progress with it): its summary is sent at once. */
  setReport(held: HeldReport, running?: EvalRunProgress | 'unchanged'): void {
    if (this.held !== held) this.held?.dispose();
    this.held = held;
    this.revision++;
    if (running !== 'unchanged') this.running = running;
    this.panel.title = `Report: ${held.summary.comparison.name}`;
    if (!this.shell) this.attachShell();
    else this.sendSoon(true, true);
  }

  setProgress(progress: EvalRunProgress | undefined): void {
    this.running = progress;
    this.sendSoon(progress === undefined, false);
  }

  private attachShell(): void {
    const shell = new WebviewShell(this.log, this.panel, this.extensionUri, { title: 'Eval report', script: 'evalReport.js', styles: ['webview.css', 'evalReport.css'], codicons: true });
    this.shell = shell;
    shell.onValidatedNotification(evalReportReadyNotification, validEmpty, () => {
      // A page shown again after being hidden without retained context starts over with the whole state.
      this.ready = true;
      void this.send();
    });
    shell.onRequest(
      evalReportQuestionRequest,
      (params) => validQuestion(this.held?.summary, params),
      ({ questionId }) => this.question(questionId),
    );
    shell.onRequest(evalReportSearchRequest, validSearch, ({ text }) => this.search(text));
    shell.onRequest(
      evalReportGradeRequest,
      (params) => validGrade(this.held?.summary, params),
      (grade) => this.handlers.grade(this.reportFile, { ...grade, gradedAt: Date.now() }),
    );
    shell.onRequest(evalReportExportRequest, validExport, ({ format }) => this.export(format));
    shell.onRequest(evalReportOpenSourceRequest, validOpenSource, ({ file, line }) => this.openSource(file, line));
    shell.onRequest(
      evalReportRerunRequest,
      (params) => validRerun(this.held?.summary, params),
      ({ strategies }) => this.rerun(strategies),
    );
    shell.onRequest(evalReportStopRequest, validEmpty, () => {
      const comparison = this.comparison();
      if (comparison !== undefined) this.handlers.stop(comparison);
    });
  }

  /**
   * Sends the whole state (`withReport`: a new report) or only the progress, now (`immediately`: a new report, the run
   * ended) or at most four times a second (progress ticks). A pending progress tick is dropped by a whole state.
   */
  private sendSoon(immediately: boolean, withReport = true): void {
    if (!this.ready) return;
    if (immediately) {
      if (this.timer !== undefined) clearTimeout(this.timer);
      this.timer = undefined;
      void (withReport ? this.send() : this.sendProgress());
      return;
    }
    if (this.timer !== undefined) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        void this.sendProgress();
      },
      Math.max(0, this.lastSentAt + progressIntervalMs - Date.now()),
    );
  }

  private async sendProgress(): Promise<void> {
    if (!this.shell) return;
    this.lastSentAt = Date.now();
    await this.shell.notify(evalReportProgressNotification, this.running !== undefined ? { running: this.running } : {});
  }

  private async send(): Promise<void> {
    if (!this.shell || !this.held) return;
    this.lastSentAt = Date.now();
    const state: EvalReportState = {
      report: this.held.summary,
      revision: this.revision,
      reportFile: this.reportFile,
      canRun: this.comparison() !== undefined && vscode.workspace.isTrusted,
      ...(this.running !== undefined ? { running: this.running } : {}),
    };
    await this.shell.notify(evalReportStateNotification, state);
  }

  /** A question's row of the report held, if any. */
  async heldQuestion(questionId: string): Promise<QuestionRow | undefined> {
    return this.held?.question(questionId);
  }

  private async question(questionId: string): Promise<{ revision: number; question: QuestionRow }> {
    const held = this.held;
    const revision = this.revision;
    const question = await held?.question(questionId);
    if (!question) throw new Error(`The report has no question ${questionId} any more.`);
    return { revision, question };
  }

  private async search(text: string): Promise<{ revision: number; ids: string[] }> {
    const held = this.held;
    const revision = this.revision;
    return { revision, ids: held ? await held.search(text) : [] };
  }

  private async export(format: EvalExportFormat): Promise<string | null> {
    const held = this.held;
    if (!held) throw new Error('There is no report to export yet.');
    const report = held.summary;
    const comparison = this.comparison();
    const folder = comparison !== undefined ? dirname(comparison) : dirname(this.reportFile);
    const safeName = report.comparison.name.replace(/[^\w.-]+/g, '-') || 'comparison';
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(join(folder, `${safeName}-report.${exportExtensions[format]}`)),
      title: `Export the report as ${format === 'markdown' ? 'Markdown' : format.toUpperCase()}`,
      filters: { [format === 'markdown' ? 'Markdown' : format.toUpperCase()]: [exportExtensions[format]] },
    });
    if (!target) return null;
    await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(await held.exportText(format)));
    this.log.info(`Eval report exported to ${target.fsPath}`);
    return target.fsPath;
  }

  /** Opens a workspace file at a line: a passage's (workspace-relative) or the eval set's (absolute, inside a folder). */
  private async openSource(file: string, line: number | undefined): Promise<void> {
    const uri = workspaceFileUri(file);
    if (!uri) throw new Error(`${file} is not in this workspace.`);
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      throw new Error(`${file} no longer exists.`);
    }
    const document = await vscode.workspace.openTextDocument(uri);
    const index = Math.min(Math.max((line ?? 1) - 1, 0), Math.max(document.lineCount - 1, 0));
    const range = new vscode.Range(index, 0, index, 0);
    const editor = await vscode.window.showTextDocument(document, { selection: range, preview: true, viewColumn: vscode.ViewColumn.One });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private async rerun(strategies: string[] | undefined): Promise<void> {
    const comparison = this.comparison();
    if (comparison === undefined) throw new Error('This report does not name its comparison file: run it from the comparison file instead.');
    if (!vscode.workspace.isTrusted) throw new Error('Comparisons run only in a trusted workspace.');
    await this.handlers.rerun(comparison, strategies, this.reportFile);
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.panelDisposed.dispose();
    this.shell?.dispose();
    this.shell = undefined;
    this.held?.dispose();
    this.held = undefined;
  }
}

/** A workspace file: a workspace-relative path, or an absolute one inside a workspace folder. */
function workspaceFileUri(file: string): vscode.Uri | undefined {
  if (!isAbsolute(file)) return resolveWorkspacePath(file);
  const inside = (vscode.workspace.workspaceFolders ?? []).some((folder) => {
    const rest = relative(folder.uri.fsPath, file);
    return rest.length > 0 && !rest.startsWith('..') && !isAbsolute(rest);
  });
  return inside ? vscode.Uri.file(file) : undefined;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A page with one message and no script, under a CSP that allows only the extension's stylesheets. */
function messagePageHtml(webview: vscode.Webview, extensionUri: vscode.Uri, message: string): string {
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'webview.css')).toString();
  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src ${webview.cspSource}">
    <link rel="stylesheet" href="${style}">
    <title>Eval report</title>
  </head>
  <body>
    <h2>No report to show</h2>
    <p class="status" data-result="error" id="report-message">${escapeHtml(message)}</p>
  </body>
</html>`;
}

/**
 * The eval report panels: one editor panel per report file (revealed rather than opened twice), kept up to date by
 * the eval feature (`update` with a new report, `progress` while a run goes), and restored after a window reload
 * (the page saves its report file as its state).
 */
export class EvalReportPanels implements vscode.Disposable {
  private readonly panels = new Map<string, EvalReportPanel>();
  private readonly serializer: vscode.Disposable;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly log: vscode.LogOutputChannel,
    private readonly handlers: EvalReportHandlers,
  ) {
    this.serializer = vscode.window.registerWebviewPanelSerializer(viewType, {
      deserializeWebviewPanel: async (panel: vscode.WebviewPanel, state: SavedPageState | undefined) => {
        const reportFile = typeof state?.reportFile === 'string' && isAbsolute(state.reportFile) ? state.reportFile : undefined;
        if (reportFile === undefined || this.panels.has(reportFile)) {
          this.log.info(`Eval report not restored: ${reportFile ?? 'no report file saved'}${reportFile !== undefined ? ' is open already' : ''}`);
          panel.dispose();
          return;
        }
        const comparisonFile = typeof state?.comparisonFile === 'string' && isAbsolute(state.comparisonFile) ? state.comparisonFile : undefined;
        await this.load(this.attach(panel, reportFile, comparisonFile));
      },
    });
  }

  private attach(panel: vscode.WebviewPanel, reportFile: string, comparisonFile: string | undefined): EvalReportPanel {
    const page: EvalReportPanel = new EvalReportPanel(this.extensionUri, this.log, this.handlers, panel, reportFile, comparisonFile, () => {
      if (this.panels.get(reportFile) === page) this.panels.delete(reportFile);
    });
    this.panels.set(reportFile, page);
    return page;
  }

  /** Reads the panel's report.json in a report worker; a report handed over (`update`) meanwhile wins. */
  private async load(page: EvalReportPanel): Promise<void> {
    const generation = page.generation;
    const result = await WorkerReport.load(vscode.Uri.joinPath(this.extensionUri, 'dist', 'evalReportWorker.js').fsPath, page.reportFile);
    if (page.generation !== generation || this.panels.get(page.reportFile) !== page) {
      if (result.ok) result.held.dispose();
      return;
    }
    if (result.ok) page.setReport(result.held, 'unchanged');
    else {
      this.log.warn(`Eval report: ${result.message}`);
      page.showMessage(result.message);
    }
  }

  /** Opens the report of a report.json, or reveals it when it is open. */
  async show(reportFile: string, comparisonFile?: string): Promise<void> {
    const open = this.panels.get(reportFile);
    if (open) {
      if (comparisonFile !== undefined) open.comparisonFile = comparisonFile;
      open.panel.reveal(undefined, false);
      // A panel showing why there was no report looks again: the run may have written one since.
      if (!open.hasReport) await this.load(open);
      return;
    }
    const panel = createWebviewPanel(this.extensionUri, viewType, `Report: ${basename(dirname(reportFile))}`, { preserveFocus: false, retainContextWhenHidden: true });
    await this.load(this.attach(panel, reportFile, comparisonFile));
  }

  /** A new report for an open panel (after a run or a grade); nothing when none shows that file. */
  update(reportFile: string, report: EvalReport, running?: EvalRunProgress): void {
    const page = this.panels.get(reportFile);
    if (!page) return;
    page.setReport(new MemoryReport(report), running);
  }

  /** An answer of the report a panel holds (undefined when no panel holds that report, or it has no such answer). */
  async answerOf(reportFile: string, questionId: string, strategy: string): Promise<QuestionAnswerView | undefined> {
    const row = await this.panels
      .get(reportFile)
      ?.heldQuestion(questionId)
      .catch(() => undefined);
    return row && Object.hasOwn(row.answers, strategy) ? row.answers[strategy] : undefined;
  }

  /** The run's progress (undefined: the run ended) for an open panel. */
  progress(reportFile: string, progress: EvalRunProgress | undefined): void {
    this.panels.get(reportFile)?.setProgress(progress);
  }

  /** The report files whose panels are open. */
  openReports(): string[] {
    return [...this.panels.keys()];
  }

  dispose(): void {
    this.serializer.dispose();
    for (const page of [...this.panels.values()]) {
      page.dispose();
      page.panel.dispose();
    }
    this.panels.clear();
  }
}
