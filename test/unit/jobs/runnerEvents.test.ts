import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { appendFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type TrainerEvent } from '../../../src/core/jobs/jobEvents';
import { EventFollower, JobProtocolError, parseEventLine, readEvents } from '../../../src/core/jobs/jobEventReader';
import { emptySnapshot, foldEvents, snapshotOfRun } from '../../../src/core/jobs/jobSnapshot';
import { readRunRecord, writeRunRecord } from '../../../src/core/jobs/runFolder';
import { fileSizeCaps } from '../../../src/core/files/boundedRead';
import { scratchDir } from '../../support/scratchDir';
import { waitFor } from '../../support/waitFor';

let seq = 0;
/** One event line as the trainer writes it (compact JSON, v 1, the next seq). */
function line(event: string, fields: Record<string, unknown> = {}, at = seq + 1): string {
  seq = at;
  return JSON.stringify({ v: 1, seq: at, time: 1_700_000_000 + at, event, ...fields });
}

function events(...lines: string[]): TrainerEvent[] {
  return lines.map((text) => parseEventLine(text)!);
}

describe('parseEventLine', () => {
  it('reads an event of protocol 1 with its fields', () => {
    const event = parseEventLine('{"v":1,"seq":4,"time":1.5,"event":"step","step":2,"loss":1.25}');
    assert.deepEqual(event, { v: 1, seq: 4, time: 1.5, event: 'step', step: 2, loss: 1.25 });
  });

  it('keeps a non-finite number, written as null, as null', () => {
    const event = parseEventLine('{"v":1,"seq":5,"time":1,"event":"step","step":3,"loss":null,"grad_norm":null}');
    assert.equal(event?.event, 'step');
    assert.equal((event as { loss: unknown }).loss, null);
  });

  it('skips a torn line, a line that is not JSON, NaN literals and events of an unknown kind', () => {
    assert.equal(parseEventLine('{"v":1,"seq":6,"time":1,"event":"st'), undefined);
    assert.equal(parseEventLine('Traceback (most recent call last):'), undefined);
    assert.equal(parseEventLine('{"v":1,"seq":6,"time":1,"event":"step","loss":NaN}'), undefined);
    assert.equal(parseEventLine('{"v":1,"seq":6,"time":1,"event":"telemetry"}'), undefined);
    assert.equal(parseEventLine('{"v":1,"time":1,"event":"step"}'), undefined);
    assert.equal(parseEventLine('[1,2]'), undefined);
    assert.equal(parseEventLine(''), undefined);
  });

  it('refuses an event of a newer major protocol version, and accepts a newer minor one', () => {
    assert.throws(
      () => parseEventLine('{"v":2,"seq":1,"time":1,"event":"phase","phase":"probing"}'),
      (error: unknown) => error instanceof JobProtocolError && error.version === 2 && /newer than this Chatwright reads/.test(error.message),
    );
    assert.equal(parseEventLine('{"v":1.1,"seq":1,"time":1,"event":"phase","phase":"probing"}')?.seq, 1);
  });
});

describe('readEvents', () => {
  it('replays complete lines after a seq and skips a torn last line', (t) => {
    const file = join(scratchDir('events', t), 'events.jsonl');
    writeFileSync(file, `${line('run', { config: {}, run_dir: '/r' }, 1)}\nnot json\n${line('phase', { phase: 'probing' }, 2)}\n${line('phase', { phase: 'training' }, 3)}\n{"v":1,"seq":4,"ti`);
    assert.deepEqual(
      readEvents(file).map((event) => event.seq),
      [1, 2, 3],
    );
    assert.deepEqual(
      readEvents(file, 2).map((event) => event.seq),
      [3],
    );
    assert.deepEqual(readEvents(join(file, '..', 'missing.jsonl')), []);
  });
});

describe('EventFollower', () => {
  it('hands over events appended later, once each, and holds a partial last line until its newline arrives', async (t) => {
    const file = join(scratchDir('follow', t), 'events.jsonl');
    const seen: number[][] = [];
    const follower = new EventFollower(file, (batch) => seen.push(batch.map((event) => event.seq)), { pollMs: 20 });
    t.after(() => follower.stop());
    // The file does not exist yet: the trainer creates it.
    writeFileSync(file, `${line('phase', { phase: 'probing' }, 1)}\n`);
    await waitFor(() => (seen.length === 1 ? true : undefined), 'the first event', 5_000);
    const half = line('step', { step: 1, loss: 2.5 }, 2);
    appendFileSync(file, half.slice(0, 20));
    await new Promise((resolve) => setTimeout(resolve, 120));
    assert.deepEqual(seen, [[1]], 'a partial line is not handed over');
    appendFileSync(file, `${half.slice(20)}\n${line('step', { step: 2, loss: 2.1 }, 3)}\n`);
    await waitFor(() => (seen.length === 2 ? true : undefined), 'the appended events', 5_000);
    assert.deepEqual(seen, [[1], [2, 3]]);
    follower.stop();
    appendFileSync(file, `${line('step', { step: 3 }, 4)}\n`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(seen.length, 2, 'nothing after stop()');
  });

  it('starts after the seq it is given (a viewer that saw the replay already)', async (t) => {
    const file = join(scratchDir('follow', t), 'events.jsonl');
    writeFileSync(file, `${line('phase', { phase: 'probing' }, 1)}\n${line('phase', { phase: 'training' }, 2)}\n`);
    const seen: number[] = [];
    const follower = new EventFollower(file, (batch) => seen.push(...batch.map((event) => event.seq)), { afterSeq: 1, pollMs: 20 });
    t.after(() => follower.stop());
    await waitFor(() => (seen.length > 0 ? true : undefined), 'the event after seq 1', 5_000);
    assert.deepEqual(seen, [2]);
  });

  it('stops and reports a line of a newer protocol version', async (t) => {
    const file = join(scratchDir('follow', t), 'events.jsonl');
    writeFileSync(file, '{"v":3,"seq":1,"time":1,"event":"phase","phase":"probing"}\n');
    let error: JobProtocolError | undefined;
    const follower = new EventFollower(file, () => assert.fail('no event expected'), { pollMs: 20, onError: (e) => (error = e) });
    t.after(() => follower.stop());
    const reported = await waitFor(() => error, 'the protocol error', 5_000);
    assert.equal(reported.version, 3);
  });
});

describe('foldEvents', () => {
  const run = line('run', { config: { method: { type: 'lora' } }, run_dir: '/r' }, 1);

  it('maps phases to statuses and fills the series for the charts, keeping a non-finite loss as a gap', () => {
    const snapshot = foldEvents(
      emptySnapshot('/r', 'persona'),
      events(
        run,
        line('phase', { phase: 'probing' }),
        line('environment', { precision: 'bf16', attn_implementation: 'sdpa', packing: 'padding_free', cuda: '12.4', torch: '2.5', gpus: [] }),
        line('phase', { phase: 'loading_model', model: '/m' }),
        line('data', { format: 'messages', train_examples: 40, eval_examples: 4, eval_source: 'held out', train_tokens: 4000, trained_tokens: 1600, truncated: 1, dropped: 0 }),
        line('model', { method: 'lora', trainable_parameters: 10, total_parameters: 1000 }),
        line('phase', { phase: 'training', resumed_from: null, fused_loss: true }),
        line('step', { step: 1, total_steps: 3, epoch: 0.3, loss: 2.5, learning_rate: 2e-4, tokens_per_second: 900, eta_seconds: 20, gpu_memory_bytes: 1000, gpu_memory_peak_bytes: 1500 }),
        line('step', { step: 2, total_steps: 3, epoch: 0.6, loss: null, learning_rate: 1e-4, tokens_per_second: 950, eta_seconds: 10, gpu_memory_bytes: 1100, gpu_memory_peak_bytes: 1700 }),
      ),
    );
    assert.equal(snapshot.status, 'running');
    assert.equal(snapshot.phase, 'training');
    assert.equal(snapshot.method, 'lora');
    assert.deepEqual(snapshot.series.step, [1, 2]);
    assert.deepEqual(snapshot.series.loss, [2.5, null]);
    assert.deepEqual(snapshot.series.learningRate, [2e-4, 1e-4]);
    assert.deepEqual(snapshot.series.tokensPerSecond, [900, 950]);
    assert.deepEqual(snapshot.series.gpuMemoryBytes, [1000, 1100]);
    assert.equal(snapshot.lastLoss, 2.5, 'the last finite loss');
    assert.equal(snapshot.etaSeconds, 10);
    assert.equal(snapshot.totalSteps, 3);
    assert.equal(snapshot.gpuMemoryPeakBytes, 1700);
    assert.deepEqual(snapshot.environment, { precision: 'bf16', attnImplementation: 'sdpa', packing: 'padding_free', cuda: '12.4', torch: '2.5', gpus: [] });
    assert.deepEqual(snapshot.data, { format: 'messages', trainExamples: 40, evalExamples: 4, evalSource: 'held out', trainTokens: 4000, trainedTokens: 1600, truncated: 1, dropped: 0 });
    assert.deepEqual(snapshot.model, { trainableParameters: 10, totalParameters: 1000 });
    assert.equal(snapshot.startedAt, (1_700_000_000 + 1) * 1000);
  });

  it('takes the final loss, adapter and end from `done`, and clears the ETA', () => {
    const before = foldEvents(emptySnapshot('/r', 'p'), events(run, line('step', { step: 1, loss: 2, eta_seconds: 5 })));
    const after = foldEvents(
      before,
      events(
        line('eval', { step: 1, eval_loss: 1.9 }),
        line('checkpoint', { step: 1, path: '/r/checkpoints/checkpoint-1', reason: 'interval' }),
        line('phase', { phase: 'done', adapter: '/r/adapter', step: 1, train_loss: 1.75 }),
      ),
    );
    assert.equal(after.status, 'done');
    assert.equal(after.finalLoss, 1.75);
    assert.equal(after.adapter, '/r/adapter');
    assert.equal(after.lastEvalLoss, 1.9);
    assert.deepEqual(after.series.evalStep, [1]);
    assert.deepEqual(after.checkpoints, [{ step: 1, path: '/r/checkpoints/checkpoint-1', reason: 'interval' }]);
    assert.equal(after.etaSeconds, undefined);
    assert.equal(after.endedAt, (1_700_000_000 + seq) * 1000);
    assert.equal(before.status, 'starting', 'the snapshot given is not changed');
    assert.equal(before.series.evalStep.length, 0);
  });

  it('keeps the error with its install command and the warnings, and skips events folded already', () => {
    const failing = events(
      run,
      line('warning', { code: 'PAD_TOKEN_CHANGED', message: 'pad token was EOS', previous: '<eos>', pad_token: '<pad>' }),
      line('error', { code: 'PACKAGES_MISSING', message: 'missing or too old: torch', action: 'Install them', install_command: 'python3 -m pip install torch' }),
      line('phase', { phase: 'failed', code: 'PACKAGES_MISSING' }),
    );
    const once = foldEvents(emptySnapshot('/r', 'p'), failing);
    const twice = foldEvents(once, failing);
    assert.equal(twice.status, 'failed');
    assert.deepEqual(twice.error, { code: 'PACKAGES_MISSING', message: 'missing or too old: torch', action: 'Install them', install_command: 'python3 -m pip install torch' });
    assert.deepEqual(twice.warnings, [{ code: 'PAD_TOKEN_CHANGED', message: 'pad token was EOS' }]);
    assert.equal(twice.lastSeq, seq);
  });

  it('continues the series of a resumed run: steps from the checkpoint on replace those trained after it', () => {
    const first = foldEvents(
      emptySnapshot('/r', 'p'),
      events(
        run,
        ...[1, 2, 3, 4].map((step) => line('step', { step, loss: 3 - step / 2 })),
        line('eval', { step: 2, eval_loss: 2.2 }),
        line('eval', { step: 4, eval_loss: 1.4 }),
        line('phase', { phase: 'failed', code: 'TRAINING_FAILED' }),
      ),
    );
    const resumed = foldEvents(
      first,
      events(line('run', { config: {}, run_dir: '/r' }), line('phase', { phase: 'training', resumed_from: '/r/checkpoints/checkpoint-2' }), line('step', { step: 3, loss: 1.6 })),
    );
    assert.deepEqual(resumed.series.step, [1, 2, 3]);
    assert.deepEqual(resumed.series.loss, [2.5, 2, 1.6]);
    assert.deepEqual(resumed.series.evalStep, [2], 'the eval after the checkpoint is replaced too');
    assert.equal(resumed.status, 'running');
    assert.equal(resumed.error, undefined, 'the earlier failure no longer describes the job');
    assert.equal(resumed.resumedFrom, '/r/checkpoints/checkpoint-2');
  });
});

describe('snapshotOfRun', () => {
  it('says a run whose trainer is gone without a terminal phase failed, naming how it ended', (t) => {
    const runDir = scratchDir('run', t);
    // A pid that cannot be alive, and the exit the runner saw.
    writeRunRecord(runDir, { version: 1, name: 'persona', createdAt: new Date().toISOString(), hostname: 'h', pid: 2 ** 22 + 12345, exit: { code: null, signal: 'SIGKILL' } });
    writeFileSync(join(runDir, 'events.jsonl'), `${line('run', { config: {}, run_dir: runDir }, 1)}\n${line('phase', { phase: 'training' }, 2)}\n${line('step', { step: 1, loss: 2 }, 3)}\n`);
    const snapshot = snapshotOfRun(runDir);
    assert.equal(snapshot.status, 'failed');
    assert.equal(snapshot.name, 'persona');
    assert.match(snapshot.error!.message, /the trainer ended without a final event \(killed by SIGKILL\)/);
    assert.deepEqual(snapshot.series.step, [1]);
    assert.equal(snapshot.pid, undefined);
  });

  it('reads a finished run as its terminal phase, a prepared one as not started, and a newer protocol as a clear failure', (t) => {
    const done = scratchDir('run', t);
    writeRunRecord(done, { version: 1, name: 'a', createdAt: new Date().toISOString(), hostname: 'h', pid: 2 ** 22 + 12345 });
    writeFileSync(join(done, 'events.jsonl'), `${line('run', { config: {}, run_dir: done }, 1)}\n${line('phase', { phase: 'done', train_loss: 0.5 }, 2)}\n`);
    assert.equal(snapshotOfRun(done).status, 'done');
    assert.equal(snapshotOfRun(done).finalLoss, 0.5);
    const prepared = scratchDir('run', t);
    writeRunRecord(prepared, { version: 1, name: 'b', createdAt: new Date().toISOString(), hostname: 'h' });
    assert.equal(snapshotOfRun(prepared).status, 'queued');
    const newer = scratchDir('run', t);
    writeFileSync(join(newer, 'events.jsonl'), '{"v":2,"seq":1,"time":1,"event":"run"}\n');
    assert.equal(snapshotOfRun(newer).status, 'failed');
    assert.equal(snapshotOfRun(newer).error?.code, 'PROTOCOL_VERSION');
  });

  it('shows a run whose events file is not a regular file, or is over its cap, as unreadable instead of hanging or throwing', (t) => {
    const pipe = scratchDir('run', t);
    writeRunRecord(pipe, { version: 1, name: 'fifo', createdAt: new Date().toISOString(), hostname: 'h' });
    execFileSync('mkfifo', [join(pipe, 'events.jsonl')]);
    const fromPipe = snapshotOfRun(pipe);
    assert.equal(fromPipe.status, 'failed');
    assert.equal(fromPipe.error?.code, 'RUN_UNREADABLE');
    assert.match(fromPipe.error?.message ?? '', /events\.jsonl/);
    const huge = scratchDir('run', t);
    writeFileSync(join(huge, 'events.jsonl'), '');
    truncateSync(join(huge, 'events.jsonl'), fileSizeCaps.runEvents + 1);
    const fromHuge = snapshotOfRun(huge);
    assert.equal(fromHuge.error?.code, 'RUN_UNREADABLE');
    assert.match(fromHuge.error?.message ?? '', /events\.jsonl/);
    writeFileSync(join(huge, 'run.json'), '');
    truncateSync(join(huge, 'run.json'), fileSizeCaps.runRecord + 1);
    assert.equal(readRunRecord(huge), undefined, 'an oversized run.json is no record');
  });
});
