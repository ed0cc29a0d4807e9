// Runs the extension-host test suites (mocha, bundled into out/integration by scripts/build.mjs) inside a real VS Code.
// Here that is code-server through test/host/vscode-shim.mjs; set CHATWRIGHT_VSCODE to a desktop `code` executable,
// or CHATWRIGHT_DOWNLOAD_VSCODE=1 to let @vscode/test-electron download one (on a machine that can).
import { runTests } from '@vscode/test-electron';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shim = join(root, 'test', 'host', 'vscode-shim.mjs');
// Tests edit files: run them on a copy of the fixture workspace.
const workspace = mkdtempSync(join(tmpdir(), 'chatwright-it-workspace-'));
cpSync(join(root, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });

const vscodeExecutablePath = process.env.CHATWRIGHT_DOWNLOAD_VSCODE ? undefined : (process.env.CHATWRIGHT_VSCODE ?? shim);
let code = 0;
try {
  await runTests({
    ...(vscodeExecutablePath ? { vscodeExecutablePath } : { version: '1.100.3' }),
    extensionDevelopmentPath: root,
    extensionTestsPath: join(root, 'out', 'integration', 'index.js'),
    launchArgs: [workspace, '--disable-extensions'],
    extensionTestsEnv: { CHATWRIGHT_TEST_WORKSPACE: workspace },
  });
} catch (error) {
  console.error(`extension-host tests failed: ${error instanceof Error ? error.message : String(error)}`);
  code = 1;
} finally {
  rmSync(workspace, { recursive: true, force: true });
}
process.exit(code);
