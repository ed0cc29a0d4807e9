import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { emptySnapshot, snapshotOfRun, type JobSnapshot } from '../../../src/core/jobs/jobSnapshot';
import { jobPageActionCommands, jobPageActions, runDirOfArgument, validJobPageAction } from '../../../src/host/jobs/jobPageActions';
import { jobCommands } from '../../../src/host/jobs/jobSource';
import { type JobPageAction } from '../../../src/shared/jobPageProtocol';

const finishedRun = join(__dirname, '..', '..', 'fixtures', 'jobs', 'finished-run');
const trusted = { trusted: true };

function enabledOf(snapshot: JobSnapshot, context = trusted): Record<JobPageAction, true | string> {
  return Object.fromEntries(jobPageActions(snapshot, context).map((entry) => [entry.action, entry.enabled ? true : (entry.reason ?? '')])) as Record<JobPageAction, true | string>;
}

function job(fields: Partial<JobSnapshot>): JobSnapshot {
  return { ...emptySnapshot('/ws/.chatwright/runs/20261204-101500-x', 'x'), ...fields };
}

describe('job page actions', () => {
  it('a server offers Stop while it serves, and its folder and log; none of a trainer’s actions', () => {
    const serving = job({ kind: 'serve', status: 'running', phase: 'serving' });
    assert.deepEqual(enabledOf(serving), { stop: true, openRunFolder: true, showLog: true });
    assert.deepEqual(enabledOf({ ...serving, status: 'stopped' }), { stop: 'The job is not running.', openRunFolder: true, showLog: true });
    assert.match(String(enabledOf(serving, { trusted: false }).stop), /not trusted/);
  });

  it('the finished-run fixture is a done job with 120 steps, six evals, checkpoints and an adapter', () => {
    const snapshot = snapshotOfRun(finishedRun);
    assert.equal(snapshot.status, 'done');
    assert.equal(snapshot.series.step.length, 120);
    assert.equal(snapshot.series.evalStep.length, 6);
    assert.ok(snapshot.series.loss[119]! < snapshot.series.loss[0]! / 2, 'the loss falls by more than half');
    assert.ok(snapshot.checkpoints.length >= 3);
    assert.ok(snapshot.adapter?.endsWith('/adapter'));
  });

  it('offers a finished job its result and its folder, and says why it cannot be stopped or resumed', () => {
    const actions = enabledOf(snapshotOfRun(finishedRun));
    assert.deepEqual(actions, {
      stop: 'The job is not running.',
      cancel: 'The job has already ended.',
      resume: 'The job finished: there is nothing to resume.',
      checkpoint: 'The job is not training.',
      openRunFolder: true,
      showLog: true,
      chat: true,
      export: true,
    });
  });

  it('offers a training job stop, cancel and a checkpoint, and no result before it has one', () => {
    const actions = enabledOf(job({ status: 'running', phase: 'training', step: 12 }));
    assert.equal(actions.stop, true);
    assert.equal(actions.cancel, true);
    assert.equal(actions.checkpoint, true);
    assert.equal(actions.resume, 'The job has not ended.');
    assert.equal(actions.chat, 'No adapter yet: the job writes one when it finishes or is stopped and saved.');
    assert.equal(actions.export, actions.chat);
  });

  it('takes no checkpoint while the model is still loading', () => {
    assert.equal(enabledOf(job({ status: 'running', phase: 'loading_model' })).checkpoint, 'A checkpoint can be taken once training has started.');
  });

  it('lets a queued job be cancelled but not stopped', () => {
    const actions = enabledOf(job({ status: 'queued' }));
    assert.equal(actions.cancel, true);
    assert.equal(actions.stop, 'The job has not started: Cancel takes it off the queue.');
  });

  it('offers nothing on the preflight of a job file that has not run, and says Run Job starts it', () => {
    const actions = enabledOf({ ...emptySnapshot('/ws/support.job.yaml', 'support', 'preflight'), jobFile: '/ws/support.job.yaml' });
    for (const action of ['stop', 'cancel', 'resume', 'checkpoint', 'chat', 'export'] as const) assert.match(String(actions[action]), /Run Job starts the job/, action);
    assert.match(String(actions.openRunFolder), /no run folder/);
    assert.match(String(actions.showLog), /no run folder or log/);
  });

  it('resumes a stopped or failed job only from a checkpoint', () => {
    const checkpoint = { step: 40, path: '/ws/run/checkpoints/checkpoint-40', reason: 'stop' };
    assert.equal(enabledOf(job({ status: 'stopped', checkpoints: [checkpoint], adapter: '/ws/run/adapter' })).resume, true);
    assert.equal(enabledOf(job({ status: 'failed', checkpoints: [checkpoint] })).resume, true);
    assert.equal(enabledOf(job({ status: 'failed' })).resume, 'No checkpoint to resume from: the job ended before it saved one.');
    assert.equal(enabledOf(job({ status: 'stopped', checkpoints: [checkpoint], adapter: '/ws/run/adapter' })).chat, true, 'a stopped and saved job has an adapter to try');
  });

  it('says the job is already stopping rather than stopping it twice', () => {
    const actions = enabledOf(job({ status: 'stopping', phase: 'saving' }));
    assert.equal(actions.stop, 'The job is already stopping.');
    assert.equal(actions.cancel, true, 'cancel still escalates a stop that takes too long');
  });

  it('in an untrusted workspace offers nothing that starts or signals a process', () => {
    const actions = enabledOf(job({ status: 'running', phase: 'training' }), { trusted: false });
    for (const action of ['stop', 'cancel', 'resume', 'checkpoint'] as const) assert.match(String(actions[action]), /not trusted/, action);
    assert.equal(actions.openRunFolder, true);
    assert.equal(actions.showLog, true);
  });

  it('maps each action to the jobs feature command of the same meaning', () => {
    assert.equal(jobPageActionCommands.chat, jobCommands.chatWithResult);
    assert.equal(jobPageActionCommands.stop, jobCommands.stop);
    assert.equal(jobPageActionCommands.openRunFolder, jobCommands.openRunFolder);
    assert.equal(jobPageActionCommands.showScript, jobCommands.showSbatchScript);
    assert.equal(new Set(Object.values(jobPageActionCommands)).size, 9);
  });

  it('offers the sbatch script of a Slurm run, after the log, in every state; never for a local run or a preflight', () => {
    const pending = job({ status: 'queued', scheduler: { kind: 'slurm', jobId: '41237', state: 'PENDING', reason: 'Resources', checkedAt: 0 } });
    const order = jobPageActions(pending, trusted).map((entry) => entry.action);
    assert.equal(order[order.indexOf('showLog') + 1], 'showScript');
    assert.equal(enabledOf(pending).showScript, true);
    assert.equal(enabledOf({ ...pending, status: 'failed' }, { trusted: false }).showScript, true);
    const submitting = job({
      status: 'queued',
      distributed: { target: 'slurm', worldSize: 1, nodes: 1, processesPerNode: 1, strategy: 'ddp', perDeviceBatch: 1, gradientAccumulation: 1, effectiveBatch: 1, requestedEffectiveBatch: 1 },
    });
    assert.equal(enabledOf(submitting).showScript, true);
    assert.equal(enabledOf(job({ kind: 'serve', status: 'running', scheduler: pending.scheduler! })).showScript, true);
    assert.equal(enabledOf(job({ status: 'running' })).showScript, undefined);
    assert.equal(enabledOf(job({ status: 'preflight', scheduler: pending.scheduler! })).showScript, undefined);
  });

  it('accepts only the page actions from the webview', () => {
    assert.deepEqual(validJobPageAction({ action: 'stop' }), { action: 'stop' });
    for (const params of [undefined, null, 'stop', {}, { action: 'delete' }, { action: 'constructor' }, { action: 'toString' }, { action: 1 }])
      assert.equal(validJobPageAction(params), undefined, JSON.stringify(params));
  });

  it('takes a run folder from a path or a Jobs view item, and nothing else', () => {
    assert.equal(runDirOfArgument('/ws/.chatwright/runs/a/'), '/ws/.chatwright/runs/a');
    assert.equal(runDirOfArgument({ runDir: '/ws/.chatwright/runs/a', label: 'a' }), '/ws/.chatwright/runs/a');
    for (const argument of [undefined, '', 'relative/run', { runDir: 3 }, { path: '/x' }, 42]) assert.equal(runDirOfArgument(argument), undefined, JSON.stringify(argument));
  });
});
