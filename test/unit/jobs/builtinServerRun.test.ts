import assert from 'node:assert/strict';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import { type ChatBackendEvent } from '../../../src/core/chat/backend';
import { OpenAiCompatibleBackend } from '../../../src/core/chat/openAiCompatibleBackend';
import { startServer } from '../../../src/core/jobs/jobRunner';
import { prepareServeRun, readRunRecord } from '../../../src/core/jobs/runFolder';
import { isProcessGroupAlive } from '../../../src/core/process/processGroup';
import { waitUntilHealthy } from '../../../src/core/serving/healthCheck';
import { serveApiKeyVariable } from '../../../src/core/serving/servedModels';
import { builtinServeLaunch, type BuiltinServeRequest } from '../../../src/core/serving/serveRequest';
import { scratchDir } from '../../support/scratchDir';
import { quickTimeouts, repoRoot } from '../../support/standinJobs';
import { decoderModel } from '../../support/testModels';
import { waitFor } from '../../support/waitFor';

// By URL: the server runs in its run folder, where the bare name `tsx` resolves to nothing.
const tsxLoader = pathToFileURL(require.resolve('tsx')).href;

describe('the built-in engine served as a job', () => {
  const model = decoderModel({ layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2 });

  it('runs `chatwright serve` as a server run: serving, answers through the chat backend, stopped on SIGINT', { timeout: 120_000 }, async (t) => {
    const request: BuiltinServeRequest = { engine: 'builtin', models: [model.dir], host: '127.0.0.1', port: 0 };
    const runDir = prepareServeRun({ workspaceRoot: scratchDir('builtin-serve', t), name: 'serve-tiny', request });
    // Source, not dist/cli.js: the TypeScript entry runs through tsx, as the launcher does for `.ts` entries.
    const launch = builtinServeLaunch(request, { node: process.execPath, cliPath: join(repoRoot, 'src', 'cli', 'main.ts'), electron: false });
    // A key in the test's own environment would make the server require it.
    const env: NodeJS.ProcessEnv = { ORT_DISABLE_TELEMETRY: '1', [serveApiKeyVariable]: '' };
    const run = startServer({ runDir, server: { ...launch, args: ['--import', tsxLoader, ...launch.args], env: { ...env, ...launch.env } }, ...quickTimeouts });
    t.after(async () => {
      if (isProcessGroupAlive(run.pid)) process.kill(-run.pid, 'SIGKILL');
      await run.finished;
    });
    const serving = await waitFor(() => run.snapshot.serving, 'the serving event', 60_000);
    assert.equal(serving.engine, 'builtin');
    await waitUntilHealthy(serving.url, { timeoutMs: 10_000, intervalMs: 50 });
    run.markReady(true);

    const backend = new OpenAiCompatibleBackend({ id: 'served-serve-tiny', label: 'Served: serve-tiny', baseUrl: serving.url });
    const models = await backend.listModels(AbortSignal.timeout(10_000));
    assert.ok(models.length >= 1, 'the served model is listed');
    const events: ChatBackendEvent[] = [];
    await backend.generate(
      { model: models[0]!.id, messages: [{ role: 'user', content: 'hi' }], options: { temperature: 0, maxTokens: 4 } },
      (event) => events.push(event),
      AbortSignal.timeout(30_000),
    );
    assert.ok(
      events.some((event) => event.type === 'stats'),
      `an answer with its stats: ${JSON.stringify(events)}`,
    );

    await run.stopAndSave();
    const final = await run.finished;
    assert.equal(final.status, 'stopped');
    assert.equal(final.phase, 'stopped');
    assert.deepEqual(readRunRecord(runDir)!.exit, { code: 0, signal: null });
  });
});
