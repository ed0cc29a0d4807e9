import * as vscode from 'vscode';
import { describeJob, jobDetailLines } from '../../core/jobs/jobDescription';
import { type JobSnapshot, type JobStatus } from '../../core/jobs/jobSnapshot';
import { jobCommands, type JobSource } from './jobSource';

/** A job in the Jobs view: the run folder is its identity. */
export interface JobNode {
  runDir: string;
}

const statusIcons: Record<JobStatus, [string, string | undefined]> = {
  queued: ['clock', undefined],
  preflight: ['checklist', undefined],
  starting: ['loading~spin', undefined],
  running: ['sync~spin', 'charts.blue'],
  stopping: ['loading~spin', 'charts.yellow'],
  stopped: ['debug-pause', 'charts.yellow'],
  done: ['pass', 'charts.green'],
  failed: ['error', 'charts.red'],
  cancelled: ['circle-slash', undefined],
};

/** The `viewItem` of a job: `job.<status>`, which the view's inline and context actions match on (package.json). */
export function jobContextValue(status: JobStatus, kind: JobSnapshot['kind'] = 'train'): string {
  // A server's actions are its own (Stop, Copy URL): none of a trainer's (checkpoint, resume, export) applies.
  if (kind === 'serve') return status === 'starting' || status === 'running' || status === 'stopping' ? 'job.serving' : 'job.serverEnded';
  // Starting and stopping jobs take the running job's actions (a second Stop escalates, Cancel ends at once).
  return `job.${status === 'starting' || status === 'stopping' || status === 'preflight' ? 'running' : status}`;
}

/** The run folder a command was given: a Jobs view item, a run folder path, or a Uri of one. */
export function runDirOf(argument: unknown): string | undefined {
  if (typeof argument === 'string') return argument;
  if (argument instanceof vscode.Uri) return argument.fsPath;
  if (typeof argument === 'object' && argument !== null && typeof (argument as JobNode).runDir === 'string') return (argument as JobNode).runDir;
  return undefined;
}

/** The Jobs view: one item per job, newest first; clicking one opens its job page. */
export class JobsTreeProvider implements vscode.TreeDataProvider<JobNode>, vscode.Disposable {
  static readonly viewId = 'chatwright.jobs';
  private readonly changed = new vscode.EventEmitter<JobNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly source: JobSource) {
    // Every change refreshes the whole list: the order and the set of jobs change with a job's status.
    this.subscription = source.onDidChange(() => this.changed.fire(undefined));
  }

  refresh(): void {
    this.changed.fire(undefined);
  }

  getChildren(node?: JobNode): JobNode[] {
    if (node) return [];
    return this.source.all().map((snapshot) => ({ runDir: snapshot.runDir }));
  }

  getTreeItem(node: JobNode): vscode.TreeItem {
    const snapshot = this.source.snapshot(node.runDir);
    if (!snapshot) return new vscode.TreeItem(node.runDir);
    return jobTreeItem(snapshot);
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}

export function jobTreeItem(snapshot: JobSnapshot, now: number = Date.now()): vscode.TreeItem {
  const item = new vscode.TreeItem(snapshot.name, vscode.TreeItemCollapsibleState.None);
  item.id = snapshot.runDir;
  item.description = describeJob(snapshot, now) || snapshot.status;
  const [icon, color] = snapshot.kind === 'serve' && snapshot.status === 'running' ? ['broadcast', snapshot.ready ? 'charts.green' : 'charts.yellow'] : statusIcons[snapshot.status];
  item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
  item.contextValue = jobContextValue(snapshot.status, snapshot.kind);
  item.tooltip = jobDetailLines(snapshot, now).join('\n');
  item.command = { command: jobCommands.showJobPage, title: 'Show Job Page', arguments: [snapshot.runDir] };
  item.accessibilityInformation = { label: `${snapshot.name}, ${snapshot.status}${item.description ? `, ${String(item.description)}` : ''}` };
  return item;
}
