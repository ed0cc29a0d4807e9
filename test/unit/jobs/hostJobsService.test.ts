import '../../support/vscodeStub';
import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { resolveJobText } from '../../../src/core/jobs/jobFile';
import { prepareRun, type TrainerLaunch } from '../../../src/core/jobs/jobRunner';
import { type JobSnapshot } from '../../../src/core/jobs/jobSnapshot';
import { isProcessAlive } from '../../../src/core/process/processGroup';
import { JobsService, UntrustedWorkspaceError, type JobsServiceOptions } from '../../../src/host/jobs/jobsService';
import { fakeSlurm } from '../../support/fakeSlurm';
import { setRunTarget } from '../../support/runTarget';
import { scratchDir } from '../../support/scratchDir';
import { waitFor } from '../../support/waitFor';

const repo = join(__dirname, '..', '..', '..');

/** The stand-in trainer (test/fixtures/jobs/standin_trainer.py) at a chosen speed. */
function standin(steps: number, stepSeconds: number): TrainerLaunch {
  return {
    python: 'python3',
    pythonPath: join(repo, 'python'),
    script: join(repo, 'test', 'fixtures', 'jobs', 'standin_trainer.py'),
    env: { STANDIN_STEPS: String(steps), STANDIN_STEP_SECONDS: String(stepSeconds) },
  };
}

/** A workspace with a job file, its dataset and a model folder; `prepare` makes a run folder for it. */
function workspace(t: TestContext): { root: string; prepare: (name: string) => string } {
  const root = scratchDir('jobs-service', t);
  mkdirSync(join(root, 'model'));
  writeFileSync(join(root, 'model', 'config.json'), '{"model_type":"llama"}');
  copyFileSync(join(repo, 'test', 'fixtures', 'jobs', 'standin-train.jsonl'), join(root, 'train.jsonl'));
  const jobFile = join(root, 'a.job.yaml');
  writeFileSync(jobFile, 'model: { path: ./model }\ndata: { train: train.jsonl, eval: null }\n');
  const { config, problems } = resolveJobText('model: { path: ./model }\ndata: { train: train.jsonl, eval: null }\n', jobFile);
  assert.deepEqual(problems, []);
  return { root, prepare: (name) => prepareRun({ workspaceRoot: root, jobFile, name, config: config! }) };
}

function service(root: string, t: TestContext, overrides: Partial<JobsServiceOptions> = {}): JobsService {
  const created = new JobsService({
    workspaceRoot: root,
    concurrency: 1,
    stopTimeoutMs: () => 20_000,
    mayRunProcesses: () => true,
    log: () => undefined,
    onStartFailed: () => undefined,
    ...overrides,
  });
  t.after(() => created.dispose());
  return created;
}

function until(jobs: JobsService, runDir: string, what: string, test: (snapshot: JobSnapshot) => boolean): Promise<JobSnapshot> {
  return waitFor(
    () => {
      const snapshot = jobs.snapshot(runDir);
      return snapshot && test(snapshot) ? snapshot : undefined;
    },
    what,
    30_000,
  );
}

const ended = (snapshot: JobSnapshot): boolean => ['done', 'failed', 'stopped', 'cancelled'].includes(snapshot.status);

describe('JobsService', () => {
  it('runs one job at a time: the second waits queued, and cancelling it removes it without starting anything', async (t) => {
    const { root, prepare } = workspace(t);
    const jobs = service(root, t);
    const first = prepare('first');
    const second = prepare('second');
    jobs.enqueue(first, 'first', standin(200, 0.05));
    jobs.enqueue(second, 'second', standin(5, 0.01));
    assert.equal(jobs.snapshot(second)?.status, 'queued');
    assert.deepEqual(
      jobs.all().map((job) => job.name),
      ['second', 'first'],
      'queued jobs come first',
    );
    await jobs.cancel(second);
    assert.equal(jobs.isQueued(second), false);
    assert.equal(jobs.snapshot(second)?.status, 'cancelled');
    await until(jobs, first, 'the first job to train', (snapshot) => snapshot.status === 'running' && snapshot.step >= 1);
    await jobs.cancel(first);
    const cancelled = await until(jobs, first, 'the first job to end', ended);
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(jobs.run(second), undefined, 'the cancelled queued job never started');
  });

  it('re-attaches after it is disposed and created again, following the same trainer to done', async (t) => {
    const { root, prepare } = workspace(t);
    const before = service(root, t);
    const runDir = prepare('reload');
    before.enqueue(runDir, 'reload', standin(40, 0.05));
    const running = await until(before, runDir, 'training', (snapshot) => snapshot.status === 'running' && snapshot.step >= 2);
    before.dispose();
    assert.ok(running.pid !== undefined && isProcessAlive(running.pid), 'the trainer outlives the service');
    const after = service(root, t);
    assert.deepEqual(after.reattach(), [runDir]);
    assert.equal(after.snapshot(runDir)?.pid, running.pid);
    const done = await until(after, runDir, 'the re-attached job to finish', ended);
    assert.equal(done.status, 'done');
    assert.equal(done.step, 40);
  });

  it("tells listeners of a job's changes and keeps the tail of its log", async (t) => {
    const { root, prepare } = workspace(t);
    const jobs = service(root, t);
    const runDir = prepare('throttled');
    let changes = 0;
    const subscription = jobs.onDidChange((changed) => (changes += changed === runDir ? 1 : 0));
    t.after(() => {
      subscription.dispose();
    });
    jobs.enqueue(runDir, 'throttled', standin(60, 0.005));
    const done = await until(jobs, runDir, 'the job to finish', ended);
    assert.equal(done.status, 'done');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.ok(changes >= 1, 'listeners hear of the job');
    appendFileSync(join(runDir, 'train.log'), ['first', 'second', 'third', 'fourth', ''].join('\n'));
    assert.deepEqual(jobs.logTail(runDir, 3), ['second', 'third', 'fourth']);
  });

  it('refuses a second submission or resume of a Slurm run while the first has not been answered: one sbatch each', async (t) => {
    const { root, prepare } = workspace(t);
    const runDir = prepare('double-click');
    setRunTarget(runDir);
    const client = fakeSlurm('101');
    const jobs = service(root, t, { slurmClient: () => client, slurmPollMs: 20 });
    const sbatchCalls = (): number => client.world.calls.filter((call) => call.startsWith('sbatch')).length;

    const submitted = jobs.submit(runDir, 'double-click', standin(3, 0.01));
    assert.throws(() => jobs.submit(runDir, 'double-click', standin(3, 0.01)), /being started already/);
    await submitted;
    assert.equal(sbatchCalls(), 1, 'one job submitted');

    client.world.state = { state: 'FAILED', exitCode: 1 };
    await until(jobs, runDir, 'the job to fail', (snapshot) => snapshot.status === 'failed');
    const resumed = jobs.resume(runDir, standin(3, 0.01));
    assert.throws(() => jobs.resume(runDir, standin(3, 0.01)), /being started already/);
    await resumed;
    assert.equal(sbatchCalls(), 2, 'one job resubmitted');
    // Once answered, the run folder may be started again (here: refused only because it is active or settled as failed).
    client.world.state = { state: 'FAILED', exitCode: 1 };
    await until(jobs, runDir, 'the resumed job to fail', (snapshot) => snapshot.status === 'failed');
    await jobs.resume(runDir, standin(3, 0.01));
    assert.equal(sbatchCalls(), 3, 'a later resume is not refused');
  });

  it('starts, signals and follows no process in an untrusted workspace; it only lists the runs on disk', async (t) => {
    const { root, prepare } = workspace(t);
    const runDir = prepare('untrusted');
    const jobs = service(root, t, { mayRunProcesses: () => false });
    assert.throws(() => jobs.enqueue(runDir, 'untrusted', standin(5, 0.01)), UntrustedWorkspaceError);
    await assert.rejects(jobs.stopAndSave(runDir), UntrustedWorkspaceError);
    assert.deepEqual(jobs.reattach(), []);
    assert.equal(jobs.run(runDir), undefined);
    assert.deepEqual(
      jobs.all().map((job) => job.runDir),
      [runDir],
    );
  });
});
