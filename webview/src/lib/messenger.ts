import { type VsCodeApi } from './vscodeApi';

type Response = { type: 'response'; requestId: number; ok: true; value?: unknown } | { type: 'response'; requestId: number; ok: false; error: string };

/**
 * Request/response over a webview's postMessage: each request gets an id, and the host's `response` with that id
 * settles it. Everything else the host sends goes to `onMessage`. The transport is a `VsCodeApi`, so tests run the
 * UI in a plain browser page with a fake one.
 */
export class Messenger<Request extends { type: string }, FromHost extends { type: string }, State = unknown> {
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  private readonly listeners: ((message: FromHost) => void)[] = [];

  constructor(
    readonly api: VsCodeApi<unknown, State>,
    target: Pick<Window, 'addEventListener'> = window,
  ) {
    target.addEventListener('message', (event: MessageEvent<unknown>) => this.receive(event.data));
  }

  /** Sends a message that expects no answer (the `ready` handshake). */
  notify(message: { type: string }): void {
    this.api.postMessage(message);
  }

  request(message: Request): Promise<unknown> {
    const requestId = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(requestId, { resolve, reject });
      this.api.postMessage({ ...message, requestId });
    });
  }

  onMessage(listener: (message: FromHost) => void): void {
    this.listeners.push(listener);
  }

  private receive(data: unknown): void {
    if (typeof data !== 'object' || data === null || typeof (data as { type?: unknown }).type !== 'string') return;
    const message = data as FromHost | Response;
    if (message.type === 'response') {
      const response = message as Response;
      const pending = this.pending.get(response.requestId);
      if (!pending) return;
      this.pending.delete(response.requestId);
      if (response.ok) pending.resolve(response.value);
      else pending.reject(new Error(response.error));
      return;
    }
    for (const listener of this.listeners) listener(message as FromHost);
  }
}
