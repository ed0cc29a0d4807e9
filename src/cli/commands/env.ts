import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  createVirtualEnvironment,
  describeProbe,
  findInterpreter,
  interpreterSourceLabels,
  probeEnvironment,
  PythonEnvironmentError,
  trainerPythonFolder,
  workspaceVenvFolder,
  type EnvironmentProbe,
  type InterpreterChoice,
} from '../../core/jobs/pythonEnvironment';
import { ExitCode, UsageError, type CliCommand } from '../io';

const usage = `chatwright env [--python PATH] [--json] [--create-venv [DIR]] [--requirements FILE]

  Checks the Python interpreter fine-tuning jobs run with: where it came from, Python, PyTorch and CUDA versions,
  GPUs (memory, compute capability, bf16), the trainer's packages against their minimums, free disk, whether it can
  train and whether QLoRA is available, and the exact command that installs what is missing.

  --python PATH        the interpreter to check (default: .chatwright/venv of the workspace, else python3/python on the PATH)
  --json               print {"interpreter", "probe"} (or {"interpreter", "error"}) as JSON
  --create-venv [DIR]  create a virtual environment (default: <workspace>/.chatwright/venv) from --python or the PATH's
                       Python, install the trainer's pinned requirements into it with pip, then check it
  --requirements FILE  what --create-venv installs (default: the trainer's requirements.txt)

The workspace is the nearest folder upward holding .chatwright/ or .git, else the current folder.
Exit code: 0 the interpreter can train, 1 it cannot (or the check failed), 2 usage error.`;

export const envCommand: CliCommand = {
  name: 'env',
  summary: 'Check (or create) the Python environment fine-tuning jobs run with',
  usage,
  async run(args, io) {
    const { createVenv, rest } = takeCreateVenv(args);
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { python: { type: 'string' }, json: { type: 'boolean', default: false }, requirements: { type: 'string' } },
    });
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${String(positionals[0])}'`);
    if (values.requirements !== undefined && createVenv === undefined) throw new UsageError('--requirements goes with --create-venv');
    const root = workspaceRoot(io.cwd);
    const pythonFolder = trainerPythonFolder();
    const controller = new AbortController();
    const onSignal = (): void => controller.abort();
    process.once('SIGINT', onSignal);
    try {
      let interpreter: InterpreterChoice;
      if (createVenv !== undefined) {
        const dir = resolve(io.cwd, createVenv === true ? join(root, workspaceVenvFolder) : createVenv);
        // The environment is made from the interpreter asked for, or the PATH's: never from the venv being made.
        const base = findInterpreter({ ...(values.python !== undefined ? { setting: values.python } : {}), env: io.env });
        const progress = values.json ? io.stderr : io.stdout;
        progress.write(`Creating a virtual environment in ${dir} with ${base.python}\n`);
        interpreter = await createVirtualEnvironment({
          python: base.python,
          dir,
          requirements: values.requirements !== undefined ? resolve(io.cwd, values.requirements) : join(pythonFolder, 'requirements.txt'),
          env: io.env,
          signal: controller.signal,
          onProgress: (step) => progress.write(`${step.fraction !== undefined ? `[${String(Math.round(step.fraction * 100)).padStart(3)}%] ` : '       '}${step.message}\n`),
        });
      } else {
        interpreter = findInterpreter({ ...(values.python !== undefined ? { setting: values.python } : {}), workspaceRoot: root, env: io.env });
      }
      const origin = createVenv === undefined && values.python !== undefined ? '--python' : interpreterSourceLabels[interpreter.source];
      let probe: EnvironmentProbe;
      try {
        probe = await probeEnvironment(interpreter.python, pythonFolder, { runDir: join(root, '.chatwright', 'runs'), env: io.env, signal: controller.signal });
      } catch (error) {
        if (!(error instanceof PythonEnvironmentError)) throw error;
        if (values.json) io.stdout.write(`${JSON.stringify({ interpreter, error: { failure: error.failure, message: error.message, ...(error.probe ? { probe: error.probe } : {}) } }, null, 2)}\n`);
        else io.stderr.write(`Interpreter: ${interpreter.python} (from ${origin})\nchatwright env: ${error.message}\n`);
        return ExitCode.findings;
      }
      if (values.json) {
        io.stdout.write(`${JSON.stringify({ interpreter, probe }, null, 2)}\n`);
      } else {
        io.stdout.write(`Interpreter: ${interpreter.python} (from ${origin})\n`);
        for (const line of describeProbe(probe)) io.stdout.write(`${line}\n`);
        if (!probe.can_train && createVenv === undefined) io.stdout.write(`Or create an environment with the pinned versions: chatwright env --create-venv\n`);
      }
      return probe.can_train ? ExitCode.ok : ExitCode.findings;
    } catch (error) {
      if (!(error instanceof PythonEnvironmentError)) throw error;
      io.stderr.write(`chatwright env: ${error.message}\n`);
      return ExitCode.findings;
    } finally {
      process.removeListener('SIGINT', onSignal);
    }
  },
};

/** `--create-venv` takes an optional folder, which `parseArgs` cannot express: it is taken out here. */
function takeCreateVenv(args: string[]): { createVenv: string | true | undefined; rest: string[] } {
  const rest: string[] = [];
  let createVenv: string | true | undefined;
  for (let index = 0; index < args.length; index++) {
    const arg = args[index]!;
    if (arg.startsWith('--create-venv=')) {
      createVenv = arg.slice('--create-venv='.length) || true;
    } else if (arg === '--create-venv') {
      const next = args[index + 1];
      if (next !== undefined && !next.startsWith('-')) {
        createVenv = next;
        index++;
      } else {
        createVenv = true;
      }
    } else {
      rest.push(arg);
    }
  }
  return { createVenv, rest };
}

/** The nearest folder upward holding `.chatwright/` or `.git`; the starting folder when none does. */
function workspaceRoot(start: string): string {
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if (existsSync(join(dir, '.chatwright')) || existsSync(join(dir, '.git'))) return dir;
    if (dirname(dir) === dir) return resolve(start);
  }
}
