import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeJob, formatLoss, jobDetailLines } from '../../../src/core/jobs/jobDescription';
import { emptySnapshot, type JobSnapshot } from '../../../src/core/jobs/jobSnapshot';

function snapshot(fields: Partial<JobSnapshot>): JobSnapshot {
  return { ...emptySnapshot('/w/.chatwright/runs/20260101-120000-persona', 'persona', 'running'), ...fields };
}

describe('describeJob: the Jobs view line', () => {
  it('shows method, step of total, the last loss and the time so far while running', () => {
    const now = 1_000_000;
    assert.equal(describeJob(snapshot({ method: 'lora', step: 120, totalSteps: 300, lastLoss: 0.8412, startedAt: now - 12 * 60_000 }), now), 'lora · step 120/300 · loss 0.841 · 12m 00s');
  });

  it('puts the final loss before the steps once done, so a narrow sidebar still shows it, with the whole duration', () => {
    const text = describeJob(snapshot({ status: 'done', method: 'lora', step: 300, totalSteps: 300, lastLoss: 0.5, finalLoss: 0.62, startedAt: 0, endedAt: 65_000 }), 10_000_000);
    assert.equal(text, 'lora · loss 0.62 · 300 steps · 1m 05s');
  });

  it('keeps step of total after the final loss of a job that ended early', () => {
    const text = describeJob(snapshot({ status: 'done', method: 'qlora', step: 250, totalSteps: 300, finalLoss: 0.7 }), 10_000_000);
    assert.equal(text, 'qlora · loss 0.7 · step 250/300');
  });

  it('says queued and names the error code of a failed job', () => {
    assert.equal(describeJob(snapshot({ status: 'queued' })), 'queued');
    assert.equal(describeJob(snapshot({ status: 'failed', error: { code: 'PACKAGES_MISSING', message: 'torch is missing' } })), 'PACKAGES_MISSING');
  });

  it('gives the tooltip the run folder, final loss and the error with what to do', () => {
    const lines = jobDetailLines(snapshot({ status: 'failed', finalLoss: 1.5, error: { code: 'OOM', message: 'out of memory', action: 'Use qlora.' } }));
    assert.ok(lines.includes('Run folder: /w/.chatwright/runs/20260101-120000-persona'));
    assert.ok(lines.includes('Final loss: 1.5'));
    assert.ok(lines.includes('Error OOM: out of memory'));
    assert.ok(lines.includes('What to do: Use qlora.'));
  });

  it('formats losses to three significant digits', () => {
    assert.equal(formatLoss(2.345678), '2.35');
    assert.equal(formatLoss(0.1), '0.1');
    assert.equal(formatLoss(123.4), '123');
  });
});
