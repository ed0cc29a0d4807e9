import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type TrainerEvent } from '../../../src/core/jobs/jobEvents';
import { emptySnapshot, foldEvents } from '../../../src/core/jobs/jobSnapshot';
import { eventLine, formatLoss, formatRate, JobProgressPrinter, progressBarLine, type ProgressMode } from '../../../src/cli/commands/jobProgress';

let seq = 0;
function event<E extends TrainerEvent>(fields: Omit<E, 'v' | 'seq' | 'time'>): { event: TrainerEvent; line: string } {
  seq += 1;
  const value = { v: 1, seq, time: 1_700_000_000 + seq, ...fields } as unknown as TrainerEvent;
  // Python's float spelling, which a re-encoding would change (1.0 → 1).
  return { event: value, line: JSON.stringify(value).replace(/"time":(\d+)/, '"time":$1.0') };
}

const step = (n: number, loss: number): { event: TrainerEvent; line: string } =>
  event({ event: 'step', step: n, total_steps: 10, loss, learning_rate: 0.0002, tokens_per_second: 12345.6, eta_seconds: 65 } as never);

function printer(mode: ProgressMode, clock: { now: number }): { printer: JobProgressPrinter; output: () => string } {
  let text = '';
  return { printer: new JobProgressPrinter({ mode, runDir: '/runs/x', name: 'x', write: (chunk) => (text += chunk), columns: 120, now: () => clock.now }), output: () => text };
}

describe('job progress output', () => {
  it('formats losses to four significant digits and rates with separators', () => {
    assert.equal(formatLoss(1.234567), '1.235');
    assert.equal(formatLoss(0.000123456), '0.0001235');
    assert.equal(formatLoss(null), '—');
    assert.equal(formatRate(12345.6), '12,346 tok/s');
    assert.equal(formatRate(null), undefined);
  });

  it('writes one line per phase, eval, checkpoint, warning and error, and per step', () => {
    assert.equal(eventLine(step(4, 1.5).event), 'step 4/10  loss 1.500  lr 2.00e-4  12,346 tok/s  ETA 1m 05s');
    assert.equal(eventLine(event({ event: 'eval', step: 5, eval_loss: 0.75 } as never).event), 'eval at step 5: loss 0.7500');
    assert.equal(
      eventLine(event({ event: 'checkpoint', step: 5, path: '/r/checkpoints/checkpoint-5', reason: 'interval' } as never).event),
      'checkpoint at step 5 (interval): /r/checkpoints/checkpoint-5',
    );
    assert.equal(eventLine(event({ event: 'phase', phase: 'failed', code: 'OUT_OF_MEMORY' } as never).event), 'phase failed: OUT_OF_MEMORY');
    assert.equal(eventLine(event({ event: 'warning', code: 'EVAL_EMPTY', message: 'no eval rows' } as never).event), 'warning EVAL_EMPTY: no eval rows');
    assert.equal(eventLine(event({ event: 'run', config: {}, run_dir: '/r' } as never).event), undefined);
  });

  it('prints at most one step line a second in plain mode, and the step before a phase change', () => {
    const clock = { now: 0 };
    const { printer: plain, output } = printer('lines', clock);
    plain.print([step(1, 2)]);
    clock.now = 300;
    plain.print([step(2, 1.9)]);
    clock.now = 600;
    plain.print([step(3, 1.8)]);
    clock.now = 1100;
    plain.print([step(4, 1.7)]);
    clock.now = 1200;
    plain.print([step(5, 1.6), event({ event: 'phase', phase: 'saving' } as never)]);
    assert.deepEqual(
      output()
        .trimEnd()
        .split('\n')
        .map((line) => line.split('  ')[0]),
      ['step 1/10', 'step 4/10', 'step 5/10', 'phase saving'],
    );
  });

  it('prints the lines as the trainer wrote them in JSON mode', () => {
    const { printer: json, output } = printer('json', { now: 0 });
    const items = [step(1, 2), step(2, 1.9)];
    json.print(items);
    assert.equal(output(), items.map((item) => `${item.line}\n`).join(''));
    assert.match(output(), /"time":\d+\.0/);
  });

  it('rewrites one bar line in place on a terminal, printing other events above it', () => {
    const { printer: bar, output } = printer('bar', { now: 0 });
    bar.print([event({ event: 'phase', phase: 'training' } as never), step(1, 2)]);
    bar.print([step(2, 1.5)]);
    bar.end();
    const text = output();
    assert.ok(text.startsWith('phase training\ntraining'), JSON.stringify(text));
    const lastRedraw = '\r\u001b[2K';
    assert.ok(text.includes(lastRedraw));
    assert.match(text.slice(text.lastIndexOf(lastRedraw) + lastRedraw.length), /^training +\[#+-+\] {2}2\/10 {2}loss 1\.500 {2}12,346 tok\/s {2}ETA 1m 05s\n$/);
  });

  it('fits the bar into the terminal width', () => {
    const snapshot = foldEvents(emptySnapshot('/r', 'x', 'running'), [event({ event: 'phase', phase: 'training' } as never).event, step(3, 1.25).event]);
    for (const columns of [40, 80, 200]) assert.ok(progressBarLine(snapshot, columns).length < columns);
  });
});
