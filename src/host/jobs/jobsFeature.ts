import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { activeStatuses } from '../../core/jobs/jobDescription';
import { type ResolvedJobConfig } from '../../core/jobs/jobFile';
import { prepareRun } from '../../core/jobs/jobRunner';
import { type JobSnapshot, type JobStatus } from '../../core/jobs/jobSnapshot';
import { schedulerNotice } from '../../core/jobs/jobWhere';
import { sbatchScriptFile } from '../../core/jobs/launch/sbatchScript';
import { readRunRecord } from '../../core/jobs/runFolder';
import { SlurmClient } from '../../core/jobs/slurm/slurmClient';
import { prepareLaunch, type PreparedLaunch } from '../../core/jobs/targetRunner';
import { describeProbe, hardwareOfProbe, type EnvironmentProbe, type InterpreterChoice } from '../../core/jobs/pythonEnvironment';
import { type JobPreflightView } from '../../shared/jobPageProtocol';
import { type CommandHandler, type Ctx } from '../context';
import { exportJob } from './exportJob';
import { isJobFile, JobCodeLensProvider, jobFileSelector } from './jobCodeLens';
import { registerJobPage, type JobPageHandles } from './jobPagePanel';
import { findingDiagnostics, jobFileText, problemDiagnostics, resolveJob, runPreflightWorker } from './jobPreflight';
import { isSlurmRun, JobsService, UntrustedWorkspaceError } from './jobsService';
import { jobCommands, type JobSource } from './jobSource';
import { JobsTreeProvider, runDirOf } from './jobsTree';
import { newJobWizard } from './newJobWizard';
import { confirmSlurmSubmission, discardUnsubmittedRun, withSlurmPreflight } from './slurmSubmission';
import { type PythonEnvironmentHandles } from './pythonEnvironmentCommands';
import { TrainerEnvironment } from './trainerEnvironment';

export interface JobsHandles {
  service: JobsService;
  /** The current service's jobs and changes, across reloads (what the views read). */
  source: JobSource;
  tree: JobsTreeProvider;
  /** Job file problems and preflight findings, by job file. */
  diagnostics: vscode.DiagnosticCollection;
  environment: TrainerEnvironment;
  /** The job pages (open, the state last sent). */
  page: JobPageHandles;
  /** The last preflight of each job file run through Preflight or Run in this window. */
  lastPreflight(jobFile: string): JobPreflightView | undefined;
  /** Disposes the service and builds a new one from the run folders: what a window reload does (tests). */
  reload(): JobsService;
}

const manageTrust = 'Manage Workspace Trust';

/** What Run Job can be given besides the job file (tests, other extensions): the answer to the Slurm question, which skips the modal but not the script. */
interface RunJobOptions {
  submitToSlurm?: boolean;
}

function runJobOptionsOf(value: unknown): RunJobOptions {
  if (typeof value !== 'object' || value === null) return {};
  const submit = (value as { submitToSlurm?: unknown }).submitToSlurm;
  return typeof submit === 'boolean' ? { submitToSlurm: submit } : {};
}
const resumable: readonly JobStatus[] = ['stopped', 'failed', 'cancelled'];

/** Fine-tuning jobs in VS Code: the Jobs view, the job page, the commands, CodeLens on job files, preflight diagnostics. */
export function registerJobs(ctx: Ctx, deps: { python: PythonEnvironmentHandles }): JobsHandles {
  const workspaceRoot = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const environment = new TrainerEnvironment(deps.python);
  const diagnostics = ctx.own(vscode.languages.createDiagnosticCollection('chatwright-jobs'));
  const preflights = new Map<string, JobPreflightView>();
  const createService = (): JobsService =>
    new JobsService({
      workspaceRoot,
      concurrency: ctx.config.jobs.maxConcurrentJobs,
      stopTimeoutMs: () => ctx.config.jobs.stopTimeoutMs,
      mayRunProcesses: () => vscode.workspace.isTrusted,
      log: (message) => ctx.log.info(message),
      onStartFailed: (runDir, error) => void vscode.window.showErrorMessage(`Chatwright: the job in ${runDir} could not start: ${error.message}`),
      onFinished: (snapshot) => reportSlurmFailure(snapshot),
    });
  let service = createService();
  // The views read the service through a relay, so a reload (a new service) keeps their subscriptions.
  const relay = ctx.own(new JobSourceRelay(service));
  const tree = ctx.own(new JobsTreeProvider(relay));
  const page = registerJobPage(ctx, relay);
  ctx.own(vscode.window.createTreeView(JobsTreeProvider.viewId, { treeDataProvider: tree }));
  const codeLens = ctx.own(new JobCodeLensProvider(relay));
  ctx.own(vscode.languages.registerCodeLensProvider(jobFileSelector, codeLens));
  ctx.own(relay.onDidChange(() => updateContextKeys()));
  ctx.own({ dispose: () => service.dispose() });
  ctx.own(vscode.workspace.onDidGrantWorkspaceTrust(() => service.reattach()));
  // Reading the run folders waits until activation is over: activation stays quick however many runs there are.
  const startup = setTimeout(() => {
    service.reattach();
    updateContextKeys();
  }, 0);
  ctx.own({ dispose: () => clearTimeout(startup) });

  /** A Slurm job that ended badly (time limit, memory, node, preemption …) says so with what to do and the button that does it. */
  function reportSlurmFailure(snapshot: JobSnapshot): void {
    const error = snapshot.error;
    if (snapshot.status !== 'failed' || !error?.code.startsWith('SLURM_')) return;
    const job = snapshot.scheduler ? ` (Slurm job ${snapshot.scheduler.jobId})` : '';
    const canResume = snapshot.checkpoints.length > 0 && snapshot.kind !== 'serve';
    const buttons = [...(canResume ? ['Resume'] : []), 'Show Job Page'];
    void vscode.window.showErrorMessage(`Chatwright: ${snapshot.name}${job} failed: ${error.code}: ${error.message}${error.action ? ` ${error.action}` : ''}`, ...buttons).then((choice) => {
      if (choice === 'Resume') void vscode.commands.executeCommand(jobCommands.resume, snapshot.runDir);
      if (choice === 'Show Job Page') page.show(snapshot.runDir);
    });
  }

  function updateContextKeys(): void {
    const all = service.all();
    const set = (key: string, value: boolean): void => void vscode.commands.executeCommand('setContext', `chatwright.jobs.${key}`, value);
    set('any', all.length > 0);
    set(
      'anyRunning',
      all.some((job) => job.status === 'running' || job.status === 'starting' || job.status === 'stopping'),
    );
    set(
      'anyActive',
      all.some((job) => activeStatuses.includes(job.status)),
    );
    set(
      'anyResumable',
      all.some((job) => resumable.includes(job.status)),
    );
  }

  /** Refuses in an untrusted workspace, saying why and offering to manage trust. */
  function requireTrust(what: string): boolean {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showWarningMessage(`Chatwright: ${what} needs a trusted workspace: fine-tuning runs Python processes and reads the files the job names.`, manageTrust).then((choice) => {
      if (choice === manageTrust) void vscode.commands.executeCommand('workbench.trust.manage');
    });
    return false;
  }

  function jobFileOf(argument: unknown): vscode.Uri | undefined {
    if (argument instanceof vscode.Uri) return argument;
    if (typeof argument === 'string' && isJobFile(vscode.Uri.file(argument))) return vscode.Uri.file(argument);
    const active = vscode.window.activeTextEditor?.document.uri;
    return active && isJobFile(active) ? active : undefined;
  }

  async function jobFileOrPick(argument: unknown): Promise<vscode.Uri | undefined> {
    const direct = jobFileOf(argument);
    if (direct) return direct;
    const files = await vscode.workspace.findFiles('**/*.job.{yaml,yml,json}', '**/node_modules/**', 200);
    if (files.length === 0) {
      const choice = await vscode.window.showInformationMessage('Chatwright: no job file (*.job.yaml) in this workspace yet.', 'New Fine-tuning Job…');
      if (choice) await vscode.commands.executeCommand(jobCommands.newJob);
      return undefined;
    }
    const picked = await vscode.window.showQuickPick(
      files.map((uri) => ({ label: basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri), uri })),
      { title: 'Which job?' },
    );
    return picked?.uri;
  }

  /** The probe of the interpreter jobs run with, or undefined when it cannot run (said in the log). */
  async function probeQuietly(choice: InterpreterChoice): Promise<EnvironmentProbe | undefined> {
    try {
      return await environment.probe(choice);
    } catch (error) {
      ctx.log.warn(`The environment probe of ${choice.python} failed: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    }
  }

  /**
   * Resolves and preflights a job file: problems and findings become diagnostics on it. Returns the config and the
   * preflight (undefined when the file itself has problems or the user cancelled).
   */
  async function resolveAndPreflight(uri: vscode.Uri, probe: EnvironmentProbe | undefined): Promise<{ config: ResolvedJobConfig; name: string; view: JobPreflightView } | undefined> {
    const resolved = resolveJob(uri);
    if (!resolved.config) {
      diagnostics.set(uri, problemDiagnostics(resolved.problems));
      const first = resolved.problems[0];
      void vscode.window
        .showErrorMessage(
          `Chatwright: ${basename(uri.fsPath)} has ${resolved.problems.length} problem(s)${first ? `; line ${first.line}: ${first.path ? `${first.path}: ` : ''}${first.message}` : ''}`,
          'Show Problems',
        )
        .then((choice) => {
          if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
        });
      return undefined;
    }
    const config = resolved.config;
    const hardware = probe ? hardwareOfProbe(probe) : undefined;
    const view = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Preflight of ${resolved.name}`, cancellable: true }, (_progress, token) =>
      runPreflightWorker(ctx.asAbsolutePath('dist/preflightWorker.js'), { config, ...(hardware ? { hardware } : {}) }, token),
    );
    if (!view) return undefined;
    diagnostics.set(uri, findingDiagnostics(jobFileText(uri), view.findings));
    preflights.set(uri.fsPath, view);
    return { config, name: resolved.name, view };
  }

  async function preflightCommand(argument: unknown): Promise<JobPreflightView | undefined> {
    const uri = await jobFileOrPick(argument);
    if (!uri || !requireTrust('Preflight')) return undefined;
    const result = await resolveAndPreflight(uri, await probeQuietly(await environment.interpreter()));
    if (!result) return undefined;
    service.showPreflight(uri.fsPath, result.name, result.view);
    page.show(uri.fsPath);
    const errors = result.view.findings.filter((finding) => finding.severity === 'error').length;
    const warnings = result.view.findings.filter((finding) => finding.severity === 'warning').length;
    void vscode.window.showInformationMessage(`Chatwright: preflight of ${result.name}: ${errors === 0 ? 'ready to train' : `${errors} error(s)`}, ${warnings} warning(s).`);
    return result.view;
  }

  /** Refuses (with the install command and what to do) when the interpreter cannot train; the stand-in trainer of the tests needs no packages. */
  function refuseEnvironment(probe: EnvironmentProbe | undefined, python: string): boolean {
    if (environment.script) return false;
    if (probe?.can_train) return false;
    const reason = probe ? describeProbe(probe).join(' ') : `${python} could not be probed (see the Chatwright log).`;
    const install = probe?.install_command ? ` Install what is missing: ${probe.install_command}` : '';
    void vscode.window.showErrorMessage(`Chatwright: ${python} cannot train: ${reason}${install}`, 'Create Environment', 'Select Interpreter').then((choice) => {
      if (choice === 'Create Environment') void vscode.commands.executeCommand(jobCommands.createPythonEnvironment);
      if (choice === 'Select Interpreter') void vscode.commands.executeCommand(jobCommands.selectPythonInterpreter);
    });
    return true;
  }

  async function runCommand(argument: unknown, options: RunJobOptions = {}): Promise<string | undefined> {
    const uri = await jobFileOrPick(argument);
    if (!uri || !requireTrust('Running a job')) return undefined;
    if (!workspaceRoot) throw new Error('Open a folder first: runs are kept in its .chatwright/runs folder.');
    const document = vscode.workspace.textDocuments.find((open) => open.uri.toString() === uri.toString());
    if (document?.isDirty) await document.save();
    const interpreter = await environment.interpreter();
    const probe = await probeQuietly(interpreter);
    const result = await resolveAndPreflight(uri, probe);
    if (!result) return undefined;
    const target = result.config.target;
    const onSlurm = target.type === 'slurm';
    let view = result.view;
    if (onSlurm) {
      // What the login node can check of the cluster (partition, limits) joins the findings before anything is submitted.
      view = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Checking the Slurm cluster for ${result.name}` }, () =>
        withSlurmPreflight(result.view, target, new SlurmClient()),
      );
      diagnostics.set(uri, findingDiagnostics(jobFileText(uri), view.findings));
      preflights.set(uri.fsPath, view);
    }
    if (!view.ok) {
      const first = view.findings.find((finding) => finding.severity === 'error')!;
      void vscode.window.showErrorMessage(`Chatwright: ${result.name} was not started: ${first.message} ${first.action}`, 'Show Preflight').then((choice) => {
        if (!choice) return;
        service.showPreflight(uri.fsPath, result.name, view);
        page.show(uri.fsPath);
      });
      return undefined;
    }
    // A Slurm job that names its own Python on the compute nodes does not run this interpreter.
    if (!(onSlurm && target.slurm.python !== null) && refuseEnvironment(probe, interpreter.python)) return undefined;
    const runDir = prepareRun({ workspaceRoot, jobFile: uri.fsPath, name: result.name, config: result.config, ...(probe ? { probe } : {}) });
    const trainer = environment.launch(interpreter);
    if (!onSlurm) {
      service.enqueue(runDir, result.name, trainer, view);
      page.show(runDir);
      return runDir;
    }
    return submitToSlurm(runDir, result.name, target, trainer, view, options.submitToSlurm);
  }

  /** Writes the script, shows it, asks, and submits (or removes the unsubmitted run folder); the run folder, or undefined when not submitted. */
  async function submitToSlurm(
    runDir: string,
    name: string,
    target: ResolvedJobConfig['target'],
    trainer: ReturnType<TrainerEnvironment['launch']>,
    view: JobPreflightView,
    answer: boolean | undefined,
  ): Promise<string | undefined> {
    let prepared: PreparedLaunch;
    try {
      prepared = prepareLaunch(runDir, trainer);
    } catch (error) {
      await discardUnsubmittedRun(workspaceRoot!, runDir, join(runDir, sbatchScriptFile));
      throw error;
    }
    const script = prepared.sbatch?.path ?? join(runDir, sbatchScriptFile);
    if (!(await confirmSlurmSubmission(script, target, answer))) {
      await discardUnsubmittedRun(workspaceRoot!, runDir, script);
      void vscode.window.showInformationMessage(`Chatwright: ${name} was not submitted; nothing was kept. Run Job writes the script again.`);
      return undefined;
    }
    page.show(runDir);
    try {
      await service.submit(runDir, name, trainer, view);
    } catch (error) {
      void vscode.window.showErrorMessage(`Chatwright: Slurm did not take ${name}: ${error instanceof Error ? error.message : String(error)}`, 'Show Job Page').then((choice) => {
        if (choice) page.show(runDir);
      });
      return runDir;
    }
    const snapshot = service.snapshot(runDir);
    const jobId = snapshot?.scheduler?.jobId ?? readRunRecord(runDir)?.slurm?.jobId ?? '?';
    const notice = snapshot ? schedulerNotice(snapshot) : undefined;
    void vscode.window.showInformationMessage(`Chatwright: ${name} was submitted to Slurm as job ${jobId}${notice ? `: ${notice}` : ''}.`);
    return runDir;
  }

  /** The job a command is about: its argument, else the one picked among those the filter allows. */
  async function jobOf(argument: unknown, filter: (job: JobSnapshot) => boolean, verb: string): Promise<JobSnapshot | undefined> {
    const runDir = runDirOf(argument);
    if (runDir) {
      const snapshot = service.snapshot(runDir);
      if (!snapshot) throw new Error(`${runDir} is not a run folder.`);
      return snapshot;
    }
    const candidates = service.all().filter(filter);
    if (candidates.length === 0) {
      void vscode.window.showInformationMessage(`Chatwright: no job to ${verb}.`);
      return undefined;
    }
    if (candidates.length === 1) return candidates[0];
    const picked = await vscode.window.showQuickPick(
      candidates.map((job) => ({ label: job.name, description: job.status, detail: job.runDir, job })),
      { title: `Which job to ${verb}?` },
    );
    return picked?.job;
  }

  const isActive = (job: JobSnapshot): boolean => activeStatuses.includes(job.status);
  const anyJob = (): boolean => true;

  const table: Record<string, CommandHandler> = {
    [jobCommands.newJob]: () => newJobWizard(ctx),
    [jobCommands.run]: (argument?: unknown, options?: unknown) => runCommand(argument, runJobOptionsOf(options)),
    [jobCommands.preflight]: (argument?: unknown) => preflightCommand(argument),
    [jobCommands.stop]: async (argument?: unknown) => {
      if (!requireTrust('Stopping a job')) return;
      const job = await jobOf(argument, isActive, 'stop');
      if (job) await service.stopAndSave(job.runDir);
    },
    [jobCommands.cancel]: async (argument?: unknown) => {
      if (!requireTrust('Cancelling a job')) return;
      const job = await jobOf(argument, isActive, 'cancel');
      if (job) await service.cancel(job.runDir);
    },
    [jobCommands.resume]: async (argument?: unknown) => {
      if (!requireTrust('Resuming a job')) return;
      const job = await jobOf(argument, (candidate) => resumable.includes(candidate.status), 'resume');
      if (!job) return;
      const interpreter = await environment.interpreter();
      if (refuseEnvironment(await probeQuietly(interpreter), interpreter.python)) return;
      page.show(job.runDir);
      await service.resume(job.runDir, environment.launch(interpreter));
      const notice = schedulerNotice(service.snapshot(job.runDir) ?? job);
      if (isSlurmRun(job.runDir))
        void vscode.window.showInformationMessage(`Chatwright: ${job.name} was submitted to Slurm again${notice ? `: ${notice}` : ''}; it continues from its last checkpoint.`);
    },
    [jobCommands.checkpoint]: async (argument?: unknown) => {
      if (!requireTrust('A checkpoint')) return;
      const job = await jobOf(argument, (candidate) => candidate.status === 'running', 'checkpoint');
      if (job) service.checkpointNow(job.runDir);
    },
    [jobCommands.openRunFolder]: async (argument?: unknown) => {
      const job = await jobOf(argument, anyJob, 'open');
      if (!job) return;
      const uri = vscode.Uri.file(job.runDir);
      // The OS file manager is not there in a browser (code-server, Codespaces): reveal it in the Explorer instead.
      await vscode.commands.executeCommand(vscode.env.uiKind === vscode.UIKind.Desktop ? 'revealFileInOS' : 'revealInExplorer', uri);
    },
    [jobCommands.showLog]: async (argument?: unknown) => {
      const job = await jobOf(argument, anyJob, 'show the log of');
      if (!job) return;
      const log = join(job.runDir, 'train.log');
      if (!existsSync(log)) throw new Error(`${job.name} has no log yet (${log}).`);
      await vscode.window.showTextDocument(vscode.Uri.file(log), { preview: true });
    },
    [jobCommands.showSbatchScript]: async (argument?: unknown) => {
      const job = await jobOf(argument, (candidate) => isSlurmRun(candidate.runDir), 'show the Slurm script of');
      if (!job) return;
      // run.json is read as untrusted: only a plain file name inside the run folder is taken from it.
      const recorded = readRunRecord(job.runDir)?.slurm?.script;
      const script = join(job.runDir, typeof recorded === 'string' && recorded === basename(recorded) && recorded !== '..' ? recorded : sbatchScriptFile);
      if (!existsSync(script)) throw new Error(`${job.name} has no Slurm script (${script}).`);
      await vscode.window.showTextDocument(vscode.Uri.file(script), { preview: true });
      // The script is the record of what was submitted: read-only, so it is not changed by accident.
      await vscode.commands.executeCommand('workbench.action.files.setActiveEditorReadonlyInSession');
    },
    [jobCommands.export]: async (argument?: unknown) => {
      if (!requireTrust('Export')) return;
      const job = await jobOf(argument, (candidate) => candidate.status === 'done' || candidate.status === 'stopped', 'export');
      return job ? exportJob(ctx, environment, job) : undefined;
    },
    [jobCommands.chatWithResult]: async (argument?: unknown) => {
      const job = await jobOf(argument, (candidate) => candidate.status === 'done' || candidate.status === 'stopped', 'chat with');
      if (!job) return;
      await vscode.commands.executeCommand('chatwright.serve.chatWithAdapter', job.runDir);
    },
    [jobCommands.refresh]: () => {
      environment.forget();
      service.refresh();
      tree.refresh();
    },
    [jobCommands.openGuide]: async () => {
      await vscode.commands.executeCommand('markdown.showPreview', vscode.Uri.file(ctx.asAbsolutePath(join('docs', 'fine-tuning.md'))));
    },
  };
  ctx.registerCommands(wrapUntrusted(table));

  return {
    get service() {
      return service;
    },
    source: relay,
    tree,
    diagnostics,
    environment,
    page,
    lastPreflight: (jobFile) => preflights.get(jobFile),
    reload: () => {
      service.dispose();
      service = createService();
      relay.replace(service);
      service.reattach();
      tree.refresh();
      updateContextKeys();
      return service;
    },
  };
}

/** The current service as a `JobSource` whose listeners outlive a service replaced by a reload. */
class JobSourceRelay implements JobSource, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<string>();
  private readonly logged = new vscode.EventEmitter<{ runDir: string; lines: string[] }>();
  private subscriptions: vscode.Disposable[] = [];

  constructor(private current: JobsService) {
    this.follow(current);
  }

  replace(service: JobsService): void {
    this.current = service;
    this.follow(service);
    service.refresh();
  }

  snapshot(runDir: string): JobSnapshot | undefined {
    return this.current.snapshot(runDir);
  }

  all(): JobSnapshot[] {
    return this.current.all();
  }

  onDidChange(listener: (runDir: string) => void): vscode.Disposable {
    return this.changed.event(listener);
  }

  preflight(runDir: string): JobPreflightView | undefined {
    return this.current.preflight(runDir);
  }

  logTail(runDir: string, lines: number): string[] {
    return this.current.logTail(runDir, lines);
  }

  onLog(listener: (runDir: string, lines: string[]) => void): vscode.Disposable {
    return this.logged.event(({ runDir, lines }) => listener(runDir, lines));
  }

  dispose(): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.changed.dispose();
    this.logged.dispose();
  }

  private follow(service: JobsService): void {
    for (const subscription of this.subscriptions) subscription.dispose();
    this.subscriptions = [service.onDidChange((runDir) => this.changed.fire(runDir)), service.onLog((runDir, lines) => this.logged.fire({ runDir, lines }))];
  }
}

/** An UntrustedWorkspaceError from deep inside becomes the same warning with its button, not an error. */
function wrapUntrusted(table: Record<string, CommandHandler>): Record<string, CommandHandler> {
  return Object.fromEntries(
    Object.entries(table).map(([id, handler]) => [
      id,
      async (...args: unknown[]) => {
        try {
          return await handler(...args);
        } catch (error) {
          if (!(error instanceof UntrustedWorkspaceError)) throw error;
          void vscode.window.showWarningMessage(`Chatwright: ${error.message}`, manageTrust).then((choice) => {
            if (choice === manageTrust) void vscode.commands.executeCommand('workbench.trust.manage');
          });
          return undefined;
        }
      },
    ]),
  );
}
