/**
 * The webview's end of the typed RPC layer to the extension host: a vscode-jsonrpc connection (its browser build)
 * over `acquireVsCodeApi().postMessage` and the window's message events. src/host/webviewRpc.ts holds the host's
 * end and says why vscode-jsonrpc. Requests are the `RequestType`s of the view's protocol in src/shared; an error
 * the host's handler threw is rethrown here as the class it had there (when registered) with its fields.
 */
import {
  AbstractMessageReader,
  AbstractMessageWriter,
  createMessageConnection,
  type DataCallback,
  type Disposable,
  type Message,
  type MessageConnection,
  type NotificationType,
  type NotificationType0,
  type RequestType,
} from 'vscode-jsonrpc/browser';
import { reviveResponseError } from '../../../src/shared/rpc/errorTransport';
import { type VsCodeApi } from './vscodeApi';

class WindowMessageReader extends AbstractMessageReader {
  constructor(private readonly target: Pick<Window, 'addEventListener' | 'removeEventListener'>) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    const listener = (event: MessageEvent<unknown>) => {
      const data = event.data;
      // The host sends JSON-RPC only; anything else on the window (a test harness's, devtools') is not for us.
      if (typeof data === 'object' && data !== null && (data as { jsonrpc?: unknown }).jsonrpc === '2.0') callback(data as Message);
    };
    this.target.addEventListener('message', listener);
    return { dispose: () => this.target.removeEventListener('message', listener) };
  }
}

class HostMessageWriter extends AbstractMessageWriter {
  constructor(private readonly api: VsCodeApi<unknown, unknown>) {
    super();
  }

  write(message: Message): Promise<void> {
    this.api.postMessage(message);
    return Promise.resolve();
  }

  end(): void {}
}

/** The connection to the host, with the page's saved state (`getState`/`setState`). */
export class HostConnection<State = unknown> {
  private readonly connection: MessageConnection;

  constructor(
    readonly api: VsCodeApi<unknown, State>,
    target: Pick<Window, 'addEventListener' | 'removeEventListener'> = window,
  ) {
    this.connection = createMessageConnection(new WindowMessageReader(target), new HostMessageWriter(api));
    this.connection.listen();
  }

  async request<P, R>(type: RequestType<P, R, void>, params: P): Promise<R> {
    try {
      return await this.connection.sendRequest(type, params);
    } catch (error) {
      throw reviveResponseError(error);
    }
  }

  notify(type: NotificationType0): void;
  notify<P>(type: NotificationType<P>, params: P): void;
  notify<P>(type: NotificationType0 | NotificationType<P>, params?: P): void {
    void (params === undefined ? this.connection.sendNotification(type as NotificationType0) : this.connection.sendNotification(type as NotificationType<P>, params));
  }

  onNotification<P>(type: NotificationType<P>, handler: (params: P) => void): void {
    this.connection.onNotification(type, handler);
  }
}
