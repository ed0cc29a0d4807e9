import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { isProcessAlive } from '../../../src/core/process/processGroup';
import { readRunRecord } from '../../../src/core/jobs/runFolder';
import { runCliCaptured, spawnCli } from '../../support/cli';
import { jobWorkspace, standinEnv } from '../../support/jobWorkspace';
import { waitFor } from '../../support/waitFor';

interface ListedRun {
  run: string;
  runDir: string;
  status: string;
  method?: string;
  step: number;
  totalSteps?: number;
  finalLoss?: number;
}

function events(runDir: string): { seq: number; event: string; step?: number; phase?: string; resumed_from?: string | null }[] {
  return readFileSync(join(runDir, 'events.jsonl'), 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => JSON.parse(line) as { seq: number; event: string });
}

describe('chatwright jobs', () => {
  it('lists finished runs (table and --json) and shows one by its name', { timeout: 120_000 }, async (t) => {
    const workspace = jobWorkspace(t, 'training:\n  save_steps: 2\n');
    const env = standinEnv(3, 0.01);
    assert.equal((await runCliCaptured(['train', 'persona.job.yaml'], { cwd: workspace.dir, env })).code, 0);
    const runName = readdirSync(workspace.runsDir)[0]!;

    const table = await runCliCaptured(['jobs', 'ls'], { cwd: workspace.dir, env });
    assert.equal(table.code, 0, table.stderr);
    const [header, row] = table.stdout.trimEnd().split('\n');
    assert.match(header!, /^RUN +KIND +STATUS +WHERE +METHOD +STEP +LOSS +BATCH +DURATION +STARTED$/);
    assert.match(row!, new RegExp(`^${runName} +train +done +local +lora +3/3 +\\d\\.\\d+ +\\S+ +\\S+ +\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d$`));

    const listed = JSON.parse((await runCliCaptured(['jobs', 'ls', '--json', '--root', workspace.dir], { cwd: '/', env })).stdout) as ListedRun[];
    assert.equal(listed.length, 1);
    assert.equal(listed[0]!.run, runName);
    assert.equal(listed[0]!.status, 'done');
    assert.equal(listed[0]!.step, 3);
    assert.equal(typeof listed[0]!.finalLoss, 'number');

    const shown = await runCliCaptured(['jobs', 'show', runName], { cwd: workspace.dir, env });
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /^persona: done/m);
    assert.match(shown.stdout, new RegExp(`^Resolved config: .*${runName}/config\\.json$`, 'm'));
    assert.match(shown.stdout, /^Data: /m);
    assert.match(shown.stdout, /^Checkpoints:\n {2}step \d+ /m);
    assert.match(shown.stdout, /^Adapter: .*adapter$/m);

    const json = JSON.parse((await runCliCaptured(['jobs', 'show', '--json', join(workspace.runsDir, runName)], { cwd: '/', env })).stdout) as { status: string; step: number };
    assert.equal(json.status, 'done');
    assert.equal(json.step, 3);
  });

  it('says when a run does not exist, without stepping out of the runs folder', async (t) => {
    const workspace = jobWorkspace(t);
    const result = await runCliCaptured(['jobs', 'show', 'nothing-here'], { cwd: workspace.dir, env: standinEnv(1, 0.01) });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no run 'nothing-here'/);
  });

  it('stops a detached run through its process group, says "not running" after, and resumes it where it stopped', { timeout: 180_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const env = standinEnv(40, 0.05);
    const detached = spawnCli(['train', '--detach', 'persona.job.yaml'], { cwd: workspace.dir, env });
    t.after(() => detached.child.kill('SIGKILL'));
    assert.equal(await detached.exited, 0, detached.stderr());
    const runDir = detached.stdout().trimEnd().split('\n').at(-1)!;
    assert.equal(basename(runDir), readdirSync(workspace.runsDir)[0]);
    const pid = readRunRecord(runDir)?.pid;
    assert.ok(pid !== undefined && isProcessAlive(pid), 'the trainer outlives the CLI that started it');
    t.after(() => {
      if (isProcessAlive(pid)) process.kill(-pid, 'SIGKILL');
    });
    await waitFor(() => (existsSync(join(runDir, 'events.jsonl')) && events(runDir).some((event) => event.event === 'step')) || undefined, 'a step event', 20_000);

    const stopped = await runCliCaptured(['jobs', 'stop', basename(runDir)], { cwd: workspace.dir, env });
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, /: stopped at step \d+; checkpoint: /);
    assert.equal(isProcessAlive(pid), false);
    const stopStep = events(runDir)
      .filter((event) => event.event === 'checkpoint')
      .at(-1)!.step!;

    const again = await runCliCaptured(['jobs', 'stop', runDir], { cwd: '/', env });
    assert.equal(again.code, 1);
    assert.match(again.stderr, /is not running \(stopped\)/);

    const lastSeq = events(runDir).at(-1)!.seq;
    const resumed = await runCliCaptured(['jobs', 'resume', basename(runDir)], { cwd: workspace.dir, env: standinEnv(40, 0.01) });
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr);
    assert.match(resumed.stdout, new RegExp(`^Resuming .* from step ${stopStep} `, 'm'));
    assert.match(resumed.stdout, /^phase training: resumed from /m);
    assert.match(resumed.stdout, /^Done in .*: 40 step\(s\)/m);
    const after = events(runDir).filter((event) => event.seq > lastSeq);
    assert.equal(after.find((event) => event.event === 'step')?.step, stopStep + 1, 'training continues after the saved step');
    assert.equal(events(runDir).at(-1)!.phase, 'done');

    const done = await runCliCaptured(['jobs', 'resume', runDir], { cwd: '/', env });
    assert.equal(done.code, 1);
    assert.match(done.stderr, /is done; there is nothing to resume/);
  });

  it('cancels a detached run without saving with stop --cancel', { timeout: 180_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    // Steps long enough that the second SIGINT arrives before the first one's save.
    const env = standinEnv(200, 1);
    const detached = spawnCli(['train', '--detach', 'persona.job.yaml'], { cwd: workspace.dir, env });
    t.after(() => detached.child.kill('SIGKILL'));
    assert.equal(await detached.exited, 0, detached.stderr());
    const runDir = detached.stdout().trimEnd().split('\n').at(-1)!;
    const pid = readRunRecord(runDir)?.pid;
    t.after(() => {
      if (pid !== undefined && isProcessAlive(pid)) process.kill(-pid, 'SIGKILL');
    });
    await waitFor(() => (existsSync(join(runDir, 'events.jsonl')) && events(runDir).some((event) => event.event === 'step')) || undefined, 'a step event', 20_000);
    const cancelled = await runCliCaptured(['jobs', 'stop', '--cancel', runDir], { cwd: '/', env });
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(cancelled.stdout, /: cancelled at step \d+\n$/);
    assert.equal(pid !== undefined && isProcessAlive(pid), false);
    assert.equal(
      events(runDir).some((event) => event.event === 'checkpoint'),
      false,
      'nothing was saved',
    );
    const listed = JSON.parse((await runCliCaptured(['jobs', 'ls', '--json'], { cwd: workspace.dir, env })).stdout) as ListedRun[];
    assert.equal(listed[0]!.status, 'cancelled');
  });

  it('re-attaches to a running trainer with show --follow; Ctrl-C stops following only; following again runs to the end', { timeout: 180_000 }, async (t) => {
    const workspace = jobWorkspace(t);
    const env = standinEnv(60, 0.1);
    const detached = spawnCli(['train', '--detach', 'persona.job.yaml'], { cwd: workspace.dir, env });
    t.after(() => detached.child.kill('SIGKILL'));
    assert.equal(await detached.exited, 0, detached.stderr());
    const runDir = detached.stdout().trimEnd().split('\n').at(-1)!;
    const pid = readRunRecord(runDir)?.pid;
    t.after(() => {
      if (pid !== undefined && isProcessAlive(pid)) process.kill(-pid, 'SIGKILL');
    });
    const watcher = spawnCli(['jobs', 'show', '--follow', basename(runDir)], { cwd: workspace.dir, env });
    t.after(() => watcher.child.kill('SIGKILL'));
    await watcher.waitForOutput(/^step \d+\/60 /m);
    watcher.child.kill('SIGINT');
    assert.equal(await watcher.exited, 0, watcher.stderr());
    assert.match(watcher.stdout(), /^Stopped following; the trainer keeps running/m);
    assert.ok(pid !== undefined && isProcessAlive(pid), 'the trainer was not stopped');

    const followed = await runCliCaptured(['jobs', 'show', '--follow', basename(runDir)], { cwd: workspace.dir, env });
    assert.equal(followed.code, 0, followed.stderr);
    assert.match(followed.stdout, /^Following /m);
    assert.match(followed.stdout, /^step 60\/60 /m);
    assert.match(followed.stdout, /^Done in /m);
  });
});
