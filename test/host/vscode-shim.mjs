#!/usr/bin/env node
// A stand-in for the desktop `code` executable that runs extension tests inside code-server instead. It accepts the
// flags @vscode/test-electron's runTests (and @vscode/test-cli) pass — --extensionDevelopmentPath=,
// --extensionTestsPath=, --user-data-dir=, --extensions-dir=, a folder — opens code-server's workbench in Chromium with
// the same paths as a test payload, prints the extension host's console, and exits with the test runner's exit code.
import { resolve } from 'node:path';
import { format } from 'node:util';
import { launchChromium, makeScratch, remoteUri, removeScratch, startCodeServer, workbenchUrl } from '../support/codeServer.mjs';

const options = { developmentPaths: [], testsPath: undefined, folder: undefined, timeoutMs: Number(process.env.CHATWRIGHT_TEST_TIMEOUT_MS ?? 600_000) };
for (const arg of process.argv.slice(2)) {
  const [flag, ...rest] = arg.split('=');
  const value = rest.join('=');
  if (flag === '--extensionDevelopmentPath') options.developmentPaths.push(resolve(value));
  else if (flag === '--extensionTestsPath') options.testsPath = resolve(value);
  else if (!arg.startsWith('-')) options.folder = resolve(arg);
  // Other desktop flags (--no-sandbox, --user-data-dir, --extensions-dir, …) do not apply: every run gets a fresh
  // user-data and extensions folder, so no state leaks between runs.
}
if (!options.testsPath) {
  console.error('vscode-shim: --extensionTestsPath= is required');
  process.exit(2);
}

// CHATWRIGHT_RESTRICTED_RUN=1: workspace trust on and the folder untrusted (Restricted Mode), with the user settings
// in CHATWRIGHT_TEST_USER_SETTINGS (JSON) on top of the usual ones.
const restricted = process.env.CHATWRIGHT_RESTRICTED_RUN === '1';
const restrictedSettings = {
  'security.workspace.trust.enabled': true,
  'security.workspace.trust.startupPrompt': 'never',
  'security.workspace.trust.untrustedFiles': 'open',
  ...JSON.parse(process.env.CHATWRIGHT_TEST_USER_SETTINGS || '{}'),
};
const dirs = makeScratch('chatwright-ext-test-', restricted ? restrictedSettings : {});
let server;
let browser;
let exitCode = 1;
const verbose = Boolean(process.env.CHATWRIGHT_TEST_VERBOSE);
try {
  server = await startCodeServer({ dirs, folder: options.folder, workspaceTrust: restricted, log: (line) => verbose && console.error(`[code-server] ${line}`) });
  browser = await launchChromium();
  const page = await browser.newPage();
  const settled = new Promise((resolveExit) => {
    void page.exposeFunction('codeAutomationExit', (code) => resolveExit(Number(code)));
  });
  await page.exposeFunction('codeAutomationLog', (type, args) => {
    const text = format(...(Array.isArray(args) ? args : [args]));
    // The workbench asks the (unreachable) extension gallery for recommendations; that failure is not the tests'.
    if (!verbose && /ENOTFOUND open-vsx\.org|Migrating \d+ chat sessions|Creating a socket \(renderer-ExtensionHost/.test(text)) return;
    (type === 'error' ? process.stderr : process.stdout).write(`${text}\n`);
  });
  if (verbose) page.on('console', (message) => console.error(`[workbench ${message.type()}] ${message.text()}`));
  const payload = [...options.developmentPaths.map((path) => ['extensionDevelopmentPath', remoteUri(server, path)]), ['extensionTestsPath', remoteUri(server, options.testsPath)]];
  await page.goto(workbenchUrl(server, options.folder, payload));
  const timeout = new Promise((resolveExit) =>
    setTimeout(() => {
      console.error(`vscode-shim: the tests did not finish within ${options.timeoutMs} ms`);
      resolveExit(1);
    }, options.timeoutMs).unref(),
  );
  exitCode = await Promise.race([settled, timeout]);
} catch (error) {
  console.error(`vscode-shim: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  exitCode = 1;
} finally {
  await browser?.close().catch(() => undefined);
  await server?.stop();
  removeScratch(dirs);
}
process.exit(exitCode);
