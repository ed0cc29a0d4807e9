/**
 * Response bodies from a server that is not trusted, read with bounds: the body handed on errors out (or ends) at its
 * limit and the connection is cancelled, so a server that streams forever costs a bounded amount of memory and reading.
 */

/** What to do with one chunk: hand on `keep`, and stop after it when `end` is true. Throwing errors the stream. */
type ChunkInspector = (chunk: Uint8Array) => { keep: Uint8Array; end: boolean };

function guardedStream(source: ReadableStream<Uint8Array>, inspect: ChunkInspector): ReadableStream<Uint8Array> {
  const reader = source.getReader();
  const stopSource = (reason?: unknown) => void reader.cancel(reason).catch(() => undefined);
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let result: Awaited<ReturnType<typeof reader.read>>;
      try {
        result = await reader.read();
      } catch (error) {
        controller.error(error);
        return;
      }
      if (result.done) {
        controller.close();
        return;
      }
      let verdict: { keep: Uint8Array; end: boolean };
      try {
        verdict = inspect(result.value);
      } catch (error) {
        stopSource(error);
        controller.error(error);
        return;
      }
      if (verdict.keep.byteLength > 0) controller.enqueue(verdict.keep);
      if (verdict.end) {
        stopSource();
        controller.close();
      }
    },
    cancel(reason) {
      stopSource(reason);
    },
  });
}

/** A body that errors with `tooBig()` once more than `limit` bytes arrive. */
export function cappedBody(source: ReadableStream<Uint8Array>, limit: number, tooBig: () => Error): ReadableStream<Uint8Array> {
  let bytes = 0;
  return guardedStream(source, (chunk) => {
    bytes += chunk.byteLength;
    if (bytes > limit) throw tooBig();
    return { keep: chunk, end: false };
  });
}

/** The first `limit` bytes of a body, then its end (an error message's start is all that is shown). */
export function truncatedBody(source: ReadableStream<Uint8Array>, limit: number): ReadableStream<Uint8Array> {
  let bytes = 0;
  return guardedStream(source, (chunk) => {
    const keep = chunk.subarray(0, Math.max(0, limit - bytes));
    bytes += keep.byteLength;
    return { keep, end: bytes >= limit };
  });
}

export interface EventStreamBounds {
  /** The most bytes of the whole stream. */
  streamBytes: number;
  /** The longest line. */
  lineBytes: number;
}

const doneMarker = Buffer.from('[DONE]');
const newline = 0x0a;

/**
 * A server-sent-events body bounded in total size and line length, that ends right after a `data: [DONE]` line: a
 * server may keep the connection open after it (keep-alives, or more events), and nothing after `[DONE]` is an answer.
 * Scanning for `[DONE]` is a native byte search per chunk, so the cost per token stays far below JSON parsing.
 */
export function boundedEventStream(source: ReadableStream<Uint8Array>, bounds: EventStreamBounds, errors: { tooBig: () => Error; lineTooLong: () => Error }): ReadableStream<Uint8Array> {
  let bytes = 0;
  let lineBytes = 0;
  // The last bytes of the stream so far, for a `data: [DONE]` split between chunks; a newline stands for its start.
  let tail = Buffer.from('\n');
  /** Whether the `[DONE]` at `at` in `bytes` follows `data:` at a line's start. */
  const afterDataField = (bytes: Buffer, at: number) => /\ndata: ?$/.test(bytes.subarray(Math.max(0, at - 8), at).toString('latin1'));
  /** Where in `chunk` a `data: [DONE]` line's marker ends, if there is one. */
  const doneEnd = (view: Buffer): number | undefined => {
    // A marker that starts in the tail and ends in this chunk: searched in a few bytes only.
    const junction = Buffer.concat([tail, view.subarray(0, doneMarker.length - 1)]);
    for (let at = junction.indexOf(doneMarker, Math.max(0, tail.length - doneMarker.length + 1)); at >= 0; at = junction.indexOf(doneMarker, at + 1))
      if (afterDataField(junction, at)) return at + doneMarker.length - tail.length;
    for (let at = view.indexOf(doneMarker); at >= 0; at = view.indexOf(doneMarker, at + 1))
      if (at >= 8 ? afterDataField(view, at) : afterDataField(Buffer.concat([tail, view.subarray(0, at)]), tail.length + at)) return at + doneMarker.length;
    return undefined;
  };
  return guardedStream(source, (chunk) => {
    bytes += chunk.byteLength;
    if (bytes > bounds.streamBytes) throw errors.tooBig();
    const lastNewline = chunk.lastIndexOf(newline);
    lineBytes = lastNewline < 0 ? lineBytes + chunk.byteLength : chunk.byteLength - lastNewline - 1;
    if (lineBytes > bounds.lineBytes) throw errors.lineTooLong();
    const view = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const end = doneEnd(view);
    if (end !== undefined) return { keep: Buffer.concat([view.subarray(0, end), Buffer.from('\n\n')]), end: true };
    tail = view.length >= 16 ? Buffer.from(view.subarray(view.length - 16)) : Buffer.concat([tail, view]).subarray(-16);
    return { keep: chunk, end: false };
  });
}
