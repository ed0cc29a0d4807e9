import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { JobQueue, type QueueChange, type QueuedJob } from '../../../src/core/jobs/jobQueue';
import { JobStartError, startJob, type JobRun } from '../../../src/core/jobs/jobRunner';
import { readEvents } from '../../../src/core/jobs/jobEventReader';
import { isProcessGroupAlive } from '../../../src/core/process/processGroup';
import { scratchDir } from '../../support/scratchDir';
import { prepareStandinRun, quickTimeouts, standinLaunch } from '../../support/standinJobs';
import { waitFor } from '../../support/waitFor';

/** A queue that starts the stand-in trainer; every run it starts is killed, if still running, when the test ends. */
function standinQueue(t: TestContext, concurrency?: number, env: Record<string, string> = { STANDIN_STEPS: '4' }): { queue: JobQueue; changes: QueueChange[]; runs: JobRun[] } {
  const runs: JobRun[] = [];
  const queue = new JobQueue({
    ...(concurrency !== undefined ? { concurrency } : {}),
    start: (job) => {
      const run = startJob({ runDir: job.runDir, trainer: standinLaunch(env), ...quickTimeouts });
      runs.push(run);
      return run;
    },
  });
  const changes: QueueChange[] = [];
  queue.onDidChange((change) => changes.push(change));
  t.after(async () => {
    queue.dispose();
    for (const run of runs) {
      if (isProcessGroupAlive(run.pid)) process.kill(-run.pid, 'SIGKILL');
      await run.finished;
    }
  });
  return { queue, changes, runs };
}

function jobs(t: TestContext, ...names: string[]): QueuedJob[] {
  const workspace = scratchDir('queue', t);
  return names.map((name) => ({ runDir: prepareStandinRun(workspace, name), name }));
}

/** Unix seconds of a run's first and last event. */
function span(runDir: string): { first: number; last: number } {
  const events = readEvents(join(runDir, 'events.jsonl'));
  return { first: events[0]!.time, last: events.at(-1)!.time };
}

describe('JobQueue', () => {
  it('runs two jobs one after the other: the second starts when the first has finished', async (t) => {
    const { queue, changes, runs } = standinQueue(t);
    const [first, second] = jobs(t, 'first', 'second');
    queue.enqueue(first!);
    queue.enqueue(second!);
    assert.equal(runs.length, 1, 'one place by default');
    assert.deepEqual(
      queue.queued().map((job) => job.name),
      ['second'],
    );
    await waitFor(() => (changes.filter((change) => change.kind === 'finished').length === 2 ? true : undefined), 'both jobs to finish', 40_000);
    assert.deepEqual(
      changes.map((change) => `${change.kind} ${change.job.name}`),
      ['queued first', 'started first', 'queued second', 'finished first', 'started second', 'finished second'],
    );
    assert.deepEqual(
      runs.map((run) => run.snapshot.status),
      ['done', 'done'],
    );
    assert.ok(span(second!.runDir).first >= span(first!.runDir).last, 'the second trainer wrote nothing before the first had ended');
    assert.deepEqual(queue.queued(), []);
    assert.deepEqual(queue.running(), []);
  });

  it('takes a waiting job off the queue, and starts the next one after a job that was cancelled', async (t) => {
    const { queue, changes, runs } = standinQueue(t, 1, { STANDIN_STEPS: '400' });
    const [running, dropped, next] = jobs(t, 'running', 'dropped', 'next');
    queue.enqueue(running!);
    queue.enqueue(dropped!);
    queue.enqueue(next!);
    assert.equal(queue.cancelQueued(dropped!.runDir), true);
    assert.equal(queue.cancelQueued(running!.runDir), false, 'a running job is not in the queue');
    assert.deepEqual(
      queue.queued().map((job) => job.name),
      ['next'],
    );
    await waitFor(() => (runs[0]!.snapshot.step >= 1 ? true : undefined), 'the first job to train', 20_000);
    await runs[0]!.cancel();
    await waitFor(() => (runs.length === 2 ? true : undefined), 'the next job to start', 10_000);
    assert.equal(runs[1]!.runDir, next!.runDir);
    assert.ok(changes.some((change) => change.kind === 'dequeued' && change.job.name === 'dropped'));
    assert.ok(!changes.some((change) => change.kind === 'started' && change.job.name === 'dropped'));
    await runs[1]!.cancel();
  });

  it('runs as many jobs at once as its concurrency allows', async (t) => {
    const { queue, runs } = standinQueue(t, 2);
    for (const job of jobs(t, 'a', 'b', 'c')) queue.enqueue(job);
    assert.equal(runs.length, 2);
    assert.equal(queue.queued().length, 1);
    await waitFor(() => (runs.length === 3 ? true : undefined), 'the third job', 40_000);
    await Promise.all(runs.map((run) => run.finished));
  });

  it('reports a job that cannot start and goes on with the next', async (t) => {
    const started: string[] = [];
    const changes: QueueChange[] = [];
    const queue = new JobQueue({
      start: (job) => {
        if (job.name === 'broken') throw new JobStartError('no config.json');
        started.push(job.name);
        return startJob({ runDir: job.runDir, trainer: standinLaunch({ STANDIN_STEPS: '2' }), ...quickTimeouts });
      },
    });
    queue.onDidChange((change) => changes.push(change));
    const [broken, good] = jobs(t, 'broken', 'good');
    queue.enqueue(broken!);
    queue.enqueue(good!);
    assert.deepEqual(started, ['good']);
    const failure = changes.find((change) => change.kind === 'failedToStart');
    assert.equal(failure?.kind === 'failedToStart' && failure.error.message, 'no config.json');
    assert.throws(() => queue.enqueue(good!), /already queued or running/);
    const [run] = queue.running();
    assert.equal((await run!.finished).status, 'done');
  });
  it('holds a place for a job whose start is still settling, and goes on with the next when that start fails', async (t) => {
    const started: string[] = [];
    const changes: QueueChange[] = [];
    let failLaunch: (error: Error) => void = () => undefined;
    const queue = new JobQueue({
      start: (job) => {
        started.push(job.name);
        if (job.name === 'asking') return new Promise<JobRun>((_resolve, reject) => (failLaunch = reject));
        return Promise.resolve(startJob({ runDir: job.runDir, trainer: standinLaunch({ STANDIN_STEPS: '2' }), ...quickTimeouts }));
      },
    });
    queue.onDidChange((change) => changes.push(change));
    const [asking, next] = jobs(t, 'asking', 'next');
    queue.enqueue(asking!);
    queue.enqueue(next!);
    assert.deepEqual(started, ['asking']);
    assert.throws(() => queue.enqueue(asking!), /already queued or running/);
    failLaunch(new JobStartError('submission refused'));
    await waitFor(() => (queue.running().length === 1 ? true : undefined), 'the next job', 20_000);
    assert.deepEqual(started, ['asking', 'next']);
    const failure = changes.find((change) => change.kind === 'failedToStart');
    assert.equal(failure?.kind === 'failedToStart' && failure.error.message, 'submission refused');
    assert.equal((await queue.running()[0]!.finished).status, 'done');
  });
});
