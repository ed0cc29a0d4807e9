import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { venvPython } from '../../../src/core/jobs/pythonEnvironment';
import { runCliCaptured } from '../../support/cli';
import { scratchDir } from '../../support/scratchDir';

const gpuProbeFile = join(__dirname, '..', '..', 'fixtures', 'jobs', 'envProbeH200.json');
/** What the interpreters of these tests need to start (pyenv's shims read HOME). */
const env = { PATH: process.env.PATH, HOME: process.env.HOME };

/** A fake interpreter that answers the probe like a Python with an H200 and every package. */
function gpuPython(path: string): string {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, `#!/bin/sh\ncat "${gpuProbeFile}"\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('chatwright env', () => {
  it("prints this machine's python3: versions, packages, why it cannot train and the install command; exit 1", async (t) => {
    const result = await runCliCaptured(['env', '--python', 'python3'], { cwd: scratchDir('cli-env', t), env });
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stdout, /^Interpreter: \S*python3 \(from --python\)$/m);
    assert.match(result.stdout, /^Python 3\.\d+\.\d+ \(/m);
    assert.match(result.stdout, /^PyTorch: not installed$/m);
    assert.match(result.stdout, /^ {2}transformers +- +missing \(needs >= 5\.0\)$/m);
    assert.match(result.stdout, /^Free disk: /m);
    assert.match(result.stdout, /^Can train: no \(missing or too old: torch>=2\.4/m);
    assert.match(result.stdout, /^Install what is missing: "\S+" -m pip install --upgrade "torch>=2\.4"/m);
    assert.match(result.stdout, /^Or create an environment with the pinned versions: chatwright env --create-venv$/m);
  });

  it('prints the interpreter and the probe as JSON with --json', async (t) => {
    const result = await runCliCaptured(['env', '--json'], { cwd: scratchDir('cli-env-json', t), env });
    assert.equal(result.code, 1);
    const parsed = JSON.parse(result.stdout) as { interpreter: { python: string; source: string }; probe: { can_train: boolean; install_command: string | null } };
    assert.equal(parsed.interpreter.source, 'path');
    assert.equal(parsed.probe.can_train, false);
    assert.ok(parsed.probe.install_command);
  });

  it("exits 0 for an interpreter that can train, with its GPU; the workspace's venv is found by itself", async (t) => {
    const workspace = scratchDir('cli-env-venv', t);
    const python = gpuPython(venvPython(join(workspace, '.chatwright', 'venv')));
    mkdirSync(join(workspace, 'data'));
    const result = await runCliCaptured(['env'], { cwd: join(workspace, 'data'), env });
    assert.equal(result.code, 0, result.stderr);
    assert.ok(result.stdout.startsWith(`Interpreter: ${python} (from the workspace's virtual environment (.chatwright/venv))\n`), result.stdout);
    assert.match(result.stdout, /^GPU 0: NVIDIA H200, 139\.8 GiB, 139\.2 GiB free, compute capability 9\.0, bf16 yes$/m);
    assert.match(result.stdout, /^Can train: yes$/m);
    assert.doesNotMatch(result.stdout, /Install what is missing/);
  });

  it('exits 1 with a clear message for an interpreter that is not there', async (t) => {
    const result = await runCliCaptured(['env', '--python', '/no/such/python'], { cwd: scratchDir('cli-env-missing', t), env });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /chatwright env: Python interpreter not found: \/no\/such\/python/);
    const json = await runCliCaptured(['env', '--python', '/no/such/python', '--json'], { cwd: scratchDir('cli-env-missing', t), env });
    assert.equal((JSON.parse(json.stdout) as { error: { failure: string } }).error.failure, 'not-found');
  });

  it('creates a virtual environment with progress lines, then checks it', async (t) => {
    const workspace = scratchDir('cli-env-create', t);
    mkdirSync(join(workspace, '.git'));
    writeFileSync(join(workspace, 'empty.txt'), '');
    const result = await runCliCaptured(['env', '--create-venv', '--requirements', 'empty.txt', '--python', 'python3'], { cwd: workspace, env });
    const venv = join(workspace, '.chatwright', 'venv');
    assert.match(result.stdout, new RegExp(`^\\[ {2}0%\\] Creating a virtual environment in ${venv}$`, 'm'));
    assert.match(result.stdout, new RegExp(`^\\[100%\\] Created ${venv}$`, 'm'));
    assert.ok(result.stdout.includes(`Interpreter: ${venvPython(venv)} (from the workspace's virtual environment (.chatwright/venv))`), result.stdout);
    // An empty requirements file installs nothing: the new environment cannot train yet, and says what to install.
    assert.equal(result.code, 1);
    assert.match(result.stdout, /^Install what is missing: /m);
  });

  it('refuses to create an environment over a folder that is not one', async (t) => {
    const workspace = scratchDir('cli-env-refuse', t);
    mkdirSync(join(workspace, 'mine'));
    writeFileSync(join(workspace, 'mine', 'notes.txt'), 'keep');
    const result = await runCliCaptured(['env', '--create-venv', 'mine'], { cwd: workspace, env });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /mine is a folder that is not a virtual environment/);
  });

  it('exits 2 on usage errors', async () => {
    assert.equal((await runCliCaptured(['env', 'extra'], { env })).code, 2);
    const misplaced = await runCliCaptured(['env', '--requirements', 'r.txt'], { env });
    assert.equal(misplaced.code, 2);
    assert.match(misplaced.stderr, /--requirements goes with --create-venv/);
  });
});
