import * as assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type GenerateOptions, OnnxTextGenerator } from '../../../src/core/inference/textGenerator';
import { StepLock } from '../../../src/core/inference/stepLock';
import { decoderModel } from '../../support/testModels';

interface Stream {
  name: string;
  prompt: string;
  options: GenerateOptions;
}

/** What happened, in order: a stream's forward step (its logits reached the sampler) or its end. */
type Event = { stream: string; kind: 'step' } | { stream: string; kind: 'finished' };

const streams: Stream[] = [
  { name: 'greedy-short', prompt: 'Name a colour.', options: { temperature: 0, maxNewTokens: 10 } },
  { name: 'greedy-long', prompt: 'Write a long story about a lighthouse keeper and the sea, with many details about the storms.', options: { temperature: 0, maxNewTokens: 10 } },
  { name: 'sampled', prompt: 'Pick a number.', options: { temperature: 0.9, topP: 0.95, seed: 7, maxNewTokens: 10 } },
];

describe('concurrent generations on one model', () => {
  const model = decoderModel({ layers: 2, hiddenSize: 64, heads: 4, kvHeads: 2, seed: 3 });
  let generator: OnnxTextGenerator;
  const alone = new Map<string, number[]>();

  before(async () => {
    generator = await OnnxTextGenerator.load(model.dir, { dtype: 'fp32' });
    for (const stream of streams) alone.set(stream.name, (await generator.generateFromIds(generator.encodeChat([{ role: 'user', content: stream.prompt }]), stream.options)).tokens);
  });

  after(async () => {
    await generator.dispose();
  });

  async function runTogether(
    selected: Stream[],
    signals: Map<string, AbortSignal> = new Map(),
    onStep: (stream: string) => void = () => undefined,
  ): Promise<{ events: Event[]; tokens: Map<string, number[]>; finish: Map<string, string> }> {
    const events: Event[] = [];
    const tokens = new Map<string, number[]>();
    const finish = new Map<string, string>();
    await Promise.all(
      selected.map(async (stream) => {
        const result = await generator.generateFromIds(generator.encodeChat([{ role: 'user', content: stream.prompt }]), stream.options, undefined, signals.get(stream.name), () => {
          events.push({ stream: stream.name, kind: 'step' });
          onStep(stream.name);
        });
        events.push({ stream: stream.name, kind: 'finished' });
        tokens.set(stream.name, result.tokens);
        finish.set(stream.name, result.stats.finishReason);
      }),
    );
    return { events, tokens, finish };
  }

  it('takes turns token by token: every stream steps before any finishes, round-robin while all run', async () => {
    const { events } = await runTogether(streams);
    const firstFinish = events.findIndex((event) => event.kind === 'finished');
    const whileAllRun = events.slice(0, firstFinish).map((event) => event.stream);
    for (const stream of streams) assert.ok(whileAllRun.includes(stream.name), `${stream.name} made no step before another stream finished: ${JSON.stringify(events)}`);
    for (let start = 0; start + streams.length <= whileAllRun.length; start++) {
      const window = whileAllRun.slice(start, start + streams.length);
      assert.equal(new Set(window).size, streams.length, `steps ${start}..${start + streams.length - 1} are not one per stream: ${whileAllRun.join(' ')}`);
    }
    assert.ok(whileAllRun.length >= streams.length * 5, `only ${whileAllRun.length} steps interleaved before the first answer ended`);
  });

  it('gives each stream the tokens it produces alone (greedy and seeded sampling): no cross-talk between KV caches', async () => {
    const { tokens } = await runTogether(streams);
    for (const stream of streams) assert.deepEqual(tokens.get(stream.name), alone.get(stream.name), stream.name);
  });

  it('cancels a stream waiting for its turn without disturbing the others', async () => {
    const controller = new AbortController();
    const cancelled: Stream = { name: 'cancelled', prompt: 'Count to a hundred.', options: { temperature: 0, maxNewTokens: 50 } };
    let shortSteps = 0;
    // Aborts at the short stream's third step (the long one then holds the model): the cancelled stream is then queued behind the others for its turn.
    const { events, tokens, finish } = await runTogether([...streams.slice(0, 2), cancelled], new Map([['cancelled', controller.signal]]), (stream) => {
      if (stream === 'greedy-short' && ++shortSteps === 3) controller.abort();
    });
    const abortedAt = events.findIndex((event, index) => event.stream === 'greedy-short' && events.slice(0, index + 1).filter((e) => e.stream === 'greedy-short').length === 3);
    assert.ok(
      events.slice(abortedAt + 1).every((event) => event.stream !== 'cancelled' || event.kind === 'finished'),
      `the cancelled stream stepped after its abort: ${JSON.stringify(events)}`,
    );
    assert.equal(finish.get('cancelled'), 'cancelled');
    assert.ok(tokens.get('cancelled')!.length < 50);
    for (const stream of streams.slice(0, 2)) assert.deepEqual(tokens.get(stream.name), alone.get(stream.name), stream.name);
  });
});

describe('the step lock', () => {
  it('grants the lock in the order it was asked for', async () => {
    const lock = new StepLock();
    const order: string[] = [];
    const first = (await lock.acquire())!;
    const waiters = ['b', 'c', 'd'].map(async (name) => {
      const release = (await lock.acquire())!;
      order.push(name);
      release();
    });
    assert.equal(lock.queued, 3);
    first();
    await Promise.all(waiters);
    assert.deepEqual(order, ['b', 'c', 'd']);
    assert.equal(lock.queued, 0);
  });

  it('lets a waiter leave the queue when its signal aborts, and hands the lock on past it', async () => {
    const lock = new StepLock();
    const first = (await lock.acquire())!;
    const controller = new AbortController();
    const leaving = lock.acquire(controller.signal);
    const staying = lock.acquire();
    controller.abort();
    assert.equal(await leaving, undefined);
    assert.equal(lock.queued, 1);
    first();
    const release = await staying;
    assert.ok(release);
    release();
    assert.ok(await lock.acquire(), 'the lock is free again once every holder released it');
  });

  it('ignores a second release of the same turn', async () => {
    const lock = new StepLock();
    const first = (await lock.acquire())!;
    const second = lock.acquire();
    first();
    first();
    const third = lock.acquire();
    (await second)!();
    assert.ok(await third);
  });
});
