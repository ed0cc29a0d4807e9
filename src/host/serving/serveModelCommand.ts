import { basename } from 'node:path';
import * as vscode from 'vscode';
import { prepareServeRun } from '../../core/jobs/runFolder';
import { defaultServePorts } from '../../core/serving/servedModels';
import { builtinServeLaunch, type BuiltinServeRequest } from '../../core/serving/serveRequest';
import { type ChatHandles } from '../chat/chatFeature';
import { type Ctx } from '../context';
import { type JobsHandles } from '../jobs/jobsFeature';
import { type ModelSelection } from '../models/modelSelection';
import { loopbackHost, networkHost, pickServeAddress, portOrFirstFree } from './serveAddress';
import { type ServeApiKeyStore } from './serveApiKeyStore';
import { type ServerWatch } from './serverWatch';

/** What "Serve Model" can be given instead of asking (other extensions, tests). */
export interface ServeModelArguments {
  model: string;
  embeddingModel?: string;
  /** `.prompty` files (absolute or workspace-relative). */
  templates?: string[];
  /** Listen on every interface (an API key is required) instead of loopback. */
  network?: boolean;
  /** 0: any free port; default: the first free one from 8765. */
  port?: number;
}

export interface ServeModelDeps {
  ctx: Ctx;
  jobs: JobsHandles;
  chat: ChatHandles;
  modelSelection: ModelSelection;
  apiKeys: ServeApiKeyStore;
  watch: ServerWatch;
  workspaceRoot: string;
}

const enginePrefix = 'engine/';

/**
 * "Chatwright: Serve Model": the built-in engine's models as an OpenAI-compatible API, run as a job
 * (`chatwright serve … --run-dir RUN` under the editor's own Node). Returns the run folder.
 */
export async function serveModel(deps: ServeModelDeps, given?: ServeModelArguments): Promise<string | undefined> {
  const request = given ? await requestFromArguments(given) : await askForRequest(deps);
  if (!request) return undefined;
  const apiKey = request.host === loopbackHost ? undefined : await deps.apiKeys.ensure();
  const name = `serve-${basename(request.models[0]!)}`;
  const runDir = prepareServeRun({ workspaceRoot: deps.workspaceRoot, name, request });
  if (apiKey !== undefined) await deps.apiKeys.rememberFor(runDir, apiKey);
  const launch = builtinServeLaunch(request, {
    node: process.execPath,
    cliPath: deps.ctx.asAbsolutePath('dist/cli.js'),
    electron: process.versions.electron !== undefined,
    ...(apiKey !== undefined ? { apiKey } : {}),
  });
  await deps.jobs.service.startServer(runDir, launch);
  deps.watch.adopt(runDir);
  void vscode.window.showInformationMessage(
    `Chatwright: serving ${request.models.join(', ')} on ${request.host}:${request.port === 0 ? 'any free port' : request.port}; the status bar shows the URL once it answers.`,
  );
  return runDir;
}

async function requestFromArguments(given: ServeModelArguments): Promise<BuiltinServeRequest> {
  if (typeof given.model !== 'string' || given.model.trim() === '') throw new Error('Serve Model was given no model.');
  const host = given.network === true ? networkHost : loopbackHost;
  return {
    engine: 'builtin',
    models: [given.model],
    ...(typeof given.embeddingModel === 'string' ? { embeddingModel: given.embeddingModel } : {}),
    ...(Array.isArray(given.templates) ? { templates: given.templates.filter((file): file is string => typeof file === 'string') } : {}),
    host,
    port: await portOrFirstFree(host, given.port, defaultServePorts.builtin),
  };
}

async function askForRequest(deps: ServeModelDeps): Promise<BuiltinServeRequest | undefined> {
  const title = 'Serve Model';
  const options = (await deps.chat.modelOptions()).filter((option) => option.ref.startsWith(enginePrefix));
  const browse = { label: '$(folder-opened) A model folder…', id: undefined };
  const picked = await vscode.window.showQuickPick(
    [...options.map((option) => ({ label: option.label, description: option.ref.slice(enginePrefix.length), id: option.ref.slice(enginePrefix.length) })), browse],
    {
      title: `${title}: which chat model?`,
      placeHolder: options.length === 0 ? 'No model is downloaded yet: pick a folder, or download one in the Models view' : 'The built-in engine’s models',
      ignoreFocusOut: true,
    },
  );
  if (!picked) return undefined;
  const model = picked.id ?? (await pickFolder('Serve this model folder'));
  if (!model) return undefined;

  const embedding = deps.modelSelection.embeddingModel;
  const embeddingChoice = await vscode.window.showQuickPick(
    [
      { label: 'No embedding model', id: undefined as string | undefined },
      ...(embedding ? [{ label: embedding, description: 'the workspace’s embedding model', id: embedding }] : []),
      { label: '$(folder-opened) A model folder…', id: '' },
    ],
    { title: `${title}: also serve an embedding model (/v1/embeddings)?`, ignoreFocusOut: true },
  );
  if (!embeddingChoice) return undefined;
  const embeddingModel = embeddingChoice.id === '' ? await pickFolder('Serve this embedding model folder') : embeddingChoice.id;

  const templateFiles = await vscode.workspace.findFiles('**/*.prompty', '**/node_modules/**', 200);
  let templates: string[] = [];
  if (templateFiles.length > 0) {
    const chosen = await vscode.window.showQuickPick(
      templateFiles.map((uri) => ({ label: basename(uri.fsPath), description: vscode.workspace.asRelativePath(uri), path: uri.fsPath })),
      { title: `${title}: serve prompt templates as models of their own? (none is fine)`, canPickMany: true, ignoreFocusOut: true },
    );
    if (!chosen) return undefined;
    templates = chosen.map((item) => item.path);
  }

  const address = await pickServeAddress(defaultServePorts.builtin, title);
  if (!address) return undefined;
  return { engine: 'builtin', models: [model], ...(embeddingModel ? { embeddingModel } : {}), ...(templates.length > 0 ? { templates } : {}), host: address.host, port: address.port };
}

async function pickFolder(title: string): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({ title, canSelectFolders: true, canSelectFiles: false, canSelectMany: false });
  return picked?.[0]?.fsPath;
}
