import assert from 'node:assert/strict';
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ServingEventLog } from '../../../src/core/serving/servingEventLog';
import { scratchDir } from '../../support/scratchDir';

/** The file's complete JSON lines (a torn one is left out, as the jobs reader does). */
function written(runDir: string): { v: number; seq: number; time: number; event: string }[] {
  return readFileSync(join(runDir, 'events.jsonl'), 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as { v: number; seq: number; time: number; event: string }];
      } catch {
        return [];
      }
    });
}

describe("a serving job's event log", () => {
  it('writes protocol-v1 lines with a sequence number and the time', () => {
    const runDir = join(scratchDir('serving-events'), 'run');
    const log = new ServingEventLog(runDir);
    log.append({ event: 'phase', phase: 'loading_model' });
    log.append({ event: 'serving', url: 'http://127.0.0.1:1/v1', host: '127.0.0.1', port: 1, engine: 'builtin', models: [{ id: 'm', kind: 'chat' }], api_key_required: false });
    const events = written(runDir);
    assert.deepEqual(
      events.map(({ v, seq, event }) => ({ v, seq, event })),
      [
        { v: 1, seq: 1, event: 'phase' },
        { v: 1, seq: 2, event: 'serving' },
      ],
    );
    assert.ok(events.every((event) => Math.abs(event.time - Date.now() / 1000) < 60));
  });

  it('numbers on from the last event already in the folder, serving events and a torn last line included', () => {
    const runDir = join(scratchDir('serving-events-restart'), 'run');
    const first = new ServingEventLog(runDir);
    first.append({ event: 'phase', phase: 'loading_model' });
    first.append({ event: 'serving_stats', requests: 1, active: 0, queued: 0, rejected: 0, prompt_tokens: 3, completion_tokens: 4 });
    appendFileSync(join(runDir, 'events.jsonl'), '{"v":1,"seq":');
    new ServingEventLog(runDir).append({ event: 'phase', phase: 'stopped' });
    assert.deepEqual(
      written(runDir).map((event) => [event.seq, event.event]),
      [
        [1, 'phase'],
        [2, 'serving_stats'],
        [3, 'phase'],
      ],
    );
    assert.match(readFileSync(join(runDir, 'events.jsonl'), 'utf8'), /\{"v":1,"seq":\n\{"v":1,"seq":3,/, 'the new event starts a line of its own after the torn one');
  });
});
