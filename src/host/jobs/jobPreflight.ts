import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { readBoundedText } from '../../core/files/boundedRead';
import { fieldPosition } from '../../core/jobs/jobFieldPosition';
import { resolveJobText, type JobFileProblem, type JobFileResult } from '../../core/jobs/jobFile';
import { type PreflightFinding } from '../../core/jobs/preflight';
import { resolveLocalModel } from '../../core/hub/cacheLocation';
import { type Hardware } from '../../core/hub/memoryEstimate';
import { ProcessCrashedError, ProcessLauncher } from '../../core/process/launcher';
import { type JobPreflightView } from '../../shared/jobPageProtocol';
import { diagnosticSource } from '../../shared/languageServerProtocol';
import { preflightRequest } from '../../shared/preflightProtocol';

const severities = { error: vscode.DiagnosticSeverity.Error, warning: vscode.DiagnosticSeverity.Warning, information: vscode.DiagnosticSeverity.Information } as const;

/** A job file's text as the editor holds it (unsaved edits count), else as on disk. */
export function jobFileText(uri: vscode.Uri): string {
  const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
  return open ? open.getText() : readFileSync(uri.fsPath, 'utf8');
}

/** Resolves a job file (Hub ids become their folder in the Hugging Face cache when it is there). */
export function resolveJob(uri: vscode.Uri, env: NodeJS.ProcessEnv = process.env): JobFileResult {
  let text: string;
  try {
    text = jobFileText(uri);
  } catch (error) {
    return { name: uri.fsPath, problems: [{ line: 1, column: 1, path: '', message: error instanceof Error ? error.message : String(error) }] };
  }
  return resolveJobText(text, uri.fsPath, { resolveHubModel: (id) => resolveLocalModel(id, env) });
}

/**
 * `resolveJob` off the extension host's thread for the file's read: the editor's text when it is open, else a bounded
 * asynchronous read.
 */
export async function resolveJobAsync(uri: vscode.Uri, env: NodeJS.ProcessEnv = process.env): Promise<JobFileResult> {
  let text: string;
  try {
    const open = vscode.workspace.textDocuments.find((document) => document.uri.toString() === uri.toString());
    text = open ? open.getText() : await readBoundedText(uri.fsPath, { kind: 'template' });
  } catch (error) {
    return { name: uri.fsPath, problems: [{ line: 1, column: 1, path: '', message: error instanceof Error ? error.message : String(error) }] };
  }
  return resolveJobText(text, uri.fsPath, { resolveHubModel: (id) => resolveLocalModel(id, env) });
}

/** A job file's problems as diagnostics (1-based positions to the editor's 0-based ones). */
export function problemDiagnostics(problems: readonly JobFileProblem[]): vscode.Diagnostic[] {
  return problems.map((problem) => {
    const line = Math.max(0, problem.line - 1);
    const column = Math.max(0, problem.column - 1);
    const diagnostic = new vscode.Diagnostic(new vscode.Range(line, column, line, column + 1), problem.path ? `${problem.path}: ${problem.message}` : problem.message, vscode.DiagnosticSeverity.Error);
    diagnostic.source = diagnosticSource;
    diagnostic.code = 'job-file';
    return diagnostic;
  });
}

/**
 * Preflight findings as diagnostics on the job file: a finding about a field sits on that field's line (or the
 * nearest enclosing key the file has), any other on the first line. Findings located in the dataset or the model
 * keep their place in the message; the dataset's own diagnostics come from the dataset checks.
 */
export function findingDiagnostics(jobText: string, findings: readonly PreflightFinding[]): vscode.Diagnostic[] {
  return findings.map((finding) => {
    const position = finding.location?.field ? fieldPosition(jobText, finding.location.field) : undefined;
    const range = position ? new vscode.Range(position.line, position.startCharacter, position.line, Math.max(position.endCharacter, position.startCharacter + 1)) : new vscode.Range(0, 0, 0, 1);
    const where = finding.location && !finding.location.field ? ` (${finding.location.file}${finding.location.line !== undefined ? `:${finding.location.line}` : ''})` : '';
    const diagnostic = new vscode.Diagnostic(range, `${finding.message}${where} ${finding.action}`.trim(), severities[finding.severity]);
    diagnostic.source = `${diagnosticSource} preflight`;
    diagnostic.code = finding.code;
    return diagnostic;
  });
}

/** Runs a job's preflight in a worker thread (dist/preflightWorker.js); cancelling terminates the worker at once. */
export async function runPreflightWorker(
  script: string,
  params: { config: NonNullable<JobFileResult['config']>; hardware?: Hardware },
  token?: vscode.CancellationToken,
): Promise<JobPreflightView | undefined> {
  if (token?.isCancellationRequested) return undefined;
  const launcher = new ProcessLauncher({ name: 'The preflight worker', target: { kind: 'worker', entry: script } });
  const controller = new AbortController();
  const subscription = token?.onCancellationRequested(() => {
    controller.abort();
    void launcher.dispose();
  });
  try {
    return await launcher.request(preflightRequest, params, { signal: controller.signal });
  } catch (error) {
    if (controller.signal.aborted) return undefined;
    throw error instanceof ProcessCrashedError ? new Error(`${error.crash.reason}.`, { cause: error }) : error;
  } finally {
    subscription?.dispose();
    await launcher.dispose();
  }
}
