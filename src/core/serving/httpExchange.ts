/**
 * Answers and the lifetime of one HTTP exchange: JSON and error bodies with the headers their status calls for, and
 * an `AbortSignal` that fires when the client leaves before its answer is complete or the server stops.
 */
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { retryAfterSeconds } from './admission';
import { wireErrorBody } from './openAiWire';
import { ServingError } from './servedModels';
import { type ExchangeLifetime } from './servingContext';

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent || response.destroyed) return;
  const text = JSON.stringify(body);
  response.writeHead(status, { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}

/** An OpenAI error body; 401 asks for a Bearer key, 429 and 503 say when to retry, 413 closes the connection (its unread body). */
export function sendError(response: ServerResponse, error: ServingError, headers: Record<string, string> = {}): void {
  const extra: Record<string, string> = { ...headers };
  if (error.status === 401) extra['WWW-Authenticate'] = 'Bearer';
  if (error.status === 429 || error.status === 503) extra['Retry-After'] = String(retryAfterSeconds);
  if (error.status === 413) extra['Connection'] = 'close';
  sendJson(response, error.status, wireErrorBody(error), extra);
}

/**
 * What the client sees of an unexpected failure: its message, never its stack (the log gets that). A `ServingError`
 * passes as it is.
 */
export function asServingError(error: unknown): ServingError {
  if (error instanceof ServingError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ServingError(500, 'server_error', `The model failed: ${message}`, null, 'provider_error');
}

/**
 * A signal that aborts when the client disconnects before the response has ended (the response's `close` comes first),
 * or when `serverStop` aborts. `clientGone()` tells the two apart.
 */
export function exchangeSignal(request: IncomingMessage, response: ServerResponse, serverStop: AbortSignal): ExchangeLifetime {
  const controller = new AbortController();
  let gone = false;
  const onClose = () => {
    if (response.writableFinished) return;
    gone = true;
    controller.abort(new Error('The client disconnected.'));
  };
  const onStop = () => controller.abort(new Error('The server is stopping.'));
  response.once('close', onClose);
  request.once('error', onClose);
  serverStop.addEventListener('abort', onStop, { once: true });
  response.once('finish', () => serverStop.removeEventListener('abort', onStop));
  response.once('close', () => serverStop.removeEventListener('abort', onStop));
  return { signal: controller.signal, clientGone: () => gone };
}
