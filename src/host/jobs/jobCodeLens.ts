import { resolve } from 'node:path';
import * as vscode from 'vscode';
import { jobCommands, type JobSource } from './jobSource';

/** The files that are job files: `*.job.yaml`, `*.job.yml`, `*.job.json`. */
export const jobFileSelector: vscode.DocumentSelector = [{ scheme: 'file', pattern: '**/*.job.{yaml,yml,json}' }];

export function isJobFile(uri: vscode.Uri): boolean {
  return uri.scheme === 'file' && /\.job\.(ya?ml|json)$/i.test(uri.fsPath);
}

/** "▶ Run Job", "Preflight" and, once the file has run, "Open Job Page" for its last run, above a job file's first line. */
export class JobCodeLensProvider implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly source: JobSource) {
    this.subscription = source.onDidChange(() => this.changed.fire());
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    if (!isJobFile(document.uri)) return [];
    const top = new vscode.Range(0, 0, 0, 0);
    const lenses = [
      new vscode.CodeLens(top, { title: '$(play) Run Job', command: jobCommands.run, arguments: [document.uri], tooltip: 'Preflight, then train this job (Chatwright)' }),
      new vscode.CodeLens(top, { title: 'Preflight', command: jobCommands.preflight, arguments: [document.uri], tooltip: 'Check the data, loss mask, template and memory without training' }),
    ];
    const last = lastRunOf(this.source, document.uri.fsPath);
    if (last) lenses.push(new vscode.CodeLens(top, { title: `Open Job Page (${last.status})`, command: jobCommands.showJobPage, arguments: [last.runDir], tooltip: last.runDir }));
    return lenses;
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

/** The newest run of a job file, if it ran. */
export function lastRunOf(source: JobSource, jobFile: string): { runDir: string; status: string } | undefined {
  const file = resolve(jobFile);
  return source.all().find((snapshot) => snapshot.jobFile !== undefined && resolve(snapshot.jobFile) === file);
}
