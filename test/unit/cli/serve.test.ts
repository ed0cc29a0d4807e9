import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import OpenAI, { AuthenticationError } from 'openai';
import { type TrainerEvent } from '../../../src/core/jobs/jobEvents';
import { snapshotOfRun } from '../../../src/core/jobs/jobSnapshot';
import { readRunRecord } from '../../../src/core/jobs/runFolder';
import { serveApiKeyVariable } from '../../../src/core/serving/servedModels';
import { spawnCli } from '../../support/cli';
import { scratchDir } from '../../support/scratchDir';
import { waitFor } from '../../support/waitFor';
import { decoderModel } from '../../support/testModels';

/** The events as written (parsed here rather than by the jobs reader, so the test sees every line the CLI wrote). */
function events(runDir: string): TrainerEvent[] {
  return readFileSync(join(runDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as TrainerEvent);
}

function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ORT_DISABLE_TELEMETRY: '1' };
  delete env[serveApiKeyVariable];
  return env;
}

describe('chatwright serve as a process', () => {
  const model = decoderModel({ layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2 });

  it('prints a ready line, writes the serving event, answers, and stops cleanly on SIGINT', { timeout: 120_000 }, async (t) => {
    const dir = scratchDir('serve-cli');
    const runDir = join(dir, 'run');
    const cli = spawnCli(['serve', '--model', model.dir, '--port', '0', '--run-dir', runDir, '--json'], { cwd: dir, env: childEnv() });
    t.after(() => cli.child.kill('SIGKILL'));
    await cli.waitForOutput(/^\{.*\}\n/m, 90_000);
    const ready = JSON.parse(cli.stdout().split('\n')[0]!) as { url: string; models: string[]; apiKeyRequired: boolean };
    assert.deepEqual(ready.models, [model.dir]);
    assert.equal(ready.apiKeyRequired, false);
    assert.match(ready.url, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);

    const serving = events(runDir).find((event) => event.event === 'serving');
    assert.ok(serving && serving.event === 'serving');
    assert.equal(serving.url, ready.url);
    assert.equal(serving.engine, 'builtin');
    assert.equal(serving.api_key_required, false);
    assert.deepEqual(serving.models, [{ id: model.dir, kind: 'chat' }]);
    const first = events(runDir)[0]!;
    assert.ok(first.event === 'phase' && first.phase === 'loading_model', JSON.stringify(first));
    const record = readRunRecord(runDir);
    assert.equal(record?.kind, 'serve', 'a server started from a terminal records itself, so the Jobs view and `chatwright jobs` list it');
    assert.equal(record?.pid, cli.child.pid);
    const running = snapshotOfRun(runDir);
    assert.equal(running.status, 'running');
    assert.equal(running.serving?.url, ready.url);

    const client = new OpenAI({ baseURL: ready.url, apiKey: 'not-needed', maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: model.dir, messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, temperature: 0 });
    assert.equal(completion.usage?.completion_tokens, 4);

    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 0, cli.stderr());
    const last = events(runDir).at(-1)!;
    assert.ok(last.event === 'phase' && last.phase === 'stopped', JSON.stringify(last));
    const stats = events(runDir)
      .filter((event) => event.event === 'serving_stats')
      .at(-1);
    assert.ok(stats && stats.event === 'serving_stats' && stats.completion_tokens === 4, JSON.stringify(stats));
    const seqs = events(runDir).map((event) => event.seq);
    assert.deepEqual(
      seqs,
      seqs.map((_, i) => i + 1),
      'events are numbered 1, 2, 3 …',
    );
  });

  it('beyond loopback without a key, generates one, prints it once on stderr, requires it, and stops on SIGTERM', { timeout: 120_000 }, async (t) => {
    const dir = scratchDir('serve-cli-key');
    const runDir = join(dir, 'run');
    const cli = spawnCli(['serve', '--model', model.dir, '--host', '0.0.0.0', '--port', '0', '--run-dir', runDir], { cwd: dir, env: childEnv() });
    t.after(() => cli.child.kill('SIGKILL'));
    await cli.waitForOutput(/^Ready: /m, 90_000);
    const key = /^(cw-[A-Za-z0-9_-]{43})$/m.exec(cli.stderr())?.[1];
    assert.ok(key, cli.stderr());
    assert.equal(cli.stderr().split(key).length - 1, 1, 'the key is printed once');
    assert.match(cli.stderr(), /not shown again/);
    assert.ok(!cli.stdout().includes(key) && !readFileSync(join(runDir, 'events.jsonl'), 'utf8').includes(key), 'the key is only on stderr');
    const serving = events(runDir).find((event) => event.event === 'serving');
    assert.ok(serving && serving.event === 'serving' && serving.api_key_required);

    const port = serving.port;
    const without = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(without.models.list(), AuthenticationError);
    const withKey = new OpenAI({ baseURL: `http://127.0.0.1:${port}/v1`, apiKey: key, maxRetries: 0 });
    assert.equal((await withKey.models.list()).data[0]?.id, model.dir);

    cli.child.kill('SIGTERM');
    assert.equal(await cli.exited, 0, cli.stderr());
    const last = events(runDir).at(-1)!;
    assert.ok(last.event === 'phase' && last.phase === 'stopped' && last.reason === 'SIGTERM', JSON.stringify(last));
  });

  it('stops cleanly on Ctrl-C from the moment it says it is loading, whether or not the models have loaded yet', { timeout: 120_000 }, async (t) => {
    const dir = scratchDir('serve-cli-early-stop');
    const runDir = join(dir, 'run');
    const cli = spawnCli(['serve', '--model', model.dir, '--port', '0', '--run-dir', runDir], { cwd: dir, env: childEnv() });
    t.after(() => cli.child.kill('SIGKILL'));
    await waitFor(
      () => (existsSync(join(runDir, 'events.jsonl')) && events(runDir).some((event) => event.event === 'phase' && event.phase === 'loading_model') ? true : undefined),
      'the loading phase',
      90_000,
    );
    cli.child.kill('SIGINT');
    assert.equal(await cli.exited, 0, cli.stderr());
    const last = events(runDir).at(-1)!;
    assert.ok(last.event === 'phase' && last.phase === 'stopped', JSON.stringify(last));
  });

  it('fails with exit 2, a failed phase and an error event when the model does not load', { timeout: 120_000 }, async (t) => {
    const dir = scratchDir('serve-cli-fail');
    const runDir = join(dir, 'run');
    const cli = spawnCli(['serve', '--model', join(dir, 'no-such-model'), '--port', '0', '--run-dir', runDir], {
      cwd: dir,
      env: { ...childEnv(), HF_HUB_OFFLINE: '1', HF_HUB_CACHE: join(dir, 'cache') },
    });
    t.after(() => cli.child.kill('SIGKILL'));
    assert.equal(await cli.exited, 2, cli.stderr());
    const all = events(runDir);
    const error = all.find((event) => event.event === 'error');
    assert.ok(error && error.event === 'error' && error.code === 'MODEL_LOAD_FAILED', JSON.stringify(all));
    const last = all.at(-1)!;
    assert.ok(last.event === 'phase' && last.phase === 'failed', JSON.stringify(last));
    assert.match(cli.stderr(), /cannot load the models/);
  });
});
