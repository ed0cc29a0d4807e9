import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatAge, formatDuration } from '../../../src/core/text/relativeTime';

const now = Date.UTC(2025, 5, 15, 12, 0, 0);
const minute = 60_000;
const hour = 60 * minute;
const day = 24 * hour;

describe('relative times', () => {
  it('reads "just now" for the first minute and for timestamps slightly in the future', () => {
    assert.equal(formatAge(now, now), 'just now');
    assert.equal(formatAge(now - 59_999, now), 'just now');
    assert.equal(formatAge(now + 5 * minute, now), 'just now');
  });

  it('floors minutes and hours, so a label never claims more time than has passed', () => {
    assert.equal(formatAge(now - minute, now), '1 min ago');
    assert.equal(formatAge(now - (3 * minute - 1), now), '2 min ago');
    assert.equal(formatAge(now - 59 * minute, now), '59 min ago');
    assert.equal(formatAge(now - hour, now), '1 h ago');
    assert.equal(formatAge(now - (23 * hour + 59 * minute), now), '23 h ago');
  });

  it('says yesterday, then days, then a locale-independent date', () => {
    assert.equal(formatAge(now - day, now), 'yesterday');
    assert.equal(formatAge(now - 3 * day, now), '3 days ago');
    const old = new Date(2024, 0, 5, 9, 30).getTime();
    assert.equal(formatAge(old, now), 'on 2024-01-05');
  });

  it('changes as time passes: the same timestamp reads differently a few minutes later', () => {
    const indexedAt = now;
    assert.equal(formatAge(indexedAt, now + 10_000), 'just now');
    assert.equal(formatAge(indexedAt, now + 3 * minute + 10_000), '3 min ago');
  });

  it('never prints NaN for a bad timestamp', () => {
    assert.equal(formatAge(Number.NaN, now), 'at an unknown time');
    assert.equal(formatAge(Number.POSITIVE_INFINITY, now), 'at an unknown time');
  });
});

describe('durations left', () => {
  it('are short and padded', () => {
    assert.equal(formatDuration(400), '1s');
    assert.equal(formatDuration(45_000), '45s');
    assert.equal(formatDuration(3 * minute + 5_000), '3m 05s');
    assert.equal(formatDuration(hour + 20 * minute), '1h 20m');
  });

  it('are left out when there is no sensible estimate', () => {
    assert.equal(formatDuration(undefined), undefined);
    assert.equal(formatDuration(Number.NaN), undefined);
    assert.equal(formatDuration(Number.POSITIVE_INFINITY), undefined);
    assert.equal(formatDuration(-1), undefined);
  });
});
