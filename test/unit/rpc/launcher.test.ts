import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { it } from 'node:test';
import { RestartPolicy } from '../../../src/core/process/restartPolicy';
import { ProcessCrashedError, ProcessLauncher, ProcessRestartRefusedError, ProcessStoppedError, type LaunchTarget, type ProcessCrash } from '../../../src/core/process/launcher';
import { dieRequest, echoRequest, waitRequest } from '../../fixtures/rpc/fixtureProtocol';

const fixture = join(__dirname, '../../fixtures/rpc/fixtureServer.ts');
const forked: LaunchTarget = { kind: 'fork', entry: fixture };

async function crashOf(launcher: ProcessLauncher, request: Promise<unknown>): Promise<ProcessCrashedError> {
  const error = await request.then(
    () => assert.fail('the request should fail'),
    (thrown: unknown) => thrown,
  );
  assert.ok(error instanceof ProcessCrashedError, `got ${String(error)}`);
  assert.equal(launcher.running, false);
  return error;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

it('classifies a non-zero exit, and says it and the stderr tail in the lost request error', async () => {
  const crashes: ProcessCrash[] = [];
  const launcher = new ProcessLauncher({ name: 'the fixture', target: forked, onCrash: (crash) => crashes.push(crash) });
  const error = await crashOf(launcher, launcher.request(dieRequest, { how: { exitCode: 3 }, stderr: 'first line\nfatal: the index is corrupt\n' }));
  assert.deepEqual(error.crash.exit, { kind: 'crashed', code: 3 });
  assert.match(error.message, /^the fixture exited with code 3: first line \| fatal: the index is corrupt\. The fixture\/die request was lost\.$/);
  assert.match(error.crash.stderrTail, /fatal: the index is corrupt/);
  assert.equal(crashes.length, 1);
  await launcher.dispose();
});

it('classifies a process killed by a signal', async () => {
  const launcher = new ProcessLauncher({ name: 'the fixture', target: forked });
  const error = await crashOf(launcher, launcher.request(dieRequest, { how: { signal: 'SIGKILL' } }));
  assert.deepEqual(error.crash.exit, { kind: 'killed', signal: 'SIGKILL' });
  assert.match(error.message, /was killed \(SIGKILL\)/);
  await launcher.dispose();
});

it('classifies a worker that exhausts its resource limits as out of memory', async () => {
  const launcher = new ProcessLauncher({ name: 'the fixture', target: { kind: 'worker', entry: fixture, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } } });
  const error = await crashOf(launcher, launcher.request(dieRequest, { how: 'exhaustHeap' }));
  assert.equal(error.crash.exit.kind, 'outOfMemory');
  assert.match(error.message, /ran out of memory/);
  await launcher.dispose();
});

it('classifies a child that exhausts its heap as out of memory', async () => {
  const launcher = new ProcessLauncher({ name: 'the fixture', target: { kind: 'fork', entry: fixture, execArgv: ['--max-old-space-size=24'] } });
  const error = await crashOf(launcher, launcher.request(dieRequest, { how: 'exhaustHeap' }));
  assert.equal(error.crash.exit.kind, 'outOfMemory');
  await launcher.dispose();
});

it('reports a worker that throws while starting, with its error', async () => {
  const launcher = new ProcessLauncher({ name: 'the fixture', target: { kind: 'worker', entry: fixture, workerData: { mode: 'throwAtStart' } } });
  const error = await crashOf(launcher, launcher.request(echoRequest, { text: 'x' }));
  assert.equal(error.crash.exit.kind, 'crashed');
  assert.match(error.message, /the fixture refused to start/);
  await launcher.dispose();
});

it('reports a child that throws while starting, with the stack from its stderr', async () => {
  const launcher = new ProcessLauncher({ name: 'the fixture', target: { kind: 'fork', entry: fixture, env: { ...process.env, FIXTURE_MODE: 'throwAtStart' } } });
  const error = await crashOf(launcher, launcher.request(echoRequest, { text: 'x' }));
  assert.deepEqual(error.crash.exit, { kind: 'crashed', code: 1 });
  assert.match(error.crash.stderrTail, /the fixture refused to start/);
  await launcher.dispose();
});

it('reports a program that cannot be started', async () => {
  const launcher = new ProcessLauncher({ name: 'the trainer', target: { kind: 'spawn', command: '/nonexistent/python3' } });
  const error = await crashOf(launcher, launcher.request(echoRequest, { text: 'x' }));
  assert.equal(error.crash.exit.kind, 'failedToStart');
  assert.match(error.message, /^the trainer could not be started \(.*ENOENT/);
  await launcher.dispose();
});

it('starts a fresh process on the next request after a crash', async () => {
  const launcher = new ProcessLauncher({ name: 'the fixture', target: forked });
  const first = await launcher.request(echoRequest, { text: 'a' });
  await crashOf(launcher, launcher.request(dieRequest, { how: { exitCode: 1 } }));
  const second = await launcher.request(echoRequest, { text: 'b' });
  assert.notEqual(second.pid, first.pid);
  assert.equal(launcher.starts, 2);
  assert.equal(launcher.crashes, 1);
  await launcher.dispose();
});

it('fails every request in flight when the process crashes, not only the one that crashed it', async () => {
  const launcher = new ProcessLauncher({ name: 'the fixture', target: forked });
  const waiting = launcher.request(waitRequest, {});
  await launcher.request(echoRequest, { text: 'started' });
  const dying = launcher.request(dieRequest, { how: { exitCode: 2 } });
  const [waitError] = await Promise.all([crashOf(launcher, waiting), crashOf(launcher, dying)]);
  assert.match(waitError.message, /The fixture\/wait request was lost/);
  await launcher.dispose();
});

it('follows its restart policy: back-off, blame for the crash, refusal until reset', async () => {
  const policy = new RestartPolicy({ baseDelayMs: 300, maxDelayMs: 300, maxCrashes: 5, windowMs: 60_000 });
  const launcher = new ProcessLauncher({ name: 'the fixture', target: forked, restartPolicy: policy, blameOnCrash: (subjects) => subjects.filter((subject) => subject === 'bad-model') });
  const error = await crashOf(launcher, launcher.request(dieRequest, { how: { exitCode: 1 } }, { subject: 'bad-model' }));
  assert.deepEqual(error.crash.blamed, ['bad-model']);
  assert.equal(error.crash.verdict?.restartDelayMs, 300);
  await assert.rejects(launcher.request(echoRequest, { text: 'x' }, { subject: 'bad-model' }), ProcessRestartRefusedError);
  const started = Date.now();
  await launcher.request(echoRequest, { text: 'x' }, { subject: 'good-model' });
  assert.ok(Date.now() - started >= 250, 'the restart waited for the back-off');
  policy.reset();
  await launcher.request(echoRequest, { text: 'x' }, { subject: 'bad-model' });
  await launcher.dispose();
});

it('shuts down cleanly: the process exits, requests in flight fail as stopped, and none is left running', async () => {
  const launcher = new ProcessLauncher({ name: 'the fixture', target: forked });
  const { pid } = await launcher.request(echoRequest, { text: 'x' });
  const waiting = assert.rejects(launcher.request(waitRequest, {}), ProcessStoppedError);
  await launcher.stop();
  await waiting;
  assert.equal(isAlive(pid), false);
  assert.equal(launcher.crashes, 0);
  const restarted = await launcher.request(echoRequest, { text: 'again' });
  assert.notEqual(restarted.pid, pid);
  await launcher.dispose();
  assert.equal(isAlive(restarted.pid), false);
  await assert.rejects(launcher.request(echoRequest, { text: 'x' }), ProcessStoppedError);
});

it('kills a process that does not exit when asked, after the grace period', async () => {
  const launcher = new ProcessLauncher({ name: 'the fixture', target: { kind: 'fork', entry: fixture, env: { ...process.env, FIXTURE_MODE: 'ignoreShutdown' } }, shutdownGraceMs: 200 });
  const { pid } = await launcher.request(echoRequest, { text: 'x' });
  const started = Date.now();
  await launcher.dispose();
  assert.ok(Date.now() - started >= 150);
  assert.equal(isAlive(pid), false);
  assert.equal(launcher.crashes, 0);
});

it('terminates a worker thread on shutdown', async () => {
  const launcher = new ProcessLauncher({ name: 'the fixture', target: { kind: 'worker', entry: fixture } });
  await launcher.request(echoRequest, { text: 'x' });
  await launcher.dispose();
  assert.equal(launcher.running, false);
  assert.equal(launcher.crashes, 0);
});
