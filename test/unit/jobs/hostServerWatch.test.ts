import '../../support/vscodeStub';
import assert from 'node:assert/strict';
import { describe, it, type TestContext } from 'node:test';
import { type ChatBackend } from '../../../src/core/chat/backend';
import { type JobSnapshot } from '../../../src/core/jobs/jobSnapshot';
import { prepareServeRun } from '../../../src/core/jobs/runFolder';
import { isProcessGroupAlive } from '../../../src/core/process/processGroup';
import { type JobsHandles } from '../../../src/host/jobs/jobsFeature';
import { JobsService } from '../../../src/host/jobs/jobsService';
import { ServedBackends } from '../../../src/host/serving/servedBackends';
import { ServerWatch } from '../../../src/host/serving/serverWatch';
import { scratchDir } from '../../support/scratchDir';
import { standinServerLaunch } from '../../support/standinServer';
import { waitFor } from '../../support/waitFor';

/** A jobs service on a scratch workspace and a server watch over it, as the serving feature builds them. */
function watchedServices(t: TestContext, healthTimeoutMs?: number) {
  const workspaceRoot = scratchDir('server-watch', t);
  const service = new JobsService({ workspaceRoot, concurrency: 1, stopTimeoutMs: () => 5_000, mayRunProcesses: () => true, log: () => undefined, onStartFailed: () => undefined });
  const failures: { snapshot: JobSnapshot; message: string }[] = [];
  const jobs = { service, source: service } as unknown as JobsHandles;
  const watch = new ServerWatch(
    jobs,
    () => undefined,
    (snapshot, message) => failures.push({ snapshot, message }),
    healthTimeoutMs,
  );
  t.after(async () => {
    for (const job of service.all()) if (job.pid !== undefined && isProcessGroupAlive(job.pid)) process.kill(-job.pid, 'SIGKILL');
    await Promise.all(service.all().flatMap((job) => service.finished(job.runDir) ?? []));
    watch.dispose();
    service.dispose();
  });
  return { workspaceRoot, service, watch, failures };
}

describe('the server watch of the serving feature', () => {
  it('marks a server ready only after its health check, registers it as a chat backend, and stops the servers it started', async (t) => {
    const { workspaceRoot, service, watch } = watchedServices(t);
    const registered: ChatBackend[] = [];
    const backends = new ServedBackends(
      (backend) => {
        registered.push(backend);
        return { dispose: () => registered.splice(registered.indexOf(backend), 1) };
      },
      () => Promise.resolve(undefined),
      () => undefined,
    );
    watch.onDidChange(() => void backends.update(watch.ready()));
    const runDir = prepareServeRun({ workspaceRoot, name: 'serve-standin', request: {} });
    await service.startServer(runDir, standinServerLaunch());
    watch.adopt(runDir);
    const [ready] = await waitFor(() => (watch.ready().length > 0 ? watch.ready() : undefined), 'a ready server', 15_000);
    assert.equal(ready!.runDir, runDir);
    assert.equal(service.snapshot(runDir)!.ready, true);
    await waitFor(() => registered[0], 'the served backend');
    assert.equal(registered[0]!.id, 'served-serve-standin');
    assert.equal(registered[0]!.label, 'Served: serve-standin');
    assert.equal(backends.backendIdOf(runDir), 'served-serve-standin');

    await watch.stopStartedHere();
    const stopped = await service.finished(runDir)!;
    assert.equal(stopped.status, 'stopped');
    await waitFor(() => (registered.length === 0 ? true : undefined), 'the served backend to go');
  });

  it('stops a server it started that never answers its health check, and reports it failed with its log', async (t) => {
    const { workspaceRoot, service, watch, failures } = watchedServices(t, 300);
    const runDir = prepareServeRun({ workspaceRoot, name: 'serve-unhealthy', request: {} });
    await service.startServer(runDir, standinServerLaunch(['standin-model'], { STANDIN_SERVER_UNHEALTHY: '1' }));
    watch.adopt(runDir);
    const final = await waitFor(() => (service.snapshot(runDir)?.status === 'failed' ? service.snapshot(runDir) : undefined), 'the server to fail', 15_000);
    assert.equal(final.error?.code, 'SERVER_UNHEALTHY');
    assert.equal(failures.length, 1);
    assert.match(failures[0]!.message, /HTTP 503[\s\S]*Last lines of its log:[\s\S]*serving at http:\/\/127\.0\.0\.1/);
  });

  it('leaves a server it did not start running when it never answers (started from the CLI or another window)', async (t) => {
    const { workspaceRoot, service, watch, failures } = watchedServices(t, 300);
    const runDir = prepareServeRun({ workspaceRoot, name: 'serve-elsewhere', request: {} });
    await service.startServer(runDir, standinServerLaunch(['standin-model'], { STANDIN_SERVER_UNHEALTHY: '1' }));
    watch.update();
    await waitFor(() => service.snapshot(runDir)?.serving, 'the serving event', 15_000);
    // Two health-check timeouts, and the job changes that trigger checks again, pass without it being stopped.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    assert.equal(service.snapshot(runDir)!.status, 'running');
    assert.equal(service.snapshot(runDir)!.ready, false);
    assert.deepEqual(failures, []);
  });
});
