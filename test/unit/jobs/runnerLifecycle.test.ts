import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { attachJob, JobStartError, resumeJob, startJob, type JobRun } from '../../../src/core/jobs/jobRunner';
import { readEvents } from '../../../src/core/jobs/jobEventReader';
import { type JobSnapshot } from '../../../src/core/jobs/jobSnapshot';
import { readRunRecord, writeRunRecord } from '../../../src/core/jobs/runFolder';
import { isProcessAlive, isProcessGroupAlive, processStartTime } from '../../../src/core/process/processGroup';
import { runTypeScriptChild } from '../../support/childRun';
import { scratchDir } from '../../support/scratchDir';
import { prepareStandinRun, pythonFolder, quickTimeouts, standinLaunch } from '../../support/standinJobs';
import { waitFor } from '../../support/waitFor';

/** Starts the stand-in on a fresh run folder; the test kills whatever is left of it when it ends. */
function startStandin(t: TestContext, env: Record<string, string>, training = 'save_steps: 3'): { run: JobRun; runDir: string; statuses: JobSnapshot['status'][] } {
  const runDir = prepareStandinRun(scratchDir('runner', t), 'persona', training);
  const run = startJob({ runDir, trainer: standinLaunch(env), ...quickTimeouts });
  return { run, runDir, statuses: watchStatuses(t, run) };
}

function watchStatuses(t: TestContext, run: JobRun): JobSnapshot['status'][] {
  const statuses: JobSnapshot['status'][] = [];
  run.onDidChange((snapshot) => {
    if (statuses[statuses.length - 1] !== snapshot.status) statuses.push(snapshot.status);
  });
  t.after(async () => {
    if (isProcessGroupAlive(run.pid)) process.kill(-run.pid, 'SIGKILL');
    await run.finished;
  });
  return statuses;
}

function grandchildPid(runDir: string): Promise<number> {
  return waitFor(() => (existsSync(join(runDir, 'grandchild.pid')) ? Number(readFileSync(join(runDir, 'grandchild.pid'), 'utf8')) : undefined), 'the grandchild', 10_000);
}

function untilStep(run: JobRun, step: number): Promise<true> {
  return waitFor(() => (run.snapshot.step >= step ? true : undefined), `step ${step}`, 15_000);
}

describe('a job run with the stand-in trainer', () => {
  it('runs to done: the snapshot has the series, the final loss and the adapter, and run.json the pid and the exit', async (t) => {
    const { run, runDir, statuses } = startStandin(t, { STANDIN_STEPS: '6' });
    const logLines: string[] = [];
    run.onLog((lines) => logLines.push(...lines));
    assert.equal(run.snapshot.status, 'starting');
    assert.equal(run.snapshot.pid, run.pid);
    const record = readRunRecord(runDir)!;
    assert.equal(record.pid, run.pid);
    if (process.platform === 'linux') assert.equal(record.processStartedAt, processStartTime(run.pid));
    const final = await run.finished;
    assert.equal(final.status, 'done');
    assert.deepEqual(final.series.step, [1, 2, 3, 4, 5, 6]);
    const losses = final.series.loss as number[];
    assert.ok(losses[5]! < losses[0]! / 2, `the loss falls: ${losses.join(', ')}`);
    const done = readEvents(join(runDir, 'events.jsonl')).at(-1)!;
    assert.equal(done.event === 'phase' && done.phase, 'done');
    assert.equal(final.finalLoss, (done as { train_loss: number }).train_loss);
    assert.deepEqual(final.series.evalStep, [3, 6]);
    assert.deepEqual(
      final.checkpoints.map((checkpoint) => checkpoint.step),
      [3, 6],
    );
    assert.ok(existsSync(join(runDir, 'adapter', 'adapter_model.safetensors')));
    assert.equal(final.adapter, join(runDir, 'adapter'));
    assert.equal(final.pid, undefined);
    // Which statuses in between are seen depends on how many events one read picks up (all of them, on a busy machine).
    assert.equal(statuses.at(-1), 'done');
    assert.ok(!statuses.includes('failed'));
    assert.deepEqual(readRunRecord(runDir)!.exit, { code: 0, signal: null });
    assert.match(readFileSync(join(runDir, 'train.log'), 'utf8'), /^--- started .*standin_trainer\.py train --config .*config\.json --run-dir /);
    assert.ok(logLines.some((text) => text.startsWith('--- started')));
    assert.equal(isProcessAlive(run.pid), false);
  });

  it('stops and saves on request: status stopped, a checkpoint on disk, exit code 3', async (t) => {
    const { run, runDir, statuses } = startStandin(t, { STANDIN_STEPS: '200' }, 'save_steps: 1000');
    await untilStep(run, 3);
    await run.stopAndSave();
    const final = await run.finished;
    assert.equal(final.status, 'stopped');
    const last = final.checkpoints.at(-1)!;
    assert.equal(last.reason, 'stop');
    assert.equal(last.step, final.step);
    assert.ok(existsSync(join(last.path, 'adapter_config.json')), 'the stop checkpoint is on disk');
    assert.deepEqual(readRunRecord(runDir)!.exit, { code: 3, signal: null });
    assert.ok(statuses.includes('stopping'), statuses.join(' → '));
    assert.equal(isProcessGroupAlive(run.pid), false);
  });

  it('ends a run asked to stop while its trainer is still starting as stopped, saying that nothing was saved', async (t) => {
    const { run, runDir } = startStandin(t, { STANDIN_STEPS: '200' });
    // Sent within milliseconds of the start: before Python has even loaded the trainer (and its signal handlers).
    await run.stopAndSave();
    const final = await run.finished;
    assert.equal(final.status, 'stopped');
    assert.ok(readRunRecord(runDir)!.stopRequestedAt);
    if (final.phase !== 'stopped') assert.match(final.warnings.at(-1)?.message ?? '', /asked to stop and ended \(.*\) before it reported a saved checkpoint/);
  });

  it('resumes a stopped run from its checkpoint, continuing seq and step to done', async (t) => {
    const { run, runDir } = startStandin(t, { STANDIN_STEPS: '24' }, 'save_steps: 1000');
    await untilStep(run, 4);
    await run.stopAndSave();
    const stopped = await run.finished;
    const stoppedAt = stopped.step;
    const lastSeq = stopped.lastSeq;
    const resumed = resumeJob({ runDir, trainer: standinLaunch({ STANDIN_STEPS: '24' }), ...quickTimeouts });
    watchStatuses(t, resumed);
    assert.equal(resumed.snapshot.step, stoppedAt, 'the resumed run starts from what the stopped one showed');
    const final = await resumed.finished;
    assert.equal(final.status, 'done');
    assert.deepEqual(
      final.series.step,
      Array.from({ length: 24 }, (_, index) => index + 1),
    );
    const events = readEvents(join(runDir, 'events.jsonl'));
    assert.deepEqual(
      events.map((event) => event.seq),
      Array.from({ length: events.length }, (_, index) => index + 1),
      'one seq sequence across both processes',
    );
    const firstResumedStep = events.find((event) => event.seq > lastSeq && event.event === 'step');
    assert.equal(firstResumedStep?.event === 'step' && firstResumedStep.step, stoppedAt + 1);
    assert.equal(final.resumedFrom, join(runDir, 'checkpoints', `checkpoint-${stoppedAt}`));
    assert.match(readFileSync(join(runDir, 'train.log'), 'utf8'), /--- resumed /);
  });

  it('asks for a checkpoint now: the trainer writes one after its step and goes on', async (t) => {
    const { run } = startStandin(t, { STANDIN_STEPS: '30' }, 'save_steps: 1000');
    await untilStep(run, 2);
    run.checkpointNow();
    const checkpoint = await waitFor(() => run.snapshot.checkpoints.find((entry) => entry.reason === 'on-demand (file)'), 'the checkpoint', 10_000);
    assert.ok(existsSync(checkpoint.path));
    const final = await run.finished;
    assert.equal(final.status, 'done');
  });

  it('cancels a trainer that ignores SIGINT with SIGTERM, and nothing of its group survives (the grandchild neither)', async (t) => {
    const { run, runDir } = startStandin(t, { STANDIN_STEPS: '400', STANDIN_IGNORE_SIGINT: '1', STANDIN_GRANDCHILD: '1' });
    const grandchild = await grandchildPid(runDir);
    await untilStep(run, 1);
    assert.equal(isProcessAlive(grandchild), true);
    await run.cancel();
    const final = await run.finished;
    assert.equal(final.status, 'cancelled');
    assert.ok(readRunRecord(runDir)!.cancelledAt);
    assert.equal(isProcessAlive(run.pid), false);
    assert.equal(isProcessAlive(grandchild), false, 'the grandchild ended with SIGTERM');
    assert.equal(isProcessGroupAlive(run.pid), false);
  });

  it('cancels a trainer that ignores SIGINT and SIGTERM with SIGKILL, and nothing of its group survives', async (t) => {
    const { run, runDir } = startStandin(t, { STANDIN_STEPS: '400', STANDIN_IGNORE_SIGINT: 'all', STANDIN_GRANDCHILD: '1' });
    const grandchild = await grandchildPid(runDir);
    await untilStep(run, 1);
    const began = Date.now();
    await run.cancel();
    const final = await run.finished;
    assert.ok(Date.now() - began >= 1_400, 'SIGKILL came only after SIGINT, SIGINT and SIGTERM had their time');
    assert.equal(final.status, 'cancelled');
    assert.deepEqual(readRunRecord(runDir)!.exit, { code: null, signal: 'SIGKILL' });
    assert.equal(isProcessAlive(run.pid), false);
    assert.equal(isProcessAlive(grandchild), false);
    assert.equal(isProcessGroupAlive(run.pid), false);
  });

  it('ends what the trainer left running when it finishes on its own', async (t) => {
    const { run, runDir } = startStandin(t, { STANDIN_STEPS: '3', STANDIN_GRANDCHILD: '1' });
    const grandchild = await grandchildPid(runDir);
    assert.equal((await run.finished).status, 'done');
    assert.equal(isProcessAlive(grandchild), false);
    assert.equal(isProcessGroupAlive(run.pid), false);
  });

  it('fails a trainer that dies without a final event, naming its exit code and its last log lines', async (t) => {
    const { run } = startStandin(t, { STANDIN_STEPS: '10', STANDIN_CRASH_AT: '2' });
    const final = await run.finished;
    assert.equal(final.status, 'failed');
    assert.equal(final.error?.code, 'TRAINER_ENDED');
    assert.match(final.error?.message ?? '', /the trainer ended without a final event \(exit code 1\); last log lines: .*RuntimeError: stand-in crashed/);
    assert.deepEqual(final.series.step, [1]);
  });

  it('refuses a folder without config.json and an interpreter that does not exist, with a clear error', (t) => {
    const empty = scratchDir('runner', t);
    assert.throws(
      () => startJob({ runDir: empty, trainer: standinLaunch() }),
      (error: unknown) => error instanceof JobStartError && /holds no config\.json/.test(error.message),
    );
    const runDir = prepareStandinRun(scratchDir('runner', t));
    assert.throws(
      () => startJob({ runDir, trainer: { ...standinLaunch(), python: join(runDir, 'no-such-python') } }),
      (error: unknown) => error instanceof JobStartError && /could not start .*no-such-python/.test(error.message),
    );
  });
});

describe('re-attaching to a running trainer', () => {
  it('follows a trainer started by a process that has gone (a window reload) to done, with the whole series', async (t) => {
    const runDir = prepareStandinRun(scratchDir('runner', t), 'persona', 'save_steps: 1000');
    const child = await runTypeScriptChild('jobs-start-and-leave', join(__dirname, '..', '..', 'support', 'children', 'startJobAndLeave.ts'), [runDir, JSON.stringify({ STANDIN_STEPS: '60' })]);
    assert.equal(child.status, 0, child.stderr);
    const pid = Number(child.stdout.trim());
    t.after(() => {
      if (isProcessGroupAlive(pid)) process.kill(-pid, 'SIGKILL');
    });
    assert.equal(isProcessAlive(pid), true, 'the process that started the trainer ended, detached, while the trainer runs on');
    await waitFor(() => (readEvents(join(runDir, 'events.jsonl')).some((event) => event.event === 'step') ? true : undefined), 'a step event', 15_000);
    const run = attachJob(runDir, quickTimeouts);
    assert.ok(run, 'the trainer is running, so it is attached');
    assert.equal(run.pid, pid);
    assert.equal(run.attached, true);
    assert.ok(run.snapshot.series.step.length >= 1, 'the replay before attaching is in the snapshot');
    assert.ok(
      run.recentLog().some((line) => line.startsWith('--- started')),
      'the log so far',
    );
    const final = await run.finished;
    assert.equal(final.status, 'done');
    assert.deepEqual(
      final.series.step,
      Array.from({ length: 60 }, (_, index) => index + 1),
    );
    assert.equal(attachJob(runDir), undefined, 'a finished trainer is not attached');
  });

  it('does not take a process that reuses the pid for the trainer', async (t) => {
    const runDir = prepareStandinRun(scratchDir('runner', t));
    // This test's own process stands for an unrelated program that got the trainer's pid.
    const record = readRunRecord(runDir)!;
    const ownStart = processStartTime(process.pid);
    writeRunRecord(runDir, { ...record, pid: process.pid, processStartedAt: (ownStart ?? 1000) - 1 });
    if (process.platform === 'linux') {
      assert.equal(attachJob(runDir), undefined);
      const snapshot = (await import('../../../src/core/jobs/jobSnapshot')).snapshotOfRun(runDir);
      assert.equal(snapshot.status, 'failed');
      assert.match(snapshot.error!.message, /ended without a final event/);
    }
    writeRunRecord(runDir, { ...record, pid: 2 ** 22 + 12345 });
    assert.equal(attachJob(runDir), undefined, 'a dead pid');
  });
});

describe('the real trainer on a machine without torch', () => {
  it('fails fast with PACKAGES_MISSING and the install command', async (t) => {
    const runDir = prepareStandinRun(scratchDir('runner', t));
    const run = startJob({ runDir, trainer: { python: 'python3', pythonPath: pythonFolder, env: { PYTHONDONTWRITEBYTECODE: '1' } }, ...quickTimeouts });
    watchStatuses(t, run);
    const final = await run.finished;
    assert.equal(final.status, 'failed');
    assert.equal(final.error?.code, 'PACKAGES_MISSING');
    assert.match(final.error?.install_command ?? '', /-m pip install .*torch/);
    assert.match(final.error?.action ?? '', /Install the missing packages/);
    assert.equal(final.phase, 'failed');
    assert.deepEqual(readRunRecord(runDir)!.exit, { code: 2, signal: null });
    assert.deepEqual(readRunRecord(runDir)!.trainer?.slice(0, 3), ['-m', 'chatwright_train', 'train']);
  });
});
