/**
 * An OpenAI-compatible HTTP server over a `ServedModelProvider` (the built-in engine's models, a served template, a
 * test's fake), on Node's own `node:http`: `GET /v1/models`, `POST /v1/chat/completions` (JSON or server-sent
 * events), `POST /v1/embeddings`, `GET /health`. This file owns routing, who may call, and the server's lifecycle;
 * the request checks, slots, streams and handlers live in their own files beside it.
 *
 * Who may call: a server bound beyond loopback must have an API key (starting one without is refused). A server bound
 * to loopback also refuses requests whose `Host` is not a loopback name (see `hostHeaderCheck.ts`: a web page in the
 * user's browser must not be able to drive it through DNS rebinding), and it sends no CORS headers at all, so no
 * other origin can read its answers.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { Admission, closingError } from './admission';
import { hasApiKey, isLoopbackHost } from './apiKeyCheck';
import { answerChatCompletion } from './chatCompletionHandler';
import { parseChatCompletionRequest } from './chatCompletionRequest';
import { parseEmbeddingRequest } from './embeddingRequest';
import { answerEmbeddings } from './embeddingsHandler';
import { isLoopbackHostHeader } from './hostHeaderCheck';
import { asServingError, exchangeSignal, sendError, sendJson } from './httpExchange';
import { modelListing } from './modelListing';
import { requireServedModel } from './modelLookup';
import { parseJsonBody, readRequestBody, RequestAbandonedError } from './requestBody';
import { type ServedModelProvider, ServingError } from './servedModels';
import { type ServingContext } from './servingContext';
import { ServingStatsCounter, type ServingStats } from './servingStats';

export { isLoopbackHost } from './apiKeyCheck';
export type { ServingStats } from './servingStats';

export interface OpenAiServerOptions {
  provider: ServedModelProvider;
  /** Where to listen; callers default to '127.0.0.1'. */
  host: string;
  /** 0 = any free port. */
  port: number;
  /** When set, requests need `Authorization: Bearer <apiKey>`; required for a host beyond loopback. */
  apiKey?: string;
  /** Generations running at once (default 4). */
  maxConcurrent?: number;
  /** Requests waiting beyond that before a 429 (default 32). */
  maxQueue?: number;
  /** A larger body gets a 413 (default 4 MiB). */
  maxRequestBytes?: number;
  /** A request asking for more `max_tokens` gets a 400 (default 8192). */
  maxTokensLimit?: number;
  /** How long a stream may stay silent (queued, before its first token) before a `: keep-alive` comment (default 15 s). */
  keepAliveMs?: number;
  log?: (line: string) => void;
  /** At most once a second while requests come in, and at close. */
  onStats?: (stats: ServingStats) => void;
}

export interface RunningOpenAiServer {
  /** `http://host:port/v1`, the base URL OpenAI clients take. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  stats(): ServingStats;
  /**
   * Stops taking requests (new ones get a 503 while it drains), lets running generations finish for `graceMs`
   * (default 0), aborts the rest, and resolves once every connection is closed.
   */
  close(options?: { graceMs?: number }): Promise<void>;
}

export const servingDefaults = { maxConcurrent: 4, maxQueue: 32, maxRequestBytes: 4 * 1024 * 1024, maxTokensLimit: 8192, keepAliveMs: 15_000 } as const;

/** How long handlers get to answer after their generations were aborted at close, before connections are cut. */
const abortedAnswerMs = 2000;

type Route = 'health' | 'models' | 'model' | 'chat' | 'embeddings';
const routeMethods: Record<Route, string> = { health: 'GET', models: 'GET', model: 'GET', chat: 'POST', embeddings: 'POST' };

function routeOf(path: string): Route | undefined {
  if (path === '/health') return 'health';
  if (path === '/v1/models') return 'models';
  if (path.startsWith('/v1/models/') && path.length > '/v1/models/'.length) return 'model';
  if (path === '/v1/chat/completions') return 'chat';
  if (path === '/v1/embeddings') return 'embeddings';
  return undefined;
}

export async function startOpenAiServer(options: OpenAiServerOptions): Promise<RunningOpenAiServer> {
  const loopback = isLoopbackHost(options.host);
  if (options.apiKey !== undefined && options.apiKey.trim().length === 0) throw new Error('The API key is empty; leave it out or set a real key.');
  if (!loopback && options.apiKey === undefined) {
    throw new Error(`Refusing to listen on ${options.host} without an API key: anyone who can reach this machine could use the model. Set an API key, or listen on 127.0.0.1.`);
  }
  const limits = {
    maxRequestBytes: options.maxRequestBytes ?? servingDefaults.maxRequestBytes,
    maxTokensLimit: options.maxTokensLimit ?? servingDefaults.maxTokensLimit,
  };
  const admission = new Admission(options.maxConcurrent ?? servingDefaults.maxConcurrent, options.maxQueue ?? servingDefaults.maxQueue);
  const stats = new ServingStatsCounter(() => ({ active: admission.active, queued: admission.queued }), options.onStats);
  const log = options.log ?? (() => undefined);
  const context: ServingContext = { provider: options.provider, admission, stats, keepAliveMs: options.keepAliveMs ?? servingDefaults.keepAliveMs, log };
  const stopGenerations = new AbortController();
  const exchanges = new Set<Promise<void>>();
  const startedAt = Math.floor(Date.now() / 1000);
  let closing = false;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const lifetime = exchangeSignal(request, response, stopGenerations.signal);
    try {
      if (loopback && !isLoopbackHostHeader(request.headers.host)) {
        throw new ServingError(403, 'invalid_request_error', 'This server listens on loopback and answers only requests addressed to localhost or a loopback address.', null, 'host_not_allowed');
      }
      const path = new URL(request.url ?? '/', 'http://server').pathname;
      const route = routeOf(path);
      if (closing) {
        if (route === 'chat' || route === 'embeddings') stats.countRejected();
        throw closingError();
      }
      if (route === undefined) throw new ServingError(404, 'not_found_error', `Unknown request URL: ${request.method ?? ''} ${path}.`, null, 'unknown_url');
      if (request.method !== routeMethods[route]) {
        response.setHeader('Allow', routeMethods[route]);
        throw new ServingError(405, 'invalid_request_error', `${path} accepts ${routeMethods[route]}, not ${request.method ?? 'this method'}.`, null, 'method_not_allowed');
      }
      if (route === 'health') return sendJson(response, 200, { status: 'ok' });
      if (options.apiKey !== undefined && !hasApiKey(request.headers.authorization, options.apiKey)) {
        const missing = request.headers.authorization === undefined;
        const message = missing ? 'This server needs an API key: send it as Authorization: Bearer <key>.' : 'The API key is not correct.';
        throw new ServingError(401, 'authentication_error', message, null, 'invalid_api_key');
      }
      if (route === 'models') return sendJson(response, 200, modelListing(await options.provider.listModels(), startedAt));
      if (route === 'model') {
        const id = decodeURIComponent(path.slice('/v1/models/'.length));
        const listing = modelListing(await options.provider.listModels(), startedAt).data.find((model) => model.id === id);
        if (listing === undefined) throw new ServingError(404, 'not_found_error', `The model '${id}' does not exist here.`, 'model', 'model_not_found');
        return sendJson(response, 200, listing);
      }
      stats.countRequest();
      const body = parseJsonBody(await readRequestBody(request, limits.maxRequestBytes));
      if (route === 'chat') {
        const parsed = parseChatCompletionRequest(body, limits);
        await requireServedModel(options.provider, parsed.request.model, 'chat');
        await answerChatCompletion(context, parsed, response, lifetime);
      } else {
        const parsed = parseEmbeddingRequest(body);
        if (options.provider.embed !== undefined) await requireServedModel(options.provider, parsed.model, 'embedding');
        await answerEmbeddings(context, parsed, response, lifetime);
      }
    } catch (error) {
      if (error instanceof RequestAbandonedError || lifetime.clientGone()) return;
      const servingError = asServingError(error);
      if (servingError.status >= 500 && !(error instanceof ServingError))
        log(`${request.method ?? ''} ${request.url ?? ''} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      sendError(response, servingError, closing ? { Connection: 'close' } : {});
    }
  };

  const server: Server = createServer((request, response) => {
    const exchange = handle(request, response).catch((error: unknown) => {
      // Only a bug in the handler itself gets here; the connection is dropped, the server stays up.
      log(`request handler failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      response.destroy();
    });
    exchanges.add(exchange);
    void exchange.finally(() => exchanges.delete(exchange));
  });
  // A slow client may not hold a connection open forever while sending its request.
  server.requestTimeout = 60_000;
  server.headersTimeout = 20_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (error) => log(`server error: ${error.message}`));
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  log(`listening on http://${urlHost}:${address.port}/v1`);

  let closed: Promise<void> | undefined;
  const close = async (graceMs: number): Promise<void> => {
    closing = true;
    admission.close();
    stats.changed();
    const deadline = Date.now() + graceMs;
    while (admission.active > 0 && Date.now() < deadline) await delay(Math.min(50, deadline - Date.now()));
    stopGenerations.abort();
    const settled = Promise.allSettled([...exchanges]);
    await Promise.race([settled, delay(abortedAnswerMs)]);
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await serverClosed;
    stats.flush();
    log('stopped');
  };

  return {
    url: `http://${urlHost}:${address.port}/v1`,
    host: address.address,
    port: address.port,
    stats: () => stats.snapshot(),
    close: (closeOptions) => (closed ??= close(closeOptions?.graceMs ?? 0)),
  };
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
