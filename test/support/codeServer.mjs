// Starts a real VS Code (code-server from test/host: 4.100.0, VS Code 1.100.0; or the folder CHATWRIGHT_TEST_HOST
// names, e.g. test/host-newest) for the integration and UI tests, and Chromium to drive it. Used by the
// @vscode/test-electron shim (test/host/vscode-shim.mjs), the e2e tests and `npm start`.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const testHostDir = resolve(repoRoot, process.env.CHATWRIGHT_TEST_HOST ?? join('test', 'host'));
export const codeServerBin = join(testHostDir, 'node_modules', '.bin', 'code-server');
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const chromiumArgs = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function assertTestHostInstalled() {
  if (!existsSync(codeServerBin)) {
    throw new Error(`code-server is not installed at ${codeServerBin}. Run: npm run test-host (or bash scripts/install-test-host.sh ${relative(repoRoot, testHostDir)})`);
  }
  if (!existsSync(chromiumPath)) throw new Error(`Chromium not found at ${chromiumPath}. Run: npm run test-host (or bash scripts/install-test-host.sh ${relative(repoRoot, testHostDir)})`);
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

/** A scratch home for one run: XDG folders, user data (fresh, so no old editors come back) and extensions. */
export function makeScratch(prefix = 'chatwright-vscode-', userSettings = {}) {
  const root = mkdtempSync(join(tmpdir(), prefix));
  const dirs = {
    root,
    xdg: join(root, 'xdg'),
    userData: join(root, 'user-data'),
    extensions: join(root, 'extensions'),
  };
  for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
  mkdirSync(join(dirs.userData, 'User'), { recursive: true });
  const settings = {
    'workbench.startupEditor': 'none',
    'git.openRepositoryInParentFolders': 'never',
    'workbench.tips.enabled': false,
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'update.mode': 'none',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'workbench.enableExperiments': false,
    'chat.disableAIFeatures': true,
    ...userSettings,
  };
  writeFileSync(join(dirs.userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  return dirs;
}

function scratchEnv(dirs, extra = {}) {
  return {
    ...process.env,
    XDG_CONFIG_HOME: join(dirs.xdg, 'config'),
    XDG_DATA_HOME: join(dirs.xdg, 'data'),
    XDG_CACHE_HOME: join(dirs.xdg, 'cache'),
    ORT_DISABLE_TELEMETRY: '1',
    ...extra,
  };
}

/** Installs a VSIX into an extensions folder with code-server's own installer (what a user does). */
export function installVsix(vsixPath, dirs) {
  const result = spawnSync(codeServerBin, ['--install-extension', vsixPath, '--force', '--extensions-dir', dirs.extensions, '--user-data-dir', dirs.userData], {
    env: scratchEnv(dirs),
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (result.status !== 0) {
    throw new Error(`code-server --install-extension failed (${result.status}):\n${result.stdout}\n${result.stderr}`);
  }
  return result.stdout;
}

async function waitForHealth(url, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited early with code ${child.exitCode}`);
    try {
      const response = await fetch(`${url}/healthz`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`code-server did not answer ${url}/healthz within ${timeoutMs} ms`);
}

/**
 * Starts code-server on a free loopback port. Returns its URL and `stop()`. `log` receives its output lines.
 * `bindAddress` defaults to 127.0.0.1; `npm start` may pass another to serve a remote browser. `workspaceTrust`
 * keeps workspace trust on (with `security.workspace.trust.enabled` in the user settings): the folder opens in
 * Restricted Mode.
 */
export async function startCodeServer({ dirs, folder, env = {}, log = () => {}, port, bindHost = '127.0.0.1', workspaceTrust = false } = {}) {
  assertTestHostInstalled();
  const chosenPort = port ?? (await freePort());
  const args = [
    '--auth',
    'none',
    '--bind-addr',
    `${bindHost}:${chosenPort}`,
    '--user-data-dir',
    dirs.userData,
    '--extensions-dir',
    dirs.extensions,
    '--disable-telemetry',
    '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
  ];
  if (folder) args.push(folder);
  const child = spawn(codeServerBin, args, { env: scratchEnv(dirs, env), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const forward = (chunk) => {
    for (const line of chunk.toString().split('\n')) if (line.trim()) log(line);
  };
  child.stdout.on('data', forward);
  child.stderr.on('data', forward);
  const url = `http://127.0.0.1:${chosenPort}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        child.kill('SIGTERM');
      }
      await Promise.race([new Promise((r) => child.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
  };
  try {
    await waitForHealth(url, child, 60_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port: chosenPort, child, stop };
}

/** Launches Debian's Chromium through playwright-core (never a downloaded browser). */
export async function launchChromium({ headless = true } = {}) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: chromiumPath, headless, args: chromiumArgs });
}

/** The workbench URL for a folder, optionally with a test payload (extensionDevelopmentPath / extensionTestsPath). */
export function workbenchUrl(server, folder, payload) {
  const params = new URLSearchParams();
  if (folder) params.set('folder', folder);
  if (payload) params.set('payload', JSON.stringify(payload));
  return `${server.url}/?${params.toString()}`;
}

/** vscode-remote:// URI of a path on the code-server machine, as the test payload expects. */
export function remoteUri(server, path) {
  return `vscode-remote://127.0.0.1:${server.port}${path}`;
}

export function removeScratch(dirs) {
  if (process.env.CHATWRIGHT_KEEP_SCRATCH) return;
  rmSync(dirs.root, { recursive: true, force: true });
}
