import { isAbsolute, resolve } from 'node:path';
import { type JobSnapshot, type JobStatus } from '../../core/jobs/jobSnapshot';
import { type JobPageAction, type JobPageState } from '../../shared/jobPageProtocol';
import { jobCommands } from './jobSource';

/**
 * What the job page may ask for, given the job's state: each action enabled or not, with the reason a disabled one
 * shows. Pure (no `vscode`), so the rules are unit-tested; the panel also checks a request against them, since the
 * page's buttons may be a state behind.
 */
export const jobPageActionOrder: readonly JobPageAction[] = ['stop', 'cancel', 'resume', 'checkpoint', 'openRunFolder', 'showLog', 'showScript', 'chat', 'export'];

/** The jobs feature's command each page action runs, with the run folder as its argument. */
export const jobPageActionCommands: Record<JobPageAction, string> = {
  stop: jobCommands.stop,
  cancel: jobCommands.cancel,
  resume: jobCommands.resume,
  checkpoint: jobCommands.checkpoint,
  openRunFolder: jobCommands.openRunFolder,
  showLog: jobCommands.showLog,
  showScript: jobCommands.showSbatchScript,
  chat: jobCommands.chatWithResult,
  export: jobCommands.export,
};

const waiting: readonly JobStatus[] = ['queued', 'preflight'];
const trainerAlive: readonly JobStatus[] = ['starting', 'running'];
const ended: readonly JobStatus[] = ['stopped', 'done', 'failed', 'cancelled'];

export interface JobPageActionContext {
  /** False in an untrusted workspace: nothing that starts or signals a process is offered. */
  trusted: boolean;
}

const untrustedReason = 'This workspace is not trusted: Chatwright starts and signals no process in it.';
/** A job in the `preflight` status is a job file's preflight shown before any run: no process, no run folder. */
const notRunReason = 'Only the preflight has run: Run Job starts the job.';
const noRunFolderReason = 'The job has not run yet, so it has no run folder or log.';

function stopState(snapshot: JobSnapshot): string | undefined {
  if (trainerAlive.includes(snapshot.status)) return undefined;
  if (waiting.includes(snapshot.status)) return 'The job has not started: Cancel takes it off the queue.';
  if (snapshot.status === 'stopping') return 'The job is already stopping.';
  return 'The job is not running.';
}

function cancelState(snapshot: JobSnapshot): string | undefined {
  return ended.includes(snapshot.status) ? 'The job has already ended.' : undefined;
}

function resumeState(snapshot: JobSnapshot): string | undefined {
  if (!ended.includes(snapshot.status)) return 'The job has not ended.';
  if (snapshot.status === 'done') return 'The job finished: there is nothing to resume.';
  if (snapshot.checkpoints.length === 0) return 'No checkpoint to resume from: the job ended before it saved one.';
  return undefined;
}

function checkpointState(snapshot: JobSnapshot): string | undefined {
  if (snapshot.status === 'running' && snapshot.phase === 'training') return undefined;
  return snapshot.status === 'running' || snapshot.status === 'starting' ? 'A checkpoint can be taken once training has started.' : 'The job is not training.';
}

function resultState(snapshot: JobSnapshot): string | undefined {
  if (snapshot.adapter === undefined) return 'No adapter yet: the job writes one when it finishes or is stopped and saved.';
  if (!ended.includes(snapshot.status)) return 'The job is still running: its adapter is not final.';
  return undefined;
}

/** A run on a Slurm cluster: it has a job.sbatch to show. */
function onSlurm(snapshot: JobSnapshot): boolean {
  return snapshot.scheduler !== undefined || snapshot.distributed?.target === 'slurm';
}

/** Every action of the page, enabled or disabled with its reason; the script only for a Slurm run, which always has one. */
export function jobPageActions(snapshot: JobSnapshot, context: JobPageActionContext): JobPageState['actions'] {
  const actions = pageActions(snapshot, context).filter((entry) => entry.action !== 'showScript');
  if (snapshot.status === 'preflight' || !onSlurm(snapshot)) return actions;
  const before = actions.findIndex((entry) => entry.action === 'showLog') + 1;
  return [...actions.slice(0, before), { action: 'showScript', enabled: true }, ...actions.slice(before)];
}

function pageActions(snapshot: JobSnapshot, context: JobPageActionContext): JobPageState['actions'] {
  if (snapshot.status === 'preflight') {
    return jobPageActionOrder.map((action) => ({ action, enabled: false, reason: action === 'openRunFolder' || action === 'showLog' ? noRunFolderReason : notRunReason }));
  }
  if (snapshot.kind === 'serve') {
    // A server has no checkpoint, adapter or queue: it can be stopped, and its folder and log looked at.
    const serverActions: JobPageAction[] = ['stop', 'openRunFolder', 'showLog', 'showScript'];
    return serverActions.map((action) => {
      const reason = action === 'stop' ? (context.trusted ? stopState(snapshot) : untrustedReason) : undefined;
      return reason === undefined ? { action, enabled: true } : { action, enabled: false, reason };
    });
  }
  const blockers: Record<JobPageAction, () => string | undefined> = {
    stop: () => (context.trusted ? stopState(snapshot) : untrustedReason),
    cancel: () => (context.trusted ? cancelState(snapshot) : untrustedReason),
    resume: () => (context.trusted ? resumeState(snapshot) : untrustedReason),
    checkpoint: () => (context.trusted ? checkpointState(snapshot) : untrustedReason),
    openRunFolder: () => undefined,
    showLog: () => undefined,
    showScript: () => undefined,
    chat: () => resultState(snapshot),
    export: () => resultState(snapshot),
  };
  return jobPageActionOrder.map((action) => {
    const reason = blockers[action]();
    return reason === undefined ? { action, enabled: true } : { action, enabled: false, reason };
  });
}

/** The page's action request, checked: `undefined` when it is not one of the page's actions. */
export function validJobPageAction(params: unknown): { action: JobPageAction } | undefined {
  if (typeof params !== 'object' || params === null) return undefined;
  const action = (params as { action?: unknown }).action;
  return typeof action === 'string' && (jobPageActionOrder as readonly string[]).includes(action) ? { action: action as JobPageAction } : undefined;
}

/**
 * The run folder a command was given: an absolute path, or a Jobs view item (`{ runDir }`), or a restored page's
 * saved state. `undefined` for anything else (the palette passes nothing).
 */
export function runDirOfArgument(argument: unknown): string | undefined {
  const candidate = typeof argument === 'string' ? argument : typeof argument === 'object' && argument !== null ? (argument as { runDir?: unknown }).runDir : undefined;
  return typeof candidate === 'string' && candidate.length > 0 && isAbsolute(candidate) ? resolve(candidate) : undefined;
}
