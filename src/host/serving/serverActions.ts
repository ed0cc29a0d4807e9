import { hostname } from 'node:os';
import * as vscode from 'vscode';
import { type JobSnapshot } from '../../core/jobs/jobSnapshot';
import { curlExample } from '../../core/serving/curlExample';
import { runDirOf } from '../jobs/jobsTree';
import { type ServedBackends } from './servedBackends';
import { type ServerWatch } from './serverWatch';

/** The server a command is about: its argument (a Jobs view item, a run folder), else the only one, else a pick. */
export async function serverOf(watch: ServerWatch, argument: unknown, verb: string, onlyReady: boolean): Promise<JobSnapshot | undefined> {
  const candidates = onlyReady ? watch.ready() : watch.servers();
  const runDir = runDirOf(argument);
  if (runDir) {
    const found = watch.servers().find((job) => job.runDir === runDir);
    if (!found) throw new Error(`${runDir} is not a running server.`);
    return found;
  }
  if (candidates.length === 0) {
    void vscode.window.showInformationMessage(`Chatwright: no server to ${verb}. Start one with "Chatwright: Serve Model" or "Chatwright: Serve on GPU".`);
    return undefined;
  }
  if (candidates.length === 1) return candidates[0];
  const picked = await vscode.window.showQuickPick(
    candidates.map((job) => ({ label: job.name, description: job.serving?.url ?? job.status, detail: job.runDir, job })),
    { title: `Which server to ${verb}?` },
  );
  return picked?.job;
}

/** Copies a server's base URL (`…/v1`); says so when it has none yet. */
export async function copyServerUrl(job: JobSnapshot): Promise<string | undefined> {
  if (!job.serving) {
    void vscode.window.showInformationMessage(`Chatwright: ${job.name} is still starting; it has no URL yet.`);
    return undefined;
  }
  await vscode.env.clipboard.writeText(job.serving.url);
  void vscode.window.setStatusBarMessage(`Copied ${job.serving.url}`, 3000);
  return job.serving.url;
}

/** The quick pick of a ready server's actions (the status bar item's click). */
export async function showServerActions(job: JobSnapshot, deps: { backends: ServedBackends; stop: (runDir: string) => Promise<void>; openChat: (modelRef: string) => Promise<void> }): Promise<void> {
  const serving = job.serving;
  if (!serving) return;
  const chatModel = serving.models.find((model) => model.kind !== 'embedding') ?? serving.models[0];
  const backendId = deps.backends.backendIdOf(job.runDir);
  // A server on every interface is called at loopback here; other machines need this machine's name instead.
  const networkUrl = serving.host === '0.0.0.0' || serving.host === '::' ? serving.url.replace(/^(https?:\/\/)(127\.0\.0\.1|\[::1\])/, `$1${hostname()}`) : undefined;
  const items: (vscode.QuickPickItem & { run: () => PromiseLike<unknown> })[] = [
    { label: '$(copy) Copy URL', description: serving.url, run: () => copyServerUrl(job) },
    ...(networkUrl !== undefined
      ? [
          {
            label: '$(globe) Copy URL for other machines',
            description: networkUrl,
            detail: 'This machine’s name; use its IP address where the name does not resolve on the network.',
            run: async () => vscode.env.clipboard.writeText(networkUrl),
          },
        ]
      : []),
    ...(chatModel
      ? [
          {
            label: '$(terminal) Copy a curl example',
            description: chatModel.id,
            ...(serving.apiKeyRequired ? { detail: 'Reads the key from $CHATWRIGHT_SERVE_API_KEY' } : {}),
            run: async () => vscode.env.clipboard.writeText(curlExample(serving.url, chatModel.id, serving.apiKeyRequired)),
          },
        ]
      : []),
    ...(backendId
      ? serving.models
          .filter((model) => model.kind !== 'embedding')
          .map((model) => ({
            label: `$(comment-discussion) Chat with ${model.id}`,
            description: model.parent ? `adapter on ${model.parent}` : '',
            run: () => deps.openChat(`${backendId}/${model.id}`),
          }))
      : []),
    { label: '$(debug-stop) Stop the server', description: job.name, run: () => deps.stop(job.runDir) },
  ];
  const picked = await vscode.window.showQuickPick(items, { title: `${job.name} at ${serving.url}` });
  await picked?.run();
}
