/**
 * The Python side of fine-tuning jobs, seen from TypeScript: which interpreter runs the trainer, what that
 * interpreter can train with (`python -m chatwright_train env probe`, checked field by field), and a virtual
 * environment with the pinned `python/requirements.txt` for users who have none. Nothing here runs an interpreter
 * to find it: a workspace's files decide nothing until the user (or a trusted workspace) asks for a probe.
 */
import { accessSync, constants, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { cpus, freemem, homedir, totalmem } from 'node:os';
import { delimiter as hostDelimiter, isAbsolute, join, resolve } from 'node:path';
import { type Hardware } from '../hub/memoryEstimate';
import { ProgramRunError, runProgram, type ProgramResult, type ProgramRunOptions } from '../process/programRun';
import { formatBytes } from '../text/byteSize';
import { type GpuInfo } from './jobEvents';

/** One package as the probe reports it (pip name → entry). */
export interface ProbedPackage {
  required: boolean;
  minimum: string;
  version: string | null;
  ok: boolean;
  problem?: string;
}

/** What `python -m chatwright_train env probe` prints (python/chatwright_train/probe.py), after type checks. */
export interface EnvironmentProbe {
  python: string;
  python_executable: string;
  python_ok: boolean;
  platform: string;
  disk_free_bytes: number;
  disk_path?: string;
  packages: Record<string, ProbedPackage>;
  missing_or_old: string[];
  install_command: string | null;
  requirements_command: string;
  torch: string | null;
  cuda?: string | null;
  cuda_available: boolean;
  mps_available?: boolean;
  gpus: GpuInfo[];
  can_train: boolean;
  qlora_available: boolean;
}

/** Where the interpreter came from, in the order they are tried. */
export type InterpreterSource = 'setting' | 'python-extension' | 'workspace-venv' | 'path';

export interface InterpreterChoice {
  python: string;
  source: InterpreterSource;
}

/** How each source is named to the user. */
export const interpreterSourceLabels: Record<InterpreterSource, string> = {
  setting: 'the setting chatwright.jobs.pythonPath',
  'python-extension': "the Python extension's selected interpreter",
  'workspace-venv': "the workspace's virtual environment (.chatwright/venv)",
  path: 'the PATH',
};

/** The workspace's own virtual environment, relative to the workspace root. */
export const workspaceVenvFolder = join('.chatwright', 'venv');

/** The interpreter inside a virtual environment folder. */
export function venvPython(dir: string, platform: NodeJS.Platform = process.platform): string {
  return platform === 'win32' ? join(dir, 'Scripts', 'python.exe') : join(dir, 'bin', 'python');
}

/** `untrusted`: refused before anything ran, because the workspace is not trusted (the host's check). */
export type PythonEnvironmentFailure = 'untrusted' | 'not-found' | 'too-old' | 'probe-failed' | 'bad-output' | 'timeout' | 'cancelled' | 'venv-refused' | 'venv-failed' | 'install-failed';

/** A clear reason why an interpreter cannot be probed or an environment created; `stderrTail` holds the program's last words. */
export class PythonEnvironmentError extends Error {
  constructor(
    readonly failure: PythonEnvironmentFailure,
    message: string,
    readonly stderrTail = '',
    /** The probe, when it ran but the interpreter is unusable (too old). */
    readonly probe?: EnvironmentProbe,
  ) {
    super(message);
    this.name = 'PythonEnvironmentError';
  }
}

// ---------------------------------------------------------------------------------------------------------------------
// Finding the interpreter

export interface FindInterpreterOptions {
  /** `chatwright.jobs.pythonPath`: a path (relative ones from the workspace root, `~` for the home folder) or a name on the PATH. */
  setting?: string;
  /** The interpreter the Python extension has selected for the workspace. */
  pythonExtension?: string;
  workspaceRoot?: string;
  /** Where PATH (and PATHEXT on Windows) is read (default: this process's). */
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/**
 * The interpreter jobs run with: the setting, else the Python extension's selection, else `<workspace>/.chatwright/venv`,
 * else `python3` then `python` on the PATH. Only files are looked at, nothing is run. The setting is the user's explicit
 * choice and is kept even when it names nothing (the probe then says so, rather than another interpreter being used
 * behind the user's back); the other sources count only when their file exists. With none, the bare name is returned
 * and the probe reports it as not found.
 */
export function findInterpreter(options: FindInterpreterOptions): InterpreterChoice {
  const platform = options.platform ?? process.platform;
  const env = options.env ?? process.env;
  const setting = options.setting?.trim();
  if (setting) return { python: resolveProgram(setting, options.workspaceRoot, env, platform) ?? absoluteFrom(setting, options.workspaceRoot), source: 'setting' };
  const fromExtension = options.pythonExtension?.trim();
  if (fromExtension) {
    const found = resolveProgram(fromExtension, options.workspaceRoot, env, platform);
    if (found) return { python: found, source: 'python-extension' };
  }
  if (options.workspaceRoot !== undefined) {
    const venv = venvPython(join(options.workspaceRoot, workspaceVenvFolder), platform);
    if (isExecutableFile(venv, platform)) return { python: venv, source: 'workspace-venv' };
  }
  for (const name of ['python3', 'python']) {
    const found = findOnPath(name, env, platform);
    if (found) return { python: found, source: 'path' };
  }
  return { python: platform === 'win32' ? 'python' : 'python3', source: 'path' };
}

/** A program named by a path (checked to exist) or by a bare name (looked up on the PATH); undefined when neither finds it. */
function resolveProgram(program: string, workspaceRoot: string | undefined, env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string | undefined {
  if (!isBareName(program)) {
    const path = absoluteFrom(program, workspaceRoot);
    return isExecutableFile(path, platform) ? path : undefined;
  }
  return findOnPath(program, env, platform);
}

function isBareName(program: string): boolean {
  return !program.includes('/') && !program.includes('\\') && !program.startsWith('~');
}

function absoluteFrom(program: string, workspaceRoot: string | undefined): string {
  if (!isBareName(program) && (program === '~' || program.startsWith('~/') || program.startsWith('~\\'))) return join(homedir(), program.slice(1));
  if (isBareName(program) || isAbsolute(program)) return program;
  return resolve(workspaceRoot ?? process.cwd(), program);
}

/** The first `name` (with PATHEXT's extensions on Windows) among the PATH's folders that is an executable file. */
export function findOnPath(name: string, env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string | undefined {
  const windows = platform === 'win32';
  const pathValue = windows ? Object.entries(env).find(([key]) => key.toUpperCase() === 'PATH')?.[1] : env.PATH;
  if (!pathValue) return undefined;
  const extensions = windows && !/\.[^.\\/]+$/.test(name) ? (env.PATHEXT ?? '.COM;.EXE;.BAT;.CMD').split(';').filter(Boolean) : [''];
  for (const dir of pathValue.split(windows ? ';' : hostDelimiter)) {
    if (!dir) continue;
    for (const extension of extensions) {
      const candidate = join(dir, name + extension.toLowerCase());
      if (isExecutableFile(candidate, platform)) return candidate;
    }
  }
  return undefined;
}

function isExecutableFile(path: string, platform: NodeJS.Platform): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    if (platform !== 'win32') accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The trainer's Python package folder (`python/`, holding `chatwright_train`): beside the bundle, or the repository's. */
export function trainerPythonFolder(): string {
  const candidates = [join(__dirname, '..', 'python'), join(__dirname, '..', '..', '..', 'python')];
  return candidates.find((dir) => existsSync(join(dir, 'chatwright_train', '__init__.py'))) ?? candidates[candidates.length - 1]!;
}

// ---------------------------------------------------------------------------------------------------------------------
// Probing

export interface ProbeOptions {
  signal?: AbortSignal;
  /** The folder whose disk's free space is reported (a run folder, or where runs go; the nearest existing parent counts). */
  runDir?: string;
  /** Default 120 s: importing torch the first time after boot can take a while. */
  timeoutMs?: number;
  /** The environment the interpreter runs in (default: this process's); PYTHONPATH is set on top. */
  env?: NodeJS.ProcessEnv;
}

/**
 * Runs `python -m chatwright_train env probe` with `pythonPath` (the `python/` folder) first on PYTHONPATH and
 * returns its answer, type-checked. It runs in the `python/` folder, so a workspace's own files cannot shadow the
 * trainer's modules. Throws a `PythonEnvironmentError` saying what went wrong: interpreter not found, older than
 * Python 3.10, the probe crashed (with the end of its stderr), printed something else, timed out or was cancelled.
 */
export async function probeEnvironment(python: string, pythonPath: string, options: ProbeOptions = {}): Promise<EnvironmentProbe> {
  const args = ['-m', 'chatwright_train', 'env', 'probe', ...(options.runDir !== undefined ? ['--run-dir', options.runDir] : [])];
  const result = await runPython(
    {
      command: python,
      args,
      env: trainerEnvironment(pythonPath, options.env),
      cwd: pythonPath,
      timeoutMs: options.timeoutMs ?? 120_000,
      maxStdoutBytes: 1 * 2 ** 20,
      ...(options.signal ? { signal: options.signal } : {}),
    },
    'the environment probe',
  );
  if (result.code !== 0) throw probeCrash(python, pythonPath, result);
  let parsed: unknown;
  try {
    parsed = JSON.parse(jsonPart(result.stdout));
  } catch {
    throw new PythonEnvironmentError('bad-output', `${python} did not answer the environment probe with JSON (it printed: ${preview(result.stdout)})`, result.stderrTail);
  }
  const probe = checkProbe(parsed, python, result.stderrTail);
  if (!probe.python_ok) {
    throw new PythonEnvironmentError(
      'too-old',
      `${python} is Python ${probe.python}: the trainer needs Python 3.10 or newer. Choose another interpreter or create an environment with a newer Python.`,
      result.stderrTail,
      probe,
    );
  }
  return probe;
}

/** The environment the trainer's modules run in: `python/` first on PYTHONPATH, no bytecode written into it, UTF-8 output. */
export function trainerEnvironment(pythonPath: string, base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const existing = base.PYTHONPATH;
  return { ...base, PYTHONPATH: existing ? `${pythonPath}${hostDelimiter}${existing}` : pythonPath, PYTHONDONTWRITEBYTECODE: '1', PYTHONIOENCODING: 'utf-8' };
}

async function runPython(options: ProgramRunOptions, what: string): Promise<ProgramResult> {
  try {
    return await runProgram(options);
  } catch (error) {
    if (!(error instanceof ProgramRunError)) throw error;
    switch (error.failure) {
      case 'not-found':
        throw new PythonEnvironmentError('not-found', `Python interpreter not found: ${options.command}. Set chatwright.jobs.pythonPath, select an interpreter, or create an environment.`);
      case 'timeout':
        throw new PythonEnvironmentError('timeout', `${what} with ${options.command} did not finish within ${Math.round((options.timeoutMs ?? 0) / 1000)} s`, error.stderrTail);
      case 'cancelled':
        throw new PythonEnvironmentError('cancelled', `${what} was cancelled`, error.stderrTail);
      case 'output-too-large':
        throw new PythonEnvironmentError('bad-output', `${options.command} printed far more than ${what} does`, error.stderrTail);
      case 'failed-to-start':
        throw new PythonEnvironmentError('not-found', `${options.command} could not be started: ${error.message}`, error.stderrTail);
    }
  }
}

function probeCrash(python: string, pythonPath: string, result: ProgramResult): PythonEnvironmentError {
  const tail = result.stderrTail;
  const how = result.signal ? `was killed (${result.signal})` : `exited with code ${result.code}`;
  let hint = '';
  if (/No module named '?chatwright_train/.test(tail)) hint = ` The trainer's package was not found in ${pythonPath}.`;
  else if (/SyntaxError|invalid syntax/.test(tail)) hint = ' This Python is probably older than 3.10, which the trainer needs.';
  return new PythonEnvironmentError('probe-failed', `The environment probe with ${python} ${how}.${hint}${tail ? `\n${lastLines(tail, 12)}` : ''}`, tail);
}

/** The JSON object in the probe's stdout: lines a site customisation printed before it are skipped. */
function jsonPart(stdout: string): string {
  const trimmed = stdout.trim();
  if (trimmed.startsWith('{')) return trimmed;
  const start = stdout.search(/^\{/m);
  return start >= 0 ? stdout.slice(start).trim() : trimmed;
}

function preview(text: string): string {
  const flat = text.trim().replace(/\s+/g, ' ');
  if (!flat) return 'nothing';
  return JSON.stringify(flat.length > 120 ? `${flat.slice(0, 120)}…` : flat);
}

function lastLines(text: string, count: number): string {
  return text.trim().split('\n').slice(-count).join('\n');
}

/** Type-checks the probe's JSON field by field; the first field that is missing or of the wrong type is named. */
function checkProbe(value: unknown, python: string, stderrTail: string): EnvironmentProbe {
  const fail = (path: string, expected: string): never => {
    throw new PythonEnvironmentError('bad-output', `${python} answered the environment probe with an unexpected ${path} (expected ${expected}); is it running Chatwright's trainer?`, stderrTail);
  };
  const object = (candidate: unknown, path: string): Record<string, unknown> =>
    typeof candidate === 'object' && candidate !== null && !Array.isArray(candidate) ? (candidate as Record<string, unknown>) : fail(path, 'an object');
  const root = object(value, 'answer');
  const string = (record: Record<string, unknown>, key: string, path = key): string => (typeof record[key] === 'string' ? record[key] : fail(path, 'a string'));
  const nullableString = (record: Record<string, unknown>, key: string, path = key): string | null =>
    record[key] === null || typeof record[key] === 'string' ? record[key] : fail(path, 'a string or null');
  const boolean = (record: Record<string, unknown>, key: string, path = key): boolean => (typeof record[key] === 'boolean' ? record[key] : fail(path, 'true or false'));
  const number = (record: Record<string, unknown>, key: string, path = key): number =>
    typeof record[key] === 'number' && Number.isFinite(record[key]) && record[key] >= 0 ? record[key] : fail(path, 'a number');

  const packages: Record<string, ProbedPackage> = {};
  for (const [name, raw] of Object.entries(object(root.packages, 'packages'))) {
    const path = `packages.${name}`;
    const entry = object(raw, path);
    const problem = entry.problem;
    if (problem !== undefined && typeof problem !== 'string') fail(`${path}.problem`, 'a string');
    packages[name] = {
      required: boolean(entry, 'required', `${path}.required`),
      minimum: string(entry, 'minimum', `${path}.minimum`),
      version: nullableString(entry, 'version', `${path}.version`),
      ok: boolean(entry, 'ok', `${path}.ok`),
      ...(typeof problem === 'string' ? { problem } : {}),
    };
  }
  const missing = Array.isArray(root.missing_or_old) && root.missing_or_old.every((item) => typeof item === 'string') ? root.missing_or_old : fail('missing_or_old', 'a list of strings');
  if (!Array.isArray(root.gpus)) fail('gpus', 'a list');
  const gpus = (root.gpus as unknown[]).map((raw, index): GpuInfo => {
    const path = `gpus[${index}]`;
    const gpu = object(raw, path);
    const free = gpu.free_memory_bytes;
    if (free !== undefined && (typeof free !== 'number' || !Number.isFinite(free))) fail(`${path}.free_memory_bytes`, 'a number');
    return {
      index: number(gpu, 'index', `${path}.index`),
      name: string(gpu, 'name', `${path}.name`),
      memory_bytes: number(gpu, 'memory_bytes', `${path}.memory_bytes`),
      ...(typeof free === 'number' ? { free_memory_bytes: free } : {}),
      compute_capability: string(gpu, 'compute_capability', `${path}.compute_capability`),
      bf16: boolean(gpu, 'bf16', `${path}.bf16`),
    };
  });
  const optionalString = (key: string): string | undefined => (root[key] === undefined ? undefined : string(root, key));
  const diskPath = optionalString('disk_path');
  return {
    python: string(root, 'python'),
    python_executable: string(root, 'python_executable'),
    python_ok: boolean(root, 'python_ok'),
    platform: string(root, 'platform'),
    disk_free_bytes: number(root, 'disk_free_bytes'),
    ...(diskPath !== undefined ? { disk_path: diskPath } : {}),
    packages,
    missing_or_old: missing,
    install_command: nullableString(root, 'install_command'),
    requirements_command: string(root, 'requirements_command'),
    torch: nullableString(root, 'torch'),
    ...(root.cuda !== undefined ? { cuda: nullableString(root, 'cuda') } : {}),
    cuda_available: boolean(root, 'cuda_available'),
    ...(root.mps_available !== undefined ? { mps_available: boolean(root, 'mps_available') } : {}),
    gpus,
    can_train: boolean(root, 'can_train'),
    qlora_available: boolean(root, 'qlora_available'),
  };
}

// ---------------------------------------------------------------------------------------------------------------------
// What the probe means

/**
 * The machine for preflight's memory fit: this computer's RAM and CPUs, and GPU 0 as the trainer sees it (jobs run on
 * one GPU). Undefined without a CUDA GPU: then the fit is not judged, since there is nothing to train on.
 */
export function hardwareOfProbe(probe: EnvironmentProbe): Hardware | undefined {
  const gpu = probe.gpus.find((candidate) => candidate.index === 0) ?? probe.gpus[0];
  if (!gpu || !probe.cuda_available) return undefined;
  return { ramBytes: totalmem(), freeRamBytes: freemem(), cpuCount: cpus().length, gpus: [{ name: gpu.name, memoryBytes: gpu.memory_bytes, freeBytes: gpu.free_memory_bytes }] };
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** What the probe found, as lines for people: versions, GPUs, packages, disk, the verdict, and the exact install command. */
export function describeProbe(probe: EnvironmentProbe): string[] {
  const lines = [`Python ${probe.python} (${probe.python_executable}) on ${probe.platform}`];
  if (probe.torch === null) lines.push('PyTorch: not installed');
  else
    lines.push(
      `PyTorch ${probe.torch}, ${probe.cuda ? `CUDA ${probe.cuda}` : 'no CUDA build'}${probe.cuda_available ? '' : probe.cuda ? ' (no CUDA device available)' : ''}${probe.mps_available ? ', Apple MPS available' : ''}`,
    );
  if (probe.gpus.length === 0) lines.push('GPUs: none found (training is practical on a CUDA GPU; on the CPU only tiny models finish)');
  for (const gpu of probe.gpus) {
    const free = gpu.free_memory_bytes !== undefined ? `, ${gib(gpu.free_memory_bytes)} free` : '';
    lines.push(`GPU ${gpu.index}: ${gpu.name}, ${gib(gpu.memory_bytes)}${free}, compute capability ${gpu.compute_capability}, bf16 ${gpu.bf16 ? 'yes' : 'no'}`);
  }
  lines.push('Packages:');
  const width = Object.keys(probe.packages).reduce((longest, name) => Math.max(longest, name.length), 0);
  for (const [name, entry] of Object.entries(probe.packages)) {
    const state = entry.ok ? 'ok' : entry.version === null ? 'missing' : 'too old';
    const need = `${entry.required ? 'needs' : 'optional,'} >= ${entry.minimum}`;
    lines.push(`  ${name.padEnd(width)}  ${(entry.version ?? '-').padEnd(10)} ${state} (${need})`);
  }
  lines.push(`Free disk: ${formatBytes(probe.disk_free_bytes)}${probe.disk_path !== undefined ? ` (${probe.disk_path})` : ''}`);
  const blockers = [...(probe.python_ok ? [] : [`Python ${probe.python} is older than 3.10`]), ...(probe.missing_or_old.length > 0 ? [`missing or too old: ${probe.missing_or_old.join(', ')}`] : [])];
  lines.push(probe.can_train ? 'Can train: yes' : `Can train: no${blockers.length > 0 ? ` (${blockers.join('; ')})` : ''}`);
  if (probe.can_train && !probe.cuda_available) lines.push('  The packages are there, but without a CUDA GPU training runs on the CPU: only tiny models finish.');
  lines.push(probe.qlora_available ? 'QLoRA: available' : `QLoRA: not available (needs bitsandbytes${probe.cuda_available ? '' : ' and a CUDA GPU'})`);
  if (probe.install_command) lines.push(`Install what is missing: ${probe.install_command}`);
  if (!probe.can_train) lines.push(`Or the pinned set: ${probe.requirements_command}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------------------------------
// Creating a virtual environment

export interface ProgressStep {
  message: string;
  /** The whole operation's progress so far, 0 to 1, when it can be told. */
  fraction?: number;
}

export interface CreateEnvironmentOptions {
  /** The interpreter the environment is made from. */
  python: string;
  dir: string;
  requirements: string;
  onProgress: (step: ProgressStep) => void;
  signal?: AbortSignal;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
}

/** The share of the progress bar `python -m venv` takes; pip has the rest. */
const venvShare = 0.1;

/**
 * Creates a virtual environment in `dir` (`python -m venv`) and installs `requirements` into it with pip, reporting
 * pip's steps. An existing environment is reused (pip installs into it); any other non-empty folder is refused, never overwritten. A failed
 * install leaves the environment in place, so that the user can look at it or retry.
 */
export async function createVirtualEnvironment(options: CreateEnvironmentOptions): Promise<InterpreterChoice> {
  const platform = options.platform ?? process.platform;
  const dir = resolve(options.dir);
  const requirements = resolve(options.requirements);
  if (!existsSync(requirements)) throw new PythonEnvironmentError('venv-refused', `The requirements file ${requirements} does not exist`);
  refuseForeignFolder(dir);
  const env = { ...(options.env ?? process.env), PIP_DISABLE_PIP_VERSION_CHECK: '1', PIP_NO_INPUT: '1', PYTHONIOENCODING: 'utf-8' };
  const signal = options.signal ? { signal: options.signal } : {};

  const python = venvPython(dir, platform);
  if (existsSync(join(dir, 'pyvenv.cfg')) && isExecutableFile(python, platform)) {
    options.onProgress({ message: `Using the existing virtual environment in ${dir}`, fraction: 0 });
  } else {
    options.onProgress({ message: `Creating a virtual environment in ${dir}`, fraction: 0 });
    const created = await runPython({ command: options.python, args: ['-m', 'venv', dir], env, ...signal }, 'Creating the virtual environment');
    if (created.code !== 0)
      throw new PythonEnvironmentError('venv-failed', `${options.python} -m venv ${dir} failed${created.stderrTail ? `:\n${lastLines(created.stderrTail, 12)}` : ''}`, created.stderrTail);
    if (!existsSync(python)) throw new PythonEnvironmentError('venv-failed', `${options.python} -m venv made no interpreter at ${python}`, created.stderrTail);
  }

  const progress = new PipProgress(countRequirements(requirements), venvShare);
  options.onProgress({ message: `Installing ${requirements}`, fraction: venvShare });
  const installed = await runPython(
    {
      command: python,
      args: ['-m', 'pip', 'install', '-r', requirements, '--progress-bar', 'off'],
      env,
      ...signal,
      onLine: (_stream, line) => {
        const step = progress.feed(line);
        if (step) options.onProgress(step);
      },
    },
    'Installing the requirements',
  );
  if (installed.code !== 0) {
    const errors = progress.errors.length > 0 ? progress.errors.join('\n') : lastLines(installed.stderrTail, 12);
    throw new PythonEnvironmentError('install-failed', `pip could not install ${requirements} into ${dir}${errors ? `:\n${errors}` : ''}`, installed.stderrTail);
  }
  options.onProgress({ message: `Created ${dir}`, fraction: 1 });
  return { python, source: 'workspace-venv' };
}

function refuseForeignFolder(dir: string): void {
  if (!existsSync(dir)) return;
  if (!statSync(dir).isDirectory()) throw new PythonEnvironmentError('venv-refused', `${dir} exists and is not a folder: choose another place for the environment`);
  if (existsSync(join(dir, 'pyvenv.cfg'))) return;
  if (readdirSync(dir).length > 0) throw new PythonEnvironmentError('venv-refused', `${dir} is a folder that is not a virtual environment: it is left as it is. Choose an empty or new folder.`);
}

/** The requirement lines of a requirements file (comments, blank lines and pip options not counted). */
export function countRequirements(file: string): number {
  return readFileSync(file, 'utf8')
    .split(/\r?\n/)
    .map((line) => line.replace(/(^|\s)#.*$/, '').trim())
    .filter((line) => line.length > 0 && !line.startsWith('-')).length;
}

/**
 * Turns pip's output (`--progress-bar off`) into progress steps. pip does not say how many packages it will fetch,
 * so while it collects, the bar moves by how many were collected against the requirement count (dependencies push
 * it on more slowly), then by the wheels fetched against those collected; building, installing and success are fixed
 * points.
 */
export class PipProgress {
  private collected = 0;
  private fetched = 0;
  private last = 0;
  /** pip's `ERROR:` lines, for the failure message. */
  readonly errors: string[] = [];

  constructor(
    /** The requirements file's requirement count. */
    private readonly requirementCount: number,
    /** Where pip's share of the bar starts. */
    private readonly start = 0,
  ) {}

  private at(share: number): number {
    return this.start + (1 - this.start) * share;
  }

  /** The step a line of pip's output marks, or undefined for lines that mark none. */
  feed(line: string): ProgressStep | undefined {
    const text = line.trim();
    let match: RegExpExecArray | null;
    if ((match = /^Collecting (\S+)/.exec(text))) {
      this.collected++;
      return { message: `Collecting ${match[1]}`, fraction: this.collecting() };
    }
    if ((match = /^(Downloading|Using cached) (\S+)(?: \(([^)]+)\))?/.exec(text))) {
      const [, verb, file, size] = match;
      // Metadata is fetched while collecting; the wheels themselves (the slow part) come once all are collected.
      if (!file!.endsWith('.metadata')) this.fetched++;
      return { message: `${verb} ${file}${size ? ` (${size})` : ''}`, fraction: file!.endsWith('.metadata') ? this.collecting() : this.fetching() };
    }
    if ((match = /^Requirement already satisfied: (\S+)/.exec(text))) return { message: `Already installed: ${match[1]}` };
    if ((match = /^Building wheels for collected packages: (.+)$/.exec(text))) return { message: `Building ${match[1]}`, fraction: this.forward(this.at(0.75)) };
    if ((match = /^Installing collected packages: (.+)$/.exec(text))) {
      const names = match[1]!.split(',').map((name) => name.trim());
      return { message: `Installing ${names.length} package${names.length === 1 ? '' : 's'}: ${names.join(', ')}`, fraction: this.forward(this.at(0.8)) };
    }
    if ((match = /^Successfully installed (.+)$/.exec(text))) {
      const count = match[1]!.split(/\s+/).length;
      return { message: `Installed ${count} package${count === 1 ? '' : 's'}`, fraction: this.forward(1) };
    }
    if ((match = /^ERROR: (.+)$/.exec(text))) {
      this.errors.push(match[1]!);
      return { message: `pip: ${match[1]}` };
    }
    return undefined;
  }

  /** Collecting moves the bar up to 35% of pip's share: collected against collected + the requirement count. */
  private collecting(): number {
    const expected = Math.max(1, this.requirementCount);
    return this.forward(this.at(0.35 * (this.collected / (this.collected + expected))));
  }

  /** Fetching the wheels moves it from 35% to 75%: fetched against collected. */
  private fetching(): number {
    return this.forward(this.at(0.35 + 0.4 * Math.min(1, this.fetched / Math.max(1, this.collected))));
  }

  /** Older pips interleave collecting and fetching: the bar never moves back. */
  private forward(fraction: number): number {
    this.last = Math.max(this.last, fraction);
    return this.last;
  }
}
