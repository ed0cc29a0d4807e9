import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { configuredFormatFor } from '../../core/datasets/formatSettings';
import { type DatasetFinding } from '../../core/datasets/findings';
import { buildDatasetReport, reportOccurrencesPerCheck } from '../../core/datasets/report';
import { findSiblingSplits } from '../../core/datasets/splits';
import { type DatasetReport } from '../../shared/datasetReportProtocol';
import { countOf, formatByteSize } from '../../shared/humanText';
import { diagnosticSource } from '../../shared/languageServerProtocol';
import { resolveLocalModel } from '../../core/hub/cacheLocation';
import { type Ctx } from '../context';
import { type ModelSelection } from '../models/modelSelection';
import { DatasetReportPanel } from './datasetReportPanel';
import { runDatasetWorker } from './datasetWorkerRun';

export interface DatasetsHandles {
  /** Findings of "Validate Dataset File…", by file (the Problems panel shows them too). */
  fileDiagnostics: vscode.DiagnosticCollection;
  report: DatasetReportPanel;
  validateFile(uri: vscode.Uri): Promise<{ cancelled: boolean; findings: number } | undefined>;
  showReport(uri?: vscode.Uri): Promise<DatasetReport | undefined>;
}

const severities = { error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning, information: vscode.DiagnosticSeverity.Information } as const;

function toDiagnostic(item: DatasetFinding): vscode.Diagnostic {
  const { start, end } = item.range;
  const diagnostic = new vscode.Diagnostic(new vscode.Range(start.line, start.character, end.line, end.character), item.message, severities[item.severity]);
  diagnostic.source = diagnosticSource;
  diagnostic.code = item.code;
  return diagnostic;
}

/** Fine-tuning datasets on the host: validating files of any size from disk, and the dataset report. */
export function registerDatasets(ctx: Ctx, deps: { modelSelection: ModelSelection }): DatasetsHandles {
  const fileDiagnostics = ctx.own(vscode.languages.createDiagnosticCollection('chatwright-datasets'));
  const report = new DatasetReportPanel(ctx);
  const workerScript = (): string => ctx.asAbsolutePath('dist/datasetWorker.js');
  const workspaceFolders = (): string[] => (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);

  async function pickFile(title: string): Promise<vscode.Uri | undefined> {
    const picked = await vscode.window.showOpenDialog({ title, canSelectMany: false, openLabel: 'Check', filters: { 'JSON Lines': ['jsonl', 'ndjson', 'json'], 'All files': ['*'] } });
    return picked?.[0];
  }

  /**
   * The tokenizer to count with: the setting, else the selected chat model's own tokenizer.json (with its chat
   * template) when the model is on disk, else null for the default (Qwen3).
   */
  function tokenizerFor(settingPath: string): string | null {
    if (settingPath) return settingPath;
    const model = deps.modelSelection.chatModel;
    const folder = model ? resolveLocalModel(model) : undefined;
    const candidate = folder ? join(folder, 'tokenizer.json') : undefined;
    return candidate && existsSync(candidate) ? candidate : null;
  }

  function activeDataset(): vscode.TextDocument | undefined {
    const document = vscode.window.activeTextEditor?.document;
    return document?.languageId === 'jsonl' ? document : undefined;
  }

  async function validateFile(uri: vscode.Uri): Promise<{ cancelled: boolean; findings: number } | undefined> {
    if (uri.scheme !== 'file') throw new Error(`Only files on disk can be validated this way (got ${uri.scheme}:).`);
    const settings = ctx.config.datasets;
    const path = uri.fsPath;
    const format = configuredFormatFor(path, settings.formats, workspaceFolders());
    fileDiagnostics.delete(uri);
    let diagnostics: vscode.Diagnostic[] = [];
    let shown = 0;
    const result = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking ${basename(path)}`, cancellable: true }, async (progress, token) => {
      let reported = 0;
      let lastPush = 0;
      return runDatasetWorker(
        workerScript(),
        {
          kind: 'file',
          path,
          options: {
            ...(format ? { format } : {}),
            ...(settings.maxTokens > 0 ? { maxTokens: settings.maxTokens, tokenizer: tokenizerFor(settings.tokenizerPath) } : {}),
            minRows: settings.minRows,
            splitFiles: findSiblingSplits(path),
          },
        },
        {
          onFindings: (findings) => {
            diagnostics = diagnostics.concat(findings.map(toDiagnostic));
            shown += findings.length;
            // Refresh the Problems panel a few times a second, not per batch.
            if (Date.now() - lastPush > 300) {
              fileDiagnostics.set(uri, diagnostics);
              lastPush = Date.now();
            }
          },
          onProgress: (bytes, total) => {
            const percent = total > 0 ? (bytes / total) * 100 : 100;
            progress.report({ increment: percent - reported, message: `${formatByteSize(bytes)} of ${formatByteSize(total)}` });
            reported = percent;
          },
        },
        token,
      );
    });
    if (result.cancelled) {
      fileDiagnostics.set(uri, diagnostics);
      void vscode.window.showInformationMessage(`Chatwright: checking ${basename(path)} was cancelled; ${countOf(shown, 'problem')} found so far are in the Problems panel.`);
      return { cancelled: true, findings: shown };
    }
    fileDiagnostics.set(uri, diagnostics);
    const summary = buildDatasetReport(basename(path), result.stats);
    const listed = Object.values(result.stats.findings).reduce((a, b) => a + b, 0);
    const more = listed > shown ? ` (${shown} listed; the report counts all)` : '';
    const message = `Chatwright: ${basename(path)}: ${countOf(summary.rows, 'row')}, ${countOf(summary.errors, 'error')}, ${countOf(summary.warnings, 'warning')}${more}.`;
    ctx.log.info(message);
    void vscode.window.showInformationMessage(message, 'Show Problems', 'Show Report').then((choice) => {
      if (choice === 'Show Problems') void vscode.commands.executeCommand('workbench.actions.view.problems');
      if (choice === 'Show Report') void showReport(uri);
    });
    return { cancelled: false, findings: shown };
  }

  async function showReport(target?: vscode.Uri): Promise<DatasetReport | undefined> {
    const settings = ctx.config.datasets;
    const document = target ? vscode.workspace.textDocuments.find((d) => d.uri.toString() === target.toString()) : activeDataset();
    const uri = target ?? document?.uri ?? (await pickFile('Dataset report for…'));
    if (!uri) return undefined;
    const name = basename(uri.fsPath || uri.path);
    const format = uri.scheme === 'file' ? configuredFormatFor(uri.fsPath, settings.formats, workspaceFolders()) : undefined;
    const tokenOptions = { ...(settings.maxTokens > 0 ? { maxTokens: settings.maxTokens } : {}), tokenizer: tokenizerFor(settings.tokenizerPath) };
    report.show(`Dataset Report: ${name}`, uri);
    report.post({ type: 'progress', message: `Reading ${name}…` });
    let located: DatasetFinding[] = [];
    const run = (withTokens: boolean) => {
      located = [];
      return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Dataset report for ${name}`, cancellable: true }, (progress, token) =>
        runDatasetWorker(
          workerScript(),
          // An open (maybe unsaved) document is reported as the editor shows it; anything else is streamed from disk.
          document
            ? { kind: 'text', text: document.getText(), options: { ...(format ? { format } : {}), minRows: settings.minRows, ...(withTokens ? tokenOptions : {}) } }
            : {
                kind: 'file',
                path: uri.fsPath,
                options: { ...(format ? { format } : {}), minRows: settings.minRows, maxFindingsPerCode: reportOccurrencesPerCheck, ...(withTokens ? tokenOptions : {}) },
              },
          {
            onFindings: (findings) => (located = located.concat(findings)),
            onProgress: (bytes, total) => progress.report({ message: `${formatByteSize(bytes)} of ${formatByteSize(total)}` }),
          },
          token,
        ),
      );
    };
    let result;
    try {
      result = await run(true);
    } catch (error) {
      // A tokenizer that cannot load costs the token counts, not the report.
      const message = error instanceof Error ? error.message : String(error);
      if (!/tokenizer/i.test(message)) throw error;
      ctx.log.warn(`Dataset report without token counts: ${message}`);
      void vscode.window.showWarningMessage(`Chatwright: the report has no token counts: ${message}`);
      result = await run(false);
    }
    if (result.cancelled) {
      report.post({ type: 'error', message: 'Cancelled.' });
      return undefined;
    }
    const built = buildDatasetReport(name, result.stats, located);
    report.post({ type: 'report', report: built });
    return built;
  }

  ctx.registerCommands({
    'chatwright.datasets.validateFile': async (arg?: unknown) => {
      const uri = arg instanceof vscode.Uri ? arg : ((activeDataset()?.uri.scheme === 'file' ? activeDataset()!.uri : undefined) ?? (await pickFile('Validate a dataset file')));
      return uri ? validateFile(uri) : undefined;
    },
    'chatwright.datasets.showReport': async (arg?: unknown) => showReport(arg instanceof vscode.Uri ? arg : undefined),
    'chatwright.datasets.exportReport': async () => {
      if (!report.current) await showReport();
      await report.exportMarkdown();
    },
    'chatwright.datasets.clearFileProblems': () => fileDiagnostics.clear(),
  });
  return { fileDiagnostics, report, validateFile, showReport };
}
