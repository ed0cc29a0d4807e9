import { openFolders, workspace, window, commands } from '../../support/vscodeStub';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { beforeEach, describe, it } from 'node:test';
import { PythonEnvironmentError, trainerPythonFolder, venvPython } from '../../../src/core/jobs/pythonEnvironment';
import { type CommandHandler, type Ctx } from '../../../src/host/context';
import { jobCommands } from '../../../src/host/jobs/jobSource';
import { scratchDir } from '../../support/scratchDir';

/**
 * The Python-environment commands against the `vscode` stand-in, with the parts of the API they use added here:
 * settings with their levels, workspace trust, the Python extension, message answers scripted per test.
 */
type Inspected = { globalValue?: unknown; workspaceValue?: unknown };
const settings: Inspected = {};
const updates: { key: string; value: unknown; target: number }[] = [];
const shown: { kind: string; message: string; items: string[] }[] = [];
/** The answers the next messages get, in order (undefined: dismissed). */
let answers: (string | undefined)[] = [];
let pythonExtension: { isActive: boolean; exports: unknown } | undefined;
const clipboard: string[] = [];

const trust = workspace as unknown as { isTrusted: boolean; getConfiguration(section: string): unknown };
trust.isTrusted = true;
trust.getConfiguration = (section: string) => ({
  inspect: (key: string) => (section === 'chatwright.jobs' && key === 'pythonPath' ? { ...settings } : undefined),
  update: (key: string, value: unknown, target: number) => {
    updates.push({ key, value, target });
    return Promise.resolve();
  },
});
const answer =
  (kind: string) =>
  (message: string, ...rest: unknown[]): Promise<string | undefined> => {
    shown.push({ kind, message, items: rest.filter((item): item is string => typeof item === 'string') });
    return Promise.resolve(answers.shift());
  };
Object.assign(window, {
  showInformationMessage: answer('information'),
  showWarningMessage: answer('warning'),
  showErrorMessage: answer('error'),
  withProgress: (_options: unknown, task: (progress: { report(value: unknown): void }, token: unknown) => Promise<unknown>) =>
    task({ report: () => undefined }, { isCancellationRequested: false, onCancellationRequested: () => ({ dispose: () => undefined }) }),
  createOutputChannel: () => ({ appendLine: () => undefined, show: () => undefined, dispose: () => undefined }),
});
const executed: string[] = [];
Object.assign(commands, {
  executeCommand: (id: string) => {
    executed.push(id);
    return Promise.resolve(undefined);
  },
});
// New top-level members must be on the stand-in before the module under test imports it.
Object.assign(createRequire(__filename)('vscode') as object, {
  ProgressLocation: { Notification: 15 },
  ConfigurationTarget: { Global: 1, Workspace: 2, WorkspaceFolder: 3 },
  env: { clipboard: { writeText: (text: string) => Promise.resolve(void clipboard.push(text)) } },
  extensions: { getExtension: (id: string) => (id === 'ms-python.python' ? pythonExtension : undefined) },
});

const root = scratchDir('python-host');
/** The extension's folder: `python/` with the real trainer package and an empty requirements file (no network here). */
const extensionDir = join(root, 'extension');
mkdirSync(join(extensionDir, 'python'), { recursive: true });
symlinkSync(join(trainerPythonFolder(), 'chatwright_train'), join(extensionDir, 'python', 'chatwright_train'));
writeFileSync(join(extensionDir, 'python', 'requirements.txt'), '');

const registered: Record<string, CommandHandler> = {};
const ctx = {
  own: <T>(disposable: T) => disposable,
  registerCommands: (table: Record<string, CommandHandler>) => Object.assign(registered, table),
  asAbsolutePath: (path: string) => join(extensionDir, path),
  log: { warn: () => undefined },
} as unknown as Ctx;

/** A fake interpreter that counts its runs in `counter` and answers the probe by running the real one. */
function countingPython(dir: string): { python: string; runs: () => number } {
  const counter = join(dir, 'runs');
  const python = join(dir, 'python');
  mkdirSync(dir, { recursive: true });
  writeFileSync(python, `#!/bin/sh\necho run >> "${counter}"\nexec python3 "$@"\n`);
  chmodSync(python, 0o755);
  return { python, runs: () => (existsSync(counter) ? readFileSync(counter, 'utf8').split('\n').filter(Boolean).length : 0) };
}

describe('Python environment commands', async () => {
  const { registerPythonEnvironment } = await import('../../../src/host/jobs/pythonEnvironmentCommands');
  const handles = registerPythonEnvironment(ctx);
  const workspaceDir = join(root, 'workspace');
  mkdirSync(workspaceDir, { recursive: true });
  openFolders([workspaceDir]);

  beforeEach(() => {
    trust.isTrusted = true;
    delete settings.globalValue;
    delete settings.workspaceValue;
    pythonExtension = undefined;
    answers = [];
    shown.length = 0;
    updates.length = 0;
    executed.length = 0;
  });

  it('registers the three commands', () => {
    assert.deepEqual(Object.keys(registered).sort(), [jobCommands.checkPythonEnvironment, jobCommands.createPythonEnvironment, jobCommands.selectPythonInterpreter].sort());
  });

  it("takes the workspace's setting only in a trusted workspace; the user's counts in Restricted Mode too", async () => {
    settings.workspaceValue = '/workspace/says/python';
    assert.deepEqual(await handles.interpreter(), { python: '/workspace/says/python', source: 'setting' });
    trust.isTrusted = false;
    assert.notEqual((await handles.interpreter()).source, 'setting');
    settings.globalValue = '/user/says/python';
    assert.deepEqual(await handles.interpreter(), { python: '/user/says/python', source: 'setting' });
  });

  it("takes the Python extension's active interpreter when no setting names one", async () => {
    const { python } = countingPython(join(root, 'extension-python'));
    pythonExtension = { isActive: true, exports: { environments: { getActiveEnvironmentPath: () => ({ path: python }) } } };
    assert.deepEqual(await handles.interpreter(), { python, source: 'python-extension' });
  });

  it('probes once per interpreter until forced, and keeps no failure', async () => {
    const { python, runs } = countingPython(join(root, 'counting'));
    const first = await handles.probe({ python, source: 'setting' });
    const second = await handles.probe({ python, source: 'setting' });
    assert.equal(second, first);
    assert.equal(runs(), 1);
    await handles.probe({ python, source: 'setting' }, { force: true });
    assert.equal(runs(), 2);
    handles.forget();
    await handles.probe({ python, source: 'setting' });
    assert.equal(runs(), 3);
    const missing = { python: join(root, 'no-such-python'), source: 'setting' as const };
    await assert.rejects(handles.probe(missing), PythonEnvironmentError);
    await assert.rejects(handles.probe(missing), PythonEnvironmentError);
  });

  it('runs nothing in Restricted Mode, and says how to trust the workspace', async () => {
    const { python, runs } = countingPython(join(root, 'untrusted'));
    trust.isTrusted = false;
    await assert.rejects(handles.probe({ python, source: 'setting' }, { force: true }), (error: unknown) => error instanceof PythonEnvironmentError && error.failure === 'untrusted');
    answers = ['Manage Workspace Trust'];
    assert.equal(await registered[jobCommands.checkPythonEnvironment]!(), undefined);
    assert.equal(await registered[jobCommands.createPythonEnvironment]!(), undefined);
    assert.equal(runs(), 0);
    assert.match(shown[0]!.message, /nothing is run in Restricted Mode/);
    assert.deepEqual(executed, ['workbench.trust.manage']);
  });

  it('offers the fixes for an interpreter that cannot train, and copies the install command', async () => {
    settings.workspaceValue = 'python3';
    answers = ['Copy Install Command'];
    const probe = (await registered[jobCommands.checkPythonEnvironment]!()) as { can_train: boolean; install_command: string };
    assert.equal(probe.can_train, false);
    const offer = shown.find((message) => message.kind === 'warning')!;
    assert.match(offer.message, /cannot train yet \(missing or too old: torch>=2\.4/);
    assert.deepEqual(offer.items, ['Create Environment', 'Copy Install Command', 'Select Interpreter', 'Show Details']);
    assert.deepEqual(clipboard.splice(0), [probe.install_command]);
  });

  it('creates the workspace environment after asking, and sets it only when the user agrees', async () => {
    const venv = join(workspaceDir, '.chatwright', 'venv');
    answers = ['Create', 'Not Now'];
    const created = (await registered[jobCommands.createPythonEnvironment]!()) as { python: string };
    assert.equal(created.python, venvPython(venv));
    assert.ok(existsSync(join(venv, 'pyvenv.cfg')));
    assert.deepEqual(updates, []);
    assert.match(shown[0]!.message, /^Create a Python environment in .*\.chatwright\/venv/);

    answers = ['Create', 'Use It'];
    await registered[jobCommands.createPythonEnvironment]!();
    assert.deepEqual(updates, [{ key: 'pythonPath', value: venvPython(venv), target: 2 }]);
  });

  it('creates nothing when the user does not confirm', async (t) => {
    const dir = join(scratchDir('python-host-declined', t), 'venv');
    answers = [undefined];
    assert.equal(await registered[jobCommands.createPythonEnvironment]!(dir), undefined);
    assert.equal(existsSync(dir), false);
  });
});
