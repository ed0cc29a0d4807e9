import { createWriteStream, statSync } from 'node:fs';
import { copyFile, lstat, open, rename, rm, stat, statfs, symlink, writeFile } from 'node:fs/promises';
import * as http from 'node:http';
import * as https from 'node:https';
import { dirname, relative } from 'node:path';
import { hubCacheDir } from './cacheLocation';
import { checkCommitId, checkListedFile, checkRefName, confirmNoLinkEscape, makeFolderInside, modelCacheLayout, type ModelCacheLayout } from './cachePaths';
import { createInlineHasher, createStreamHasher, hashWholeFile, type StreamHasher } from './hashWorker';
import { type DirectResponse, directGet } from './directGet';
import { BlobFileWriter } from './blobFileWriter';
import { type HubConnection, type RepoFile } from './hubClient';
import { HubAccessError, HubHttpError, HubIntegrityError, HubNotFoundError, HubOfflineError } from './hubErrors';
import { isRedirectStatus, redirectTarget, tokenMayGoTo, withoutQuery } from './hubRedirects';
import { type DownloadProgress, type DownloadResult } from '../../shared/downloadProtocol';

/**
 * Downloads repository files into the Hugging Face cache layout, so Python's huggingface_hub and transformers find them:
 *
 *   models--org--name/blobs/<etag>                 the content (etag = sha256 for LFS files, git sha1 otherwise)
 *   models--org--name/blobs/<etag>.incomplete      a transfer in progress: resumed with an HTTP Range request
 *   models--org--name/snapshots/<commit>/<path>    relative symlink to ../../blobs/<etag> (deeper for sub-folders)
 *   models--org--name/refs/<revision>              the commit the revision pointed to
 *
 * Written by hand because `@huggingface/hub`'s `downloadFileToCacheDir` neither resumes nor verifies, reports no progress
 * and fetches one file at a time. Here: files in parallel, streamed through node:http (keep-alive, no buffering of whole
 * files) while hashing, resumed from the `.incomplete` bytes, checked against the tree's sha256 (LFS) or git sha1,
 * renamed into place, and only then linked into the snapshot, so a cancelled or failed download never leaves a partial
 * file where loaders look.
 *
 * Every name that becomes a path (the listing's paths and hashes, the commit, the revision) is checked by `cachePaths`
 * before anything is written, and every folder written into is confirmed not to be a link leading out of the cache.
 */

export type { DownloadProgress, DownloadResult } from '../../shared/downloadProtocol';

export interface DownloadRequest {
  connection: HubConnection;
  repoId: string;
  /** What the user asked for (a branch, tag or commit); written to refs/<revision> when it is not the commit itself. */
  revision: string;
  commit: string;
  files: readonly RepoFile[];
  env?: NodeJS.ProcessEnv;
  /** Parallel transfers (default 4). */
  concurrency?: number;
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  /** Re-hash blobs already in the cache and fetch again those that do not match (default true). */
  verifyExisting?: boolean;
  /** Called with human-readable events; the token never appears in them. */
  log?: (message: string) => void;
}

export class DownloadCancelledError extends Error {
  constructor() {
    super('Download cancelled. What was transferred is kept in the cache and resumes next time.');
    this.name = 'DownloadCancelledError';
  }
}

export class InsufficientDiskSpaceError extends Error {
  constructor(
    readonly neededBytes: number,
    readonly freeBytes: number,
    folder: string,
  ) {
    super(`Not enough free disk space in ${folder}: the download needs ${formatBytes(neededBytes)}, ${formatBytes(freeBytes)} are free. Free some space or set HF_HUB_CACHE to another disk.`);
    this.name = 'InsufficientDiskSpaceError';
  }
}

const maxAttempts = 4;
const blobsInFlight = new Map<string, Promise<number>>();
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 16 });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });

export async function downloadToCache(request: DownloadRequest): Promise<DownloadResult> {
  const { connection, repoId, commit, files, signal } = request;
  if (connection.offline) throw new HubOfflineError(`downloading ${repoId}`);
  // All names are checked before the first write: a hostile listing is refused whole and leaves nothing behind.
  const source = `the Hub at ${connection.endpoint}`;
  const layout = modelCacheLayout(hubCacheDir(request.env), repoId);
  checkCommitId(commit, source);
  const refSegments = request.revision !== commit ? checkRefName(request.revision) : undefined;
  const checked = new Map(files.map((file) => [file, checkListedFile(file, source)]));
  const log = request.log ?? (() => undefined);
  const { repoDir, blobsDir } = layout;
  const snapshotDir = layout.snapshotDir(commit);
  await makeFolderInside(repoDir, blobsDir);
  await makeFolderInside(repoDir, snapshotDir);
  const started = Date.now();
  const placeOf = (file: RepoFile): { segments: string[]; blob: string } => {
    const place = checked.get(file);
    if (!place) throw new Error(`${file.path}: not in the checked listing`);
    return place;
  };

  const plan = await Promise.all(files.map(async (file) => planFile(file, layout, placeOf(file).blob)));
  const needed = plan.reduce((sum, item) => sum + (item.existing === 'complete' ? 0 : item.file.size - item.partialBytes), 0);
  const free = await freeBytes(blobsDir);
  if (free !== undefined && needed > free) throw new InsufficientDiskSpaceError(needed, free, blobsDir);

  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const progress = new ProgressMeter(totalBytes, files.length, request.onProgress);
  const result: DownloadResult = { snapshotFolder: snapshotDir, downloaded: [], reused: [], repaired: [], transferredBytes: 0, seconds: 0 };

  const queue = [...plan].sort((a, b) => b.file.size - a.file.size);
  const worker = async (): Promise<void> => {
    for (let planned = queue.shift(); planned; planned = queue.shift()) {
      if (signal?.aborted) throw new DownloadCancelledError();
      // Look again: another download in this process may have finished this blob since the plan was made.
      const item = blobsInFlight.has(planned.blobPath) ? planned : await planFile(planned.file, layout, placeOf(planned.file).blob);
      const { file, blobPath } = item;
      if (item.existing === 'complete') {
        const ok = request.verifyExisting === false || (await hashFile(blobPath, file)) === expectedHash(file);
        if (ok) {
          progress.add(file.size, 0);
          result.reused.push(file.path);
          await linkIntoSnapshot(layout, commit, placeOf(file).segments, blobPath);
          progress.fileDone();
          continue;
        }
        log(`${file.path}: the cached blob does not match its checksum; fetching it again`);
        await rm(blobPath, { force: true });
        result.repaired.push(file.path);
      }
      progress.start(file.path);
      try {
        const inFlight = blobsInFlight.get(blobPath);
        if (inFlight) {
          // The same blob is being fetched by another download in this process (two models, or a double click):
          // wait for it rather than write the same .incomplete file twice.
          await inFlight;
          progress.add(file.size, 0);
        } else {
          const transfer = fetchBlob(request, file, blobPath, progress, log);
          blobsInFlight.set(blobPath, transfer);
          try {
            result.transferredBytes += await transfer;
          } finally {
            blobsInFlight.delete(blobPath);
          }
        }
      } finally {
        progress.stop(file.path);
      }
      result.downloaded.push(file.path);
      await linkIntoSnapshot(layout, commit, placeOf(file).segments, blobPath);
      progress.fileDone();
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(request.concurrency ?? 4, files.length)) }, worker));
  } catch (error) {
    queue.length = 0;
    if (signal?.aborted) throw new DownloadCancelledError();
    throw error;
  }
  if (refSegments) await writeRef(layout, refSegments, commit);
  progress.flush();
  result.seconds = (Date.now() - started) / 1000;
  return result;
}

/** The blob name huggingface_hub uses: the LFS sha256, else the git blob sha1 (checked by `checkListedFile`). */
export function blobName(file: RepoFile): string {
  return checkListedFile(file).blob;
}

function expectedHash(file: RepoFile): string {
  return blobName(file);
}

interface PlannedFile {
  file: RepoFile;
  blobPath: string;
  existing: 'complete' | 'none';
  partialBytes: number;
}

async function planFile(file: RepoFile, layout: ModelCacheLayout, blob: string): Promise<PlannedFile> {
  const blobPath = layout.blobFile(blob);
  await confirmNoLinkEscape(layout.repoDir, blobPath);
  // lstat, not stat: a blob or partial file that is a link (to anywhere) is removed rather than written through.
  const existing = await lstat(blobPath).catch(() => undefined);
  if (existing?.isFile() && existing.size === file.size) return { file, blobPath, existing: 'complete', partialBytes: 0 };
  if (existing) await rm(blobPath, { force: true });
  const partialPath = `${blobPath}.incomplete`;
  const partial = await lstat(partialPath).catch(() => undefined);
  if (partial && !partial.isFile()) await rm(partialPath, { force: true });
  return { file, blobPath, existing: 'none', partialBytes: partial?.isFile() && partial.size <= file.size ? partial.size : 0 };
}

function hasherFor(file: RepoFile, path: string): StreamHasher {
  // A git blob id is sha1 over "blob <size>\0" followed by the content.
  return file.lfsSha256 ? createStreamHasher('sha256', undefined, file.size, path) : createStreamHasher('sha1', `blob ${file.size}\0`, file.size, path);
}

function inlineHasherFor(file: RepoFile): StreamHasher {
  return file.lfsSha256 ? createInlineHasher('sha256', undefined) : createInlineHasher('sha1', `blob ${file.size}\0`);
}

function hashFile(path: string, file: RepoFile): Promise<string> {
  return file.lfsSha256 ? hashWholeFile(path, 'sha256', undefined, file.size) : hashWholeFile(path, 'sha1', `blob ${file.size}\0`, file.size);
}

/** Transfers one file into `<blob>.incomplete` (resuming it), verifies it and renames it into place. */
async function fetchBlob(request: DownloadRequest, file: RepoFile, blobPath: string, progress: ProgressMeter, log: (message: string) => void): Promise<number> {
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
      if (actual !== expectedHash(file)) throw new HubIntegrityError(file.path, expectedHash(file), actual);
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
  return ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'EAI_AGAIN', 'UND_ERR_SOCKET'].includes(code ?? '') || /aborted|socket hang up|premature/i.test(error instanceof Error ? error.message : '');
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
      const options: http.RequestOptions & { highWaterMark: number } = { headers: requestHeaders(target, connection, offset), agent: target.protocol === 'https:' ? httpsAgent : httpAgent, highWaterMark: 1 << 20, ...(signal ? { signal } : {}) };
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

/**
 * Links `snapshots/<commit>/<path>` to its blob with a relative symlink (as huggingface_hub does); where links are not
 * allowed (Windows without developer mode) the blob is copied instead.
 */
async function linkIntoSnapshot(layout: ModelCacheLayout, commit: string, segments: readonly string[], blobPath: string): Promise<void> {
  const link = layout.snapshotFile(commit, segments);
  await makeFolderInside(layout.repoDir, dirname(link));
  // Made beside it and renamed over it: atomic, so concurrent downloads and readers never see a missing or half link,
  // and an existing link in its place is replaced rather than followed.
  const temporary = `${link}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  try {
    await symlink(relative(dirname(link), blobPath), temporary);
  } catch (error) {
    if ((error as { code?: string }).code !== 'EPERM') throw error;
    await copyFile(blobPath, temporary);
  }
  await renameInto(temporary, link);
}

/** Writes `refs/<revision>` with the commit, the same way: beside it, then renamed over it. */
async function writeRef(layout: ModelCacheLayout, segments: readonly string[], commit: string): Promise<void> {
  const refFile = layout.refFile(segments);
  await makeFolderInside(layout.repoDir, dirname(refFile));
  const temporary = `${refFile}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
  await writeFile(temporary, commit, { flag: 'wx' });
  await renameInto(temporary, refFile);
}

async function renameInto(temporary: string, destination: string): Promise<void> {
  try {
    await rename(temporary, destination);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

async function freeBytes(folder: string): Promise<number | undefined> {
  try {
    const info = await statfs(folder);
    return info.bavail * info.bsize;
  } catch {
    return undefined;
  }
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

export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`;
}

/** Sums progress over the parallel transfers and reports it at most every 100 ms, with a rate over the last seconds. */
class ProgressMeter {
  private done = 0;
  private transferred = 0;
  private filesDone = 0;
  private readonly active = new Set<string>();
  private lastReport = 0;
  private readonly samples: { time: number; bytes: number }[] = [];

  constructor(
    private readonly total: number,
    private readonly filesTotal: number,
    private readonly report: ((progress: DownloadProgress) => void) | undefined,
  ) {}

  add(doneDelta: number, transferredDelta: number): void {
    this.done += doneDelta;
    this.transferred += transferredDelta;
    this.maybeReport();
  }

  start(path: string): void {
    this.active.add(path);
  }

  stop(path: string): void {
    this.active.delete(path);
  }

  fileDone(): void {
    this.filesDone++;
    this.maybeReport(true);
  }

  flush(): void {
    this.maybeReport(true);
  }

  private maybeReport(force = false): void {
    if (!this.report) return;
    const now = Date.now();
    if (!force && now - this.lastReport < 100) return;
    this.lastReport = now;
    this.samples.push({ time: now, bytes: this.transferred });
    while (this.samples.length > 2 && now - (this.samples[0]?.time ?? now) > 5000) this.samples.shift();
    const first = this.samples[0];
    const elapsed = first ? (now - first.time) / 1000 : 0;
    const rate = first && elapsed > 0.2 ? (this.transferred - first.bytes) / elapsed : 0;
    const left = Math.max(0, this.total - this.done);
    this.report({
      totalBytes: this.total,
      doneBytes: this.done,
      transferredBytes: this.transferred,
      bytesPerSecond: rate,
      etaSeconds: rate > 0 ? left / rate : undefined,
      filesDone: this.filesDone,
      filesTotal: this.filesTotal,
      active: [...this.active],
    });
  }
}
