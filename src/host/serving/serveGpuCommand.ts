import { basename, join } from 'node:path';
import * as vscode from 'vscode';
import { prepareServeRun, runsFolder } from '../../core/jobs/runFolder';
import { adaptersForModel, findServableAdapters, gpuServerCommand, type ServableAdapter } from '../../core/serving/gpuServerLaunch';
import { defaultServePorts } from '../../core/serving/servedModels';
import { chooseGpuEngine, gpuServeEngineVariable, type GpuEngineChoice, type GpuServeRequest } from '../../core/serving/serveRequest';
import { gpuServeWhereChoices, gpuServeWhereText, requiresNetworkListen, serveTargetOf, type GpuEngine, type GpuServeWhere } from '../../core/serving/gpuServeTarget';
import { resolveJob, resolveJobAsync } from '../jobs/jobPreflight';
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
  /**
   * Where it runs (default this machine, one GPU): `allGpus` splits the model over every GPU the probe sees, `slurm`
   * submits it with the target of `jobFile` (a job file whose target type is slurm).
   */
  where?: 'oneGpu' | 'allGpus' | 'slurm';
  jobFile?: string;
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
 * run (vLLM when it is installed, else transformers + PEFT) before anything starts. A Where step picks this machine
 * (one GPU, or all of them when the probe sees several) or a Slurm cluster through a job file's target; a server on
 * a compute node listens on every interface and so always has an API key. Returns the run folder.
 */
export async function serveOnGpu(deps: ServeGpuDeps, given?: ServeGpuArguments): Promise<string | undefined> {
  const title = 'Serve on GPU';
  const interpreter = await deps.jobs.environment.interpreter();
  const override = process.env[gpuServeEngineVariable] || undefined;
  let visibleGpus = 0;
  const choice: GpuEngineChoice = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `${title}: checking ${interpreter.python}` }, async () => {
    if (override) {
      // The test hook needs no packages; the GPUs are still those the probe sees, when it can run.
      visibleGpus = await deps.jobs.environment.probe(interpreter).then(
        (probe) => probe.gpus.length,
        () => 0,
      );
      return chooseGpuEngine({}, interpreter.python, override);
    }
    const probe = await deps.jobs.environment.probe(interpreter);
    visibleGpus = probe.gpus.length;
    return chooseGpuEngine(probe.packages, interpreter.python);
  });
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
  const where = given ? whereFromArguments(given, visibleGpus) : await askWhere(title, visibleGpus, choice.engine);
  if (!where) return undefined;
  const available = findServableAdapters(deps.workspaceRoot);
  const request = given
    ? await requestFromArguments(given, available, choice.engine, where)
    : await askForRequest(available, choice.engine, title, `${engineName} will run (${choice.reason}).`, where);
  if (!request) return undefined;
  const whereText = gpuServeWhereText(where, choice.engine);
  if (!given) {
    const start = await vscode.window.showInformationMessage(
      `Chatwright: serve ${request.model}${request.adapters.length > 0 ? ` with ${request.adapters.map((adapter) => adapter.id).join(', ')}` : ''} with ${engineName}?`,
      {
        modal: true,
        detail: `${choice.reason}. Where: ${whereText}. It listens on ${request.host}:${request.port}${requiresNetworkListen(where) ? " of the compute node, with an API key; the job page shows the node's address once it serves" : ''}.`,
      },
      'Start',
    );
    if (start !== 'Start') return undefined;
  }
  // vLLM has no Host-header check: on loopback too, a key is what keeps web pages in the user's browser from using it.
  // A server on a compute node listens on every interface: the network rules apply, so it always has a key.
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
  const run = await deps.jobs.service.startServer(runDir, launch, serveTargetOf(where));
  deps.watch.adopt(runDir);
  const submitted = run.snapshot.scheduler ? ` as Slurm job ${run.snapshot.scheduler.jobId}` : '';
  void vscode.window.showInformationMessage(`Chatwright: starting the GPU server${submitted} (${whereText}) with ${engineName}: ${choice.reason}.`);
  return runDir;
}

/** The job files of the workspace whose target runs on Slurm, with their resolved targets (files with problems are left out). */
async function slurmJobFiles(): Promise<{ path: string; target: GpuServeWhere & { kind: 'slurm' } }[]> {
  return slurmTargetsOf(await vscode.workspace.findFiles('**/*.job.{yaml,yml,json}', '**/node_modules/**', 200));
}

/**
 * The files among these whose target runs on Slurm. Up to 200 files are read and resolved: each is read
 * asynchronously, and the thread is given back between files so the extension host stays responsive.
 */
export async function slurmTargetsOf(files: readonly vscode.Uri[]): Promise<{ path: string; target: GpuServeWhere & { kind: 'slurm' } }[]> {
  const found: { path: string; target: GpuServeWhere & { kind: 'slurm' } }[] = [];
  for (const uri of files) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const config = (await resolveJobAsync(uri)).config;
    if (config?.target.type === 'slurm') found.push({ path: uri.fsPath, target: { kind: 'slurm', jobFile: uri.fsPath, target: config.target } });
  }
  return found;
}

async function askWhere(title: string, visibleGpus: number, engine: GpuEngine): Promise<GpuServeWhere | undefined> {
  const clusterFiles = await slurmJobFiles();
  const picked = await vscode.window.showQuickPick(gpuServeWhereChoices({ visibleGpus, engine, slurmJobFiles: clusterFiles.length }), { title: `${title}: where?`, ignoreFocusOut: true });
  if (!picked) return undefined;
  if (picked.where === 'oneGpu') return { kind: 'oneGpu' };
  if (picked.where === 'allGpus') return { kind: 'allGpus', gpus: visibleGpus };
  if (clusterFiles.length === 0) {
    void vscode.window.showInformationMessage('Chatwright: no job file here has a target of type slurm. Add a target section (type: slurm, partition, gpus, time) to a job file, then pick it here.');
    return undefined;
  }
  const file = await vscode.window.showQuickPick(
    clusterFiles.map((entry) => ({ label: basename(entry.path), description: vscode.workspace.asRelativePath(entry.path), detail: gpuServeWhereText(entry.target, engine), entry })),
    { title: `${title}: which job file's Slurm target?`, ignoreFocusOut: true },
  );
  return file?.entry.target;
}

function whereFromArguments(given: ServeGpuArguments, visibleGpus: number): GpuServeWhere {
  if (given.where === undefined || given.where === 'oneGpu') return { kind: 'oneGpu' };
  if (given.where === 'allGpus') {
    if (visibleGpus < 2) throw new Error(`Serve on GPU was asked for all GPUs, but the probe sees ${visibleGpus}.`);
    return { kind: 'allGpus', gpus: visibleGpus };
  }
  if (given.where !== 'slurm') throw new Error(`Serve on GPU: where must be oneGpu, allGpus or slurm, not ${String(given.where)}.`);
  if (typeof given.jobFile !== 'string') throw new Error('Serve on GPU on Slurm needs the job file whose target to use (jobFile).');
  const resolved = resolveJob(vscode.Uri.file(given.jobFile));
  if (!resolved.config) throw new Error(`${given.jobFile} has problems: ${resolved.problems.map((problem) => `line ${problem.line}: ${problem.message}`).join('; ')}`);
  if (resolved.config.target.type !== 'slurm') throw new Error(`${given.jobFile} does not run on Slurm (its target type is ${resolved.config.target.type}).`);
  return { kind: 'slurm', jobFile: given.jobFile, target: resolved.config.target };
}

async function requestFromArguments(given: ServeGpuArguments, available: ServableAdapter[], engine: GpuServeRequest['gpuEngine'], where: GpuServeWhere): Promise<GpuServeRequest> {
  if (typeof given.model !== 'string' || given.model.trim() === '') throw new Error('Serve on GPU was given no base model.');
  const adapters = (Array.isArray(given.adapters) ? given.adapters : []).map((wanted) => {
    const found = available.find((adapter) => adapter.runDir === wanted || adapter.path === wanted);
    if (!found) throw new Error(`${String(wanted)} is not a finished run with an adapter (adapter_config.json) in this workspace.`);
    return { id: found.id, path: found.path };
  });
  if (requiresNetworkListen(where)) return { engine: 'gpu', model: given.model, adapters, gpuEngine: engine, host: networkHost, port: clusterPort(given.port) };
  const host = given.network === true ? networkHost : loopbackHost;
  return { engine: 'gpu', model: given.model, adapters, gpuEngine: engine, host, port: await portOrFirstFree(host, given.port, defaultServePorts.gpu) };
}

/** A compute node's ports cannot be looked at from here: the given port, else the default one. */
function clusterPort(given: unknown): number {
  return typeof given === 'number' && Number.isInteger(given) && given > 0 && given <= 65_535 ? given : defaultServePorts.gpu;
}

async function askForRequest(available: ServableAdapter[], engine: GpuServeRequest['gpuEngine'], title: string, engineLine: string, where: GpuServeWhere): Promise<GpuServeRequest | undefined> {
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
  const address = requiresNetworkListen(where) ? await askClusterPort(title) : await pickServeAddress(defaultServePorts.gpu, title);
  if (!address) return undefined;
  return { engine: 'gpu', model, adapters, gpuEngine: engine, host: address.host, port: address.port };
}

/** On a compute node the server listens on every interface (with an API key); only the port is asked. */
async function askClusterPort(title: string): Promise<{ host: string; port: number } | undefined> {
  const port = await vscode.window.showInputBox({
    title: `${title}: port on the compute node`,
    prompt: `It listens on ${networkHost} of the node Slurm gives it, with an API key (default ${defaultServePorts.gpu}).`,
    value: String(defaultServePorts.gpu),
    ignoreFocusOut: true,
    validateInput: (input) => (/^\d{1,5}$/.test(input.trim()) && Number(input) > 0 && Number(input) <= 65_535 ? undefined : 'A port from 1 to 65535.'),
  });
  return port === undefined ? undefined : { host: networkHost, port: Number(port.trim()) };
}
