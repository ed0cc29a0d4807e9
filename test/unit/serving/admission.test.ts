import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Admission } from '../../../src/core/serving/admission';
import { ServingError } from '../../../src/core/serving/servedModels';

const never = new AbortController().signal;

describe('Admission', () => {
  it('grants slots up to maxConcurrent at once, then queues, then refuses with a 429 thrown at once', async () => {
    const admission = new Admission(2, 1);
    const first = await admission.acquire(never);
    await admission.acquire(never);
    const queued = admission.acquire(never);
    assert.ok(queued instanceof Promise);
    assert.deepEqual([admission.active, admission.queued], [2, 1]);
    assert.throws(
      () => admission.acquire(never),
      (error: unknown) => error instanceof ServingError && error.status === 429 && error.type === 'rate_limit_error',
    );
    first();
    first(); // a second release of the same slot changes nothing
    await queued;
    assert.deepEqual([admission.active, admission.queued], [2, 0]);
  });

  it('hands freed slots to waiters in arrival order, never to a newcomer', async () => {
    const admission = new Admission(1, 5);
    const release = await admission.acquire(never);
    const order: number[] = [];
    const waiters = [1, 2, 3].map((index) =>
      Promise.resolve(admission.acquire(never)).then((next) => {
        order.push(index);
        next();
      }),
    );
    release();
    await Promise.all(waiters);
    assert.deepEqual(order, [1, 2, 3]);
    assert.equal(admission.active, 0);
  });

  it('drops a waiter whose signal aborts, so its place and its slot go to the next', async () => {
    const admission = new Admission(1, 2);
    const release = await admission.acquire(never);
    const leaving = new AbortController();
    const abandoned = admission.acquire(leaving.signal);
    const staying = admission.acquire(never);
    leaving.abort(new Error('client left'));
    await assert.rejects(Promise.resolve(abandoned), /client left/);
    assert.equal(admission.queued, 1);
    release();
    (await staying)();
    assert.deepEqual([admission.active, admission.queued], [0, 0]);
  });

  it('refuses waiters and newcomers with a 503 once closed', async () => {
    const admission = new Admission(1, 2);
    await admission.acquire(never);
    const waiting = admission.acquire(never);
    admission.close();
    await assert.rejects(Promise.resolve(waiting), (error: unknown) => error instanceof ServingError && error.status === 503);
    assert.throws(
      () => admission.acquire(never),
      (error: unknown) => error instanceof ServingError && error.status === 503,
    );
  });

  it('rejects limits that are not whole numbers in range', () => {
    assert.throws(() => new Admission(0, 1), RangeError);
    assert.throws(() => new Admission(1, -1), RangeError);
    assert.throws(() => new Admission(1.5, 1), RangeError);
  });
});
