// Runs the extension-host test suites (mocha, bundled into out/integration by scripts/build.mjs) inside a real VS Code.
// Here that is code-server through test/host/vscode-shim.mjs (the code-server of test/host, or of the folder
// CHATWRIGHT_TEST_HOST names, e.g. test/host-newest); set CHATWRIGHT_VSCODE to a desktop `code` executable,
// or CHATWRIGHT_DOWNLOAD_VSCODE=1 to let @vscode/test-electron download one (on a machine that can).
// Two runs: the suites on a copy of the fixture workspace (trusted), then the Restricted Mode suite on a hostile
// workspace opened untrusted (CHATWRIGHT_RESTRICTED_RUN=1; code-server only: @vscode/test-electron passes
// --disable-workspace-trust to a desktop VS Code, and that suite then fails on its first check).
import { runTests } from '@vscode/test-electron';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const shim = join(root, 'test', 'host', 'vscode-shim.mjs');
const vscodeExecutablePath = process.env.CHATWRIGHT_DOWNLOAD_VSCODE ? undefined : (process.env.CHATWRIGHT_VSCODE ?? shim);
const only = process.env.CHATWRIGHT_INTEGRATION_RUN; // 'main' or 'restricted': just that run

async function runSuites(workspace, extensionTestsEnv) {
  try {
    await runTests({
      ...(vscodeExecutablePath ? { vscodeExecutablePath } : { version: '1.100.0' }),
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'out', 'integration', 'index.js'),
      launchArgs: [workspace, '--disable-extensions'],
      extensionTestsEnv: { CHATWRIGHT_TEST_WORKSPACE: workspace, ...extensionTestsEnv },
    });
    return 0;
  } catch (error) {
    console.error(`extension-host tests failed: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}

async function mainRun() {
  // Tests edit files: run them on a copy of the fixture workspace.
  const workspace = mkdtempSync(join(tmpdir(), 'chatwright-it-workspace-'));
  try {
    cpSync(join(root, 'test', 'fixtures', 'workspace'), workspace, { recursive: true });
    return await runSuites(workspace, {});
  } finally {
    rmSync(workspace, { recursive: true, force: true });
  }
}

/** A server that answers like an OpenAI-compatible endpoint and records every request (`GET /__requests`). */
async function startRecorder() {
  const requests = [];
  const server = createServer((request, response) => {
    response.setHeader('content-type', 'application/json');
    if (request.url === '/__requests') return void response.end(JSON.stringify(requests));
    requests.push({ method: request.method, url: request.url, authorization: request.headers.authorization ?? null });
    if (request.url === '/mine/v1/models') return void response.end(JSON.stringify({ data: [{ id: 'user-model' }] }));
    response.statusCode = 404;
    response.end('{"error":{"message":"not here"}}');
  });
  await new Promise((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  return { url: `http://127.0.0.1:${server.address().port}`, requests, close: () => new Promise((r) => server.close(r)) };
}

/**
 * A cloned repository that tries everything a settings.json can: a FIFO as the tokenizer, its own folder as the
 * preview model, an endless render timeout, endpoints that would receive $HOME as an API key, the Hub token's
 * endpoint, and limits far beyond any bound.
 */
function writeHostileWorkspace(folder, recorder) {
  mkdirSync(join(folder, '.vscode'));
  mkdirSync(join(folder, 'models', 'evil'), { recursive: true });
  writeFileSync(join(folder, 'models', 'evil', 'config.json'), '{"model_type":"qwen2"}\n');
  mkdirSync(join(folder, 'fifo'));
  const fifo = spawnSync('mkfifo', [join(folder, 'fifo', 'tokenizer.json')]);
  if (fifo.status !== 0) writeFileSync(join(folder, 'fifo', 'tokenizer.json'), 'not a tokenizer');
  const row = (question, answer) =>
    JSON.stringify({
      messages: [
        { role: 'user', content: question },
        { role: 'assistant', content: answer },
      ],
    });
  writeFileSync(
    join(folder, 'data.jsonl'),
    [row('How do I reset the widget?', 'Hold the reset button for ten seconds.'), '{"messages": [', row('Where is the manual?', 'In the box, under the widget.')].join('\n') + '\n',
  );
  // A job file, and an "interpreter" that would leave a marker if anything ran it (chatwright.jobs.pythonPath).
  writeFileSync(join(folder, 'hostile.job.yaml'), 'model:\n  path: ./models/evil\ndata:\n  train: data.jsonl\n');
  writeFileSync(join(folder, 'evil-python'), `#!/bin/sh\ntouch "${join(folder, 'python-ran')}"\n`, { mode: 0o755 });
  writeFileSync(join(folder, 'hostile.prompty'), '---\nname: Hostile\ninputs:\n  question:\n    type: string\nsample:\n  question: Hi?\n---\nsystem:\nYou answer briefly.\n\nuser:\n{{ question }}\n');
  const settings = {
    // Harmless and not restricted: shows that VS Code did load this file.
    'chatwright.datasets.minRows': 2,
    'chatwright.datasets.maxTokens': 1,
    'chatwright.datasets.tokenizerPath': 'fifo/tokenizer.json',
    'chatwright.prompts.previewModel': './models/evil',
    'chatwright.prompts.renderTimeoutMs': 1e12,
    'chatwright.chat.endpoints': [
      { id: 'hostile', baseUrl: `${recorder.url}/hostile/v1`, apiKeyEnvironmentVariable: 'HOME' },
      { id: 'mine', baseUrl: `${recorder.url}/hijack/v1`, apiKeyEnvironmentVariable: 'HOME' },
    ],
    'chatwright.models.hubEndpoint': `${recorder.url}/hub`,
    'chatwright.models.downloadConcurrency': 1000,
    'chatwright.engine.executionProvider': 'cuda',
    'chatwright.engine.threads': 100000,
    'chatwright.engine.idleUnloadMinutes': 1e12,
    'chatwright.engine.spinWhileGenerating': true,
    'chatwright.rag.maxFileSizeKB': 1e9,
    'chatwright.rag.chunkTokens': 1e9,
    'chatwright.rag.chunkOverlap': 1e9,
    'chatwright.jobs.pythonPath': './evil-python',
    'chatwright.jobs.maxConcurrentJobs': 1000,
    'chatwright.jobs.stopTimeoutSeconds': 1e12,
  };
  writeFileSync(join(folder, '.vscode', 'settings.json'), JSON.stringify(settings, null, 2));
}

async function restrictedRun() {
  const workspace = mkdtempSync(join(tmpdir(), 'chatwright-it-untrusted-'));
  const recorder = await startRecorder();
  const userKey = `user-key-${process.pid}`;
  try {
    writeHostileWorkspace(workspace, recorder);
    const userSettings = {
      'chatwright.prompts.renderTimeoutMs': 3000,
      // Relative in the user's settings: it must not resolve inside the open (hostile) repository.
      'chatwright.datasets.tokenizerPath': 'fifo/tokenizer.json',
      'chatwright.chat.endpoints': [{ id: 'mine', baseUrl: `${recorder.url}/mine/v1`, apiKeyEnvironmentVariable: 'CHATWRIGHT_TEST_USER_KEY' }],
    };
    let code = await runSuites(workspace, {
      CHATWRIGHT_RESTRICTED_RUN: '1',
      CHATWRIGHT_TEST_GREP: 'Restricted Mode',
      CHATWRIGHT_TEST_USER_SETTINGS: JSON.stringify(userSettings),
      CHATWRIGHT_TEST_USER_KEY: userKey,
      CHATWRIGHT_RECORDER_URL: recorder.url,
    });
    // Checked again out here, after everything in the window has run: nothing of $HOME left the machine's user.
    const leaked = recorder.requests.filter(
      (r) => r.url.startsWith('/hostile') || r.url.startsWith('/hijack') || r.url.startsWith('/hub') || (process.env.HOME && r.authorization?.includes(process.env.HOME)),
    );
    if (leaked.length > 0) {
      console.error(`Restricted Mode: requests reached the workspace's endpoints: ${JSON.stringify(leaked)}`);
      code = 1;
    }
    return code;
  } finally {
    await recorder.close();
    rmSync(workspace, { recursive: true, force: true });
  }
}

let code = 0;
if (only !== 'restricted') code |= await mainRun();
if (only !== 'main') code |= await restrictedRun();
process.exit(code);
