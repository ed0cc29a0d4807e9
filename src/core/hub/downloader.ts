import { rm } from 'node:fs/promises';
import { type DownloadProgress, type DownloadResult } from '../../shared/downloadProtocol';
import { fetchBlob } from './blobTransfer';
import { hubCacheDir } from './cacheLocation';
import { checkCommitId, checkListedFile, checkRefName, makeFolderInside, modelCacheLayout } from './cachePaths';
import { cachedBlobIsIntact, freeBytes, linkIntoSnapshot, planFile, writeRef } from './downloadCache';
import { ProgressMeter } from './downloadProgress';
import { type HubConnection, type RepoFile } from './hubClient';
import { DownloadCancelledError, HubOfflineError, InsufficientDiskSpaceError } from './hubErrors';

/**
 * Downloads repository files into the Hugging Face cache layout (see `downloadCache.ts`), so Python's huggingface_hub
 * and transformers find them.
 *
 * Written by hand because `@huggingface/hub`'s `downloadFileToCacheDir` neither resumes nor verifies, reports no progress
 * and fetches one file at a time. Here: files in parallel, largest first, each transferred by `blobTransfer.ts`
 * (streamed while hashing, resumed, verified, renamed into place) and only then linked into the snapshot; progress
 * over all transfers is summed by `downloadProgress.ts`.
 *
 * Every name that becomes a path (the listing's paths and hashes, the commit, the revision) is checked by `cachePaths`
 * before anything is written, and every folder written into is confirmed not to be a link leading out of the cache.
 */

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

/** Blobs being fetched by a download in this process, so another download of the same blob waits for it. */
const blobsInFlight = new Map<string, Promise<number>>();

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
        const ok = request.verifyExisting === false || (await cachedBlobIsIntact(blobPath, file));
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
