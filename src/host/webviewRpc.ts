/**
 * The host's end of the typed RPC layer over a webview's `postMessage`: the same vscode-jsonrpc connection as every
 * other boundary (src/core/rpc/connection.ts), with a reader and a writer over the webview's message events.
 *
 * Why vscode-jsonrpc and not vscode-messenger: one RPC library and one error transport for every boundary (a
 * request's error arrives in the webview as the class and fields it had, revived by src/shared/rpc/errorTransport),
 * `RequestType`s declared once in src/shared as for the engine and the workers, and cancellation and progress if a
 * view ever needs them. vscode-messenger would add a second message format and library for the same job (it
 * routes between several views, which no view here needs). The price is the size of vscode-jsonrpc's browser build
 * in each webview bundle (about 53 KB minified, 13 KB gzipped, read from disk), measured with the chat's paint
 * benchmark (bench/chat/run.ts) and in the report of the change that made it.
 *
 * Everything a webview sends is untrusted: requests are served only through `onValidatedRequest`, which checks the
 * params before the handler sees them and answers a malformed request with an error the webview can show.
 * Requests without params take `{}` (`NoParams`): the foundation's `onRequest` hands every handler its params.
 */
import {
  AbstractMessageReader,
  AbstractMessageWriter,
  createMessageConnection,
  ResponseError,
  ErrorCodes,
  type DataCallback,
  type Disposable,
  type Message,
  type MessageConnection,
  type NotificationType,
  type RequestType,
} from 'vscode-jsonrpc/node';
import { onRequest } from '../core/rpc/connection';

/** What the connection needs of a `vscode.Webview` (structural, so tests run without VS Code). */
export interface WebviewEndpoint {
  postMessage(message: unknown): Thenable<boolean>;
  onDidReceiveMessage(listener: (message: unknown) => void): Disposable;
}

class WebviewMessageReader extends AbstractMessageReader {
  constructor(private readonly endpoint: WebviewEndpoint) {
    super();
  }

  listen(callback: DataCallback): Disposable {
    return this.endpoint.onDidReceiveMessage((data) => {
      // A JSON-RPC message is an object; anything else is dropped before vscode-jsonrpc looks at it.
      if (typeof data === 'object' && data !== null && (data as { jsonrpc?: unknown }).jsonrpc === '2.0') callback(data as Message);
      else this.fireError(new Error(`not a JSON-RPC message: ${JSON.stringify(data)?.slice(0, 200)}`));
    });
  }
}

class WebviewMessageWriter extends AbstractMessageWriter {
  constructor(private readonly endpoint: WebviewEndpoint) {
    super();
  }

  async write(message: Message): Promise<void> {
    // A webview that is gone (disposed, or hidden without retained context) drops the message: it reloads with a
    // fresh `ready` and is told the state again.
    await Promise.resolve(this.endpoint.postMessage(message)).catch(() => false);
  }

  end(): void {}
}

/**
 * A connection to one webview. `warn` hears about what the webview sent and nobody serves (unknown methods, not
 * JSON-RPC); the connection is listening when returned.
 */
export function connectToWebview(endpoint: WebviewEndpoint, warn: (message: string) => void): MessageConnection {
  const reader = new WebviewMessageReader(endpoint);
  reader.onError((error) => warn(error.message));
  const connection = createMessageConnection(reader, new WebviewMessageWriter(endpoint));
  connection.onUnhandledNotification((message) => warn(`unknown notification ${message.method}`));
  connection.onRequest((method) => {
    warn(`unknown request ${method}`);
    return new ResponseError(ErrorCodes.MethodNotFound, `Unknown request ${method}.`);
  });
  connection.listen();
  return connection;
}

/** The params of a request, checked: `undefined` when they are malformed. */
export type ParamsValidator<P> = (params: unknown) => P | undefined;

/**
 * Serves a request from a webview whose params pass `validate`. A malformed request is logged through `warn` and
 * answered with an error; the handler's own errors reach the webview with their class and fields.
 */
export function onValidatedRequest<P, R>(
  connection: MessageConnection,
  type: RequestType<P, R, void>,
  validate: ParamsValidator<P>,
  warn: (message: string) => void,
  handler: (params: P, signal: AbortSignal) => R | Promise<R>,
): Disposable {
  return onRequest(connection, type, (params: unknown, signal) => {
    const valid = validate(params);
    if (valid === undefined) {
      warn(`invalid ${type.method} request: ${JSON.stringify(params)?.slice(0, 200)}`);
      throw new Error(`Chatwright refused a malformed ${type.method} request.`);
    }
    return handler(valid, signal);
  });
}

/** Handles a notification from a webview whose params pass `validate`; a malformed one is logged and dropped. */
export function onValidatedNotification<P>(
  connection: MessageConnection,
  type: NotificationType<P>,
  validate: ParamsValidator<P>,
  warn: (message: string) => void,
  handler: (params: P) => void,
): Disposable {
  return connection.onNotification(type, (params: unknown) => {
    const valid = validate(params);
    if (valid === undefined) warn(`invalid ${type.method} notification: ${JSON.stringify(params)?.slice(0, 200)}`);
    else handler(valid);
  });
}
