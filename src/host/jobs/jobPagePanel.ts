import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { whereRows } from '../../core/jobs/jobWhere';
import { type JobSnapshot } from '../../core/jobs/jobSnapshot';
import { jobActionRequest, jobLogNotification, jobPageReadyNotification, jobStateNotification, type JobPageAction, type JobPageState } from '../../shared/jobPageProtocol';
import { type Ctx } from '../context';
import { createWebviewPanel, WebviewShell } from '../webviewShell';
import { jobPageActionCommands, jobPageActions, runDirOfArgument, validJobPageAction } from './jobPageActions';
import { jobCommands, type JobSource } from './jobSource';

/** The log lines a page starts with: the page keeps a tail, "Show log" opens the whole file. */
const initialLogLines = 500;
/** The fewest milliseconds between two states sent to one page (the page redraws its charts at most as often). */
const stateIntervalMs = 250;
/** The run folder's files the page shows are small; a bigger one is not read whole into the extension host. */
const maxRunFileBytes = 1 << 20;

export interface JobPageHandles {
  /** Opens the job page of a run folder, or reveals it when it is open. */
  show(runDir: string): void;
  /** The run folders whose pages are open. */
  openPages(): string[];
  /** The state last sent to a run folder's page (the extension's API and tests). */
  lastState(runDir: string): JobPageState | undefined;
}

interface SavedPageState {
  runDir?: unknown;
}

async function readRunFile(runDir: string, name: string): Promise<string | undefined> {
  try {
    const text = await readFile(join(runDir, name), 'utf8');
    return text.length <= maxRunFileBytes ? text : undefined;
  } catch {
    return undefined;
  }
}

/** config.json pretty-printed as the trainer reads it; env.json as an object. Either may be missing (a queued job). */
async function readRunFiles(runDir: string): Promise<{ configText?: string; environment?: Record<string, unknown> }> {
  const [config, environment] = await Promise.all([readRunFile(runDir, 'config.json'), readRunFile(runDir, 'env.json')]);
  const result: { configText?: string; environment?: Record<string, unknown> } = {};
  if (config !== undefined) {
    try {
      result.configText = JSON.stringify(JSON.parse(config), null, 2);
    } catch {
      result.configText = config;
    }
  }
  if (environment !== undefined) {
    try {
      const parsed = JSON.parse(environment) as unknown;
      if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) result.environment = parsed as Record<string, unknown>;
    } catch {
      // A torn or hand-edited env.json: the trainer's own environment event still fills the section.
    }
  }
  return result;
}

/**
 * The checkpoints still in the run folder: the trainer keeps only the newest `save_total_limit` ones, so a page listing
 * every checkpoint event would offer folders that are gone. Each is looked for under this run folder's checkpoints/
 * too, so a run folder that moved with its workspace still finds its own.
 */
export function keptCheckpoints(runDir: string, checkpoints: JobSnapshot['checkpoints']): JobSnapshot['checkpoints'] {
  return checkpoints.filter((checkpoint) => existsSync(checkpoint.path) || existsSync(join(runDir, 'checkpoints', basename(checkpoint.path))));
}

/**
 * One job page: a webview panel showing one run folder. It sends the whole state when the page is ready and, at
 * most four times a second, when the job changes; new log lines as they come; and runs the page's actions through
 * the jobs feature's commands.
 */
class JobPage implements vscode.Disposable {
  private readonly shell: WebviewShell;
  private readonly subscriptions: vscode.Disposable[] = [];
  private ready = false;
  private timer: NodeJS.Timeout | undefined;
  private lastSentAt = 0;
  private runFiles: { configText?: string; environment?: Record<string, unknown> } = {};
  /** The status the run files were read at: config.json and env.json appear when a queued job's folder is prepared. */
  private runFilesStatus: string | undefined;
  private kept: { key: string; checkpoints: JobSnapshot['checkpoints'] } | undefined;
  state: JobPageState | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly source: JobSource,
    readonly panel: vscode.WebviewPanel,
    readonly runDir: string,
    onDispose: () => void,
  ) {
    const extensionUri = ctx.extension.extensionUri;
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'chatwright.svg');
    this.shell = new WebviewShell(ctx.log, panel, extensionUri, { title: 'Job', script: 'jobPage.js', bundleStyles: ['jobPage.css'], styles: ['webview.css', 'jobPage.css'] });
    this.shell.onValidatedNotification(
      jobPageReadyNotification,
      (params) => (typeof params === 'object' && params !== null ? {} : undefined),
      () => this.onReady(),
    );
    this.shell.onRequest(jobActionRequest, validJobPageAction, ({ action }) => this.act(action));
    this.subscriptions.push(
      source.onDidChange((changed) => {
        if (changed === runDir) this.sendStateSoon();
      }),
      source.onLog((changed, lines) => {
        if (changed === runDir && this.ready && lines.length > 0) void this.shell.notify(jobLogNotification, { lines, reset: false });
      }),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.sendStateSoon()),
    );
    this.shell.onDidDispose(() => {
      this.dispose();
      onDispose();
    });
  }

  private onReady(): void {
    // A page shown again after being hidden without retained context starts over: the whole state and log tail.
    this.ready = true;
    void this.sendState().then(() => this.shell.notify(jobLogNotification, { lines: this.source.logTail(this.runDir, initialLogLines), reset: true }));
  }

  private sendStateSoon(): void {
    if (!this.ready || this.timer !== undefined) return;
    const wait = Math.max(0, this.lastSentAt + stateIntervalMs - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.sendState();
    }, wait);
  }

  private async sendState(): Promise<void> {
    this.lastSentAt = Date.now();
    const snapshot = this.source.snapshot(this.runDir);
    if (!snapshot) {
      this.ctx.log.warn(`Job page: ${this.runDir} is not a run folder any more`);
      return;
    }
    if (this.runFilesStatus !== snapshot.status || this.runFiles.configText === undefined) {
      this.runFilesStatus = snapshot.status;
      this.runFiles = await readRunFiles(this.runDir);
    }
    const preflight = this.source.preflight(this.runDir);
    const state: JobPageState = {
      snapshot: { ...snapshot, checkpoints: this.checkpointsOnDisk(snapshot) },
      where: whereRows(snapshot),
      ...this.runFiles,
      ...(preflight !== undefined ? { preflight } : {}),
      actions: jobPageActions(snapshot, { trusted: vscode.workspace.isTrusted }),
    };
    this.state = state;
    this.panel.title = `Job: ${snapshot.name}`;
    await this.shell.notify(jobStateNotification, state);
  }

  /** Looked up again only when a checkpoint is added or the status changes (the trainer prunes when it saves). */
  private checkpointsOnDisk(snapshot: JobSnapshot): JobSnapshot['checkpoints'] {
    const key = `${snapshot.checkpoints.length}|${snapshot.status}`;
    if (this.kept?.key !== key) this.kept = { key, checkpoints: keptCheckpoints(this.runDir, snapshot.checkpoints) };
    return this.kept.checkpoints;
  }

  /** Runs an action the current state allows; a refused one rejects with the reason the page shows. */
  private async act(action: JobPageAction): Promise<void> {
    const snapshot = this.source.snapshot(this.runDir);
    if (!snapshot) throw new Error(`${this.runDir} is not a run folder any more.`);
    const entry = jobPageActions(snapshot, { trusted: vscode.workspace.isTrusted }).find((candidate) => candidate.action === action);
    if (!entry?.enabled) {
      this.sendStateSoon();
      throw new Error(entry?.reason ?? 'Not available now.');
    }
    const command = jobPageActionCommands[action];
    try {
      await vscode.commands.executeCommand(command, this.runDir);
    } catch (error) {
      this.ctx.log.error(`Job page: ${command} failed: ${error instanceof Error ? error.message : String(error)}`);
      throw new Error(`${command} failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.sendStateSoon();
    }
  }

  dispose(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const subscription of this.subscriptions.splice(0)) subscription.dispose();
    this.shell.dispose();
  }
}

/** A quick pick of the workspace's jobs, newest first; `undefined` when the user dismisses it or there is none. */
async function pickJob(source: JobSource): Promise<string | undefined> {
  const jobs = source.all();
  if (jobs.length === 0) {
    void vscode.window.showInformationMessage('Chatwright: no fine-tuning job in this workspace yet. Run a job file (*.job.yaml) first.');
    return undefined;
  }
  const describe = (job: JobSnapshot) => `${job.status}${job.totalSteps !== undefined ? ` · step ${job.step}/${job.totalSteps}` : ''}${job.method !== undefined ? ` · ${job.method}` : ''}`;
  const picked = await vscode.window.showQuickPick(
    jobs.map((job) => ({ label: job.name, description: describe(job), detail: vscode.workspace.asRelativePath(job.runDir), runDir: job.runDir })),
    { title: 'Show Job Page', placeHolder: 'Pick a job' },
  );
  return picked?.runDir;
}

/**
 * The job page: one editor panel per run folder (shown again rather than opened twice), the "Show Job Page"
 * command, and restoring open pages after a window reload (the page saves its run folder as its state).
 */
export function registerJobPage(ctx: Ctx, source: JobSource): JobPageHandles {
  const viewType = 'chatwright.jobPage';
  const pages = new Map<string, JobPage>();
  ctx.own({
    dispose: () => {
      for (const page of [...pages.values()]) page.dispose();
      pages.clear();
    },
  });

  const attach = (panel: vscode.WebviewPanel, runDir: string): JobPage => {
    const page: JobPage = new JobPage(ctx, source, panel, runDir, () => {
      if (pages.get(runDir) === page) pages.delete(runDir);
    });
    pages.set(runDir, page);
    return page;
  };

  const show = (runDir: string): void => {
    const open = pages.get(runDir);
    if (open) {
      open.panel.reveal(undefined, false);
      return;
    }
    if (!source.snapshot(runDir)) throw new Error(`${runDir} is not a job's run folder (it has no run.json or events.jsonl).`);
    const panel = createWebviewPanel(ctx.extension.extensionUri, viewType, `Job: ${basename(runDir)}`, { preserveFocus: false, retainContextWhenHidden: false });
    attach(panel, runDir);
  };

  ctx.own(
    vscode.window.registerWebviewPanelSerializer(viewType, {
      deserializeWebviewPanel(panel: vscode.WebviewPanel, state: SavedPageState | undefined): Thenable<void> {
        const runDir = runDirOfArgument(state?.runDir);
        if (runDir === undefined || !source.snapshot(runDir) || pages.has(runDir)) {
          ctx.log.info(`Job page not restored: ${runDir ?? 'no run folder saved'}${runDir !== undefined && pages.has(runDir) ? ' is open already' : ' is gone'}`);
          panel.dispose();
        } else attach(panel, runDir);
        return Promise.resolve();
      },
    }),
  );

  ctx.registerCommands({
    [jobCommands.showJobPage]: async (argument?: unknown) => {
      if (argument !== undefined && runDirOfArgument(argument) === undefined) throw new Error('Show Job Page needs a run folder (an absolute path) or a job of the Jobs view.');
      const runDir = runDirOfArgument(argument) ?? (await pickJob(source));
      if (runDir !== undefined) show(runDir);
      return runDir;
    },
  });

  return {
    show,
    openPages: () => [...pages.keys()],
    lastState: (runDir) => pages.get(runDir)?.state,
  };
}
