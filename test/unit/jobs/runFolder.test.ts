import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { processStartTime } from '../../../src/core/process/processGroup';
import {
  createRunFolder,
  hashDatasets,
  hashDatasetsAsync,
  isRunProcessAlive,
  listRunFolders,
  prepareRun,
  readRunRecord,
  runFolderName,
  safeRunName,
  writeRunRecord,
  type RunDatasets,
} from '../../../src/core/jobs/runFolder';
import { resolveJobText, type ResolvedJobConfig } from '../../../src/core/jobs/jobFile';
import { snapshotOfRun } from '../../../src/core/jobs/jobSnapshot';
import { describeWhere } from '../../../src/core/jobs/jobWhere';
import { scratchDir } from '../../support/scratchDir';
import { prepareStandinRun } from '../../support/standinJobs';

describe('run folder names', () => {
  it('are the local time as yyyymmdd-hhmmss and the job name', () => {
    assert.equal(runFolderName('persona', new Date(2026, 0, 2, 3, 4, 5)), '20260102-030405-persona');
  });

  it('make the name safe for every file system', () => {
    assert.equal(safeRunName('My job: v2/final?'), 'My-job-v2-final');
    assert.equal(safeRunName('../../etc'), 'etc');
    assert.equal(safeRunName('Café *'), 'Cafe');
    assert.equal(safeRunName('///'), 'job');
    assert.equal(safeRunName('x'.repeat(100)).length, 60);
  });

  it('are unique when two runs of a job start in the same second', (t) => {
    const workspace = scratchDir('runs', t);
    const now = new Date(2026, 5, 7, 8, 9, 10);
    const first = createRunFolder(workspace, 'persona', now);
    const second = createRunFolder(workspace, 'persona', now);
    assert.equal(first, join(workspace, '.chatwright', 'runs', '20260607-080910-persona'));
    assert.equal(basename(second), '20260607-080910-persona-2');
  });
});

describe('prepareRun', () => {
  it('writes run.json, config.json, a copy of the job file and the datasets hashes', (t) => {
    const workspace = scratchDir('runs', t);
    const runDir = prepareStandinRun(workspace, 'persona', 'save_steps: 3', new Date(2026, 1, 3, 4, 5, 6));
    assert.equal(basename(runDir), '20260203-040506-persona');
    const record = readRunRecord(runDir)!;
    assert.equal(record.name, 'persona');
    assert.equal(record.jobFile, join(workspace, 'persona.job.yaml'));
    assert.equal(record.createdAt, new Date(2026, 1, 3, 4, 5, 6).toISOString());
    assert.equal(record.pid, undefined);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as { data: { train: string }; training: { save_steps: number } };
    assert.equal(config.data.train, join(workspace, 'data', 'chat-train.jsonl'));
    assert.equal(config.training.save_steps, 3);
    assert.equal(readFileSync(join(runDir, 'job.yaml'), 'utf8'), readFileSync(join(workspace, 'persona.job.yaml'), 'utf8'));
    const datasets = JSON.parse(readFileSync(join(runDir, 'datasets.json'), 'utf8')) as RunDatasets;
    const train = readFileSync(config.data.train);
    assert.deepEqual(datasets.train, { path: config.data.train, bytes: train.length, sha256: createHash('sha256').update(train).digest('hex') });
    assert.equal(datasets.eval, undefined, 'no eval file next to the train file: the eval rows are held out of it');
    assert.equal(existsSync(join(runDir, 'env.json')), false, 'no probe, no env.json');
  });

  it('hashes the eval file that `eval: auto` picks and writes the probe to env.json', (t) => {
    const workspace = scratchDir('runs', t);
    const train = join(workspace, 'chat-train.jsonl');
    writeFileSync(train, '{"text": "a"}\n');
    writeFileSync(join(workspace, 'chat-valid.jsonl'), '{"text": "b"}\n');
    mkdirSync(join(workspace, 'm'));
    const jobFile = join(workspace, 'x.job.yaml');
    const text = 'model:\n  path: ./m\ndata:\n  train: chat-train.jsonl\n';
    writeFileSync(jobFile, text);
    const probe = { python: '3.11.2', can_train: false, missing_or_old: ['torch'] };
    const runDir = prepareRun({ workspaceRoot: workspace, jobFile, name: 'x', config: resolveJobText(text, jobFile).config!, probe });
    const datasets = JSON.parse(readFileSync(join(runDir, 'datasets.json'), 'utf8')) as RunDatasets;
    assert.equal(datasets.eval?.path, join(workspace, 'chat-valid.jsonl'));
    assert.equal(datasets.eval?.sha256, createHash('sha256').update('{"text": "b"}\n').digest('hex'));
    assert.deepEqual(JSON.parse(readFileSync(join(runDir, 'env.json'), 'utf8')), probe);
  });

  it('hashes the datasets as a stream, the same as the synchronous hash, for callers that must not block', async (t) => {
    const workspace = scratchDir('runs', t);
    const runDir = prepareStandinRun(workspace);
    const config = JSON.parse(readFileSync(join(runDir, 'config.json'), 'utf8')) as ResolvedJobConfig;
    const written = JSON.parse(readFileSync(join(runDir, 'datasets.json'), 'utf8')) as RunDatasets;
    assert.deepEqual(await hashDatasetsAsync(config), written);
    assert.deepEqual(hashDatasets(config), written);
  });
});

describe('listRunFolders', () => {
  it('lists the runs with a record, newest first', (t) => {
    const workspace = scratchDir('runs', t);
    const older = prepareStandinRun(workspace, 'a', 'save_steps: 3', new Date(2026, 0, 1, 10, 0, 0));
    const newer = prepareStandinRun(workspace, 'b', 'save_steps: 3', new Date(2026, 0, 1, 11, 0, 0));
    createRunFolder(workspace, 'no-record');
    assert.deepEqual(listRunFolders(workspace), [newer, older]);
    assert.deepEqual(listRunFolders(join(workspace, 'nothing-here')), []);
    assert.equal(dirname(newer), join(workspace, '.chatwright', 'runs'));
  });
});

describe('isRunProcessAlive', () => {
  it('takes a live pid for the trainer only when its start time matches the record (a reused pid is not the trainer)', async (t) => {
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    t.after(() => child.kill('SIGKILL'));
    await new Promise((resolve) => child.once('spawn', resolve));
    const pid = child.pid!;
    const startTime = processStartTime(pid);
    assert.equal(isRunProcessAlive({ pid, ...(startTime !== undefined ? { processStartedAt: startTime } : {}) }), true);
    if (process.platform === 'linux') {
      assert.equal(typeof startTime, 'number');
      assert.equal(isRunProcessAlive({ pid, processStartedAt: startTime! - 1 }), false);
    }
    assert.equal(isRunProcessAlive({}), false);
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    assert.equal(isRunProcessAlive({ pid }), false);
  });

  it('reads back the record it wrote', (t) => {
    const runDir = scratchDir('runs', t);
    writeRunRecord(runDir, { version: 1, name: 'n', createdAt: '2026-01-01T00:00:00.000Z', hostname: 'h', pid: 42, processStartedAt: 7 });
    assert.deepEqual(readRunRecord(runDir), { version: 1, name: 'n', createdAt: '2026-01-01T00:00:00.000Z', hostname: 'h', pid: 42, processStartedAt: 7 });
    writeFileSync(join(runDir, 'run.json'), '{"version": 9}');
    assert.equal(readRunRecord(runDir), undefined);
  });

  const base = { version: 1, name: 'n', createdAt: '2026-01-01T00:00:00.000Z', hostname: 'h' };
  const batch = { worldSize: 8, perDeviceBatch: 2, gradientAccumulation: 1, effectiveBatch: 16, requestedEffectiveBatch: 16, changed: true };
  const target = { type: 'slurm', nodes: 2, processesPerNode: 4, strategy: 'ddp', batch, description: '2 nodes × 4 GPUs' };
  const last = { kind: 'slurm', jobId: '7', state: 'PENDING', reason: 'Resources', checkedAt: 1 };
  const slurm = { jobId: '7', script: 'job.sbatch', submittedAt: '2026-01-01T00:00:01.000Z', submissions: [{ jobId: '7', submittedAt: '2026-01-01T00:00:01.000Z' }], last };

  it('keeps a well-formed target and Slurm job as written', (t) => {
    const runDir = scratchDir('runs', t);
    writeFileSync(join(runDir, 'run.json'), JSON.stringify({ ...base, target, slurm }));
    assert.deepEqual(readRunRecord(runDir), { ...base, target, slurm });
  });

  it('drops a malformed target or Slurm job and keeps the rest of the record, so the run still lists and its views never throw', (t) => {
    const cases: [string, Record<string, unknown>, Record<string, unknown>][] = [
      ['an empty target', { target: {} }, {}],
      ['a batch plan with text for numbers', { target: { ...target, batch: { ...batch, worldSize: '8' } } }, {}],
      ['an unknown target type', { target: { ...target, type: 'kubernetes' } }, {}],
      ['a numeric job id and a numeric state', { slurm: { jobId: 7, last: { jobId: 7, state: 5 } } }, {}],
      ['a job id that is no Slurm id', { slurm: { ...slurm, jobId: '7; rm -rf ~' } }, {}],
      ['a last state Slurm has no name for', { slurm: { ...slurm, last: { ...last, state: 'EXPLODED' } } }, { slurm: { ...slurm, last: undefined } }],
      ['a reason that is not text', { slurm: { ...slurm, last: { ...last, reason: { html: '<b>' } } } }, { slurm: { ...slurm, last: undefined } }],
      ['a malformed submission', { slurm: { ...slurm, submissions: [{ jobId: 8 }, slurm.submissions[0]] } }, { slurm }],
    ];
    for (const [what, fields, kept] of cases) {
      const runDir = scratchDir('runs', t);
      writeFileSync(join(runDir, 'run.json'), JSON.stringify({ ...base, pid: 42, ...fields }));
      const record = readRunRecord(runDir);
      assert.deepEqual(JSON.parse(JSON.stringify(record)), JSON.parse(JSON.stringify({ ...base, pid: 42, ...kept })), what);
      const snapshot = snapshotOfRun(runDir);
      assert.equal(typeof describeWhere(snapshot), 'string', what);
    }
  });
});
