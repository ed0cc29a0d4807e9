import { type Dirent } from 'node:fs';
import { lstat, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { readBoundedText } from '../files/boundedRead';
import { hubCacheDir } from './cacheLocation';
import { isCommitId, isLexicallyInside, refNameProblem, repoIdFromFolderName } from './cachePaths';

/** One file of a cached snapshot. */
export interface CachedFile {
  /** Path inside the repository, `/`-separated (e.g. `onnx/model_q4.onnx`). */
  path: string;
  /** Bytes of the blob it points to (0 when the link is broken). */
  size: number;
  /** The blob's name (the file's ETag: sha256 for LFS files, git sha1 otherwise); undefined for a plain file. */
  blob?: string;
  /** False when the snapshot entry is a link whose blob is missing. */
  present: boolean;
}

/** One snapshot folder: a commit with the files that were downloaded from it. */
export interface CachedRevision {
  commit: string;
  /** The refs (branches, tags, `refs/pr/N`) that point at this commit. */
  refs: string[];
  /** Absolute path of `snapshots/<commit>`: what loaders (transformers, the inference engine) open. */
  folder: string;
  files: CachedFile[];
  /** Sum of the sizes of the files' blobs. */
  size: number;
  lastModified: Date;
}

/** A model repository found in the cache. */
export interface CachedModel {
  repoId: string;
  /** Absolute path of `models--org--name`. */
  folder: string;
  /** ref name → commit, from `refs/`. */
  refs: Record<string, string>;
  revisions: CachedRevision[];
  /** Bytes on disk: every distinct blob counted once (snapshots share blobs). */
  sizeOnDisk: number;
  /** Bytes sitting in `.incomplete` files: downloads that were interrupted and can be resumed. */
  incompleteBytes: number;
  lastModified: Date;
  /** Problems found while reading this repository (broken links, unreadable folders); the scan never throws for them. */
  warnings: string[];
}

export interface HubCacheScan {
  cacheDir: string;
  models: CachedModel[];
  /** Total bytes on disk over all models. */
  sizeOnDisk: number;
  warnings: string[];
}

/**
 * Lists the models in the Hugging Face cache (HF_HUB_CACHE / HF_HOME / ~/.cache/huggingface/hub), fully offline: only the
 * file system is read. The same walk as huggingface_hub's `scan_cache_dir()`, written here rather than using
 * `@huggingface/hub`'s `scanCacheDir` because that one reads `process.env` only, throws on the first damaged repository,
 * does not descend into sub-folders (it misses `onnx/…` and `1_Pooling/…`, where ONNX models keep their weights), and
 * stats every file; here a linked file costs one readlink (its size comes from the blob listing). A missing cache
 * folder gives an empty list. What the cache holds is checked as `cachePaths` checks what goes in: ref files hold a
 * commit id, snapshot folders are named by one, and a link that leads out of the model's folder is reported, not
 * followed.
 */
export async function scanHubCache(env: NodeJS.ProcessEnv = process.env): Promise<CachedModel[]> {
  return (await scanHubCacheDetailed(env)).models;
}

/** `scanHubCache` with the cache folder, totals and the warnings for repositories that could not be read. */
export async function scanHubCacheDetailed(env: NodeJS.ProcessEnv = process.env): Promise<HubCacheScan> {
  const cacheDir = hubCacheDir(env);
  let entries: Dirent[];
  try {
    entries = await readdir(cacheDir, { withFileTypes: true });
  } catch (error) {
    if (isMissing(error)) return { cacheDir, models: [], sizeOnDisk: 0, warnings: [] };
    return { cacheDir, models: [], sizeOnDisk: 0, warnings: [`${cacheDir}: cannot read the cache folder: ${messageOf(error)}`] };
  }
  const folders = entries.filter((entry) => entry.isDirectory() && repoIdFromFolderName(entry.name) !== undefined);
  const models = await Promise.all(folders.map((entry) => scanCachedModel(join(cacheDir, entry.name))));
  models.sort((a, b) => a.repoId.localeCompare(b.repoId));
  return {
    cacheDir,
    models,
    sizeOnDisk: models.reduce((sum, model) => sum + model.sizeOnDisk, 0),
    warnings: models.flatMap((model) => model.warnings),
  };
}

/** Reads one `models--org--name` folder. */
export async function scanCachedModel(folder: string): Promise<CachedModel> {
  const repoId = repoIdFromFolderName(basename(folder)) ?? basename(folder);
  const warnings: string[] = [];
  const refs = await readRefs(join(folder, 'refs'), '', warnings);
  const refsByCommit = new Map<string, string[]>();
  for (const [ref, commit] of Object.entries(refs)) refsByCommit.set(commit, [...(refsByCommit.get(commit) ?? []), ref]);

  const blobs = new Map<string, { size: number; mtimeMs: number }>();
  let incompleteBytes = 0;
  let newest = 0;
  try {
    const entries = (await readdir(join(folder, 'blobs'), { withFileTypes: true })).filter((entry) => entry.isFile());
    const infos = await Promise.all(entries.map((entry) => stat(join(folder, 'blobs', entry.name))));
    entries.forEach((entry, index) => {
      const info = infos[index];
      if (!info) return;
      newest = Math.max(newest, info.mtimeMs);
      if (entry.name.endsWith('.incomplete')) incompleteBytes += info.size;
      else blobs.set(entry.name, { size: info.size, mtimeMs: info.mtimeMs });
    });
  } catch (error) {
    if (!isMissing(error)) warnings.push(`${folder}: cannot read blobs: ${messageOf(error)}`);
  }

  const revisions: CachedRevision[] = [];
  let snapshotNames: string[] = [];
  try {
    snapshotNames = (await readdir(join(folder, 'snapshots'), { withFileTypes: true })).filter((entry) => entry.isDirectory()).map((entry) => entry.name);
  } catch (error) {
    if (!isMissing(error)) warnings.push(`${folder}: cannot read snapshots: ${messageOf(error)}`);
  }
  const unnamed = snapshotNames.filter((name) => !isCommitId(name));
  for (const name of unnamed) warnings.push(`${join(folder, 'snapshots', name)}: not named by a commit id; skipped`);
  snapshotNames = snapshotNames.filter((name) => isCommitId(name));
  // Links are followed only where they stay inside the model's folder (compared as real paths).
  const realFolder = await realpath(folder).catch(() => resolve(folder));
  let plainFilesBytes = 0;
  for (const commit of snapshotNames) {
    const snapshot = join(folder, 'snapshots', commit);
    const files = await listSnapshotFiles(snapshot, '', blobs, warnings, realFolder);
    let lastModified = 0;
    for (const file of files) {
      if (file.blob === undefined) plainFilesBytes += file.size;
      lastModified = Math.max(lastModified, file.mtimeMs);
    }
    newest = Math.max(newest, lastModified);
    revisions.push({
      commit,
      refs: (refsByCommit.get(commit) ?? []).sort(),
      folder: snapshot,
      files: files.map(({ mtimeMs: _mtime, ...file }) => file).sort((a, b) => a.path.localeCompare(b.path)),
      size: files.reduce((sum, file) => sum + file.size, 0),
      lastModified: new Date(lastModified),
    });
  }
  revisions.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime());
  const sizeOnDisk = [...blobs.values()].reduce((sum, blob) => sum + blob.size, 0) + plainFilesBytes + incompleteBytes;
  return { repoId, folder, refs, revisions, sizeOnDisk, incompleteBytes, lastModified: new Date(newest), warnings };
}

async function readRefs(dir: string, prefix: string, warnings: string[]): Promise<Record<string, string>> {
  const refs: Record<string, string> = {};
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (!isMissing(error)) warnings.push(`${dir}: cannot read refs: ${messageOf(error)}`);
    return refs;
  }
  for (const entry of entries) {
    const name = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(refs, await readRefs(join(dir, entry.name), name, warnings));
    else if (entry.isFile()) {
      const path = join(dir, entry.name);
      const problem = refNameProblem(name);
      if (problem) {
        warnings.push(`${path}: not a ref name (${problem}); skipped`);
        continue;
      }
      let commit: string;
      try {
        commit = (await readBoundedText(path, { kind: 'small' })).trim();
      } catch (error) {
        warnings.push(`${path}: cannot read the ref: ${messageOf(error)}`);
        continue;
      }
      if (isCommitId(commit)) refs[name] = commit;
      else if (commit) warnings.push(`${path}: does not hold a commit id; skipped`);
    }
  }
  return refs;
}

type ScannedFile = CachedFile & { mtimeMs: number };

/**
 * Walks a snapshot. A link into `../blobs` takes its size and date from the blob listing already read, so a file costs
 * one readlink; only links elsewhere and plain files (copies, where links were not allowed) are stat'ed.
 */
async function listSnapshotFiles(dir: string, prefix: string, blobs: ReadonlyMap<string, { size: number; mtimeMs: number }>, warnings: string[], realFolder: string): Promise<ScannedFile[]> {
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    warnings.push(`${dir}: cannot read: ${messageOf(error)}`);
    return [];
  }
  const blobsDir = resolve(
    dir,
    '..',
    '..',
    ...prefix
      .split('/')
      .filter(Boolean)
      .map(() => '..'),
    'blobs',
  );
  const lists = await Promise.all(
    entries.map(async (entry): Promise<ScannedFile[]> => {
      const path = prefix ? `${prefix}/${entry.name}` : entry.name;
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) return listSnapshotFiles(absolute, path, blobs, warnings, realFolder);
      if (entry.isSymbolicLink()) {
        const target = resolve(dir, await readlink(absolute));
        const name = basename(target);
        const known = dirname(target) === blobsDir ? blobs.get(name) : undefined;
        if (known) return [{ path, size: known.size, blob: name, present: true, mtimeMs: known.mtimeMs }];
        const realTarget = await realpath(absolute).catch(() => undefined);
        if (realTarget !== undefined && !isLexicallyInside(realFolder, realTarget)) {
          warnings.push(`${absolute}: the link leads out of the model's cache folder (to ${realTarget}); not followed`);
          const link = await lstat(absolute);
          return [{ path, size: 0, blob: name, present: false, mtimeMs: link.mtimeMs }];
        }
        try {
          const info = await stat(target);
          if (info.isDirectory()) return listSnapshotFiles(absolute, path, blobs, warnings, realFolder);
          return [{ path, size: info.size, blob: name, present: true, mtimeMs: info.mtimeMs }];
        } catch {
          warnings.push(`${absolute}: the link points to a missing blob (${name}); download the model again`);
          const link = await lstat(absolute);
          return [{ path, size: 0, blob: name, present: false, mtimeMs: link.mtimeMs }];
        }
      }
      if (entry.isFile()) {
        const info = await stat(absolute);
        return [{ path, size: info.size, present: true, mtimeMs: info.mtimeMs }];
      }
      return [];
    }),
  );
  return lists.flat();
}

function isMissing(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'code' in error && (error.code === 'ENOENT' || error.code === 'ENOTDIR');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
