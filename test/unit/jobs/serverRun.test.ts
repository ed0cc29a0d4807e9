import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { attachJob, startServer, type JobRun } from '../../../src/core/jobs/jobRunner';
import { readEvents } from '../../../src/core/jobs/jobEventReader';
import { snapshotOfRun } from '../../../src/core/jobs/jobSnapshot';
import { prepareServeRun, readRunRecord } from '../../../src/core/jobs/runFolder';
import { isProcessGroupAlive } from '../../../src/core/process/processGroup';
import { gpuServerCommand } from '../../../src/core/serving/gpuServerLaunch';
import { waitUntilHealthy } from '../../../src/core/serving/healthCheck';
import { serveApiKeyVariable } from '../../../src/core/serving/servedModels';
import { scratchDir } from '../../support/scratchDir';
import { pythonFolder, quickTimeouts } from '../../support/standinJobs';
import { standinServerLaunch } from '../../support/standinServer';
import { waitFor } from '../../support/waitFor';

const request = { engine: 'builtin', models: ['standin-model'], host: '127.0.0.1', port: 0 };

function prepare(t: TestContext): string {
  return prepareServeRun({ workspaceRoot: scratchDir('server-run', t), name: 'serve-standin', request });
}

/** Kills whatever is left of the run's group when the test ends, pass or fail. */
function cleanUp(t: TestContext, run: JobRun): void {
  t.after(async () => {
    if (isProcessGroupAlive(run.pid)) process.kill(-run.pid, 'SIGKILL');
    if (!run.attached) await run.finished;
  });
}

function untilServing(run: JobRun): Promise<NonNullable<JobRun['snapshot']['serving']>> {
  return waitFor(() => run.snapshot.serving, 'the serving event', 15_000);
}

describe('a server run', () => {
  it('starts, announces its URL, is ready only once marked, and stops on SIGINT with `phase stopped` and exit 0', async (t) => {
    const runDir = prepare(t);
    const run = startServer({ runDir, server: standinServerLaunch(), ...quickTimeouts });
    cleanUp(t, run);
    assert.equal(run.snapshot.kind, 'serve');
    assert.equal(run.snapshot.status, 'starting');
    const serving = await untilServing(run);
    assert.equal(serving.engine, 'standin');
    assert.deepEqual(
      serving.models.map((model) => model.id),
      ['standin-model'],
    );
    assert.match(serving.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    assert.notEqual(serving.port, 0, 'the port the server bound, not the 0 it was asked for');
    assert.equal(run.snapshot.status, 'running');
    assert.equal(run.snapshot.ready, false, 'the event alone does not make it ready');
    await waitUntilHealthy(serving.url, { timeoutMs: 10_000, intervalMs: 50 });
    run.markReady(true);
    assert.equal(run.snapshot.ready, true);

    const record = readRunRecord(runDir)!;
    assert.equal(record.kind, 'serve');
    assert.equal(record.pid, run.pid);
    assert.ok(record.command!.includes('--run-dir') && record.command!.includes(runDir), `run.json keeps the command line: ${record.command!.join(' ')}`);
    assert.deepEqual(JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')), request, 'config.json is the serve request');

    await run.stopAndSave();
    const final = await run.finished;
    assert.equal(final.status, 'stopped');
    assert.equal(final.phase, 'stopped');
    assert.equal(final.ready, false);
    assert.deepEqual(final.warnings, []);
    assert.deepEqual(readRunRecord(runDir)!.exit, { code: 0, signal: null }, 'the server closed and exited on SIGINT, without SIGTERM');
    assert.equal(readEvents(join(runDir, 'events.jsonl')).at(-1)!.event === 'phase' && (readEvents(join(runDir, 'events.jsonl')).at(-1) as { phase: string }).phase, 'stopped');
    assert.match(readFileSync(join(runDir, 'train.log'), 'utf8'), /serving at http:\/\/127\.0\.0\.1:/, 'its output is in the run log');
  });

  it('passes the API key in the environment only: the server requires it, and neither argv nor run.json holds it', async (t) => {
    const runDir = prepare(t);
    const apiKey = 'cw-test-key-that-must-not-leak';
    const launch = standinServerLaunch();
    const run = startServer({ runDir, server: { ...launch, env: { [serveApiKeyVariable]: apiKey } }, ...quickTimeouts });
    cleanUp(t, run);
    const serving = await untilServing(run);
    assert.equal(serving.apiKeyRequired, true);
    assert.equal((await fetch(`${serving.url}/models`)).status, 401);
    assert.equal((await fetch(`${serving.url}/models`, { headers: { authorization: `Bearer ${apiKey}` } })).status, 200);
    assert.ok(!readFileSync(join(runDir, 'run.json'), 'utf8').includes(apiKey));
    assert.ok(!readFileSync(`/proc/${run.pid}/cmdline`, 'utf8').includes(apiKey) || process.platform !== 'linux');
    await run.stopAndSave();
    assert.equal((await run.finished).status, 'stopped');
  });

  it('folds serving_stats into the snapshot', async (t) => {
    const run = startServer({ runDir: prepare(t), server: standinServerLaunch(), ...quickTimeouts });
    cleanUp(t, run);
    const serving = await untilServing(run);
    for (let i = 0; i < 2; i++) await (await fetch(`${serving.url}/chat/completions`, { method: 'POST', body: '{}' })).text();
    const stats = await waitFor(() => (run.snapshot.serving?.stats?.requests === 2 ? run.snapshot.serving.stats : undefined), 'two requests in the stats', 10_000);
    assert.deepEqual(stats, { requests: 2, active: 0, queued: 0, rejected: 0, promptTokens: 6, completionTokens: 4 });
    await run.stopAndSave();
  });

  it('escalates to SIGTERM when the server ignores SIGINT, and counts it stopped (a server has nothing to save)', async (t) => {
    const runDir = prepare(t);
    const run = startServer({ runDir, server: standinServerLaunch(['standin-model'], { STANDIN_SERVER_IGNORE_SIGINT: '1' }), ...quickTimeouts, stopTimeoutMs: 500 });
    cleanUp(t, run);
    await untilServing(run);
    await run.stopAndSave();
    const final = await run.finished;
    assert.equal(final.status, 'stopped');
    assert.deepEqual(final.warnings, []);
    assert.equal(isProcessGroupAlive(run.pid), false);
  });

  it('reports a server that failed before listening with its error code', async (t) => {
    const run = startServer({ runDir: prepare(t), server: standinServerLaunch(['standin-model'], { STANDIN_SERVER_FAIL: 'MODEL_NOT_FOUND' }), ...quickTimeouts });
    cleanUp(t, run);
    const final = await run.finished;
    assert.equal(final.status, 'failed');
    assert.equal(final.error?.code, 'MODEL_NOT_FOUND');
    assert.equal(final.serving, undefined);
  });

  it('ends failed, with the reason given, when it is stopped for never getting healthy', async (t) => {
    const runDir = prepare(t);
    const run = startServer({ runDir, server: standinServerLaunch(['standin-model'], { STANDIN_SERVER_UNHEALTHY: '1' }), ...quickTimeouts });
    cleanUp(t, run);
    const serving = await untilServing(run);
    await assert.rejects(waitUntilHealthy(serving.url, { timeoutMs: 300, intervalMs: 50 }), /did not answer 200/);
    await run.stopAsFailed({ code: 'SERVER_UNHEALTHY', message: 'it never answered /health with 200' });
    const final = await run.finished;
    assert.equal(final.status, 'failed');
    assert.equal(final.error?.code, 'SERVER_UNHEALTHY');
    assert.equal(snapshotOfRun(runDir).status, 'failed', 'read again from the run folder too');
  });

  it('is found again after the window that started it let go (a reload), with its URL, and stops from there', async (t) => {
    const runDir = prepare(t);
    const first = startServer({ runDir, server: standinServerLaunch(), ...quickTimeouts });
    cleanUp(t, first);
    const serving = await untilServing(first);
    first.detach();
    const again = attachJob(runDir, quickTimeouts);
    assert.ok(again, 'a running server is attached');
    cleanUp(t, again);
    assert.equal(again.attached, true);
    assert.equal(again.snapshot.kind, 'serve');
    assert.equal(again.snapshot.serving?.url, serving.url);
    assert.equal(again.snapshot.ready, false, 'a re-attached server is health-checked again before it counts as ready');
    await again.stopAndSave();
    const final = await again.finished;
    assert.equal(final.status, 'stopped');
    assert.equal(snapshotOfRun(runDir).status, 'stopped');
    assert.equal(attachJob(runDir), undefined, 'a stopped server is not attached');
  });

  it('runs the Python GPU server with its stand-in engine: adapters listed with their parent, stopped on SIGINT', async (t) => {
    const workspace = scratchDir('server-run', t);
    const adapter = join(workspace, 'adapter');
    mkdirSync(adapter);
    writeFileSync(join(adapter, 'adapter_config.json'), JSON.stringify({ peft_type: 'LORA', r: 8, base_model_name_or_path: 'base-model' }));
    writeFileSync(join(adapter, 'adapter_model.safetensors'), '');
    const runDir = prepareServeRun({ workspaceRoot: workspace, name: 'serve-gpu', request: { engine: 'gpu', model: 'base-model' } });
    const launch = gpuServerCommand({ python: 'python3', pythonPath: pythonFolder, model: 'base-model', adapters: [{ id: 'persona', path: adapter }], port: 0, engine: 'standin' });
    const run = startServer({ runDir, server: { ...launch, env: { ...launch.env, PYTHONDONTWRITEBYTECODE: '1' } }, ...quickTimeouts });
    cleanUp(t, run);
    const serving = await untilServing(run);
    assert.equal(serving.engine, 'standin');
    assert.deepEqual(
      serving.models.map((model) => [model.id, model.parent ?? null]),
      [
        ['base-model', null],
        ['persona', 'base-model'],
      ],
    );
    await waitUntilHealthy(serving.url, { timeoutMs: 10_000, intervalMs: 50 });
    await run.stopAndSave();
    const final = await run.finished;
    assert.equal(final.status, 'stopped');
    assert.deepEqual(readRunRecord(runDir)!.exit, { code: 0, signal: null });
  });
});
