import assert from 'node:assert/strict';
import { basename } from 'node:path';
import { describe, it } from 'node:test';
import { startServer } from '../../../src/core/jobs/jobRunner';
import { prepareServeRun } from '../../../src/core/jobs/runFolder';
import { isProcessGroupAlive } from '../../../src/core/process/processGroup';
import { runCliCaptured } from '../../support/cli';
import { scratchDir } from '../../support/scratchDir';
import { standinServerLaunch } from '../../support/standinServer';
import { waitFor } from '../../support/waitFor';

describe('chatwright jobs with a server run', () => {
  it('lists it as a serve run with its engine and URL, shows its facts, and stops it', { timeout: 60_000 }, async (t) => {
    const workspace = scratchDir('jobs-serve', t);
    const runDir = prepareServeRun({ workspaceRoot: workspace, name: 'serve-standin', request: { engine: 'builtin', models: ['standin-model'], host: '127.0.0.1', port: 0 } });
    const run = startServer({ runDir, server: standinServerLaunch() });
    t.after(async () => {
      if (isProcessGroupAlive(run.pid)) process.kill(-run.pid, 'SIGKILL');
      await run.finished;
    });
    const serving = await waitFor(() => run.snapshot.serving, 'the serving event', 15_000);
    // The CLI reads the folder from disk; the window-side follower is let go, as if another program had started it.
    run.detach();

    const table = await runCliCaptured(['jobs', 'ls', '--root', workspace], { cwd: workspace, env: {} });
    assert.equal(table.code, 0, table.stderr);
    const row = table.stdout.trimEnd().split('\n')[1]!;
    assert.match(row, new RegExp(`^${basename(runDir)} +serve +running +local pid ${run.pid} +standin +— +${serving.url.replace(/[.]/g, '\\.')} `));

    const shown = await runCliCaptured(['jobs', 'show', basename(runDir), '--root', workspace], { cwd: workspace, env: {} });
    assert.match(shown.stdout, new RegExp(`URL: ${serving.url.replace(/[.]/g, '\\.')}`));
    assert.match(shown.stdout, /Models: standin-model/);
    assert.doesNotMatch(shown.stdout, /Training:/);

    const stopped = await runCliCaptured(['jobs', 'stop', basename(runDir), '--root', workspace], { cwd: workspace, env: {} });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.equal(stopped.stdout.trim(), `${basename(runDir)}: stopped`);
    assert.equal(isProcessGroupAlive(run.pid), false);
  });
});
