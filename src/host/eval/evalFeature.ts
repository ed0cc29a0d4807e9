import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import * as vscode from 'vscode';
import { parseComparison, isComparisonFilePath } from '../../core/eval/comparisonFile';
import { type ComparisonSpec, type EvalProgress, type EvalReport, type ManualGrade } from '../../core/eval/evalTypes';
import { InterruptedRunError } from '../../core/eval/evalRunState';
import { appendGrade } from '../../core/eval/gradesFile';
import { readBoundedText } from '../../core/files/boundedRead';
import { type ChatHandles } from '../chat/chatFeature';
import { type Ctx } from '../context';
import { type EngineHost } from '../engine/engineHost';
import { CoalescedTasks } from './coalescedTasks';
import { ComparisonCodeLensProvider, comparisonFileSelector } from './comparisonCodeLens';
import { exportReport } from './evalReportExport';
import { EvalReportPanels } from './evalReportPanel';
import { progressMessage, type EvalStage } from './evalProgressText';
import { EvalRunService, reportFileOf, type EvalRunResult } from './evalRunService';
import { makeEvalSetCommand } from './makeEvalSet';
import { newComparisonWizard } from './newComparisonWizard';

export interface EvalDeps {
  chat: ChatHandles;
  engine?: EngineHost;
}

/** What the eval feature hands back for the extension's API (the integration tests). */
export interface EvalHandles {
  runs: EvalRunService;
  panels: EvalReportPanels;
  /** What the report's grade buttons do: store the grade, rebuild the report from the cache, refresh the panel. */
  grade(reportFile: string, grade: GradeInput): Promise<void>;
}

/** How `chatwright.eval.run` may be told to resume or start over without asking (the report's Rerun, tests). */
export interface RunCommandOptions {
  strategies?: string[];
  resume?: boolean;
  fresh?: boolean;
}

export const evalCommands = {
  run: 'chatwright.eval.run',
  stop: 'chatwright.eval.stop',
  openReport: 'chatwright.eval.openReport',
  exportReport: 'chatwright.eval.exportReport',
  newComparison: 'chatwright.eval.newComparison',
  createEvalSet: 'chatwright.eval.createEvalSet',
} as const;

/** A grade from the report: the time it was given is added here when the page did not send one. */
export type GradeInput = Omit<ManualGrade, 'gradedAt'> & { gradedAt?: number };

const manageTrust = 'Manage Workspace Trust';

/**
 * Strategy comparisons in the editor: run a `*.compare.yaml` (progress with ETA and Cancel, a run per file at a time,
 * continue-or-start-over after a stopped run), stop it, open and export its report, grade answers by hand (the report
 * is rebuilt from the cache), write a new comparison or an eval set from a dataset slice. The pipeline is core's
 * `evaluateComparison`, the same as `chatwright eval`.
 */
export function registerEval(ctx: Ctx, deps: EvalDeps): EvalHandles {
  const runs = ctx.own(
    new EvalRunService({
      log: ctx.log,
      chatSources: deps.chat.sources,
      ...(deps.engine ? { engine: deps.engine } : {}),
      workerScript: () => ctx.asAbsolutePath('dist/evalWorker.js'),
    }),
  );
  /** Which comparison each report shown belongs to (grading rebuilds that comparison's report). */
  const comparisonOfReport = new Map<string, string>();
  /** The report rebuilds after grades, one at a time per comparison. */
  const rebuilds = new CoalescedTasks();
  const panels: EvalReportPanels = ctx.own(
    new EvalReportPanels(ctx.extension.extensionUri, ctx.log, {
      grade: (reportFile: string, grade: GradeInput) => gradeAnswer(reportFile, grade),
      rerun: async (comparisonFile: string, strategies: readonly string[] | undefined, reportFile: string) => {
        // The file comes from the page (or a report.json it read): only a comparison of this report runs.
        const spec = await comparisonForReport(comparisonFile, reportFile, { save: false });
        await runCommand(vscode.Uri.file(spec.file), strategies ? { strategies: [...strategies] } : {});
      },
      stop: (comparisonFile: string) => {
        runs.stop(comparisonFile);
      },
    }),
  );
  const codeLens = ctx.own(new ComparisonCodeLensProvider(runs));
  ctx.own(vscode.languages.registerCodeLensProvider(comparisonFileSelector, codeLens));
  ctx.own(runs.onDidChange(() => void vscode.commands.executeCommand('setContext', 'chatwright.evalRunning', runs.anyRunning)));

  function requireTrust(what: string): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage(`Chatwright: ${what} needs a trusted workspace: Restricted Mode starts no process and contacts no endpoint.`, manageTrust).then((choice) => {
      if (choice === manageTrust) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }

  async function showReport(spec: ComparisonSpec, report?: EvalReport): Promise<void> {
    const reportFile = reportFileOf(spec);
    comparisonOfReport.set(reportFile, spec.file);
    await panels.show(reportFile, spec.file);
    if (report) panels.update(reportFile, report);
  }

  /**
   * Stores a grade and rebuilds the report from what is kept. Safe in Restricted Mode: the rebuild asks no model,
   * embeds nothing and starts no process (it runs in the evaluation worker). Grades given while a rebuild goes on share
   * the next one, so each grade is in the report this resolves with.
   */
  async function gradeAnswer(reportFile: string, grade: GradeInput): Promise<void> {
    const comparisonFile = comparisonOfReport.get(reportFile) ?? (await comparisonOfReportFile(reportFile));
    const spec = await comparisonForReport(comparisonFile, reportFile, { save: false });
    // The grade names the very answer the report showed (its keys), so it never follows the pair to a new answer.
    const shown = answerKeys(await panels.answerOf(reportFile, grade.questionId, grade.strategy));
    appendGrade(spec.outputDir, { ...grade, gradedAt: grade.gradedAt ?? Date.now(), ...shown });
    // A run going on reads the grades when it builds its report: this grade is in it when it ends.
    if (runs.isRunning(spec.file)) return;
    await rebuilds.run(resolve(spec.file), async () => {
      const result = await runs.run({ spec, mode: 'report', resume: true }, () => undefined);
      panels.update(reportFile, result.report);
    });
  }

  /**
   * The comparison a report belongs to, checked: a comparison file inside a workspace folder whose output folder is the
   * report's (a report.json, committed or not, may name any file), loaded without errors.
   */
  async function comparisonForReport(comparisonFile: string, reportFile: string, options: { save: boolean }): Promise<ComparisonSpec> {
    const roots = (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath);
    if (!isComparisonFilePath(comparisonFile) || !insideAnyFolder(comparisonFile, roots)) throw new Error(`${comparisonFile} is not a comparison file of this workspace.`);
    const spec = await loadComparison(vscode.Uri.file(comparisonFile), options);
    if (!spec) throw new Error(`${comparisonFile} has errors: fix them first.`);
    if (resolve(reportFileOf(spec)) !== resolve(reportFile)) throw new Error(`${vscode.workspace.asRelativePath(comparisonFile)} writes its report to ${reportFileOf(spec)}, not ${reportFile}.`);
    return spec;
  }

  async function runCommand(argument: unknown, options: RunCommandOptions = {}): Promise<{ reportFile: string; cancelled: boolean } | undefined> {
    if (!requireTrust('Running a comparison')) return undefined;
    const uri = await comparisonFileOrPick(argument);
    if (!uri) return undefined;
    const spec = await loadComparison(uri, { save: true });
    if (!spec) return undefined;
    if (runs.isRunning(spec.file)) {
      void vscode.window.showInformationMessage(`Chatwright: ${spec.name} is already running.`);
      return undefined;
    }
    let resume = options.resume ?? false;
    let fresh = options.fresh ?? false;
    for (;;) {
      try {
        const result = await runWithProgress(spec, { ...(options.strategies ? { strategies: options.strategies } : {}), resume, fresh });
        await showReport(spec, result.report);
        if (result.cancelled) void vscode.window.showInformationMessage(`Chatwright: ${spec.name} stopped; the answers so far are kept, and running it again continues from them.`);
        return { reportFile: reportFileOf(spec), cancelled: result.cancelled };
      } catch (error) {
        if (!(error instanceof InterruptedRunError) || resume || fresh) throw error;
        const continueRun = 'Continue the Stopped Run';
        const startOver = 'Start Over';
        const choice = await vscode.window.showWarningMessage(
          `An earlier run of ${spec.name} stopped at ${error.state.done}/${error.state.total} answers.`,
          { modal: true, detail: 'Continue it (only the missing answers are asked for), or start over (cached answers and judgements are dropped; your hand grades are kept).' },
          continueRun,
          startOver,
        );
        if (choice === continueRun) resume = true;
        else if (choice === startOver) fresh = true;
        else return undefined;
      }
    }
  }

  function runWithProgress(spec: ComparisonSpec, options: { strategies?: string[]; resume: boolean; fresh: boolean }): Thenable<EvalRunResult> {
    const reportFile = reportFileOf(spec);
    return vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Comparing strategies: ${spec.name}`, cancellable: true }, async (progress, token) => {
      const controller = new AbortController();
      const subscription = token.onCancellationRequested(() => controller.abort());
      let reported = 0;
      const onProgress = (stage: EvalStage, value: EvalProgress): void => {
        const fraction = stage === 'answering' && value.total > 0 ? value.done / value.total : reported;
        progress.report({ message: progressMessage(stage, value), increment: Math.max(0, (fraction - reported) * 100) });
        reported = Math.max(reported, fraction);
        panels.progress(reportFile, { ...value, stage });
      };
      try {
        return await runs.run(
          { spec, mode: 'run', resume: options.resume, ...(options.fresh ? { fresh: true } : {}), ...(options.strategies ? { strategies: options.strategies } : {}) },
          onProgress,
          controller.signal,
        );
      } finally {
        subscription.dispose();
        // The banner goes whatever the end: finished, stopped or failed.
        panels.progress(reportFile, undefined);
      }
    });
  }

  ctx.registerCommands({
    [evalCommands.run]: (argument?: unknown, options?: unknown) => runCommand(argument, isRunOptions(options) ? options : {}),
    [evalCommands.stop]: (argument?: unknown) => {
      const uri = comparisonFileOf(argument);
      if (uri ? !runs.stop(uri.fsPath) : !stopAny()) void vscode.window.showInformationMessage('Chatwright: no comparison is running.');
      return undefined;
    },
    [evalCommands.openReport]: async (argument?: unknown) => {
      const uri = await comparisonFileOrPick(argument);
      if (!uri) return undefined;
      const spec = await loadComparison(uri, { save: false });
      if (!spec) return undefined;
      if (!existsSync(reportFileOf(spec))) {
        void vscode.window
          .showInformationMessage(`Chatwright: ${spec.name} has no report yet: run it first.`, 'Run Comparison')
          .then((choice) => choice && void vscode.commands.executeCommand(evalCommands.run, uri));
        return undefined;
      }
      await showReport(spec);
      return reportFileOf(spec);
    },
    [evalCommands.exportReport]: async (argument?: unknown) => {
      const uri = await comparisonFileOrPick(argument);
      if (!uri) return undefined;
      const spec = await loadComparison(uri, { save: false });
      if (!spec) return undefined;
      return exportReport(spec);
    },
    [evalCommands.newComparison]: async () => (requireTrust('A new comparison') ? newComparisonWizard(deps.chat) : undefined),
    [evalCommands.createEvalSet]: async (argument?: unknown, preset?: unknown) => (requireTrust('Making an eval set') ? makeEvalSetCommand(argument, preset) : undefined),
  });

  function stopAny(): boolean {
    const active = vscode.window.activeTextEditor?.document.uri;
    if (active && runs.stop(active.fsPath)) return true;
    return runs.stopAll();
  }

  return { runs, panels, grade: gradeAnswer };
}

function isRunOptions(value: unknown): value is RunCommandOptions {
  return typeof value === 'object' && value !== null && !(value instanceof vscode.Uri);
}

function comparisonFileOf(argument: unknown): vscode.Uri | undefined {
  if (argument instanceof vscode.Uri) return argument;
  if (typeof argument === 'string' && isComparisonFilePath(argument)) return vscode.Uri.file(argument);
  const active = vscode.window.activeTextEditor?.document.uri;
  return active && active.scheme === 'file' && isComparisonFilePath(active.fsPath) ? active : undefined;
}

/** The file named, the active comparison editor, or a pick among the workspace's comparison files. */
async function comparisonFileOrPick(argument: unknown): Promise<vscode.Uri | undefined> {
  const direct = comparisonFileOf(argument);
  if (direct) return direct;
  const files = await vscode.workspace.findFiles('**/*.compare.{yaml,yml,json}', '**/node_modules/**', 200);
  if (files.length === 0) {
    const create = 'New Comparison…';
    void vscode.window
      .showInformationMessage('Chatwright: this workspace has no comparison file (*.compare.yaml).', create)
      .then((choice) => choice && void vscode.commands.executeCommand(evalCommands.newComparison));
    return undefined;
  }
  if (files.length === 1) return files[0];
  const picked = await vscode.window.showQuickPick(
    files.map((uri) => ({ label: vscode.workspace.asRelativePath(uri), uri })),
    { title: 'Comparison', placeHolder: 'Which comparison file' },
  );
  return picked?.uri;
}

/**
 * The comparison's spec, checked. An unsaved file is saved first (when asked to; the run reads what is on disk); a
 * file with errors is refused with their count, and the Problems panel (where the language server shows them) opens.
 */
async function loadComparison(uri: vscode.Uri, options: { save: boolean }): Promise<ComparisonSpec | undefined> {
  const document = await vscode.workspace.openTextDocument(uri);
  if (document.isDirty && options.save) {
    const save = 'Save and Run';
    const choice = await vscode.window.showWarningMessage(`Chatwright: ${vscode.workspace.asRelativePath(uri)} has unsaved changes: the comparison runs what is saved.`, { modal: true }, save);
    if (choice !== save || !(await document.save())) return undefined;
  }
  const root = vscode.workspace.getWorkspaceFolder(uri)?.uri.fsPath ?? dirname(uri.fsPath);
  const { spec, problems } = parseComparison(document.getText(), uri.fsPath, { workspaceRoot: root });
  const errors = problems.filter((p) => p.severity === 'error');
  if (!spec || errors.length > 0) {
    const count = errors.length === 1 ? 'the error' : `the ${errors.length} errors`;
    void vscode.window.showErrorMessage(`Chatwright: ${vscode.workspace.asRelativePath(uri)} cannot run: fix ${count} first (${errors[0]?.message ?? 'see the Problems panel'}).`);
    void vscode.commands.executeCommand('workbench.actions.view.problems');
    return undefined;
  }
  return spec;
}

/** The cache keys a report's answer carries (reports written before answers carried them have none). */
function answerKeys(view: object | undefined): { strategyKey?: string; questionKey?: string } {
  const { strategyKey, questionKey } = (view ?? {}) as { strategyKey?: unknown; questionKey?: unknown };
  return { ...(typeof strategyKey === 'string' ? { strategyKey } : {}), ...(typeof questionKey === 'string' ? { questionKey } : {}) };
}

/** Whether `file` is inside one of the folders (not the folder itself). */
function insideAnyFolder(file: string, roots: readonly string[]): boolean {
  return roots.some((root) => {
    const rest = relative(root, resolve(file));
    return rest.length > 0 && !rest.startsWith('..') && !isAbsolute(rest);
  });
}

/** The comparison file a report was written for (`report.comparison.file`), read from the report itself. */
async function comparisonOfReportFile(reportFile: string): Promise<string> {
  try {
    const report = JSON.parse(await readBoundedText(reportFile, { kind: 'document', maxBytes: 64 << 20 })) as Partial<EvalReport>;
    const file = report.comparison?.file;
    if (typeof file === 'string' && isComparisonFilePath(file)) return resolve(file);
  } catch {
    // Reported below.
  }
  throw new Error(`${reportFile} does not say which comparison it belongs to: open it from the comparison file.`);
}
