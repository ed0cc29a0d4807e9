import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import {
  createVirtualEnvironment,
  describeProbe,
  findInterpreter,
  findOnPath,
  interpreterSourceLabels,
  probeEnvironment,
  PythonEnvironmentError,
  venvPython,
  workspaceVenvFolder,
  type EnvironmentProbe,
  type InterpreterChoice,
} from '../../core/jobs/pythonEnvironment';
import { effectiveSetting } from '../../core/settings/settingTrust';
import { type CommandHandler, type Ctx } from '../context';
import { jobCommands } from './jobSource';

/** What the jobs feature reads of the Python environment. */
export interface PythonEnvironmentHandles {
  /** The interpreter jobs run with now (setting, Python extension, workspace venv, PATH); nothing is run to find it. */
  interpreter(): Promise<InterpreterChoice>;
  /**
   * What the interpreter can train with, probed once per interpreter and kept (`force` probes again). Refused in an
   * untrusted workspace: the interpreter may come from the workspace, and running it runs the workspace's code.
   */
  probe(choice: InterpreterChoice, options?: { force?: boolean; signal?: AbortSignal }): Promise<EnvironmentProbe>;
  /** Forgets the kept probes (a package was installed, another interpreter was chosen). */
  forget(): void;
  /** The `python/` folder the trainer is run from (PYTHONPATH). */
  readonly pythonFolder: string;
}

/** The setting naming the interpreter; its entry in package.json is the jobs feature's. */
const pythonPathSection = 'chatwright.jobs';
const pythonPathKey = 'pythonPath';

/** What the Python extension (`ms-python.python`) exports, as far as it is used here. */
interface PythonExtensionApi {
  environments?: { getActiveEnvironmentPath(resource?: vscode.Uri): { path: string } | undefined };
  settings?: { getExecutionDetails(resource?: vscode.Uri): { execCommand: string[] | undefined } };
}

/** Registers the Python-environment commands and returns what the jobs feature reads. */
export function registerPythonEnvironment(ctx: Ctx): PythonEnvironmentHandles {
  const output = ctx.own(vscode.window.createOutputChannel('Chatwright: Python Environment'));
  const pythonFolder = ctx.asAbsolutePath('python');
  const probes = new Map<string, Promise<EnvironmentProbe>>();

  const handles: PythonEnvironmentHandles = {
    pythonFolder,
    forget: () => probes.clear(),
    async interpreter() {
      const root = workspaceRoot();
      const pythonExtension = await pythonExtensionInterpreter(ctx);
      const setting = pythonPathSetting();
      return findInterpreter({ ...(setting !== undefined ? { setting } : {}), ...(pythonExtension !== undefined ? { pythonExtension } : {}), ...(root !== undefined ? { workspaceRoot: root } : {}) });
    },
    probe(choice, options = {}) {
      if (!vscode.workspace.isTrusted) return Promise.reject(new PythonEnvironmentError('untrusted', untrustedMessage));
      const cached = probes.get(choice.python);
      if (cached && !options.force) return cached;
      const root = workspaceRoot();
      const probing = probeEnvironment(choice.python, pythonFolder, {
        ...(root !== undefined ? { runDir: join(root, '.chatwright', 'runs') } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      probes.set(choice.python, probing);
      // A failed probe is not kept: the user fixes the environment and asks again.
      probing.catch(() => {
        if (probes.get(choice.python) === probing) probes.delete(choice.python);
      });
      return probing;
    },
  };

  ctx.registerCommands(pythonEnvironmentCommands(ctx, handles, output, probes));
  return handles;
}

const untrustedMessage = 'Fine-tuning runs Python with the workspace’s files, so nothing is run in Restricted Mode. Trust the workspace to check or create the Python environment.';

function pythonEnvironmentCommands(ctx: Ctx, handles: PythonEnvironmentHandles, output: vscode.OutputChannel, probes: Map<string, Promise<EnvironmentProbe>>): Record<string, CommandHandler> {
  /** Offers the fixes for an interpreter that cannot train (or could not be probed), and runs the one chosen. */
  const offerFixes = async (message: string, installCommand: string | null, severity: 'warning' | 'error'): Promise<void> => {
    const actions = ['Create Environment', ...(installCommand ? ['Copy Install Command'] : []), 'Select Interpreter', 'Show Details'];
    const show = severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
    const choice = await show(`Chatwright: ${message}`, ...actions);
    if (choice === 'Create Environment') await vscode.commands.executeCommand(jobCommands.createPythonEnvironment);
    else if (choice === 'Copy Install Command' && installCommand) {
      await vscode.env.clipboard.writeText(installCommand);
      void vscode.window.showInformationMessage('Chatwright: the install command is on the clipboard. Run it in a terminal, then check the environment again.');
    } else if (choice === 'Select Interpreter') await vscode.commands.executeCommand(jobCommands.selectPythonInterpreter);
    else if (choice === 'Show Details') output.show(true);
  };

  const check = async (): Promise<EnvironmentProbe | undefined> => {
    if (!(await requireTrust())) return undefined;
    const choice = await handles.interpreter();
    output.appendLine(`[${new Date().toLocaleString()}] Interpreter: ${choice.python} (from ${interpreterSourceLabels[choice.source]})`);
    let probe: EnvironmentProbe;
    try {
      probe = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Chatwright: checking the Python environment (${choice.python})`, cancellable: true },
        (_progress, token) => handles.probe(choice, { force: true, signal: abortSignalOf(token) }),
      );
    } catch (error) {
      if (error instanceof PythonEnvironmentError && error.failure === 'cancelled') return undefined;
      const message = error instanceof Error ? error.message : String(error);
      output.appendLine(message);
      output.appendLine('');
      await offerFixes(firstLine(message), error instanceof PythonEnvironmentError && error.probe ? error.probe.install_command : null, 'error');
      return undefined;
    }
    for (const line of describeProbe(probe)) output.appendLine(line);
    output.appendLine('');
    if (probe.can_train) {
      const gpu = probe.gpus[0];
      const where = gpu ? `on ${gpu.name}` : 'but finds no CUDA GPU (only tiny models finish on the CPU)';
      void vscode.window.showInformationMessage(`Chatwright: Python ${probe.python} can train ${where}${probe.qlora_available ? '; QLoRA is available' : ''}.`, 'Show Details').then((picked) => {
        if (picked) output.show(true);
      });
    } else {
      output.show(true);
      const why = probe.missing_or_old.length > 0 ? `missing or too old: ${probe.missing_or_old.join(', ')}` : 'see the details';
      await offerFixes(`Python ${probe.python} (${choice.python}) cannot train yet (${why}).`, probe.install_command, 'warning');
    }
    return probe;
  };

  const create = async (dirArgument?: unknown): Promise<InterpreterChoice | undefined> => {
    if (!(await requireTrust())) return undefined;
    const root = workspaceRoot();
    let dir = typeof dirArgument === 'string' ? dirArgument : root !== undefined ? join(root, workspaceVenvFolder) : undefined;
    if (dir === undefined) {
      const picked = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, openLabel: 'Create the Environment Here', title: 'Folder for the Python environment' });
      if (!picked?.[0]) return undefined;
      dir = picked[0].fsPath;
    }
    // The environment is made from the setting's, the Python extension's or the PATH's Python: never from itself.
    const setting = pythonPathSetting();
    const fromExtension = await pythonExtensionInterpreter(ctx);
    const base = findInterpreter({ ...(setting !== undefined ? { setting } : {}), ...(fromExtension !== undefined ? { pythonExtension: fromExtension } : {}) });
    const requirements = join(handles.pythonFolder, 'requirements.txt');
    const confirmed = await vscode.window.showInformationMessage(
      `Create a Python environment in ${dir} with ${base.python}, and install the trainer's packages into it (PyTorch, transformers, PEFT, accelerate: several GB)?`,
      { modal: true, detail: `pip installs ${requirements}. For a CUDA build of PyTorch other than PyPI's default, install it from pytorch.org into the environment afterwards.` },
      'Create',
    );
    if (confirmed !== 'Create') return undefined;
    output.appendLine(`[${new Date().toLocaleString()}] Creating ${dir} with ${base.python}`);
    let created: InterpreterChoice;
    try {
      created = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Chatwright: Python environment', cancellable: true }, (progress, token) => {
        let reported = 0;
        return createVirtualEnvironment({
          python: base.python,
          dir,
          requirements,
          signal: abortSignalOf(token),
          onProgress: (step) => {
            output.appendLine(step.message);
            const increment = step.fraction !== undefined ? Math.max(0, step.fraction - reported) * 100 : undefined;
            if (step.fraction !== undefined) reported = Math.max(reported, step.fraction);
            progress.report({ message: step.message, ...(increment !== undefined ? { increment } : {}) });
          },
        });
      });
    } catch (error) {
      if (error instanceof PythonEnvironmentError && error.failure === 'cancelled') {
        output.appendLine('Cancelled.');
        void vscode.window.showInformationMessage(`Chatwright: creating the environment was cancelled; ${dir} may hold a partial environment (run Create Environment again to finish it).`);
        return undefined;
      }
      const message = error instanceof Error ? error.message : String(error);
      output.appendLine(message);
      output.show(true);
      void vscode.window.showErrorMessage(`Chatwright: ${firstLine(message)}`);
      return undefined;
    }
    probes.delete(created.python);
    output.appendLine(`Created ${created.python}`);
    // Nothing is set behind the user's back: the workspace setting is written only when they agree.
    const use = await vscode.window.showInformationMessage(`Chatwright: created the Python environment ${dir}. Use it for this workspace's fine-tuning jobs?`, 'Use It', 'Not Now');
    if (use === 'Use It') {
      await vscode.workspace.getConfiguration(pythonPathSection).update(pythonPathKey, created.python, root !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
      await check();
    }
    return created;
  };

  const select = async (): Promise<string | undefined> => {
    type Item = vscode.QuickPickItem & { python?: string; action?: 'browse' | 'automatic' | 'create' };
    const items: Item[] = [];
    const seen = new Set<string>();
    const add = (python: string | undefined, description: string): void => {
      if (python === undefined || seen.has(python)) return;
      seen.add(python);
      items.push({ label: python, description, python });
    };
    const current = pythonPathSetting();
    const root = workspaceRoot();
    add(await pythonExtensionInterpreter(ctx), "the Python extension's interpreter");
    if (root !== undefined && existsSync(venvPython(join(root, workspaceVenvFolder)))) add(venvPython(join(root, workspaceVenvFolder)), "the workspace's environment (.chatwright/venv)");
    add(findOnPath('python3'), 'python3 on the PATH');
    add(findOnPath('python'), 'python on the PATH');
    for (const item of items) if (item.python === current) item.description = `${item.description ?? ''} (current)`;
    items.push(
      { label: '$(folder-opened) Browse…', action: 'browse' },
      { label: '$(add) Create an Environment…', action: 'create' },
      ...(current !== undefined
        ? [{ label: '$(discard) Automatic', description: 'clear chatwright.jobs.pythonPath: the Python extension, the workspace environment, then the PATH', action: 'automatic' as const }]
        : []),
    );
    const picked = await vscode.window.showQuickPick(items, { title: 'Python interpreter for fine-tuning jobs', placeHolder: current !== undefined ? `Now: ${current}` : 'Now: chosen automatically' });
    if (!picked) return undefined;
    let python = picked.python;
    if (picked.action === 'create') {
      return (await create())?.python;
    }
    if (picked.action === 'browse') {
      const files = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: false, openLabel: 'Use This Interpreter', title: 'Python interpreter' });
      python = files?.[0]?.fsPath;
      if (python === undefined) return undefined;
    }
    const target = root !== undefined ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration(pythonPathSection).update(pythonPathKey, picked.action === 'automatic' ? undefined : python, target);
    return python;
  };

  return {
    [jobCommands.checkPythonEnvironment]: check,
    [jobCommands.createPythonEnvironment]: create,
    [jobCommands.selectPythonInterpreter]: select,
  };
}

/** Says why nothing runs in Restricted Mode, with the way out; true when the workspace is trusted. */
async function requireTrust(): Promise<boolean> {
  if (vscode.workspace.isTrusted) return true;
  const choice = await vscode.window.showWarningMessage(`Chatwright: ${untrustedMessage}`, 'Manage Workspace Trust');
  if (choice) await vscode.commands.executeCommand('workbench.trust.manage');
  return false;
}

function workspaceRoot(): string | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
}

/**
 * `chatwright.jobs.pythonPath` as the workspace's trust allows: it names a program to run, so a workspace's value
 * counts only once the workspace is trusted (in Restricted Mode the user's own value does).
 */
function pythonPathSetting(): string | undefined {
  const inspected = vscode.workspace.getConfiguration(pythonPathSection).inspect<unknown>(pythonPathKey);
  const { value } = effectiveSetting(inspected, 'restricted', vscode.workspace.isTrusted);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** The interpreter the Python extension has selected for the workspace, when it is installed and answers within 5 s. */
async function pythonExtensionInterpreter(ctx: Ctx): Promise<string | undefined> {
  const extension = vscode.extensions.getExtension<PythonExtensionApi>('ms-python.python');
  if (!extension) return undefined;
  const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
  try {
    const api = extension.isActive ? extension.exports : await withTimeout(Promise.resolve(extension.activate()), 5000);
    if (!api) return undefined;
    const active = api.environments?.getActiveEnvironmentPath(resource)?.path;
    if (active) return active;
    return api.settings?.getExecutionDetails(resource).execCommand?.[0];
  } catch (error) {
    ctx.log.warn(`The Python extension did not say which interpreter it uses: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = setTimeout(() => resolve(undefined), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function abortSignalOf(token: vscode.CancellationToken): AbortSignal {
  const controller = new AbortController();
  if (token.isCancellationRequested) controller.abort();
  else token.onCancellationRequested(() => controller.abort());
  return controller.signal;
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
