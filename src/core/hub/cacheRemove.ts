import { rm } from 'node:fs/promises';
import { modelCacheDir } from './cacheLocation';
import { scanCachedModel } from './cacheScan';

const repoIdPattern = /^[A-Za-z0-9][\w.-]*(\/[A-Za-z0-9][\w.-]*)?$/;

/** Deletes a model's whole cache folder (blobs, snapshots, refs). Returns the bytes freed. */
export async function removeCachedModel(repoId: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  if (!repoIdPattern.test(repoId) || repoId.includes('..')) throw new Error(`'${repoId}' is not a model id (org/name).`);
  const folder = modelCacheDir(repoId, env);
  const model = await scanCachedModel(folder);
  if (model.revisions.length === 0 && model.sizeOnDisk === 0 && Object.keys(model.refs).length === 0) throw new Error(`'${repoId}' is not in the cache (${folder}).`);
  await rm(folder, { recursive: true, force: true });
  return model.sizeOnDisk;
}
