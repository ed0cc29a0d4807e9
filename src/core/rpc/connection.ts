/**
 * The one RPC layer between processes and threads: vscode-jsonrpc connections over a forked child's IPC channel, a
 * worker thread's port, or stdio streams, with AbortSignal-based cancellation and errors that keep their class.
 *
 * vscode-jsonrpc (the library under every language client) correlates requests and responses, carries
 * cancellation (`$/cancelRequest`) and streams (`$/progress`), and lets each message be declared once as a typed
 * `RequestType`/`NotificationType`/`ProgressType` in `src/shared`. Over IPC with `serialization: 'advanced'` and
 * over worker ports, messages are structured-cloned, so typed arrays (embedding vectors) cross intact; over stdio
 * they are JSON.
 */
import { type ChildProcess } from 'node:child_process';
import { type Readable, type Writable } from 'node:stream';
import { parentPort, type MessagePort, type Worker } from 'node:worker_threads';
import {
  CancellationTokenSource,
  createMessageConnection,
  IPCMessageReader,
  IPCMessageWriter,
  PortMessageReader,
  PortMessageWriter,
  StreamMessageReader,
  StreamMessageWriter,
  type CancellationToken,
  type Disposable,
  type Message,
  type MessageConnection,
  type MessageWriter,
  type ProgressToken,
  type ProgressType,
  type RequestType,
} from 'vscode-jsonrpc/node';
import { reviveResponseError, toResponseError } from '../../shared/rpc/errorTransport';

export type { MessageConnection, ProgressToken };

/** The host's side of a forked child's IPC channel. */
export function connectToChild(child: ChildProcess): MessageConnection {
  return createMessageConnection(new IPCMessageReader(child), settledWrites(new IPCMessageWriter(child)));
}

/** A forked child's side of its IPC channel to the parent. */
export function connectToParentProcess(): MessageConnection {
  if (typeof process.send !== 'function') throw new Error('This process was not started with an IPC channel (fork it).');
  return createMessageConnection(new IPCMessageReader(process), settledWrites(new IPCMessageWriter(process)));
}

/** Either side of a worker thread (the host's `Worker`) or any `MessagePort`. */
export function connectToPort(port: MessagePort | Worker): MessageConnection {
  return createMessageConnection(new PortMessageReader(port), settledWrites(new TransferringPortWriter(port)));
}

/** A worker thread's side of its port to the thread that started it. */
export function connectToParentPort(): MessageConnection {
  if (!parentPort) throw new Error('This code is not running in a worker thread.');
  return connectToPort(parentPort);
}

/** Content-Length framed JSON over a pair of streams: a spawned program's stdout and stdin, or this process's own. */
export function connectToStreams(input: Readable, output: Writable): MessageConnection {
  return createMessageConnection(new StreamMessageReader(input), settledWrites(new StreamMessageWriter(output)));
}

/**
 * Sends a typed request. Aborting `signal` sends a cancellation the handler sees as its own aborted signal; the
 * handler decides what to answer (a partial result, or a cancellation error). An error the handler throws is
 * rethrown here as the same class (when registered, see errorTransport.ts) with its fields.
 */
export async function sendRequest<P, R>(connection: MessageConnection, type: RequestType<P, R, unknown>, params: P, signal?: AbortSignal): Promise<R> {
  const cancellation = signal ? cancellationFor(signal) : undefined;
  try {
    return await connection.sendRequest(type, params, cancellation?.token);
  } catch (error) {
    throw reviveResponseError(error);
  } finally {
    cancellation?.dispose();
  }
}

/**
 * Serves a typed request. The handler gets an AbortSignal that aborts when the caller cancels; whatever it throws
 * reaches the caller with its class name and fields.
 */
export function onRequest<P, R>(connection: MessageConnection, type: RequestType<P, R, unknown>, handler: (params: P, signal: AbortSignal) => R | Promise<R>): Disposable {
  return connection.onRequest(type, async (params: P, token: CancellationToken) => {
    const controller = new AbortController();
    const listener = token.onCancellationRequested(() => controller.abort());
    if (token.isCancellationRequested) controller.abort();
    try {
      return await handler(params, controller.signal);
    } catch (error) {
      throw toResponseError(error);
    } finally {
      listener.dispose();
    }
  });
}

let lastProgressToken = 0;

/** A progress token no other stream of this process uses. */
export function newProgressToken(): ProgressToken {
  return `${process.pid}-${++lastProgressToken}`;
}

/**
 * Runs a request whose handler streams values (tokens, progress) back: `run` receives a fresh progress token to put
 * in the request's params; `onValue` receives each value the handler reports with `progressReporter`, in order,
 * before the request's own result.
 */
export async function withProgress<V, R>(connection: MessageConnection, type: ProgressType<V>, onValue: (value: V) => void, run: (token: ProgressToken) => Promise<R>): Promise<R> {
  const token = newProgressToken();
  const subscription = connection.onProgress(type, token, onValue);
  try {
    return await run(token);
  } finally {
    subscription.dispose();
  }
}

/**
 * The handler's side of `withProgress`: reports one value to the caller's progress token.
 *
 * With `combine`, the values reported in one run of synchronous code (a burst) are merged and sent as one message
 * when it ends (on a microtask, so always before the handler's own answer): each message crossing a process costs far
 * more than merging, e.g. text deltas are concatenated. Values reported in separate event-loop turns (a model
 * producing one token per turn) still go out one by one, as soon as they are reported.
 */
export function progressReporter<V>(connection: MessageConnection, type: ProgressType<V>, token: ProgressToken, combine?: (earlier: V, later: V) => V): (value: V) => void {
  if (!combine) return (value) => void connection.sendProgress(type, token, value);
  let held: { value: V } | undefined;
  const flush = (): void => {
    const value = held!.value;
    held = undefined;
    void connection.sendProgress(type, token, value);
  };
  return (value) => {
    if (held) {
      held.value = combine(held.value, value);
      return;
    }
    held = { value };
    queueMicrotask(flush);
  };
}

/** Buffers to move rather than copy when a value crosses a worker port as a request's result (see `transferring`). */
const transferLists = new WeakMap<object, readonly ArrayBuffer[]>();

/**
 * Marks `buffers`, held inside `value`, to be moved rather than copied when a request handler returns `value` over a
 * worker port (the handler's side loses them): a result of many megabytes, such as a duplicate table, then crosses
 * at no cost. Over other channels the value is sent as usual.
 */
export function transferring<T extends object>(value: T, buffers: readonly ArrayBuffer[]): T {
  transferLists.set(value, buffers);
  return value;
}

/** A port writer that moves the buffers a result was marked with (`transferring`). */
class TransferringPortWriter extends PortMessageWriter {
  constructor(private readonly target: MessagePort | Worker) {
    super(target);
  }

  override write(message: Message): Promise<void> {
    const result = (message as { result?: unknown }).result;
    const transfer = typeof result === 'object' && result !== null ? transferLists.get(result) : undefined;
    if (!transfer) return super.write(message);
    try {
      this.target.postMessage(message, transfer);
      return Promise.resolve();
    } catch {
      // A buffer that cannot be moved (already detached): the plain write copies what it can, or reports the failure.
      return super.write(message);
    }
  }
}

/**
 * A writer whose writes never reject. vscode-jsonrpc 8.2 rethrows a failed request write from inside a promise
 * executor, where nothing can catch it (an unhandled rejection); the writer still reports the failure through its
 * `onError`, and a write fails only when the peer is gone, which the launcher reports for every request in flight.
 */
function settledWrites(writer: MessageWriter): MessageWriter {
  return {
    onError: writer.onError,
    onClose: writer.onClose,
    write: (message: Message) => writer.write(message).catch(() => undefined),
    end: () => writer.end(),
    dispose: () => writer.dispose(),
  };
}

function cancellationFor(signal: AbortSignal): { token: CancellationToken; dispose: () => void } {
  const source = new CancellationTokenSource();
  const cancel = (): void => source.cancel();
  if (signal.aborted) source.cancel();
  else signal.addEventListener('abort', cancel, { once: true });
  return {
    token: source.token,
    dispose: () => {
      signal.removeEventListener('abort', cancel);
      source.dispose();
    },
  };
}
