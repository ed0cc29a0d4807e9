import * as vscode from 'vscode';
import { type JobSnapshot } from '../../core/jobs/jobSnapshot';
import { ServerUnhealthyError, waitUntilHealthy } from '../../core/serving/healthCheck';
import { type JobsHandles } from '../jobs/jobsFeature';

/** How long a server that said it listens may take to answer `GET /health` with 200 before it counts as broken. */
const defaultHealthTimeoutMs = 30_000;
/** How long closing the window waits for the servers it started to stop. */
const stopOnCloseMs = 4_000;

/**
 * The servers among the jobs: those this window started, and those found running (re-attached after a reload, or
 * started from the CLI). Each one that says it listens is health-checked before it counts as ready; one started here
 * that never answers is stopped and reported failed with its log's last lines. Closing the window stops the servers
 * it started, never the others.
 */
export class ServerWatch implements vscode.Disposable {
  private readonly checks = new Map<string, { url: string; abort: AbortController }>();
  private readonly startedHere = new Set<string>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;
  private lastReady = '';

  constructor(
    private readonly jobs: JobsHandles,
    private readonly log: (message: string) => void,
    private readonly onFailedHealthCheck: (snapshot: JobSnapshot, message: string) => void,
    private readonly healthTimeoutMs = defaultHealthTimeoutMs,
  ) {
    this.subscription = jobs.source.onDidChange(() => this.update());
  }

  /** A server this window started: it stops when the window closes. */
  adopt(runDir: string): void {
    this.startedHere.add(runDir);
    this.update();
  }

  isStartedHere(runDir: string): boolean {
    return this.startedHere.has(runDir);
  }

  /** The servers that run (starting, serving or stopping), newest first. */
  servers(): JobSnapshot[] {
    return this.jobs.source.all().filter((job) => job.kind === 'serve' && (job.status === 'starting' || job.status === 'running' || job.status === 'stopping'));
  }

  /** The servers that answered their health check and still run. */
  ready(): JobSnapshot[] {
    return this.servers().filter((job) => job.ready && job.status === 'running' && job.serving !== undefined);
  }

  /** Starts a health check for each server that listens and is not known to answer; fires a change when the ready set changes. */
  update(): void {
    const servers = this.servers();
    for (const [runDir, check] of [...this.checks]) {
      const now = servers.find((job) => job.runDir === runDir);
      if (now?.serving?.url === check.url && now.status === 'running') continue;
      check.abort.abort(new Error('the server is no longer running'));
      this.checks.delete(runDir);
    }
    for (const job of servers) {
      if (job.ready || job.status !== 'running' || !job.serving || this.checks.has(job.runDir)) continue;
      const run = this.jobs.service.run(job.runDir);
      // A server this window does not follow (untrusted workspace: runs are only listed) is never health-checked.
      if (!run) continue;
      const url = job.serving.url;
      const abort = new AbortController();
      this.checks.set(job.runDir, { url, abort });
      waitUntilHealthy(url, { timeoutMs: this.healthTimeoutMs, signal: abort.signal }).then(
        () => {
          if (this.checks.get(job.runDir)?.abort !== abort) return;
          this.checks.delete(job.runDir);
          run.markReady(true);
          this.log(`The server ${job.name} answers at ${url}.`);
        },
        (error: unknown) => {
          if (this.checks.get(job.runDir)?.abort !== abort) return;
          this.checks.delete(job.runDir);
          if (!(error instanceof ServerUnhealthyError)) return;
          const lastLines = this.jobs.service.logTail(job.runDir, 8).join('\n');
          const message = `${job.name} said it listens at ${url}, but ${error.message}.${lastLines ? `\nLast lines of its log:\n${lastLines}` : ''}`;
          this.log(message);
          if (!this.startedHere.has(job.runDir)) return;
          void run.stopAsFailed({ code: 'SERVER_UNHEALTHY', message: `${error.message}`, action: 'See train.log in the run folder for what the server said.' }).catch(() => undefined);
          this.onFailedHealthCheck(job, message);
        },
      );
    }
    const readyKey = this.ready()
      .map((job) => `${job.runDir}@${job.serving!.url}`)
      .join('|');
    if (readyKey !== this.lastReady) {
      this.lastReady = readyKey;
      this.changed.fire();
    }
  }

  /** Stops the servers this window started and waits for them a little (the window is closing). */
  async stopStartedHere(): Promise<void> {
    const stopping = this.servers()
      .filter((job) => this.startedHere.has(job.runDir))
      .map((job) => this.jobs.service.stopAndSave(job.runDir).catch((error: unknown) => this.log(`${job.name} did not stop: ${error instanceof Error ? error.message : String(error)}`)));
    if (stopping.length === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(stopping), new Promise<void>((resolve) => (timer = setTimeout(resolve, stopOnCloseMs)))]);
    clearTimeout(timer);
  }

  dispose(): void {
    this.subscription.dispose();
    for (const check of this.checks.values()) check.abort.abort(new Error('the window closes'));
    this.checks.clear();
    this.changed.dispose();
  }
}
