import * as net from 'node:net';
import * as tls from 'node:tls';

/**
 * An HTTP/1.1 GET whose body is read straight from the socket into one reusable buffer (`onread`), for large blob
 * transfers. node:http allocates a new 64 KB Buffer for every socket read and runs it through the parser and a readable
 * stream: at loopback or datacenter speeds that is about 0.9 CPU-seconds per GB before a byte is hashed or written,
 * more than curl spends on the whole transfer. Here a read lands in a 1 MB buffer that is handed to the caller's sink
 * and reused once the sink is done with it (the socket is paused meanwhile), so the cost is the kernel's copy.
 *
 * Deliberately small: one request per connection (`Connection: close`), bodies framed by Content-Length or by the end
 * of the connection. A chunked body is reported as `framing: 'chunked'` and left to node:http by the caller.
 */

export interface DirectResponse {
  status: number;
  /** Header names in lower case; repeated headers joined with ", ". */
  headers: Readonly<Record<string, string>>;
  framing: 'length' | 'close' | 'chunked';
  /** Body bytes announced by Content-Length (undefined unless framing is 'length'). */
  contentLength: number | undefined;
  /**
   * Hands every body chunk to `sink`, in order. A chunk is a view of the reusable read buffer: the sink must consume or
   * copy it before its returned promise settles (reading waits for it). Resolves with the byte count once the body is
   * complete; rejects when the connection ends early, errs, times out or the signal aborts.
   */
  readBody(sink: (chunk: Buffer) => void | Promise<void>): Promise<number>;
  /** Closes the connection without reading the body. */
  discard(): void;
}

export interface DirectGetOptions {
  headers: Readonly<Record<string, string>>;
  signal?: AbortSignal;
  /** Idle time without any byte before the request fails with ETIMEDOUT (default 60 s). */
  idleTimeoutMs?: number;
  readBufferBytes?: number;
  /** Extra trust for https (a private CA); certificates are always verified. */
  ca?: string | Buffer;
}

const maxHeaderBytes = 64 * 1024;

export function directGet(url: URL, options: DirectGetOptions): Promise<DirectResponse> {
  return new Promise<DirectResponse>((resolveResponse, rejectResponse) => {
    const readBuffer = Buffer.allocUnsafe(options.readBufferBytes ?? 1 << 20);
    let phase: 'head' | 'waiting' | 'body' | 'done' = 'head';
    let head: Buffer = Buffer.alloc(0);
    let pendingBody: Buffer | undefined;
    let sink: ((chunk: Buffer) => void | Promise<void>) | undefined;
    let remaining = Infinity;
    let received = 0;
    let settleBody: { resolve: (bytes: number) => void; reject: (error: Error) => void } | undefined;
    let failure: Error | undefined;
    let ended = false;

    const fail = (error: Error): void => {
      if (phase === 'done') return;
      failure ??= error;
      const wasHead = phase === 'head';
      phase = 'done';
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      if (wasHead) rejectResponse(error);
      else settleBody?.reject(error);
    };
    const finish = (): void => {
      if (phase === 'done') return;
      phase = 'done';
      options.signal?.removeEventListener('abort', onAbort);
      socket.destroy();
      settleBody?.resolve(received);
    };
    const onAbort = (): void => fail(Object.assign(new Error('aborted'), { name: 'AbortError', code: 'ABORT_ERR' }));

    /** Feeds body bytes to the sink; false when reading must pause until the sink's promise settles. */
    const deliver = (bytes: Buffer): boolean => {
      const chunk = bytes.length > remaining ? bytes.subarray(0, remaining) : bytes;
      received += chunk.length;
      remaining -= chunk.length;
      let pending: void | Promise<void>;
      try {
        pending = chunk.length > 0 && sink ? sink(chunk) : undefined;
      } catch (error) {
        fail(error instanceof Error ? error : new Error(String(error)));
        return false;
      }
      const afterSink = (): void => {
        if (remaining <= 0) finish();
      };
      if (pending instanceof Promise) {
        pending.then(
          () => {
            if (phase !== 'body') return;
            afterSink();
            if (phase === 'body') socket.resume();
          },
          (error: unknown) => fail(error instanceof Error ? error : new Error(String(error))),
        );
        return false;
      }
      afterSink();
      return phase === 'body';
    };

    const onRead = (length: number, buffer: Uint8Array): boolean => {
      if (phase === 'done') return false;
      const bytes = Buffer.from(buffer.buffer, buffer.byteOffset, length);
      if (phase === 'body') return deliver(bytes);
      head = head.length === 0 ? Buffer.from(bytes) : Buffer.concat([head, bytes]);
      const parsed = parseHead(head);
      if (parsed === 'incomplete') {
        if (head.length > maxHeaderBytes) fail(new Error(`the response headers from ${url.host} exceed ${maxHeaderBytes} bytes`));
        return true;
      }
      if (parsed instanceof Error) {
        fail(parsed);
        return false;
      }
      const { status, headers, bodyStart } = parsed;
      const transferEncoding = headers['transfer-encoding'];
      const lengthHeader = headers['content-length'];
      const framing: DirectResponse['framing'] = transferEncoding && transferEncoding !== 'identity' ? 'chunked' : lengthHeader !== undefined ? 'length' : 'close';
      const contentLength = framing === 'length' ? Number(lengthHeader) : undefined;
      if (contentLength !== undefined && !(Number.isSafeInteger(contentLength) && contentLength >= 0)) {
        fail(new Error(`invalid Content-Length '${lengthHeader ?? ''}' from ${url.host}`));
        return false;
      }
      remaining = status === 204 || status === 304 ? 0 : (contentLength ?? Infinity);
      pendingBody = head.subarray(bodyStart);
      head = Buffer.alloc(0);
      phase = 'waiting';
      resolveResponse({
        status,
        headers,
        framing,
        contentLength,
        readBody: (consumer) =>
          new Promise<number>((resolve, reject) => {
            if (phase !== 'waiting') return reject(failure ?? new Error('the body was already read or discarded'));
            settleBody = { resolve, reject };
            sink = consumer;
            phase = 'body';
            const early = pendingBody;
            pendingBody = undefined;
            if (framing === 'chunked') return fail(new Error('a chunked body cannot be read directly'));
            if (remaining <= 0) return finish();
            if (early && early.length > 0 && !deliver(early)) return;
            if (phase !== 'body') return;
            if (ended) onEnd();
            else socket.resume();
          }),
        discard: () => {
          if (phase === 'done') return;
          phase = 'done';
          options.signal?.removeEventListener('abort', onAbort);
          socket.destroy();
        },
      });
      return false; // Wait for readBody before reading further.
    };

    // The request head is written by hand: a value with a line break (a token file with two lines) would add headers.
    const unsafeHeader = Object.entries(options.headers).find(([name, value]) => /[\r\n\0]/.test(name + value) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name));
    if (unsafeHeader) {
      rejectResponse(new Error(`the request header '${unsafeHeader[0].replace(/[^\x21-\x7e]/g, '?')}' holds a line break or an invalid character; not sent to ${url.host}`));
      return;
    }
    const port = Number(url.port) || (url.protocol === 'https:' ? 443 : 80);
    const host = url.hostname.replace(/^\[|\]$/g, '');
    const onread = { buffer: readBuffer, callback: onRead };
    const socket: net.Socket =
      url.protocol === 'https:'
        ? tls.connect({ host, port, servername: net.isIP(host) ? undefined : host, ALPNProtocols: ['http/1.1'], onread, ...(options.ca ? { ca: options.ca } : {}) } as tls.ConnectionOptions)
        : net.connect({ host, port, onread } as net.NetConnectOpts);
    const requestHead = [
      `GET ${url.pathname}${url.search} HTTP/1.1`,
      `Host: ${url.host}`,
      ...Object.entries(options.headers).map(([name, value]) => `${name}: ${value}`),
      'Connection: close',
      '',
      '',
    ].join('\r\n');
    socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => socket.write(requestHead));
    socket.setTimeout(options.idleTimeoutMs ?? 60_000, () =>
      fail(Object.assign(new Error(`no data from ${url.host} for ${Math.round((options.idleTimeoutMs ?? 60_000) / 1000)} s`), { code: 'ETIMEDOUT' })),
    );
    socket.on('error', (error) => fail(error));
    const onEnd = (): void => {
      ended = true;
      if (phase === 'waiting') return; // readBody delivers what came and then decides.
      if (phase === 'body' && remaining === Infinity) return finish();
      if (phase !== 'done') fail(Object.assign(new Error('the connection closed early'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    };
    socket.on('end', onEnd);
    socket.on('close', onEnd);
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener('abort', onAbort);
  });
}

interface ParsedHead {
  status: number;
  headers: Record<string, string>;
  bodyStart: number;
}

function parseHead(bytes: Buffer): ParsedHead | 'incomplete' | Error {
  let start = 0;
  for (;;) {
    const end = bytes.indexOf('\r\n\r\n', start, 'latin1');
    if (end < 0) return 'incomplete';
    const lines = bytes.toString('latin1', start, end).split('\r\n');
    const statusMatch = /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(lines[0] ?? '');
    if (!statusMatch) return new Error(`not an HTTP/1.1 response: '${(lines[0] ?? '').slice(0, 80)}'`);
    const status = Number(statusMatch[1]);
    if (status >= 100 && status < 200) {
      start = end + 4; // An interim response (100 Continue): the real one follows.
      continue;
    }
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) return new Error(`malformed response header line '${line.slice(0, 80)}'`);
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    return { status, headers, bodyStart: end + 4 };
  }
}
