import { createWriteStream, statSync } from 'node:fs';
import { lstat, open, rename, rm, stat } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { formatBytes } from '../text/byteSize';
import { BlobFileWriter } from './blobFileWriter';
import { type DirectResponse, directGet } from './directGet';
import { blobHashOf, blobName } from './downloadCache';
import { type ProgressMeter } from './downloadProgress';
import { createInlineHasher, createStreamHasher, type StreamHasher } from './hashWorker';
import { type HubConnection, type RepoFile } from './hubClient';
import { DownloadCancelledError, HubAccessError, HubHttpError, HubIntegrityError, HubNotFoundError } from './hubErrors';
import { isRedirectStatus, redirectTarget, tokenMayGoTo, withoutQuery } from './hubRedirects';

/**
 * Transfers one file from the Hub into its blob: streamed (node:http with keep-alive, or `directGet` for large files)
 * while hashing, resumed from the `.incomplete` bytes with an HTTP Range request, retried on transient failures,
 * checked against the listing's sha256 (LFS) or git sha1, and renamed into place only when it matches.
 */

/** Where a blob is fetched from. */
export interface BlobSource {
  connection: HubConnection;
  repoId: string;
  commit: string;
  signal?: AbortSignal;
}

const maxAttempts = 4;
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });

function hasherFor(file: RepoFile, path: string): StreamHasher {
  const { algorithm, prefix } = blobHashOf(file);
  return createStreamHasher(algorithm, prefix, file.size, path);
}

function inlineHasherFor(file: RepoFile): StreamHasher {
  const { algorithm, prefix } = blobHashOf(file);
  return createInlineHasher(algorithm, prefix);
}

/** Transfers one file into `<blob>.incomplete` (resuming it), verifies it and renames it into place. */
export async function fetchBlob(request: BlobSource, file: RepoFile, blobPath: string, progress: ProgressMeter, log: (message: string) => void): Promise<number> {
  const partialPath = `${blobPath}.incomplete`;
  const url = `${request.connection.endpoint}/${request.repoId}/resolve/${request.commit}/${file.path.split('/').map(encodeURIComponent).join('/')}`;
  let transferred = 0;
  let integrityFailures = 0;
  // Large files skip node:http's per-read buffers (see directGet.ts) and are hashed as they arrive; small ones, and
  // servers that send chunked bodies, go through node:http.
  let direct = file.size >= directTransferMinBytes;
  for (let attempt = 1; ; attempt++) {
    const partial = await lstat(partialPath).catch(() => undefined);
    let offset = partial?.isFile() && partial.size <= file.size ? partial.size : 0;
    if (partial && offset === 0) await rm(partialPath, { force: true });
    const newHasher = (): StreamHasher => (direct ? inlineHasherFor(file) : hasherFor(file, partialPath));
    let hasher = newHasher();
    try {
      if (offset > 0) {
        if (!hasher.followsFile) await hasher.catchUp(partialPath);
        log(`${file.path}: resuming at ${formatBytes(offset)} of ${formatBytes(file.size)}`);
      }
      progress.add(offset, 0);
      if ((offset < file.size || file.size === 0) && direct) {
        const response = await openDirect(url, request.connection, offset, request.signal, request.repoId);
        if (response.framing === 'chunked') {
          response.discard();
          throw new UseNodeHttp();
        }
        if (offset > 0 && response.status === 200) {
          progress.add(-offset, 0);
          offset = 0;
          hasher = newHasher();
        }
        transferred += await writeDirectBody(response, partialPath, offset > 0 ? 'a' : 'w', hasher, progress);
      } else if (offset < file.size || file.size === 0) {
        const response = await openResponse(url, request.connection, offset, request.signal, request.repoId);
        if (offset > 0 && response.statusCode === 200) {
          // The server ignored the Range header: start over.
          progress.add(-offset, 0);
          offset = 0;
          hasher.discard();
          hasher = hasherFor(file, partialPath);
        }
        transferred += await streamInto(response, partialPath, offset > 0 ? 'a' : 'w', hasher, progress, request.signal);
      }
      const size = (await stat(partialPath).catch(() => undefined))?.size ?? 0;
      if (size !== file.size) throw new RetryableError(`${file.path}: got ${size} bytes, expected ${file.size}`);
      const actual = await hasher.digest(size);
      if (actual !== blobName(file)) throw new HubIntegrityError(file.path, blobName(file), actual);
      await rename(partialPath, blobPath);
      return transferred;
    } catch (error) {
      hasher.discard();
      const size = (await stat(partialPath).catch(() => undefined))?.size ?? 0;
      progress.add(-size, 0);
      if (error instanceof UseNodeHttp) {
        direct = false;
        attempt--;
        continue;
      }
      if (request.signal?.aborted) throw new DownloadCancelledError();
      if (error instanceof HubIntegrityError) {
        await rm(partialPath, { force: true });
        if (++integrityFailures >= 2) throw error;
        log(`${file.path}: checksum mismatch; fetching it again from the start`);
        continue;
      }
      if (!isRetryable(error) || attempt >= maxAttempts) throw error;
      log(`${file.path}: transfer interrupted (${error instanceof Error ? error.message : String(error)}); retrying from ${formatBytes(size)}`);
      await delay(250 * attempt, request.signal);
    }
  }
}

class RetryableError extends Error {}

/** The server framed the body in a way the direct reader leaves to node:http (chunked). */
class UseNodeHttp extends Error {}

/** Files at least this large are transferred with `directGet`. */
const directTransferMinBytes = 8 * 1024 * 1024;

function isRetryable(error: unknown): boolean {
  if (error instanceof RetryableError) return true;
  if (error instanceof HubHttpError) return error.status >= 500 || error.status === 429;
  const code = (error as { code?: string } | undefined)?.code;
  return (
    ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'EAI_AGAIN', 'UND_ERR_SOCKET'].includes(code ?? '') ||
    /aborted|socket hang up|premature/i.test(error instanceof Error ? error.message : '')
  );
}

/**
 * Copies the response body to the file while the hasher (on its worker) and the progress meter see every chunk. Plain
 * 'data' events with pause/resume on the file's back-pressure: an async-generator pipeline costs measurably more per
 * chunk at several hundred MB/s.
 */
function streamInto(response: http.IncomingMessage, path: string, flags: 'a' | 'w', hasher: StreamHasher, progress: ProgressMeter, signal: AbortSignal | undefined): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let bytes = 0;
    let settled = false;
    const file = createWriteStream(path, { flags, highWaterMark: 4 << 20 });
    const fail = (error: Error, fileBroken = false): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      response.destroy();
      // Keep what arrived (it is resumed from) and wait until it is on disk, so a retry sees the file's true size.
      if (fileBroken || file.destroyed) {
        file.destroy();
        reject(error);
      } else file.end(() => reject(error));
    };
    const onAbort = (): void => fail(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    signal?.addEventListener('abort', onAbort);
    const startSize = flags === 'a' ? offsetOf(path) : 0;
    let reported = 0;
    const onWritten = (): void => {
      // Tell the hashing worker what is on disk, in steps of 4 MB to keep the messages few.
      if (file.bytesWritten - reported >= 4 << 20) {
        reported = file.bytesWritten;
        hasher.written(startSize + reported);
      }
    };
    response.on('data', (chunk: Buffer) => {
      hasher.chunk(chunk);
      bytes += chunk.length;
      progress.add(chunk.length, chunk.length);
      if (!file.write(chunk, onWritten)) response.pause();
    });
    file.on('drain', () => response.resume());
    response.on('error', (error) => fail(error));
    response.on('aborted', () => fail(new RetryableError('the connection closed early')));
    file.on('error', (error) => fail(error, true));
    response.on('end', () => {
      if (settled) return;
      if (!response.complete) return fail(new RetryableError('the connection closed early'));
      file.end(() => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        resolve(bytes);
      });
    });
    response.on('close', () => {
      if (!response.complete) fail(new RetryableError('the connection closed early'));
    });
  });
}

function offsetOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

/**
 * GETs a resolve URL, following the Hub's redirects (relative ones for renamed repositories, absolute ones to the
 * LFS CDN) through `redirectTarget`'s checks. The token goes only to the endpoint's own origin (`tokenMayGoTo`), as
 * huggingface_hub does: a CDN on another host, or the same host over plain http, never sees it.
 */
function openResponse(url: string, connection: HubConnection, offset: number, signal: AbortSignal | undefined, repoId: string): Promise<http.IncomingMessage> {
  const attempt = (target: URL, hops: number): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      const client = target.protocol === 'https:' ? https : http;
      // A 1 MB read buffer instead of the default 16 KB: fewer 'data' events per file.
      const options: http.RequestOptions & { highWaterMark: number } = {
        headers: requestHeaders(target, connection, offset),
        agent: target.protocol === 'https:' ? httpsAgent : httpAgent,
        highWaterMark: 1 << 20,
        ...(signal ? { signal } : {}),
      };
      const req = client.get(target, options, (response) => {
        const outcome = classifyResponse(url, target.toString(), response.statusCode ?? 0, response.headers as Record<string, string | undefined>, offset, repoId);
        if (outcome === 'body') return resolve(response);
        response.resume();
        if (outcome instanceof Error) return reject(outcome);
        try {
          resolve(attempt(redirectTarget(target, outcome.location, hops + 1), hops + 1));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
      req.on('error', reject);
    });
  return attempt(new URL(url), 0);
}

/** The same request as `openResponse`, answered by `directGet`. */
async function openDirect(url: string, connection: HubConnection, offset: number, signal: AbortSignal | undefined, repoId: string): Promise<DirectResponse> {
  let target = new URL(url);
  for (let hops = 0; ; hops++) {
    const response = await directGet(target, { headers: requestHeaders(target, connection, offset), ...(signal ? { signal } : {}) });
    const outcome = classifyResponse(url, target.toString(), response.status, response.headers, offset, repoId);
    if (outcome === 'body') return response;
    response.discard();
    if (outcome instanceof Error) throw outcome;
    target = redirectTarget(target, outcome.location, hops + 1);
  }
}

function requestHeaders(target: URL, connection: HubConnection, offset: number): Record<string, string> {
  const headers: Record<string, string> = { 'user-agent': 'chatwright', 'accept-encoding': 'identity' };
  if (connection.token && tokenMayGoTo(target, connection.endpoint)) headers.authorization = `Bearer ${connection.token}`;
  if (offset > 0) headers.range = `bytes=${offset}-`;
  return headers;
}

/** What a response to a resolve request means: its body is the file, a redirect to follow, or an error to raise. */
function classifyResponse(url: string, current: string, status: number, headers: Readonly<Record<string, string | undefined>>, offset: number, repoId: string): 'body' | { location: string } | Error {
  if (isRedirectStatus(status) && headers.location) return { location: headers.location };
  if (status === 200 || status === 206) {
    if (status === 206 && offset > 0) {
      const start = /bytes (\d+)-/.exec(headers['content-range'] ?? '')?.[1];
      if (Number(start) !== offset) return new RetryableError(`the server resumed at ${start ?? '?'} instead of ${offset}`);
    }
    return 'body';
  }
  const gated = headers['x-error-code'] === 'GatedRepo' || /gated/i.test(String(headers['x-error-message'] ?? ''));
  if (status === 401 || status === 403) return new HubAccessError(repoId, status, `${new URL(url).origin}/${repoId}`, gated || status === 403);
  if (status === 404) return new HubNotFoundError(repoId, `A file (${redactUrl(current)})`);
  if (status === 416) return new RetryableError('range not satisfiable');
  return new HubHttpError(redactUrl(current), status, String(headers['x-error-message'] ?? ''));
}

/**
 * Copies a direct response's body into the file: each chunk is hashed and progress counted as it arrives, and written
 * through `BlobFileWriter` (reading waits while a write is in flight, so the reusable read buffer is never overwritten
 * under it). On failure what reached the file stays for the next attempt to resume from.
 */
async function writeDirectBody(response: DirectResponse, path: string, flags: 'a' | 'w', hasher: StreamHasher, progress: ProgressMeter): Promise<number> {
  const handle = await open(path, flags);
  const writer = new BlobFileWriter(handle, (bytes) => progress.add(bytes, 0));
  try {
    const received = await response.readBody((chunk) => {
      hasher.chunk(chunk);
      progress.add(0, chunk.length);
      return writer.write(chunk);
    });
    await writer.flush();
    return received;
  } catch (error) {
    response.discard();
    await writer.flush().catch(() => undefined);
    throw error;
  } finally {
    await handle.close();
  }
}

function redactUrl(url: string): string {
  return withoutQuery(url);
}

function delay(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
