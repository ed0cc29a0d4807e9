/**
 * The job page: what the host sends the job page webview (the job's snapshot, its log, the preflight) and the
 * actions the page asks of the host. Declared once, used by both sides (vscode-jsonrpc over postMessage).
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';
import type { JobSnapshot } from '../core/jobs/jobSnapshot';
import type { PreflightFinding } from '../core/jobs/preflight';
import type { PreviewSegment } from '../core/jobs/lossMaskPreview';

export interface JobPreflightView {
  ok: boolean;
  findings: PreflightFinding[];
  /** Rendered examples as trained / not-trained runs of text, with their source `file:line`. */
  examples: { source: string; tokens: number; trainedTokens: number; segments: PreviewSegment[] }[];
  stats: { rows: number; labelled: number; tokens: number; trainedTokens: number; truncated: number; dropped: number; evalFile?: string };
}

export interface JobPageState {
  snapshot: JobSnapshot;
  /**
   * Where the job runs and how (target, Slurm job and state, nodes, elapsed / limit, processes, batch plan) as label and
   * value texts; empty for one local process. Values may come from Slurm: the page renders them as text only.
   */
  where: { label: string; value: string }[];
  /** The resolved config as the run folder holds it (config.json), pretty-printed. */
  configText?: string;
  /** The environment probe the run recorded (env.json), if any. */
  environment?: Record<string, unknown>;
  preflight?: JobPreflightView;
  /** Actions that make sense now (the page disables the others, with the reason as a tooltip). */
  actions: { action: JobPageAction; enabled: boolean; reason?: string }[];
}

/** `showScript` (the run's job.sbatch) is offered only for a Slurm run. */
export type JobPageAction = 'stop' | 'cancel' | 'resume' | 'checkpoint' | 'openRunFolder' | 'chat' | 'export' | 'showLog' | 'showScript';

/** The whole state, sent on open and whenever it changes (at most a few times a second). */
export const jobStateNotification = new NotificationType<JobPageState>('job/state');
/** Log lines appended since the last message (the trainer's stderr/stdout log, tail only). */
export const jobLogNotification = new NotificationType<{ lines: string[]; reset: boolean }>('job/log');
/** The page asks the host to do an action; resolves when the host has acted (or refused, with a message shown). */
export const jobActionRequest = new RequestType<{ action: JobPageAction }, void, void>('job/action');
/** The page is ready to receive state (sent once after load). */
export const jobPageReadyNotification = new NotificationType<Record<string, never>>('job/ready');
