import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { trainingCost } from '../../../src/core/eval/trainingCost';
import { scratchDir } from '../../support/scratchDir';

const start = 1_700_000_000;
const gpu = { index: 0, name: 'H200', memory_bytes: 141e9, compute_capability: '9.0', bf16: true };

function writeRun(dir: string, events: Record<string, unknown>[], record: Record<string, unknown> = {}): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'run.json'), JSON.stringify({ version: 1, name: 'support-lora', createdAt: '2023-11-14T22:13:20Z', hostname: 'h', ...record }));
  writeFileSync(join(dir, 'events.jsonl'), events.map((event, index) => JSON.stringify({ v: 1, seq: index + 1, ...event })).join('\n') + '\n');
  return dir;
}

describe('trainingCost', () => {
  it('reads a finished run: seconds from start to end, GPUs, GPU hours and training examples', (t) => {
    const dir = writeRun(join(scratchDir('cost', t), 'run'), [
      { time: start, event: 'run', config: {}, run_dir: 'x' },
      { time: start + 1, event: 'environment', cuda: '12.4', gpus: [gpu, { ...gpu, index: 1 }] },
      { time: start + 2, event: 'data', train_examples: 840 },
      { time: start + 3, event: 'phase', phase: 'training' },
      { time: start + 3600, event: 'phase', phase: 'done' },
    ]);
    assert.deepEqual(trainingCost(dir, { run: 'runs/support-lora' }), { run: 'runs/support-lora', status: 'done', seconds: 3600, gpus: 2, gpuHours: 2, trainExamples: 840 });
  });

  it('counts a run still training up to now, and says it is running', (t) => {
    const dir = writeRun(
      join(scratchDir('cost', t), 'run'),
      [
        { time: start, event: 'run', config: {}, run_dir: 'x' },
        { time: start + 1, event: 'environment', cuda: '12.4', gpus: [] },
        { time: start + 2, event: 'phase', phase: 'training' },
      ],
      { pid: process.pid },
    );
    const cost = trainingCost(dir, { now: (start + 1800) * 1000 });
    assert.equal(cost.status, 'running');
    assert.equal(cost.seconds, 1800);
    assert.equal(cost.gpus, 1, 'CUDA without a GPU list counts one GPU');
    assert.equal(cost.gpuHours, 0.5);
    assert.equal(cost.run, dir);
  });

  it('has no GPU hours on a CPU run and no figures the run never reported', (t) => {
    const cpu = writeRun(join(scratchDir('cost', t), 'cpu'), [
      { time: start, event: 'run', config: {}, run_dir: 'x' },
      { time: start + 1, event: 'environment', cuda: null, gpus: [] },
      { time: start + 60, event: 'phase', phase: 'done' },
    ]);
    assert.deepEqual(trainingCost(cpu), { run: cpu, status: 'done', seconds: 60, gpus: 0 }, 'a CPU run has training time and no GPU hours');
    const bare = writeRun(join(scratchDir('cost', t), 'bare'), [{ time: start, event: 'run', config: {}, run_dir: 'x' }]);
    const cost = trainingCost(bare);
    assert.equal(cost.status, 'failed');
    assert.equal(cost.gpuHours, undefined);
    assert.equal(cost.trainExamples, undefined);
  });

  it('adds up the attempts of a resumed run, leaving out the time between them, and ends a killed attempt at its last event', (t) => {
    const dir = writeRun(join(scratchDir('cost', t), 'resumed'), [
      { time: start, event: 'run', config: {}, run_dir: 'x' },
      { time: start + 1, event: 'environment', cuda: '12.4', gpus: [gpu] },
      { time: start + 2, event: 'phase', phase: 'training' },
      { time: start + 600, event: 'phase', phase: 'stopped' },
      // Resumed a day later; this attempt was killed (no terminal phase) after its last step at +900 s.
      { time: start + 86_400, event: 'run', config: {}, run_dir: 'x' },
      { time: start + 86_402, event: 'phase', phase: 'training', resumed_from: 'checkpoint-100' },
      { time: start + 86_400 + 900, event: 'step', step: 200, loss: 1.2 },
      // Resumed again, and finished.
      { time: start + 2 * 86_400, event: 'run', config: {}, run_dir: 'x' },
      { time: start + 2 * 86_400 + 1200, event: 'phase', phase: 'done' },
    ]);
    const cost = trainingCost(dir);
    assert.equal(cost.status, 'done');
    assert.equal(cost.seconds, 600 + 900 + 1200);
    assert.equal(cost.gpuHours, (600 + 900 + 1200) / 3600);
  });

  it('counts the attempt still training up to now, after earlier attempts', (t) => {
    const dir = writeRun(
      join(scratchDir('cost', t), 'resuming'),
      [
        { time: start, event: 'run', config: {}, run_dir: 'x' },
        { time: start + 300, event: 'phase', phase: 'failed' },
        { time: start + 10_000, event: 'run', config: {}, run_dir: 'x' },
        { time: start + 10_002, event: 'phase', phase: 'training' },
      ],
      { pid: process.pid },
    );
    assert.equal(trainingCost(dir, { now: (start + 10_000 + 60) * 1000 }).seconds, 300 + 60);
  });

  it('says missing for a run folder that is not there', (t) => {
    assert.deepEqual(trainingCost(join(scratchDir('cost', t), 'gone'), { run: 'runs/gone' }), { run: 'runs/gone', status: 'missing' });
  });
});
