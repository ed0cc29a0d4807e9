import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { prepareServeRun, runsFolder } from '../../core/jobs/runFolder';
import { adaptersForModel, findServableAdapters, gpuServerCommand, type ServableAdapter } from '../../core/serving/gpuServerLaunch';
import { defaultServePorts } from '../../core/serving/servedModels';
import { chooseGpuEngine, gpuServeEngineVariable, type GpuEngineChoice, type GpuServeRequest } from '../../core/serving/serveRequest';
import { type JobsHandles } from '../jobs/jobsFeature';
import { jobCommands } from '../jobs/jobSource';
import { loopbackHost, networkHost, pickServeAddress, portOrFirstFree } from './serveAddress';
import { type ServeApiKeyStore } from './serveApiKeyStore';
import { type ServerWatch } from './serverWatch';

/** What "Serve on GPU" can be given instead of asking (tests, other extensions). */
export interface ServeGpuArguments {
  /** The base model: a Hub id or a folder. */
  model: string;
  /** Run folders (or adapter folders) of finished runs whose adapters to serve; default none. */
  adapters?: string[];
  network?: boolean;
  port?: number;
}

export interface ServeGpuDeps {
  jobs: JobsHandles;
  apiKeys: ServeApiKeyStore;
  watch: ServerWatch;
  workspaceRoot: string;
}

/**
 * "Chatwright: Serve on GPU": the Python server (`python -m chatwright_serve`) under the jobs' interpreter, with a
 * base model and adapters of finished runs. The interpreter is probed first, and the user is told which engine will
 * run (vLLM when it is installed, else transformers + PEFT) before anything starts. Returns the run folder.
 */
export async function serveOnGpu(deps: ServeGpuDeps, given?: ServeGpuArguments): Promise<string | undefined> {
  const title = 'Serve on GPU';
  const interpreter = await deps.jobs.environment.interpreter();
  const override = process.env[gpuServeEngineVariable] || undefined;
  const choice: GpuEngineChoice = override
    ? chooseGpuEngine({}, interpreter.python, override)
    : await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${title}: checking ${interpreter.python}` }, async () =>
        chooseGpuEngine((await deps.jobs.environment.probe(interpreter)).packages, interpreter.python),
      );
  if (choice.engine === undefined) {
    const action = await vscode.window.showErrorMessage(
      `Chatwright: ${title} cannot start: ${choice.reason}.${choice.installCommand ? ` Install it: ${choice.installCommand}` : ''}`,
      'Create Environment',
      'Select Interpreter',
    );
    if (action === 'Create Environment') await vscode.commands.executeCommand(jobCommands.createPythonEnvironment);
    if (action === 'Select Interpreter') await vscode.commands.executeCommand(jobCommands.selectPythonInterpreter);
    return undefined;
  }
  const engineName = choice.engine === 'vllm' ? 'vLLM' : choice.engine === 'transformers' ? 'transformers + PEFT' : 'the stand-in generator (a test hook)';
  const available = findServableAdapters(deps.workspaceRoot);
  const request = given ? await requestFromArguments(given, available, choice.engine) : await askForRequest(available, choice.engine, title, `${engineName} will run (${choice.reason}).`);
  if (!request) return undefined;
  if (!given) {
    const start = await vscode.window.showInformationMessage(
      `Chatwright: serve ${request.model}${request.adapters.length > 0 ? ` with ${request.adapters.map((adapter) => adapter.id).join(', ')}` : ''} with ${engineName}?`,
      { modal: true, detail: `${choice.reason}. It listens on ${request.host}:${request.port}.` },
      'Start',
    );
    if (start !== 'Start') return undefined;
  }
  // vLLM has no Host-header check: on loopback too, a key is what keeps web pages in the user's browser from using it.
  const apiKey = request.host === loopbackHost && request.gpuEngine !== 'vllm' ? undefined : await deps.apiKeys.ensure();
  const runDir = prepareServeRun({ workspaceRoot: deps.workspaceRoot, name: `serve-gpu-${basename(request.model)}`, request });
  if (apiKey !== undefined) await deps.apiKeys.rememberFor(runDir, apiKey);
  // The runner adds --run-dir; the key goes in the environment only.
  const launch = gpuServerCommand({
    python: interpreter.python,
    pythonPath: deps.jobs.environment.pythonPath,
    model: request.model,
    adapters: request.adapters,
    // POST /v1/adapters/load may load the adapters of this workspace's runs, and nothing else on disk.
    adapterRoots: [join(deps.workspaceRoot, runsFolder)],
    host: request.host,
    port: request.port,
    engine: request.gpuEngine,
    ...(apiKey !== undefined ? { apiKey } : {}),
  });
  deps.jobs.service.startServer(runDir, launch);
  deps.watch.adopt(runDir);
  void vscode.window.showInformationMessage(`Chatwright: starting the GPU server with ${engineName}: ${choice.reason}.`);
  return runDir;
}

async function requestFromArguments(given: ServeGpuArguments, available: ServableAdapter[], engine: GpuServeRequest['gpuEngine']): Promise<GpuServeRequest> {
  if (typeof given.model !== 'string' || given.model.trim() === '') throw new Error('Serve on GPU was given no base model.');
  const adapters = (Array.isArray(given.adapters) ? given.adapters : []).map((wanted) => {
    const found = available.find((adapter) => adapter.runDir === wanted || adapter.path === wanted);
    if (!found) throw new Error(`${String(wanted)} is not a finished run with an adapter (adapter_config.json) in this workspace.`);
    return { id: found.id, path: found.path };
  });
  const host = given.network === true ? networkHost : loopbackHost;
  return { engine: 'gpu', model: given.model, adapters, gpuEngine: engine, host, port: await portOrFirstFree(host, given.port, defaultServePorts.gpu) };
}

async function askForRequest(available: ServableAdapter[], engine: GpuServeRequest['gpuEngine'], title: string, engineLine: string): Promise<GpuServeRequest | undefined> {
  const bases = [...new Set(available.flatMap((adapter) => (adapter.baseModel ? [adapter.baseModel] : [])))];
  const other = { label: '$(edit) Another model (a Hub id or a folder)…', model: '' };
  const base =
    bases.length > 0
      ? await vscode.window.showQuickPick([...bases.map((model) => ({ label: model, description: 'base of a fine-tuned adapter', model })), other], {
          title: `${title}: which base model?`,
          placeHolder: engineLine,
          ignoreFocusOut: true,
        })
      : other;
  if (!base) return undefined;
  const model =
    base.model ||
    (
      await vscode.window.showInputBox({
        title: `${title}: base model`,
        prompt: `A Hugging Face model id or a local folder. ${engineLine}`,
        ignoreFocusOut: true,
        validateInput: (input) => (input.trim() ? undefined : 'Name a model.'),
      })
    )?.trim();
  if (!model) return undefined;
  const matching = adaptersForModel(available, model);
  let adapters: { id: string; path: string }[] = [];
  if (matching.length > 0) {
    const picked = await vscode.window.showQuickPick(
      matching.map((adapter) => ({ label: adapter.id, description: `${adapter.method}${adapter.rank !== undefined ? `, rank ${adapter.rank}` : ''}`, detail: adapter.path, picked: true, adapter })),
      { title: `${title}: which adapters? (each is a model id of its own)`, canPickMany: true, ignoreFocusOut: true },
    );
    if (!picked) return undefined;
    adapters = picked.map((item) => ({ id: item.adapter.id, path: item.adapter.path }));
  }
  const address = await pickServeAddress(defaultServePorts.gpu, title);
  if (!address) return undefined;
  return { engine: 'gpu', model, adapters, gpuEngine: engine, host: address.host, port: address.port };
}
