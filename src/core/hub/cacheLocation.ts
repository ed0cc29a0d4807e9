import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

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

/** `org/name` → `models--org--name`, the cache's folder for a model repository. */
export function repoFolderName(repoId: string, type: 'model' | 'dataset' | 'space' = 'model'): string {
  return `${type}s--${repoId.split('/').join('--')}`;
}

/**
 * Resolves what a user names as a model: an existing folder is used as is; otherwise `org/name[@revision]` is looked
 * up in the hub cache (refs/<revision> → snapshots/<commit>). Returns the folder, or undefined when neither exists.
 */
export function resolveLocalModel(idOrPath: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (existsSync(idOrPath) && statSync(idOrPath).isDirectory()) return idOrPath;
  const [repoId, revision = 'main'] = idOrPath.split('@') as [string, string?];
  const repoDir = join(hubCacheDir(env), repoFolderName(repoId));
  const refFile = join(repoDir, 'refs', revision);
  const commit = existsSync(refFile) ? readFileSync(refFile, 'utf8').trim() : revision;
  const snapshot = join(repoDir, 'snapshots', commit);
  return existsSync(snapshot) ? snapshot : undefined;
}
