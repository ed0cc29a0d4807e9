import * as vscode from 'vscode';
import { findServableAdapters, type ServableAdapter } from '../../core/serving/gpuServerLaunch';
import { finalStatuses, type JobSnapshot } from '../../core/jobs/jobSnapshot';
import { type ServedBackends } from './servedBackends';
import { type ServerWatch } from './serverWatch';

export interface ChatWithAdapterDeps {
  watch: ServerWatch;
  backends: ServedBackends;
  /** A job's latest snapshot, and the event of any job changing (a server that fails before it is ready, too). */
  job: (runDir: string) => JobSnapshot | undefined;
  onJobsChange: vscode.Event<unknown>;
  workspaceRoot: string;
  /** Serve on GPU with these arguments; resolves with the new server's run folder. */
  serveOnGpu: (model: string, adapterRunDir: string) => Promise<string | undefined>;
  /** Opens a new conversation on `model`, comparing it with `compareModel` when given. */
  openChat: (model: string, compareModel?: string) => Promise<void>;
}

/** How long a GPU server may take to load its model and adapters before the wait is given up (it keeps starting). */
const readyWaitMs = 15 * 60_000;

/**
 * "Chat with the result" of a finished fine-tuning run: a ready server that already serves the run's adapter is used
 * as it is; otherwise the GPU server is started with the adapter on its base model, and once it answers a
 * conversation opens that compares the fine-tuned model (A) with its base (B).
 */
export async function chatWithAdapter(deps: ChatWithAdapterDeps, runDir: string): Promise<void> {
  const adapter = findServableAdapters(deps.workspaceRoot).find((candidate) => candidate.runDir === runDir);
  if (!adapter) {
    void vscode.window.showErrorMessage('Chatwright: this run has no adapter to chat with (no adapter/adapter_config.json in its run folder). It may have stopped before saving one.');
    return;
  }
  const serving = servingAdapter(deps, adapter);
  if (serving) {
    await openComparison(deps, serving, adapter);
    return;
  }
  if (!adapter.baseModel) {
    void vscode.window.showErrorMessage(`Chatwright: ${adapter.id}'s adapter_config.json names no base model (base_model_name_or_path), so there is nothing to load it on.`);
    return;
  }
  const start = await vscode.window.showInformationMessage(
    `Chatwright: chat with ${adapter.id}?`,
    { modal: true, detail: `It needs the GPU server with ${adapter.baseModel} and this adapter. The chat then compares the fine-tuned model with its base, side by side.` },
    'Serve on GPU',
  );
  if (start !== 'Serve on GPU') return;
  const serverRun = await deps.serveOnGpu(adapter.baseModel, runDir);
  if (!serverRun) return;
  const ready = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Chatwright: waiting for the GPU server to load ${adapter.baseModel}`, cancellable: true },
    (_progress, token) => waitForBackend(deps, serverRun, token),
  );
  if (ready) await openComparison(deps, ready, adapter);
}

interface ServingBackend {
  backendId: string;
  job: JobSnapshot;
}

function servingAdapter(deps: ChatWithAdapterDeps, adapter: ServableAdapter): ServingBackend | undefined {
  for (const job of deps.watch.ready()) {
    const backendId = deps.backends.backendIdOf(job.runDir);
    if (backendId && job.serving?.models.some((model) => model.id === adapter.id)) return { backendId, job };
  }
  return undefined;
}

async function openComparison(deps: ChatWithAdapterDeps, serving: ServingBackend, adapter: ServableAdapter): Promise<void> {
  const base = serving.job.serving?.models.find((model) => model.id === adapter.baseModel || (model.id !== adapter.id && !model.parent && model.kind !== 'embedding'));
  await deps.openChat(`${serving.backendId}/${adapter.id}`, base ? `${serving.backendId}/${base.id}` : undefined);
}

/** Resolves once the server is ready and in the chat, or undefined when it fails, stops or the user gives up waiting. */
function waitForBackend(deps: ChatWithAdapterDeps, serverRun: string, token: vscode.CancellationToken): Promise<ServingBackend | undefined> {
  return new Promise((resolve) => {
    const subscriptions: vscode.Disposable[] = [];
    const finish = (result: ServingBackend | undefined): void => {
      clearTimeout(timeout);
      for (const subscription of subscriptions) subscription.dispose();
      resolve(result);
    };
    const check = (): void => {
      const job = deps.job(serverRun);
      if (!job) return;
      if (finalStatuses.includes(job.status)) {
        void vscode.window.showErrorMessage(`Chatwright: the GPU server ${job.name} ended before it was ready${job.error ? `: ${job.error.message}` : ''}. Its job page has the log.`);
        finish(undefined);
        return;
      }
      const backendId = deps.backends.backendIdOf(serverRun);
      if (job.ready && backendId) finish({ backendId, job });
    };
    const timeout = setTimeout(() => {
      void vscode.window.showWarningMessage('Chatwright: the GPU server is still not ready; it keeps starting. Its model appears in the chat as "Served: …" once it answers.');
      finish(undefined);
    }, readyWaitMs);
    // Joining the chat follows readiness asynchronously: both changes are watched.
    subscriptions.push(
      deps.onJobsChange(check),
      deps.backends.onDidChange(check),
      token.onCancellationRequested(() => finish(undefined)),
    );
    check();
  });
}
