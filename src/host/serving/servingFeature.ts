import * as vscode from 'vscode';
import { type ChatHandles } from '../chat/chatFeature';
import { type CommandHandler, type Ctx } from '../context';
import { type JobsHandles } from '../jobs/jobsFeature';
import { type ModelSelection } from '../models/modelSelection';
import { chatWithAdapter } from './chatWithAdapter';
import { copyServerUrl, serverOf, showServerActions } from './serverActions';
import { serveOnGpu, type ServeGpuArguments } from './serveGpuCommand';
import { serveModel, type ServeModelArguments } from './serveModelCommand';
import { ServeApiKeyStore } from './serveApiKeyStore';
import { ServedBackends } from './servedBackends';
import { ServerWatch } from './serverWatch';
import { serverActionsCommand, ServingStatusBar } from './servingStatusBar';

export const servingCommands = {
  start: 'chatwright.serve.start',
  startGpu: 'chatwright.serve.startGpu',
  stop: 'chatwright.serve.stop',
  copyUrl: 'chatwright.serve.copyUrl',
  resetApiKey: 'chatwright.serve.resetApiKey',
  actions: serverActionsCommand,
  /** A finished run's adapter in the chat, served on the GPU first when no ready server has it (the Jobs' "Chat with the result"). */
  chatWithAdapter: 'chatwright.serve.chatWithAdapter',
} as const;

export interface ServingHandles {
  watch: ServerWatch;
  statusBar: ServingStatusBar;
  backends: ServedBackends;
  apiKeys: ServeApiKeyStore;
  /** Stops the servers this window started, waiting a few seconds at most (deactivation). */
  stopStartedHere(): Promise<void>;
}

const manageTrust = 'Manage Workspace Trust';

/**
 * Serving in VS Code: Serve Model (the built-in engine), Serve on GPU (the Python server with adapters), Stop, Copy
 * URL; servers run as jobs (Jobs view, job page), are health-checked before they count as ready, show in the status
 * bar, and their models join the chat as backends while they are ready.
 */
export function registerServing(ctx: Ctx, deps: { jobs: JobsHandles; chat: ChatHandles; modelSelection: ModelSelection }): ServingHandles {
  const apiKeys = new ServeApiKeyStore(ctx.extension.secrets);
  const backends = ctx.own(
    new ServedBackends(
      (backend) => deps.chat.registerBackend(backend),
      (runDir) => apiKeys.keyFor(runDir),
      (message) => ctx.log.info(message),
    ),
  );
  const watch = ctx.own(
    new ServerWatch(
      deps.jobs,
      (message) => ctx.log.info(message),
      (job, message) => {
        void vscode.window.showErrorMessage(`Chatwright: the server ${job.name} was stopped: it never became healthy. ${message}`, 'Show Log').then((choice) => {
          if (choice) void vscode.commands.executeCommand('chatwright.jobs.showLog', job.runDir);
        });
      },
    ),
  );
  const statusBar = ctx.own(new ServingStatusBar(watch));
  ctx.own(watch.onDidChange(() => void backends.update(watch.ready())));
  const updateContextKeys = (): void => {
    void vscode.commands.executeCommand('setContext', 'chatwright.serve.anyRunning', watch.servers().length > 0);
    void vscode.commands.executeCommand('setContext', 'chatwright.serve.anyReady', watch.ready().length > 0);
  };
  ctx.own(deps.jobs.source.onDidChange(updateContextKeys));
  ctx.own(watch.onDidChange(updateContextKeys));

  const workspaceRoot = (): string => {
    const root = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    if (!root) throw new Error('Open a folder first: a server runs as a job, kept in its .chatwright/runs folder.');
    return root;
  };

  /** No server is started or signalled in an untrusted workspace: say so, and offer to manage trust. */
  const trusted = (what: string): boolean => {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window
      .showWarningMessage(`Chatwright: ${what} needs a trusted workspace: serving runs the model server as a process, with the workspace's models, templates and Python.`, manageTrust)
      .then((choice) => {
        if (choice === manageTrust) void vscode.commands.executeCommand('workbench.trust.manage');
      });
    return false;
  };

  const stop = async (runDir: string): Promise<void> => {
    await deps.jobs.service.stopAndSave(runDir);
  };
  const openChat = async (modelRef: string, compareModel?: string): Promise<void> => {
    const conversation = await deps.chat.service.create();
    await deps.chat.service.updateSettings(conversation.id, { ...conversation.settings, model: modelRef, ...(compareModel !== undefined ? { compareModel } : {}) });
    deps.chat.panels.open(conversation.id);
  };

  const table: Record<string, CommandHandler> = {
    [servingCommands.start]: async (argument?: unknown) => {
      if (!trusted('Serve Model')) return undefined;
      const runDir = await serveModel(
        { ctx, jobs: deps.jobs, chat: deps.chat, modelSelection: deps.modelSelection, apiKeys, watch, workspaceRoot: workspaceRoot() },
        isArgumentsObject(argument) ? (argument as unknown as ServeModelArguments) : undefined,
      );
      if (runDir) deps.jobs.page.show(runDir);
      return runDir;
    },
    [servingCommands.startGpu]: async (argument?: unknown) => {
      if (!trusted('Serve on GPU')) return undefined;
      const runDir = await serveOnGpu({ jobs: deps.jobs, apiKeys, watch, workspaceRoot: workspaceRoot() }, isArgumentsObject(argument) ? (argument as unknown as ServeGpuArguments) : undefined);
      if (runDir) deps.jobs.page.show(runDir);
      return runDir;
    },
    [servingCommands.stop]: async (argument?: unknown) => {
      if (!trusted('Stopping a server')) return;
      const job = await serverOf(watch, argument, 'stop', false);
      if (job) await stop(job.runDir);
    },
    [servingCommands.copyUrl]: async (argument?: unknown) => {
      const job = await serverOf(watch, argument, 'copy the URL of', false);
      return job ? copyServerUrl(job) : undefined;
    },
    [servingCommands.resetApiKey]: async () => {
      const choice = await vscode.window.showWarningMessage(
        'Chatwright: make a new server API key?',
        { modal: true, detail: 'Clients that use the current key stop working with servers started from now on; servers already running keep the key they were started with.' },
        'Make New Key',
      );
      if (choice === 'Make New Key') await apiKeys.replace();
    },
    [servingCommands.chatWithAdapter]: async (runDir?: unknown) => {
      if (typeof runDir !== 'string') throw new Error('Chat with the result needs the run folder of a finished fine-tuning run.');
      if (!trusted('Chat with the result')) return;
      await chatWithAdapter(
        {
          watch,
          backends,
          job: (runDir) => deps.jobs.service.snapshot(runDir),
          onJobsChange: (listener) => deps.jobs.source.onDidChange(listener),
          workspaceRoot: workspaceRoot(),
          openChat,
          serveOnGpu: (model, adapterRunDir) => serveOnGpu({ jobs: deps.jobs, apiKeys, watch, workspaceRoot: workspaceRoot() }, { model, adapters: [adapterRunDir] }),
        },
        runDir,
      );
    },
    [servingCommands.actions]: async (argument?: unknown) => {
      const job = await serverOf(watch, argument, 'act on', true);
      if (job) await showServerActions(job, { backends, stop, openChat });
    },
  };
  ctx.registerCommands(table);
  // Servers running when the window opens (re-attached after a reload, started from the CLI) are checked once the jobs are read.
  const startup = setTimeout(() => watch.update(), 0);
  ctx.own({ dispose: () => clearTimeout(startup) });

  return { watch, statusBar, backends, apiKeys, stopStartedHere: () => watch.stopStartedHere() };
}

function isArgumentsObject(argument: unknown): argument is Record<string, unknown> {
  return typeof argument === 'object' && argument !== null && !Array.isArray(argument) && !(argument instanceof vscode.Uri);
}
