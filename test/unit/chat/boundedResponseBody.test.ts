import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { boundedEventStream, cappedBody, truncatedBody } from '../../../src/core/chat/boundedResponseBody';

/** A body that hands out these pieces and records whether it was cancelled. */
function source(pieces: string[]): { stream: ReadableStream<Uint8Array>; cancelled: () => boolean; pulled: () => number } {
  let cancelled = false;
  let pulled = 0;
  const queue = pieces.map((p) => new TextEncoder().encode(p));
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      const next = queue.shift();
      pulled++;
      if (next) controller.enqueue(next);
      else controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
  return { stream, cancelled: () => cancelled, pulled: () => pulled };
}

const read = (stream: ReadableStream<Uint8Array>) => new Response(stream).text();
const errors = { tooBig: () => new Error('too big'), lineTooLong: () => new Error('line too long') };
const bounds = { streamBytes: 1000, lineBytes: 100 };

describe('boundedEventStream', () => {
  it('ends right after data: [DONE], even split between chunks, and cancels the rest', async () => {
    for (const cut of [1, 3, 8, 10, 13]) {
      const events = 'data: {"a":1}\n\ndata: [DONE]';
      const body = source([events.slice(0, cut), events.slice(cut), '\n\n: keep-alive\n\n', 'data: {"late":1}\n\n']);
      const text = await read(boundedEventStream(body.stream, bounds, errors));
      assert.equal(text, 'data: {"a":1}\n\ndata: [DONE]\n\n', `cut at ${cut}`);
      assert.ok(body.cancelled(), `cut at ${cut}`);
    }
  });
  it('does not end at a [DONE] that is part of an answer', async () => {
    const events = 'data: {"content":"[DONE]"}\n\ndata: x [DONE]\n\n';
    assert.equal(await read(boundedEventStream(source([events]).stream, bounds, errors)), events);
  });
  it('errors past the stream size or past the line length, and cancels the body', async () => {
    const long = source(['data: ', 'x'.repeat(60), 'x'.repeat(60), 'x', 'x', '\n']);
    await assert.rejects(read(boundedEventStream(long.stream, bounds, errors)), /line too long/);
    assert.ok(long.cancelled());
    const big = source(Array.from({ length: 30 }, () => `data: ${'y'.repeat(50)}\n\n`));
    await assert.rejects(read(boundedEventStream(big.stream, bounds, errors)), /too big/);
    assert.ok(big.cancelled());
  });
});

describe('cappedBody and truncatedBody', () => {
  it('cappedBody passes a body within the cap and errors past it', async () => {
    assert.equal(await read(cappedBody(source(['ab', 'cd']).stream, 4, () => new Error('over'))), 'abcd');
    await assert.rejects(read(cappedBody(source(['ab', 'cde']).stream, 4, () => new Error('over'))), /over/);
  });
  it('truncatedBody keeps the start and stops reading there', async () => {
    const body = source(['abc', 'def', 'ghi', 'jkl']);
    assert.equal(await read(truncatedBody(body.stream, 5)), 'abcde');
    assert.ok(body.cancelled());
  });
});
