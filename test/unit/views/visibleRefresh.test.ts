import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type IntervalTimers, VisibleRefresh } from '../../../src/core/views/visibleRefresh';

/** Timers whose ticks the test drives, and which know what is still scheduled. */
function fakeTimers(): IntervalTimers & { active: Map<number, () => void>; tick(): void } {
  const active = new Map<number, () => void>();
  let next = 1;
  return {
    active,
    setInterval(callback) {
      active.set(next, callback);
      return next++;
    },
    clearInterval(handle) {
      active.delete(handle as number);
    },
    tick() {
      for (const callback of [...active.values()]) callback();
    },
  };
}

describe('refreshing a view while it is visible', () => {
  it('redraws when shown and then on every tick', () => {
    const timers = fakeTimers();
    let redraws = 0;
    const refresh = new VisibleRefresh(() => redraws++, 30_000, timers);
    refresh.setVisible(true);
    assert.equal(redraws, 1, 'times on screen may be stale when the view comes back');
    timers.tick();
    timers.tick();
    assert.equal(redraws, 3);
    refresh.dispose();
  });

  it('stops ticking while hidden and starts once when shown again', () => {
    const timers = fakeTimers();
    let redraws = 0;
    const refresh = new VisibleRefresh(() => redraws++, 30_000, timers);
    refresh.setVisible(true);
    refresh.setVisible(true);
    assert.equal(timers.active.size, 1, 'showing twice does not start a second timer');
    refresh.setVisible(false);
    assert.equal(timers.active.size, 0);
    assert.equal(refresh.running, false);
    timers.tick();
    assert.equal(redraws, 1);
    refresh.setVisible(true);
    assert.equal(timers.active.size, 1);
    refresh.dispose();
  });

  it('leaves no timer behind once disposed, even if shown afterwards', () => {
    const timers = fakeTimers();
    const refresh = new VisibleRefresh(() => undefined, 30_000, timers);
    refresh.setVisible(true);
    refresh.dispose();
    assert.equal(timers.active.size, 0);
    refresh.setVisible(true);
    assert.equal(timers.active.size, 0);
  });

  // On the real clock with a short interval: node:test's MockTimers would print an ExperimentalWarning in every run.
  it('really fires on the system clock', async () => {
    let redraws = 0;
    const refresh = new VisibleRefresh(() => redraws++, 10);
    refresh.setVisible(true);
    const deadline = Date.now() + 5_000;
    while (redraws < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(redraws >= 3, `redrew ${redraws} times in 5 s at a 10 ms interval`);
    refresh.dispose();
    const afterDispose = redraws;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.equal(redraws, afterDispose, 'no redraw after dispose');
  });

  it('refuses an interval that would spin or never fire', () => {
    assert.throws(() => new VisibleRefresh(() => undefined, 0), /positive/);
    assert.throws(() => new VisibleRefresh(() => undefined, Number.NaN), /positive/);
  });
});
