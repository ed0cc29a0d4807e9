import { copyFile, lstat, rename, rm, statfs, symlink, writeFile } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { checkListedFile, confirmNoLinkEscape, makeFolderInside, type ModelCacheLayout } from './cachePaths';
import { hashWholeFile } from './hashWorker';
import { type RepoFile } from './hubClient';

/**
 * What a download reads and writes in the Hugging Face cache, laid out as Python's huggingface_hub and transformers
 * expect it:
 *
 *   models--org--name/blobs/<etag>                 the content (etag = sha256 for LFS files, git sha1 otherwise)
 *   models--org--name/blobs/<etag>.incomplete      a transfer in progress: resumed with an HTTP Range request
 *   models--org--name/snapshots/<commit>/<path>    relative symlink to ../../blobs/<etag> (deeper for sub-folders)
 *   models--org--name/refs/<revision>              the commit the revision pointed to
 *
 * A blob is linked into the snapshot only once it is complete and verified, and links and refs are written beside
 * their place and renamed over it, so a cancelled or failed download never leaves a partial file where loaders look.
 */

/** The blob name huggingface_hub uses: the LFS sha256, else the git blob sha1 (checked by `checkListedFile`). */
export function blobName(file: RepoFile): string {
  return checkListedFile(file).blob;
}

/** How a file's blob name is computed: sha256 of the content (LFS), or a git blob id, sha1 over "blob <size>\0" and the content. */
export function blobHashOf(file: RepoFile): { algorithm: 'sha256' | 'sha1'; prefix: string | undefined } {
  return file.lfsSha256 ? { algorithm: 'sha256', prefix: undefined } : { algorithm: 'sha1', prefix: `blob ${file.size}\0` };
}

/** Whether a complete blob in the cache still hashes to its name. */
export async function cachedBlobIsIntact(blobPath: string, file: RepoFile): Promise<boolean> {
  const { algorithm, prefix } = blobHashOf(file);
  return (await hashWholeFile(blobPath, algorithm, prefix, file.size)) === blobName(file);
}

/** A file of the download and what the cache already holds of it. */
export interface PlannedFile {
  file: RepoFile;
  blobPath: string;
  existing: 'complete' | 'none';
  partialBytes: number;
}

/** Looks at what the cache holds of `file`'s blob, clearing what is in the way (links, oversized partials). */
export async function planFile(file: RepoFile, layout: ModelCacheLayout, blob: string): Promise<PlannedFile> {
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

/**
 * Links `snapshots/<commit>/<path>` to its blob with a relative symlink (as huggingface_hub does); where links are not
 * allowed (Windows without developer mode) the blob is copied instead.
 */
export async function linkIntoSnapshot(layout: ModelCacheLayout, commit: string, segments: readonly string[], blobPath: string): Promise<void> {
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
export async function writeRef(layout: ModelCacheLayout, segments: readonly string[], commit: string): Promise<void> {
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

/** Free bytes on the disk holding `folder`; undefined when the system cannot tell. */
export async function freeBytes(folder: string): Promise<number | undefined> {
  try {
    const info = await statfs(folder);
    return info.bavail * info.bsize;
  } catch {
    return undefined;
  }
}
