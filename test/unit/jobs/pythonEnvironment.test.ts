import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import {
  countRequirements,
  createVirtualEnvironment,
  describeProbe,
  findInterpreter,
  hardwareOfProbe,
  PipProgress,
  probeEnvironment,
  PythonEnvironmentError,
  trainerPythonFolder,
  venvPython,
  type EnvironmentProbe,
  type ProgressStep,
} from '../../../src/core/jobs/pythonEnvironment';
import { scratchDir } from '../../support/scratchDir';
import { isProcessAlive } from '../../../src/core/process/processGroup';

const fixtures = join(__dirname, '..', '..', 'fixtures', 'jobs');
const gpuProbeFile = join(fixtures, 'envProbeH200.json');
const gpuProbe = JSON.parse(readFileSync(gpuProbeFile, 'utf8')) as EnvironmentProbe;
const pythonFolder = trainerPythonFolder();

/** An executable file (a fake interpreter, or just something to be found). */
function executable(path: string, body = '#!/bin/sh\nexit 0\n'): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, body);
  chmodSync(path, 0o755);
  return path;
}

/** A fake "python" that ignores its arguments and runs `script` (sh). */
function fakePython(dir: string, script: string): string {
  return executable(join(dir, 'python'), `#!/bin/sh\n${script}\n`);
}

async function rejectsWith(promise: Promise<unknown>, failure: PythonEnvironmentError['failure'], message?: RegExp): Promise<PythonEnvironmentError> {
  const error = await promise.then(
    () => assert.fail('expected a PythonEnvironmentError'),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof PythonEnvironmentError, `expected a PythonEnvironmentError, got ${String(error)}`);
  assert.equal(error.failure, failure, error.message);
  if (message) assert.match(error.message, message);
  return error;
}

describe('findInterpreter', () => {
  const root = scratchDir('interpreter');
  const workspace = join(root, 'workspace');
  const bin = join(root, 'bin');
  const otherBin = join(root, 'other-bin');
  const python3OnPath = executable(join(bin, 'python3'));
  const pythonOnPath = executable(join(otherBin, 'python'));
  const venv = executable(venvPython(join(workspace, '.chatwright', 'venv'), 'linux'));
  const extensionPython = executable(join(root, 'ext', 'python'));
  const env = { PATH: [bin, otherBin].join(':') };

  it('takes the setting first, a relative path from the workspace root', () => {
    const settingPython = executable(join(workspace, 'tools', 'python'));
    assert.deepEqual(findInterpreter({ setting: 'tools/python', pythonExtension: extensionPython, workspaceRoot: workspace, env }), { python: settingPython, source: 'setting' });
  });

  it('looks a bare name in the setting up on the PATH', () => {
    assert.deepEqual(findInterpreter({ setting: 'python', workspaceRoot: workspace, env }), { python: pythonOnPath, source: 'setting' });
  });

  it('keeps a setting that names nothing, so the probe can say so', () => {
    assert.deepEqual(findInterpreter({ setting: '/no/such/python', pythonExtension: extensionPython, workspaceRoot: workspace, env }), { python: '/no/such/python', source: 'setting' });
  });

  it("takes the Python extension's interpreter before the workspace venv", () => {
    assert.deepEqual(findInterpreter({ setting: '  ', pythonExtension: extensionPython, workspaceRoot: workspace, env }), { python: extensionPython, source: 'python-extension' });
  });

  it("skips the Python extension's interpreter when its file is gone", () => {
    assert.deepEqual(findInterpreter({ pythonExtension: join(root, 'gone', 'python'), workspaceRoot: workspace, env }), { python: venv, source: 'workspace-venv' });
  });

  it('takes python3 on the PATH before python, after the workspace venv', () => {
    assert.deepEqual(findInterpreter({ workspaceRoot: join(root, 'no-venv-here'), env }), { python: python3OnPath, source: 'path' });
    assert.deepEqual(findInterpreter({ env: { PATH: [otherBin, bin].join(':') } }), { python: python3OnPath, source: 'path' });
  });

  it('skips files on the PATH that are not executable', () => {
    const plain = join(root, 'plain-bin');
    mkdirSync(plain, { recursive: true });
    writeFileSync(join(plain, 'python3'), 'not a program');
    assert.deepEqual(findInterpreter({ env: { PATH: [plain, otherBin].join(':') } }), { python: pythonOnPath, source: 'path' });
  });

  it('answers the bare name when nothing is found', () => {
    assert.deepEqual(findInterpreter({ env: { PATH: join(root, 'empty') } }), { python: 'python3', source: 'path' });
  });

  it("finds the Windows venv's Scripts\\python.exe and PATHEXT names", () => {
    const windowsWorkspace = join(root, 'windows');
    const windowsVenv = executable(venvPython(join(windowsWorkspace, '.chatwright', 'venv'), 'win32'));
    assert.match(windowsVenv, /Scripts.python\.exe$/);
    assert.deepEqual(findInterpreter({ workspaceRoot: windowsWorkspace, env: {}, platform: 'win32' }), { python: windowsVenv, source: 'workspace-venv' });
    const windowsBin = join(root, 'windows-bin');
    const exe = executable(join(windowsBin, 'python.exe'));
    assert.deepEqual(findInterpreter({ env: { Path: windowsBin, PATHEXT: '.COM;.EXE' }, platform: 'win32' }), { python: exe, source: 'path' });
  });
});

describe('probeEnvironment', () => {
  it('reads the real python3: what is missing, and the exact install command', async () => {
    const probe = await probeEnvironment('python3', pythonFolder);
    assert.equal(probe.python_ok, true);
    assert.match(probe.python, /^3\.\d+/);
    assert.ok(probe.disk_free_bytes > 0);
    assert.ok('torch' in probe.packages && 'transformers' in probe.packages);
    assert.equal(probe.can_train, probe.missing_or_old.length === 0);
    assert.equal(probe.packages.torch.ok, probe.torch !== null);
    if (probe.packages.torch.version === null) {
      // This machine: no torch, so no training, and the command names what to install into this interpreter.
      assert.equal(probe.can_train, false);
      assert.ok(probe.missing_or_old.includes('torch>=2.4'));
      assert.ok(probe.install_command !== null);
      assert.match(probe.install_command, /-m pip install --upgrade .*"torch>=2\.4"/);
      assert.ok(probe.install_command.includes(probe.python_executable));
      assert.equal(hardwareOfProbe(probe), undefined);
    }
  });

  it('reports free disk for the run folder given (its nearest existing parent)', async (t) => {
    const dir = scratchDir('probe-disk', t);
    const probe = await probeEnvironment('python3', pythonFolder, { runDir: join(dir, '.chatwright', 'runs') });
    assert.equal(probe.disk_path, dir);
  });

  it('says an interpreter is not found', async () => {
    await rejectsWith(probeEnvironment('/no/such/python3', pythonFolder), 'not-found', /not found: \/no\/such\/python3/);
  });

  it('reports a probe that exits 1 with the end of its stderr', async (t) => {
    const python = fakePython(scratchDir('probe-crash', t), 'echo "Traceback (most recent call last):" >&2\necho "ImportError: libcudart.so.13: cannot open shared object file" >&2\nexit 1');
    const error = await rejectsWith(probeEnvironment(python, pythonFolder), 'probe-failed', /exited with code 1[\s\S]*libcudart\.so\.13/);
    assert.match(error.stderrTail, /ImportError/);
  });

  it('says when the trainer package is not where PYTHONPATH points', async (t) => {
    const error = await rejectsWith(probeEnvironment('python3', scratchDir('probe-nopkg', t)), 'probe-failed', /trainer's package was not found/);
    assert.match(error.message, /No module named/);
  });

  it('refuses output that is not JSON', async (t) => {
    const python = fakePython(scratchDir('probe-garbage', t), 'echo "Hello from a shell script"');
    await rejectsWith(probeEnvironment(python, pythonFolder), 'bad-output', /did not answer the environment probe with JSON \(it printed: "Hello from a shell script"\)/);
  });

  it('refuses JSON whose fields have the wrong types, naming the field', async (t) => {
    const dir = scratchDir('probe-types', t);
    const hostile = { ...gpuProbe, gpus: [{ ...gpuProbe.gpus[0], memory_bytes: '141 GB' }] };
    writeFileSync(join(dir, 'answer.json'), JSON.stringify(hostile));
    const python = fakePython(dir, `cat "${join(dir, 'answer.json')}"`);
    await rejectsWith(probeEnvironment(python, pythonFolder), 'bad-output', /unexpected gpus\[0\]\.memory_bytes \(expected a number\)/);
    writeFileSync(join(dir, 'answer.json'), JSON.stringify([1, 2, 3]));
    await rejectsWith(probeEnvironment(python, pythonFolder), 'bad-output', /unexpected answer \(expected an object\)/);
  });

  it('accepts a GPU-bearing probe, skipping lines printed before the JSON', async (t) => {
    const python = fakePython(scratchDir('probe-gpu', t), `echo "sitecustomize says hello"\ncat "${gpuProbeFile}"`);
    const probe = await probeEnvironment(python, pythonFolder);
    assert.deepEqual(probe, gpuProbe);
  });

  it('refuses a Python older than 3.10, with the probe attached', async (t) => {
    const dir = scratchDir('probe-old', t);
    writeFileSync(join(dir, 'answer.json'), JSON.stringify({ ...gpuProbe, python: '3.8.10', python_ok: false, can_train: false }));
    const error = await rejectsWith(probeEnvironment(fakePython(dir, `cat "${join(dir, 'answer.json')}"`), pythonFolder), 'too-old', /Python 3\.8\.10: the trainer needs Python 3\.10 or newer/);
    assert.equal(error.probe?.python, '3.8.10');
  });

  it('ends a probe that runs past its timeout, and its process', async (t) => {
    const dir = scratchDir('probe-timeout', t);
    const python = fakePython(dir, `echo $$ > "${join(dir, 'pid')}"\nsleep 30`);
    await rejectsWith(probeEnvironment(python, pythonFolder, { timeoutMs: 500 }), 'timeout', /did not finish within/);
    assert.equal(isProcessAlive(Number(readFileSync(join(dir, 'pid'), 'utf8'))), false);
  });

  it('stops when cancelled', async (t) => {
    const dir = scratchDir('probe-abort', t);
    const python = fakePython(dir, `echo $$ > "${join(dir, 'pid')}"\nsleep 30`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 300);
    await rejectsWith(probeEnvironment(python, pythonFolder, { signal: controller.signal }), 'cancelled');
    assert.equal(isProcessAlive(Number(readFileSync(join(dir, 'pid'), 'utf8'))), false);
  });
});

describe('describeProbe and hardwareOfProbe', () => {
  it('describes a GPU machine that can train', () => {
    const lines = describeProbe(gpuProbe);
    assert.equal(lines[0], 'Python 3.12.3 (/opt/venv/bin/python) on Linux-6.8.0-x86_64-with-glibc2.39');
    assert.ok(lines.includes('PyTorch 2.11.0+cu130, CUDA 13.0'));
    assert.ok(lines.includes('GPU 0: NVIDIA H200, 139.8 GiB, 139.2 GiB free, compute capability 9.0, bf16 yes'));
    assert.ok(lines.some((line) => /^ {2}transformers +5\.17\.0 +ok \(needs >= 5\.0\)$/.test(line)));
    assert.ok(lines.some((line) => /^ {2}bitsandbytes +- +missing \(optional, >= 0\.45\)$/.test(line)));
    assert.ok(lines.includes('Free disk: 512 GB (/work/project/.chatwright)'));
    assert.ok(lines.includes('Can train: yes'));
    assert.ok(lines.includes('QLoRA: not available (needs bitsandbytes)'));
    assert.equal(
      lines.some((line) => line.startsWith('Install')),
      false,
    );
  });

  it('says what is missing and the exact command that installs it', () => {
    const probe: EnvironmentProbe = {
      ...gpuProbe,
      packages: { ...gpuProbe.packages, peft: { required: true, minimum: '0.14', version: '0.10.0', ok: false } },
      missing_or_old: ['peft>=0.14'],
      install_command: '"/opt/venv/bin/python" -m pip install --upgrade "peft>=0.14"',
      torch: null,
      cuda_available: false,
      gpus: [],
      can_train: false,
    };
    const lines = describeProbe(probe);
    assert.ok(lines.includes('PyTorch: not installed'));
    assert.ok(lines.includes('GPUs: none found (training is practical on a CUDA GPU; on the CPU only tiny models finish)'));
    assert.ok(lines.some((line) => /^ {2}peft +0\.10\.0 +too old \(needs >= 0\.14\)$/.test(line)));
    assert.ok(lines.includes('Can train: no (missing or too old: peft>=0.14)'));
    assert.ok(lines.includes('QLoRA: not available (needs bitsandbytes and a CUDA GPU)'));
    assert.ok(lines.includes('Install what is missing: "/opt/venv/bin/python" -m pip install --upgrade "peft>=0.14"'));
    assert.ok(lines.includes(`Or the pinned set: ${gpuProbe.requirements_command}`));
  });

  it("gives preflight GPU 0's memory", () => {
    const hardware = hardwareOfProbe({ ...gpuProbe, gpus: [...gpuProbe.gpus, { index: 1, name: 'NVIDIA L4', memory_bytes: 24e9, compute_capability: '8.9', bf16: true }] });
    assert.ok(hardware);
    assert.deepEqual(hardware.gpus, [{ name: 'NVIDIA H200', memoryBytes: 150121283584, freeBytes: 149457010688 }]);
    assert.ok(hardware.ramBytes > 0 && hardware.cpuCount > 0);
  });

  it('gives no hardware without a CUDA GPU', () => {
    assert.equal(hardwareOfProbe({ ...gpuProbe, gpus: [], cuda_available: false }), undefined);
  });
});

describe('PipProgress', () => {
  it("turns pip's recorded output into steps that only move forward", () => {
    const progress = new PipProgress(3, 0.1);
    const steps = readFileSync(join(fixtures, 'pipInstall.log'), 'utf8')
      .split('\n')
      .map((line) => progress.feed(line))
      .filter((step): step is ProgressStep => step !== undefined);
    const messages = steps.map((step) => step.message);
    assert.deepEqual(messages.slice(0, 3), ['Collecting torch==2.11.0', 'Downloading torch-2.11.0-cp312-cp312-manylinux_2_28_x86_64.whl.metadata (30 kB)', 'Collecting transformers==5.17.0']);
    assert.ok(messages.includes('Using cached peft-0.21.0-py3-none-any.whl.metadata (14 kB)'));
    assert.ok(messages.includes('Already installed: jinja2==3.1.6'));
    assert.ok(messages.includes('Downloading torch-2.11.0-cp312-cp312-manylinux_2_28_x86_64.whl (899.7 MB)'));
    assert.ok(messages.includes('Building antlr4-python3-runtime'));
    assert.equal(messages.filter((message) => message.startsWith('Building')).length, 1);
    assert.ok(messages.includes('Installing 5 packages: filelock, sympy, torch, transformers, peft'));
    assert.equal(messages.at(-1), 'Installed 5 packages');
    const fractions = steps.flatMap((step) => (step.fraction !== undefined ? [step.fraction] : []));
    assert.ok(fractions[0]! > 0.1, 'the first step is past the venv share');
    for (let index = 1; index < fractions.length; index++) assert.ok(fractions[index]! >= fractions[index - 1]!, `step ${index} goes back: ${fractions.join(', ')}`);
    const torchWheel = steps.find((step) => step.message.startsWith('Downloading torch-2.11.0-cp312-cp312-manylinux_2_28_x86_64.whl ('))!;
    const sympyMetadata = steps.find((step) => step.message.startsWith('Downloading sympy-1.14.0-py3-none-any.whl.metadata'))!;
    assert.ok(sympyMetadata.fraction! < torchWheel.fraction!, 'fetching the wheels moves the bar on after collecting');
    assert.ok(steps.find((step) => step.message.startsWith('Installing'))!.fraction! < 1);
    assert.equal(fractions.at(-1), 1);
  });

  it("keeps pip's errors for the failure message", () => {
    const progress = new PipProgress(1);
    for (const line of readFileSync(join(fixtures, 'pipInstallFailed.log'), 'utf8').split('\n')) progress.feed(line);
    assert.deepEqual(progress.errors, ['Could not find a version that satisfies the requirement torch==2.11.0 (from versions: none)', 'No matching distribution found for torch==2.11.0']);
  });

  it("counts the trainer's requirements without comments", () => {
    assert.equal(countRequirements(join(pythonFolder, 'requirements.txt')), 7);
  });
});

describe('createVirtualEnvironment', () => {
  // One environment for the tests that need a real one: `python -m venv` takes seconds.
  const shared = scratchDir('venv');
  const venvDir = join(shared, 'venv');
  const emptyRequirements = join(shared, 'requirements.txt');
  writeFileSync(emptyRequirements, '# nothing to install\n');

  it('creates a venv, installs an empty requirements file, and reports progress from 0 to 1', async () => {
    const steps: ProgressStep[] = [];
    const choice = await createVirtualEnvironment({ python: 'python3', dir: venvDir, requirements: emptyRequirements, onProgress: (step) => steps.push(step) });
    assert.deepEqual(choice, { python: venvPython(venvDir), source: 'workspace-venv' });
    assert.ok(existsSync(join(venvDir, 'pyvenv.cfg')));
    assert.equal(steps[0]?.fraction, 0);
    assert.match(steps[0].message, /^Creating a virtual environment in /);
    assert.equal(steps.at(-1)?.fraction, 1);
    // The new interpreter is a Python of its own that the probe can run.
    const probe = await probeEnvironment(choice.python, pythonFolder);
    assert.equal(probe.python_executable, choice.python);
  });

  it('reuses an existing environment instead of refusing it', async () => {
    const steps: string[] = [];
    const again = await createVirtualEnvironment({ python: 'python3', dir: venvDir, requirements: emptyRequirements, onProgress: (step) => steps.push(step.message) });
    assert.equal(again.python, venvPython(venvDir));
    assert.match(steps[0]!, /^Using the existing virtual environment in /);
  });

  it('says when pip fails, with its error lines', async () => {
    const requirements = join(shared, 'broken-requirements.txt');
    // A local path that does not exist: pip fails at once, without the network.
    writeFileSync(requirements, `${join(shared, 'no-such-package')}\n`);
    await rejectsWith(createVirtualEnvironment({ python: 'python3', dir: venvDir, requirements, onProgress: () => undefined }), 'install-failed', /pip could not install[\s\S]*no-such-package/);
  });

  it('refuses a folder that is not a virtual environment and leaves it alone', async (t) => {
    const dir = scratchDir('venv-refuse', t);
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    await rejectsWith(createVirtualEnvironment({ python: 'python3', dir, requirements: emptyRequirements, onProgress: () => undefined }), 'venv-refused', /not a virtual environment/);
    assert.equal(readFileSync(join(dir, 'notes.txt'), 'utf8'), 'mine');
    assert.equal(existsSync(join(dir, 'pyvenv.cfg')), false);
  });

  it('stops when cancelled', async (t) => {
    const dir = scratchDir('venv-abort', t);
    const controller = new AbortController();
    const steps: string[] = [];
    const creating = createVirtualEnvironment({
      python: 'python3',
      dir: join(dir, 'venv'),
      requirements: emptyRequirements,
      signal: controller.signal,
      onProgress: (step) => steps.push(step.message),
    });
    setTimeout(() => controller.abort(), 300);
    await rejectsWith(creating, 'cancelled');
    assert.equal(
      steps.some((message) => message.startsWith('Created')),
      false,
    );
  });
});
