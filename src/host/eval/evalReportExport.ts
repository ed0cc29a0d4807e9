import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as vscode from 'vscode';
import { readBoundedText } from '../../core/files/boundedRead';
import { type ComparisonSpec, type EvalReport } from '../../core/eval/evalTypes';
import { reportCsv, reportJson, reportMarkdown } from '../../core/eval/reportExport';
import { reportFileOf } from './evalRunService';

const formats = [
  { label: 'Markdown', extension: 'md', detail: 'The recommendation, the strategy table with intervals, the ladder, the worst questions', write: reportMarkdown },
  { label: 'CSV', extension: 'csv', detail: 'One row per question × strategy with every score (for a spreadsheet)', write: reportCsv },
  { label: 'JSON', extension: 'json', detail: 'The whole report', write: reportJson },
] as const;

/** "Export Report…": a format, then a save dialog (default `<name>-report.<ext>` beside the comparison file). Returns the file written. */
export async function exportReport(spec: ComparisonSpec): Promise<string | undefined> {
  let report: EvalReport;
  try {
    report = JSON.parse(await readBoundedText(reportFileOf(spec), { kind: 'document', maxBytes: 64 << 20 })) as EvalReport;
  } catch {
    void vscode.window.showInformationMessage(`Chatwright: ${spec.name} has no readable report yet: run it first.`);
    return undefined;
  }
  if (report.version !== 1) throw new Error(`${reportFileOf(spec)} is not a report this version of Chatwright reads: run the comparison again.`);
  const format = await vscode.window.showQuickPick(formats, { title: `Export ${spec.name}'s report`, placeHolder: 'Format' });
  if (!format) return undefined;
  const target = await vscode.window.showSaveDialog({
    defaultUri: vscode.Uri.file(join(dirname(spec.file), `${spec.name}-report.${format.extension}`)),
    filters: { [format.label]: [format.extension] },
  });
  if (!target) return undefined;
  await writeFile(target.fsPath, format.write(report), 'utf8');
  void vscode.window.showInformationMessage(`Chatwright: the report was exported to ${vscode.workspace.asRelativePath(target)}.`);
  return target.fsPath;
}
