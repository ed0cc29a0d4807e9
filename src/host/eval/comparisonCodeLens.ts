import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { isComparisonFilePath, parseComparison } from '../../core/eval/comparisonFile';
import { type EvalRunService } from './evalRunService';

/** The files that are comparison files: `*.compare.yaml`, `*.compare.yml`, `*.compare.json`. */
export const comparisonFileSelector: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.compare.{yaml,yml,json}' }];

/**
 * "▶ Run Comparison" (or "Stop" while it runs) and, once it has a report, "Open Report", above a comparison file's
 * first line.
 */
export class ComparisonCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly runs: EvalRunService) {
    this.subscription = runs.onDidChange(() => this.changed.fire());
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (document.uri.scheme !== 'file' || !isComparisonFilePath(document.uri.fsPath)) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const args = [document.uri];
    const lenses = this.runs.isRunning(document.uri.fsPath)
      ? [new vscode.CodeLens(top, { title: '$(debug-stop) Stop', command: 'chatwright.eval.stop', arguments: args, tooltip: 'Stop the run: the answers so far are kept' })]
      : [
          new vscode.CodeLens(top, {
            title: '$(play) Run Comparison',
            command: 'chatwright.eval.run',
            arguments: args,
            tooltip: 'Answer the eval set with every strategy, score and compare them (Chatwright)',
          }),
        ];
    const report = reportFileOf(document);
    if (report && existsSync(report)) lenses.push(new vscode.CodeLens(top, { title: 'Open Report', command: 'chatwright.eval.openReport', arguments: args, tooltip: report }));
    return lenses;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** The report file of a comparison that parses (its `output:` or the default folder); undefined when it has errors. */
export function reportFileOf(document: vscode.TextDocument): string | undefined {
  const root = vscode.workspace.getWorkspaceFolder(document.uri)?.uri.fsPath ?? dirname(document.uri.fsPath);
  try {
    const { spec } = parseComparison(document.getText(), document.uri.fsPath, { workspaceRoot: root });
    return spec ? join(spec.outputDir, 'report.json') : undefined;
  } catch {
    return undefined;
  }
}
