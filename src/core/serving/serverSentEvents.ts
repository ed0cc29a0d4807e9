/**
 * Writes a `text/event-stream` response: `data:` events, `:` comments (keep-alives, which SSE clients skip) and the
 * `data: [DONE]` that OpenAI ends a stream with. Writes are serialised and each waits for `drain` when the socket's
 * buffer is full, so a slow reader holds the writer back instead of growing the server's memory.
 */
import { type ServerResponse } from 'node:http';

export class ServerSentEventWriter {
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly response: ServerResponse) {}

  /** Sends the status line and headers; no body bytes yet. */
  open(): void {
    this.response.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      // Tells nginx-style proxies in front of the server not to buffer the stream.
      'X-Accel-Buffering': 'no',
    });
    this.response.flushHeaders();
  }

  get isOpen(): boolean {
    return this.response.headersSent;
  }

  event(data: unknown): Promise<void> {
    return this.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  /** A comment line; `text` must not hold a newline. */
  comment(text: string): Promise<void> {
    return this.write(`: ${text.replace(/[\r\n]+/g, ' ')}\n\n`);
  }

  /** `data: [DONE]`, then the end of the response, once everything before it is written. */
  async done(): Promise<void> {
    await this.write('data: [DONE]\n\n');
    await this.end();
  }

  async end(): Promise<void> {
    await this.pending;
    if (!this.response.writableEnded) this.response.end();
  }

  private write(text: string): Promise<void> {
    this.pending = this.pending.then(() => this.writeNow(text));
    return this.pending;
  }

  private async writeNow(text: string): Promise<void> {
    const response = this.response;
    if (response.writableEnded || response.destroyed) return;
    if (response.write(text)) return;
    // A full buffer: wait until the client has read it, or until the connection is gone (then writes are no-ops).
    await new Promise<void>((resolve) => {
      const settle = () => {
        response.off('drain', settle);
        response.off('close', settle);
        resolve();
      };
      response.on('drain', settle);
      response.on('close', settle);
    });
  }
}
