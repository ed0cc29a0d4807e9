// Serves a real VS Code (code-server) with the packaged Chatwright installed, on the sample workspace.
// Options: --port N (default 8080, or $CHATWRIGHT_PORT), --host H (default 127.0.0.1), --folder PATH (opened in place).
// Without --folder it opens a copy of examples/support-bot under .cache/demo/, so trying the product never dirties the
// checkout; the copy is made again whenever the tracked sample changes.
import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installVsix, repoRoot, startCodeServer, workbenchUrl } from '../test/support/codeServer.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.CHATWRIGHT_PORT ?? '8080' },
    host: { type: 'string', default: process.env.CHATWRIGHT_HOST ?? '127.0.0.1' },
    folder: { type: 'string' },
  },
});
const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version;
const vsix = join(repoRoot, 'dist', `chatwright-linux-x64-${version}.vsix`);

// A demo profile that persists between runs (your layout and settings stay), under .cache/ (git-ignored).
const home = join(repoRoot, '.cache', 'demo');
const dirs = { root: home, xdg: join(home, 'xdg'), userData: join(home, 'user-data'), extensions: join(home, 'extensions') };
for (const dir of Object.values(dirs)) mkdirSync(dir, { recursive: true });
mkdirSync(join(dirs.userData, 'User'), { recursive: true });
const settingsFile = join(dirs.userData, 'User', 'settings.json');
try {
  readFileSync(settingsFile);
} catch {
  writeFileSync(
    settingsFile,
    JSON.stringify({ 'workbench.startupEditor': 'none', 'git.openRepositoryInParentFolders': 'never', 'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off' }, null, 2),
  );
}

installVsix(vsix, dirs);
const folder = values.folder ? resolve(values.folder) : demoWorkspace(join(repoRoot, 'examples', 'support-bot'), join(home, 'workspace'));
ensureDemoModel(demoHubCache(dirs));
const server = await startCodeServer({ dirs, folder, port: Number(values.port), bindHost: values.host, log: (line) => process.env.CHATWRIGHT_VERBOSE && console.error(line) });
const url = workbenchUrl({ ...server, url: `http://${values.host}:${server.port}` }, folder);
console.log(`\nChatwright ${version} is running in VS Code (code-server) on ${folder}\n\n  Open: ${url}\n\nPress Ctrl+C to stop.`);
const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
server.child.on('exit', (code) => {
  console.error(`code-server exited (${code})`);
  process.exit(code ?? 1);
});

/**
 * The Hugging Face cache the demo's code-server sees: HF_HUB_CACHE, else HF_HOME/hub, else (the demo's own
 * XDG_CACHE_HOME, see codeServer.mjs) .cache/demo/xdg/cache/huggingface/hub, as src/core/hub/cacheLocation.ts resolves it.
 */
function demoHubCache(dirs) {
  if (process.env.HF_HUB_CACHE) return process.env.HF_HUB_CACHE;
  if (process.env.HF_HOME) return join(process.env.HF_HOME, 'hub');
  return join(dirs.xdg, 'cache', 'huggingface', 'hub');
}

/**
 * The demo's chat model, `chatwright-demo/random-tiny`: a small Qwen2-style decoder with random weights and Qwen3's
 * real tokenizer and chat template (test/support/modelGenerator), generated once into the cache in the Hub's layout
 * (snapshots/<revision>, refs/main), so the chat and the sample comparison run out of the box with no download.
 */
function ensureDemoModel(hubCache) {
  const options = { architecture: 'qwen2', hiddenSize: 64, layers: 2, heads: 4, kvHeads: 2, intermediateSize: 128, tieWordEmbeddings: true, seed: 18 };
  const revision = createHash('sha1').update(JSON.stringify(options)).digest('hex');
  const repo = join(hubCache, 'models--chatwright-demo--random-tiny');
  const snapshot = join(repo, 'snapshots', revision);
  console.log('The demo model chatwright-demo/random-tiny has random weights: its answers are noise (it shows the pipeline, not quality).');
  if (existsSync(join(snapshot, 'config.json'))) return;
  const staging = `${snapshot}.partial-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const generated = spawnSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'support', 'modelGenerator', 'cli.ts'), 'decoder', staging, JSON.stringify(options)], {
    cwd: repoRoot,
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (generated.status !== 0) {
    rmSync(staging, { recursive: true, force: true });
    throw new Error(`Generating the demo model failed (${generated.status}):\n${generated.stdout}\n${generated.stderr}`);
  }
  // Moved into place whole: an interrupted generation never leaves a half-written model the engine would try to load.
  renameSync(staging, snapshot);
  mkdirSync(join(repo, 'refs'), { recursive: true });
  writeFileSync(join(repo, 'refs', 'main'), revision);
}

/** A fingerprint of a folder's files (names and bytes), to tell whether the sample changed since it was copied. */
function fingerprint(folder) {
  const hash = createHash('sha256');
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile())
        hash
          .update(`${relative(folder, path)}\0`)
          .update(readFileSync(path))
          .update('\0');
    }
  };
  walk(folder);
  return hash.digest('hex');
}

/** The sample copied to `target`, copied again (after saying so) when the tracked sample has changed. */
function demoWorkspace(sample, target) {
  const stampFile = join(home, 'workspace.sample-fingerprint');
  const current = fingerprint(sample);
  let stamp = '';
  try {
    stamp = readFileSync(stampFile, 'utf8');
  } catch {
    // No copy yet.
  }
  if (stamp !== current) {
    if (stamp) console.log('start: the sample workspace changed in the checkout; refreshing the demo copy (.cache/demo/workspace)');
    rmSync(target, { recursive: true, force: true });
    cpSync(sample, target, { recursive: true });
    writeFileSync(stampFile, current);
  }
  return target;
}
