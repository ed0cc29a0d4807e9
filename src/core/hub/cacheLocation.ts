import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { readBoundedTextSync, UnsafeFileError } from '../files/boundedRead';
import { confirmNoLinkEscapeSync, isCommitId, modelCacheLayout, refNameProblem, repoIdProblem } from './cachePaths';

/** The public Hub, used when HF_ENDPOINT is not set. */
export const defaultHubEndpoint = 'https://huggingface.co';

/**
 * The Hugging Face hub cache folder, resolved the way huggingface_hub does: HF_HUB_CACHE, else HF_HOME/hub,
 * else $XDG_CACHE_HOME/huggingface/hub, else ~/.cache/huggingface/hub.
 */
export function hubCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  if (env.HF_HOME) return join(env.HF_HOME, 'hub');
  const cacheHome = env.XDG_CACHE_HOME ?? join(homedir(), '.cache');
  return join(cacheHome, 'huggingface', 'hub');
}

/** The Hub's base URL: HF_ENDPOINT (a mirror, or the local test server), else the public Hub. No trailing slash. */
export function hubEndpoint(env: NodeJS.ProcessEnv = process.env): string {
  return (env.HF_ENDPOINT?.trim() || defaultHubEndpoint).replace(/\/+$/, '');
}

/**
 * The access token from the environment, as huggingface_hub reads it: HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, else the
 * token file `huggingface-cli login` writes ($HF_TOKEN_PATH, else $HF_HOME/token). Undefined when there is none.
 */
export function hubTokenFromEnv(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromVariable = env.HF_TOKEN?.trim() || env.HUGGING_FACE_HUB_TOKEN?.trim();
  if (fromVariable) return fromVariable;
  const tokenPath = env.HF_TOKEN_PATH ?? join(env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface'), 'token');
  try {
    const fromFile = readBoundedTextSync(tokenPath, { kind: 'small' }).trim();
    return fromFile || undefined;
  } catch (error) {
    // No token file (or one this user may not read) means no token, as in huggingface_hub; a pipe, a folder or a
    // huge file in its place is a mistake worth a message.
    if (error instanceof UnsafeFileError && error.reason === 'unreadable') return undefined;
    throw error;
  }
}

/** HF_HUB_OFFLINE (and the older TRANSFORMERS_OFFLINE) set to a true value: no network call at all. */
export function hubOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return [env.HF_HUB_OFFLINE, env.TRANSFORMERS_OFFLINE].some((value) => value !== undefined && ['1', 'true', 'yes', 'on'].includes(value.trim().toLowerCase()));
}

/**
 * Resolves what a user names as a model: an existing folder is used as is; otherwise `org/name[@revision]` is looked
 * up in the hub cache (refs/<revision> → snapshots/<commit>). Returns the folder, or undefined when neither exists.
 */
export function resolveLocalModel(idOrPath: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (existsSync(idOrPath) && statSync(idOrPath).isDirectory()) return idOrPath;
  const [repoId, revision = 'main'] = idOrPath.split('@') as [string, string?];
  // A name that cannot be a model id or a revision names nothing in the cache (and must not become a path).
  if (repoIdProblem(repoId) !== undefined || refNameProblem(revision) !== undefined) return undefined;
  const layout = modelCacheLayout(hubCacheDir(env), repoId);
  let commit = revision;
  const refFile = layout.refFile(revision.split('/'));
  if (existsSync(refFile)) {
    try {
      confirmNoLinkEscapeSync(layout.repoDir, refFile);
      commit = readBoundedTextSync(refFile, { kind: 'small' }).trim();
    } catch {
      return undefined;
    }
  }
  if (!isCommitId(commit)) return undefined;
  // Only read from here on, so a snapshot folder that is a link (to a model kept elsewhere) is allowed; the loaders
  // keep their own reads inside the folder they are given.
  const snapshot = layout.snapshotDir(commit);
  return existsSync(snapshot) ? snapshot : undefined;
}
