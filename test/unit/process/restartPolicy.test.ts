import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultRestartLimits, RestartPolicy } from '../../../src/core/process/restartPolicy';

const limits = { baseDelayMs: 1000, maxDelayMs: 5000, maxCrashes: 5, windowMs: 60_000 };

describe('the engine restart policy', () => {
  it('starts at once when nothing crashed', () => {
    assert.deepEqual(new RestartPolicy(limits).beforeStart(0, 'm'), { kind: 'start', delayMs: 0 });
  });

  it('waits 1 s, 2 s, 4 s … after each crash, measured from the crash, capped at the maximum', () => {
    const policy = new RestartPolicy(limits);
    const delays: number[] = [];
    for (let crash = 0; crash < 4; crash++) {
      const at = crash * 10_000;
      delays.push(policy.recordCrash(at, 'exited with code 1').restartDelayMs);
      assert.deepEqual(policy.beforeStart(at + 500), { kind: 'start', delayMs: delays.at(-1)! - 500 });
    }
    assert.deepEqual(delays, [1000, 2000, 4000, 5000]);
  });

  it('gives up after the fifth crash within the window, and refuses every start until reset', () => {
    const policy = new RestartPolicy(limits);
    const verdicts = [0, 1, 2, 3, 4].map((i) => policy.recordCrash(i * 1000, `crash ${i}`));
    assert.deepEqual(
      verdicts.map((v) => v.gaveUp),
      [false, false, false, false, true],
    );
    const decision = policy.beforeStart(10 * 60_000, 'other');
    assert.equal(decision.kind, 'refuse');
    assert.match((decision as { reason: string }).reason, /crashed 5 times within 1 minutes \(last: crash 4\).*Restart Inference Engine/);
    policy.reset();
    assert.deepEqual(policy.beforeStart(10 * 60_000, 'other'), { kind: 'start', delayMs: 0 });
  });

  it('forgets crashes older than the window: one crash a day never stops the engine', () => {
    const policy = new RestartPolicy(limits);
    for (let day = 0; day < 10; day++) {
      const verdict = policy.recordCrash(day * 86_400_000, 'crash');
      assert.equal(verdict.gaveUp, false);
      assert.equal(verdict.restartDelayMs, 1000);
      assert.equal(verdict.notify, true, 'each lone crash is news');
    }
  });

  it('notifies once per series of crashes, and once more when it gives up', () => {
    const policy = new RestartPolicy(limits);
    const notified = [0, 1, 2, 3, 4, 5].map((i) => policy.recordCrash(i * 1000, 'crash').notify);
    assert.deepEqual(notified, [true, false, false, false, true, false]);
  });

  it('refuses the model that was loading when the engine crashed until reset, and lets other models start', () => {
    const policy = new RestartPolicy(limits);
    const verdict = policy.recordCrash(0, 'Segmentation fault', ['big-model']);
    assert.deepEqual(verdict.blockedModels, ['big-model']);
    const refused = policy.beforeStart(3_600_000, 'big-model');
    assert.equal(refused.kind, 'refuse');
    assert.match(
      (refused as { reason: string }).reason,
      /big-model crashed the inference engine while loading \(Segmentation fault\).*not loaded again until you run "Chatwright: Restart Inference Engine"/,
    );
    assert.deepEqual(policy.beforeStart(3_600_000, 'small-model'), { kind: 'start', delayMs: 0 });
    assert.equal(policy.beforeStart(3_600_000).kind, 'start');
    policy.reset();
    assert.deepEqual(policy.beforeStart(3_600_000, 'big-model'), { kind: 'start', delayMs: 0 });
  });

  it('defaults to 1 s doubling to 30 s, and 5 crashes within 10 minutes', () => {
    assert.deepEqual(defaultRestartLimits, { baseDelayMs: 1000, maxDelayMs: 30_000, maxCrashes: 5, windowMs: 600_000 });
  });
});
