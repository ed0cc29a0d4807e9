import { realpathSync } from 'node:fs';
import { mkdir, realpath } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The one gate between names from outside (the Hub's file listings and commit ids, blob hashes, revision names typed
 * by a user or written in a template, ref files on disk) and the Hugging Face cache on the file system. Every writer
 * and reader of the cache builds its paths here, so a name like `onnx/../../../.bashrc` or a commit id like `..`
 * never becomes a path, and a folder inside the cache that is a link leading elsewhere is never written through.
 *
 * Names are checked as text first (the rules below, stricter than any file system needs, so the answer does not depend
 * on the platform), then the joined path is checked to stay lexically inside its folder (`snapshots/<commit>/`,
 * `blobs/`, `refs/`), and before a write the deepest existing parent is resolved with realpath and compared with where
 * it should be.
 */

/** A name from outside that cannot be used as (part of) a cache path. */
export class UnsafeHubPathError extends Error {
  constructor(
    /** The name as received. */
    readonly value: string,
    /** What it was meant to be: "file path", "commit id", "blob name", "revision", "model id". */
    readonly what: string,
    readonly reason: string,
    /** Where it came from ("the Hub at https://…", a ref file's path), when known. */
    readonly source: string | undefined,
  ) {
    super(`Refusing the ${what} ${JSON.stringify(value)}${source ? ` from ${source}` : ''}: ${reason}.`);
    this.name = 'UnsafeHubPathError';
  }
}

/** A folder inside a model's cache folder that is (or sits under) a link leading out of it. */
export class CacheLinkEscapeError extends Error {
  constructor(
    readonly path: string,
    readonly realPath: string,
  ) {
    super(
      `Refusing to write under ${path}: it resolves to ${realPath}, outside the model's cache folder (a link inside the cache points elsewhere). Remove the link, or the model's cache folder, and download again.`,
    );
    this.name = 'CacheLinkEscapeError';
  }
}

const maxPathLength = 1024;
// C0 controls, DEL and the C1 controls: never part of a real file name, and NUL truncates paths in native code.
// eslint-disable-next-line no-control-regex
const controlCharacter = /[\u0000-\u001f\u007f-\u009f]/;
const driveLetter = /^[A-Za-z]:/;

/** Why a repository file path cannot be used under `snapshots/<commit>/`; undefined when it can. */
export function repoFilePathProblem(path: string): string | undefined {
  if (typeof path !== 'string' || path.length === 0) return 'it is empty';
  if (path.length > maxPathLength) return `it is longer than ${maxPathLength} characters`;
  if (controlCharacter.test(path)) return 'it contains a control character (NUL, a line break, …)';
  if (path.includes('\\')) return 'it contains a backslash';
  if (path.startsWith('/')) return 'it is an absolute path';
  const segments = path.split('/');
  for (const segment of segments) {
    if (segment === '') return 'it has an empty segment (`//` or a trailing `/`)';
    if (segment === '..') return 'it has a `..` segment';
    if (segment === '.') return 'it has a `.` segment';
    if (driveLetter.test(segment)) return 'it has a segment that starts with a drive letter';
  }
  return undefined;
}

/** The `/`-separated segments of a repository file path, or an error naming the path and where it came from. */
export function checkRepoFilePath(path: string, source?: string): string[] {
  const problem = repoFilePathProblem(path);
  if (problem) throw new UnsafeHubPathError(String(path), 'file path', problem, source);
  return path.split('/');
}

/** A full commit id: 40 hex characters (SHA-1) or 64 (SHA-256 repositories). */
export function isCommitId(value: unknown): value is string {
  return typeof value === 'string' && /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/i.test(value);
}

export function checkCommitId(value: string, source?: string): string {
  if (!isCommitId(value)) throw new UnsafeHubPathError(String(value), 'commit id', 'a commit id is 40 or 64 hexadecimal characters', source);
  return value;
}

/**
 * The blob name the cache uses for a file: its sha256 for an LFS file (64 hex), its git blob sha1 otherwise (40 hex),
 * in lower case as the Hub sends them.
 */
export function checkBlobName(value: string, hash: 'sha1' | 'sha256', source?: string): string {
  const length = hash === 'sha256' ? 64 : 40;
  if (typeof value !== 'string' || !new RegExp(`^[0-9a-f]{${length}}$`, 'i').test(value))
    throw new UnsafeHubPathError(String(value), 'blob name', `a ${hash} blob name is ${length} hexadecimal characters`, source);
  return value.toLowerCase();
}

/** One file of a Hub listing, as far as the cache is concerned (structurally `RepoFile`). */
export interface ListedFile {
  path: string;
  size: number;
  oid: string | undefined;
  lfsSha256: string | undefined;
}

/**
 * Checks one file of a Hub listing before anything is built from it: its path, its size, and the hash that names its
 * blob (the LFS sha256, else the git blob sha1). Returns the path's segments and the blob name.
 */
export function checkListedFile(file: ListedFile, source?: string): { segments: string[]; blob: string } {
  const segments = checkRepoFilePath(file.path, source);
  if (typeof file.size !== 'number' || !Number.isInteger(file.size) || file.size < 0)
    throw new UnsafeHubPathError(String(file.size), `size of ${JSON.stringify(file.path)}`, 'a size is a whole number of bytes', source);
  if (file.lfsSha256 !== undefined) return { segments, blob: checkBlobName(file.lfsSha256, 'sha256', source) };
  if (file.oid !== undefined) return { segments, blob: checkBlobName(file.oid, 'sha1', source) };
  throw new UnsafeHubPathError(file.path, 'file', 'the listing gives no checksum for it', source);
}

/**
 * Why a revision cannot be a ref file's name under `refs/`; undefined when it can. The rules of `git check-ref-format`
 * (the Hub's branches, tags and `refs/pr/N` all pass), plus no backslash and no drive letter.
 */
export function refNameProblem(name: string): string | undefined {
  if (typeof name !== 'string' || name.length === 0) return 'it is empty';
  if (name.length > 255) return 'it is longer than 255 characters';
  if (controlCharacter.test(name)) return 'it contains a control character';
  if (/[\\ ~^:?*[]/.test(name)) return 'it contains a character git forbids in ref names (space, \\, ~, ^, :, ?, *, [)';
  if (name.startsWith('/') || name.endsWith('/')) return 'it starts or ends with `/`';
  if (name.includes('..')) return 'it contains `..`';
  if (name.includes('@{') || name === '@') return 'it contains `@{` or is `@`';
  if (name.endsWith('.')) return 'it ends with `.`';
  for (const segment of name.split('/')) {
    if (segment === '') return 'it has an empty segment (`//`)';
    if (segment.startsWith('.')) return 'it has a segment that starts with `.`';
    if (segment.endsWith('.lock')) return 'it has a segment that ends with `.lock`';
    if (driveLetter.test(segment)) return 'it has a segment that starts with a drive letter';
  }
  return undefined;
}

export function checkRefName(name: string, source?: string): string[] {
  const problem = refNameProblem(name);
  if (problem) throw new UnsafeHubPathError(String(name), 'revision', problem, source);
  return name.split('/');
}

/** A Hub repository id as huggingface_hub's `validate_repo_id` accepts it: `name` or `org/name`, no `--` or `..`. */
export function repoIdProblem(repoId: string): string | undefined {
  if (typeof repoId !== 'string' || !/^(?:[\w.-]+\/)?[\w.-]{1,96}$/.test(repoId)) return 'it is not a model id (`org/name`, of letters, digits, `_`, `-`, `.`)';
  if (repoId.includes('--') || repoId.includes('..')) return 'it is not a model id (which has no `--` or `..`)';
  if (repoId.split('/').some((part) => /^[-.]|[-.]$/.test(part))) return 'it is not a model id (whose parts do not start or end with `-` or `.`)';
  return undefined;
}

export function checkRepoId(repoId: string): string {
  const problem = repoIdProblem(repoId);
  if (problem) throw new UnsafeHubPathError(String(repoId), 'model id', problem, undefined);
  return repoId;
}

/** The paths of one model's cache folder, each built from checked names and confirmed to stay in its folder. */
export interface ModelCacheLayout {
  repoId: string;
  /** `<cache>/models--org--name` */
  repoDir: string;
  blobsDir: string;
  refsDir: string;
  snapshotDir(commit: string): string;
  /** `snapshots/<commit>/<path>`, from a path already split by `checkRepoFilePath`. */
  snapshotFile(commit: string, segments: readonly string[]): string;
  blobFile(name: string): string;
  /** `refs/<name>`, from a name already split by `checkRefName`. */
  refFile(segments: readonly string[]): string;
}

/** `org/name` → `models--org--name`, the cache's folder for a model repository. */
export function repoFolderName(repoId: string, type: 'model' | 'dataset' | 'space' = 'model'): string {
  return `${type}s--${repoId.split('/').join('--')}`;
}

/** `models--org--name` → `org/name` (undefined for folders that are not model repositories). */
export function repoIdFromFolderName(folder: string): string | undefined {
  if (!folder.startsWith('models--')) return undefined;
  const id = folder.slice('models--'.length).split('--').join('/');
  return id.length > 0 ? id : undefined;
}

/** The layout of a model's folder in the cache folder `cacheDir` (see `hubCacheDir`); the id is checked first. */
export function modelCacheLayout(cacheDir: string, repoId: string): ModelCacheLayout {
  checkRepoId(repoId);
  const repoDir = join(cacheDir, repoFolderName(repoId));
  const blobsDir = join(repoDir, 'blobs');
  const refsDir = join(repoDir, 'refs');
  const snapshotDir = (commit: string): string => inside(join(repoDir, 'snapshots'), join(repoDir, 'snapshots', checkCommitId(commit)));
  return {
    repoId,
    repoDir,
    blobsDir,
    refsDir,
    snapshotDir,
    snapshotFile: (commit, segments) => {
      const folder = snapshotDir(commit);
      checkRepoFilePath(segments.join('/'));
      return inside(folder, join(folder, ...segments));
    },
    blobFile: (name) => {
      if (!/^[0-9a-f]{40}$|^[0-9a-f]{64}$/.test(name)) throw new UnsafeHubPathError(name, 'blob name', 'a blob name is 40 or 64 lower-case hexadecimal characters', undefined);
      return inside(blobsDir, join(blobsDir, name));
    },
    refFile: (segments) => {
      checkRefName(segments.join('/'));
      return inside(refsDir, join(refsDir, ...segments));
    },
  };
}

/** True when `path` is strictly inside `folder` once both are resolved. */
export function isLexicallyInside(folder: string, path: string): boolean {
  const from = resolve(folder);
  const to = resolve(path);
  return to !== from && to.startsWith(from.endsWith(sep) ? from : from + sep);
}

function inside(folder: string, path: string): string {
  // The checks on names already exclude every way out; this is the proof on the joined result.
  if (!isLexicallyInside(folder, path)) throw new UnsafeHubPathError(path, 'cache path', `it leaves ${folder}`, undefined);
  return path;
}

/**
 * Confirms that nothing between the model's cache folder and `path` is a link leading elsewhere: the deepest part of
 * `path` that exists (the path itself excluded, since writers replace it by rename) is resolved with realpath and must
 * be where it would be if every folder were real. A missing model folder passes (what mkdir creates is real).
 */
export async function confirmNoLinkEscape(repoDir: string, path: string): Promise<void> {
  if (!isLexicallyInside(repoDir, path)) throw new UnsafeHubPathError(path, 'cache path', `it leaves ${repoDir}`, undefined);
  const repoReal = await realpath(repoDir).catch(() => undefined);
  if (repoReal === undefined) return;
  for (let folder = dirname(resolve(path)); ; folder = dirname(folder)) {
    let real: string;
    try {
      real = await realpath(folder);
    } catch (error) {
      if (isMissing(error)) continue;
      throw error;
    }
    const expected = join(repoReal, relative(resolve(repoDir), folder));
    if (real !== expected) throw new CacheLinkEscapeError(folder, real);
    return;
  }
}

export function confirmNoLinkEscapeSync(repoDir: string, path: string): void {
  if (!isLexicallyInside(repoDir, path)) throw new UnsafeHubPathError(path, 'cache path', `it leaves ${repoDir}`, undefined);
  let repoReal: string;
  try {
    repoReal = realpathSync(repoDir);
  } catch {
    return;
  }
  for (let folder = dirname(resolve(path)); ; folder = dirname(folder)) {
    let real: string;
    try {
      real = realpathSync(folder);
    } catch (error) {
      if (isMissing(error)) continue;
      throw error;
    }
    const expected = join(repoReal, relative(resolve(repoDir), folder));
    if (real !== expected) throw new CacheLinkEscapeError(folder, real);
    return;
  }
}

/** Creates `folder` (inside the model's cache folder) after and again before confirming it does not lead out. */
export async function makeFolderInside(repoDir: string, folder: string): Promise<void> {
  const probe = join(folder, '.probe');
  await confirmNoLinkEscape(repoDir, probe);
  await mkdir(folder, { recursive: true });
  await confirmNoLinkEscape(repoDir, probe);
}

function isMissing(error: unknown): boolean {
  const code = (error as { code?: string } | undefined)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}
