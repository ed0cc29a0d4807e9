import { type Disposable } from 'vscode';
import { type JobSnapshot } from '../../core/jobs/jobSnapshot';
import { type JobPreflightView } from '../../shared/jobPageProtocol';

/**
 * What the job page and the Jobs view read of the jobs this window knows (queued, running, re-attached, finished
 * runs on disk). Implemented by the jobs service; the job page depends only on this.
 */
export interface JobSource {
  /** The job's current snapshot; a run folder the service does not hold is read from disk. */
  snapshot(runDir: string): JobSnapshot | undefined;
  /** Every job, newest first: queued ones, then run folders of the workspace. */
  all(): JobSnapshot[];
  /** Fires with the run folder whose snapshot changed (throttled by the service). */
  onDidChange(listener: (runDir: string) => void): Disposable;
  /** The preflight the job ran before it was queued, when this window ran it. */
  preflight(runDir: string): JobPreflightView | undefined;
  /** The last lines of the run's log (`RUN/train.log`), and a listener for new ones. */
  logTail(runDir: string, lines: number): string[];
  onLog(listener: (runDir: string, lines: string[]) => void): Disposable;
}

/** The command ids of the jobs feature; each takes a run folder (string) or a Jobs view item as its argument. */
export const jobCommands = {
  newJob: 'chatwright.jobs.newJob',
  run: 'chatwright.jobs.run',
  preflight: 'chatwright.jobs.preflight',
  stop: 'chatwright.jobs.stop',
  cancel: 'chatwright.jobs.cancel',
  resume: 'chatwright.jobs.resume',
  checkpoint: 'chatwright.jobs.checkpoint',
  openRunFolder: 'chatwright.jobs.openRunFolder',
  export: 'chatwright.jobs.export',
  chatWithResult: 'chatwright.jobs.chatWithResult',
  showJobPage: 'chatwright.jobs.showJobPage',
  showLog: 'chatwright.jobs.showLog',
  showSbatchScript: 'chatwright.jobs.showSbatchScript',
  refresh: 'chatwright.jobs.refresh',
  openGuide: 'chatwright.jobs.openGuide',
  checkPythonEnvironment: 'chatwright.python.checkEnvironment',
  createPythonEnvironment: 'chatwright.python.createEnvironment',
  selectPythonInterpreter: 'chatwright.python.selectInterpreter',
} as const;
