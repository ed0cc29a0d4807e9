import { rm } from 'node:fs/promises';
import { hubCacheDir } from './cacheLocation';
import { modelCacheLayout } from './cachePaths';
import { scanCachedModel } from './cacheScan';

/** Deletes a model's whole cache folder (blobs, snapshots, refs). Returns the bytes freed. */
export async function removeCachedModel(repoId: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const folder = modelCacheLayout(hubCacheDir(env), repoId).repoDir;
  const model = await scanCachedModel(folder);
  if (model.revisions.length === 0 && model.sizeOnDisk === 0 && Object.keys(model.refs).length === 0) throw new Error(`'${repoId}' is not in the cache (${folder}).`);
  // rm does not follow links: a link inside the folder (or the folder itself, if it is one) is removed, not its target.
  await rm(folder, { recursive: true, force: true });
  return model.sizeOnDisk;
}
