import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type EvalProgress } from '../../../src/core/eval/evalTypes';
import { progressMessage } from '../../../src/host/eval/evalProgressText';

const progress = (over: Partial<EvalProgress>): EvalProgress => ({ total: 2000, done: 0, cached: 0, failed: 0, running: 0, perStrategy: {}, ...over });

describe("a comparison run's progress line", () => {
  it('says answers done of the total, cached ones, the time left and failures', () => {
    assert.equal(progressMessage('answering', progress({ done: 312, cached: 40, failed: 3, etaSeconds: 185 })), '312/2000 answers · 40 cached · about 3m 05s left · 3 failed');
  });

  it('leaves out what is not known or zero', () => {
    assert.equal(progressMessage('answering', progress({ done: 0 })), '0/2000 answers');
    assert.equal(progressMessage('answering', progress({ done: 2000, etaSeconds: 0 })), '2000/2000 answers');
  });

  it('names the later stages', () => {
    assert.equal(progressMessage('judging', progress({ done: 5, total: 10 })), 'judging: 5/10 answers');
    assert.equal(progressMessage('scoring', progress({})), 'scoring the answers');
  });
});
