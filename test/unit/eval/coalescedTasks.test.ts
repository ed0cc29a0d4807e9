import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CoalescedTasks } from '../../../src/host/eval/coalescedTasks';

/** A task that records its start and finishes when released. */
function gate(): { started: number; release: () => void; task: () => Promise<void> } {
  const state = { started: 0, release: () => {}, task: async () => {} };
  state.task = () => {
    state.started++;
    return new Promise<void>((resolve) => {
      state.release = resolve;
    });
  };
  return state;
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('CoalescedTasks', () => {
  it('runs calls made during a run once more after it, together, with the last call’s task', async () => {
    const tasks = new CoalescedTasks();
    const first = gate();
    const second = gate();
    const third = gate();
    const done: string[] = [];
    const a = tasks.run('k', first.task).then(() => done.push('a'));
    await tick();
    const b = tasks.run('k', second.task).then(() => done.push('b'));
    const c = tasks.run('k', third.task).then(() => done.push('c'));
    await tick();
    assert.equal(first.started, 1);
    assert.equal(second.started + third.started, 0, 'nothing else starts while a run goes on');
    first.release();
    await a;
    await tick();
    assert.deepEqual(done, ['a'], 'the later calls wait for the run that follows');
    assert.equal(second.started, 0);
    assert.equal(third.started, 1, 'one run for both later calls, with the last task');
    assert.equal(tasks.busy('k'), true);
    third.release();
    await Promise.all([b, c]);
    assert.deepEqual(done.sort(), ['a', 'b', 'c']);
    assert.equal(tasks.busy('k'), false);
  });

  it('runs the next one after a failed run, and keys do not wait for each other', async () => {
    const tasks = new CoalescedTasks();
    const other = gate();
    const failing = tasks.run('k', () => Promise.reject(new Error('no')));
    const next = tasks.run('k', () => Promise.resolve());
    const elsewhere = tasks.run('j', other.task);
    await assert.rejects(failing, /no/);
    await next;
    assert.equal(other.started, 1);
    other.release();
    await elsewhere;
    assert.equal(tasks.busy('k') || tasks.busy('j'), false);
  });
});
