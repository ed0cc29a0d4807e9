import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { schedulerKey, schedulerWords, whereText } from '../../../src/cli/commands/jobProgress';
import { type SchedulerFacts } from '../../../src/core/jobs/slurm/slurmTypes';

const facts = (fields: Partial<SchedulerFacts>): SchedulerFacts => ({ kind: 'slurm', jobId: '41237', state: 'PENDING', checkedAt: 0, ...fields });

describe('Slurm states in the CLI', () => {
  it('says a pending job waits in Slurm and why, and a running one where', () => {
    assert.equal(schedulerWords(facts({ state: 'PENDING', reason: 'Priority' })), 'pending in Slurm (Priority)');
    assert.equal(schedulerWords(facts({ state: 'PENDING', reason: 'None' })), 'pending in Slurm');
    assert.equal(schedulerWords(facts({ state: 'RUNNING', nodes: 'node07' })), 'running on node07');
    assert.equal(schedulerWords(facts({ state: 'COMPLETING', nodes: 'node07' })), 'completing on node07');
    assert.equal(schedulerWords(facts({ state: 'TIMEOUT' })), 'ended in Slurm: TIMEOUT');
    assert.equal(schedulerWords(facts({ state: 'SUSPENDED', nodes: 'node07' })), 'suspended in Slurm on node07');
    assert.equal(schedulerWords(facts({ state: 'UNKNOWN' })), 'unknown to Slurm (no command knows the job any more)');
  });

  it('never prints a terminal escape from what Slurm said', () => {
    assert.equal(schedulerWords(facts({ state: 'PENDING', reason: 'x\u001b[2Jy' })).includes('\u001b'), false);
    assert.equal(schedulerWords(facts({ state: 'RUNNING', nodes: 'n\u0007' })).includes('\u0007'), false);
  });

  it('changes its key when the state, the reason or the nodes change, and only then', () => {
    const pending = schedulerKey(facts({ reason: 'Priority', checkedAt: 1 }));
    assert.equal(schedulerKey(facts({ reason: 'Priority', checkedAt: 2 })), pending, 'a later look at the same state is the same line');
    assert.notEqual(schedulerKey(facts({ reason: 'Resources' })), pending);
    assert.notEqual(schedulerKey(facts({ state: 'RUNNING', nodes: 'node07' })), schedulerKey(facts({ state: 'RUNNING', nodes: 'node08' })));
    assert.equal(schedulerKey(undefined), undefined);
  });

  it('says where a run is for the list: the Slurm job and state, or the local pid while it runs', () => {
    assert.equal(whereText({ scheduler: facts({ reason: 'Resources' }) }, true), 'slurm 41237 PENDING (Resources)');
    assert.equal(whereText({ scheduler: facts({ state: 'COMPLETED' }) }, false), 'slurm 41237 COMPLETED');
    assert.equal(whereText({ pid: 4242 }, true), 'local pid 4242');
    assert.equal(whereText({ pid: 4242 }, false), 'local');
    assert.equal(whereText({}, false), 'local');
  });
});
