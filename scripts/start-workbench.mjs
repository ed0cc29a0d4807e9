// Serves a real VS Code (code-server) with the packaged Chatwright installed, on the sample workspace.
// Options: --port N (default 8080, or $CHATWRIGHT_PORT), --host H (default 127.0.0.1), --folder PATH.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { installVsix, repoRoot, startCodeServer, workbenchUrl } from '../test/support/codeServer.mjs';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.CHATWRIGHT_PORT ?? '8080' },
    host: { type: 'string', default: process.env.CHATWRIGHT_HOST ?? '127.0.0.1' },
    folder: { type: 'string', default: join(repoRoot, 'examples', 'support-bot') },
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
  writeFileSync(settingsFile, JSON.stringify({ 'workbench.startupEditor': 'none', 'git.openRepositoryInParentFolders': 'never', 'security.workspace.trust.enabled': false, 'telemetry.telemetryLevel': 'off' }, null, 2));
}

installVsix(vsix, dirs);
const folder = resolve(values.folder);
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
