import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { scanCacheDir } from '@huggingface/hub';
import { hubCacheDir, hubEndpoint, hubOffline, hubTokenFromEnv, resolveLocalModel } from '../../../src/core/hub/cacheLocation';
import { repoIdFromFolderName } from '../../../src/core/hub/cachePaths';
import { scanHubCache, scanHubCacheDetailed, type CachedRevision } from '../../../src/core/hub/cacheScan';
import { removeCachedModel } from '../../../src/core/hub/cacheRemove';
import { writeCachedModel } from '../../support/hubServer';
import { scratchDir } from '../../support/scratchDir';

/**
 * The example tree from huggingface_hub's cache guide ("Manage the cache"): two snapshots of
 * julien-c/EsperBERTo-small sharing one LFS blob, refs/main pointing at the newer one.
 */
function documentedCache(root: string): string {
  const repo = join(root, 'models--julien-c--EsperBERTo-small');
  const blobs = join(repo, 'blobs');
  mkdirSync(blobs, { recursive: true });
  mkdirSync(join(repo, 'refs'), { recursive: true });
  writeFileSync(join(blobs, '403450e234d65943a7dcf7e05a771ce3c92faa84dd07db4ac20f592037a1e4bd'), Buffer.alloc(3210));
  writeFileSync(join(blobs, '7cb18dc9bafbfcf74629a4b760af1b160957a83e'), Buffer.alloc(398));
  writeFileSync(join(blobs, 'd7edf6bd2a681fb0175f7735299831ee1b22b812'), Buffer.alloc(1400));
  writeFileSync(join(repo, 'refs', 'main'), 'bbc77c8132af1cc5cf678da3f1ddf2de43606d48');
  const old = join(repo, 'snapshots', '2439f60ef33a0d46d85da5001d52aeda5b00ce9f');
  const current = join(repo, 'snapshots', 'bbc77c8132af1cc5cf678da3f1ddf2de43606d48');
  mkdirSync(old, { recursive: true });
  mkdirSync(current, { recursive: true });
  symlinkSync('../../blobs/d7edf6bd2a681fb0175f7735299831ee1b22b812', join(old, 'README.md'));
  symlinkSync('../../blobs/403450e234d65943a7dcf7e05a771ce3c92faa84dd07db4ac20f592037a1e4bd', join(old, 'pytorch_model.bin'));
  symlinkSync('../../blobs/7cb18dc9bafbfcf74629a4b760af1b160957a83e', join(current, 'README.md'));
  symlinkSync('../../blobs/403450e234d65943a7dcf7e05a771ce3c92faa84dd07db4ac20f592037a1e4bd', join(current, 'pytorch_model.bin'));
  return repo;
}

describe('the local Hugging Face cache', () => {
  let root: string;
  before(() => {
    root = scratchDir('cache-scan');
  });
  after(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('finds the cache folder the way huggingface_hub does', () => {
    assert.equal(hubCacheDir({ HF_HUB_CACHE: '/a', HF_HOME: '/b' }), '/a');
    assert.equal(hubCacheDir({ HF_HOME: '/b' }), join('/b', 'hub'));
    assert.equal(hubCacheDir({ XDG_CACHE_HOME: '/c' }), join('/c', 'huggingface', 'hub'));
    assert.equal(hubEndpoint({ HF_ENDPOINT: 'http://mirror.local/' }), 'http://mirror.local');
    assert.equal(hubEndpoint({}), 'https://huggingface.co');
    assert.equal(hubOffline({ HF_HUB_OFFLINE: '1' }), true);
    assert.equal(hubOffline({ HF_HUB_OFFLINE: '0' }), false);
    assert.equal(hubTokenFromEnv({ HF_TOKEN: 'hf_a', HUGGING_FACE_HUB_TOKEN: 'hf_b', HF_HOME: root }), 'hf_a');
    assert.equal(hubTokenFromEnv({ HUGGING_FACE_HUB_TOKEN: 'hf_b', HF_HOME: root }), 'hf_b');
    writeFileSync(join(root, 'token'), 'hf_fromfile\n');
    assert.equal(hubTokenFromEnv({ HF_HOME: root }), 'hf_fromfile');
    assert.equal(repoIdFromFolderName('models--org--name'), 'org/name');
    assert.equal(repoIdFromFolderName('datasets--org--name'), undefined);
  });

  it('reads the documented layout: revisions, refs, files, blobs shared once', async () => {
    const cache = join(root, 'documented');
    documentedCache(cache);
    mkdirSync(join(cache, 'datasets--someone--data', 'snapshots'), { recursive: true });
    mkdirSync(join(cache, '.locks'), { recursive: true });
    const models = await scanHubCache({ HF_HUB_CACHE: cache });
    assert.equal(models.length, 1);
    const [model] = models;
    assert.equal(model?.repoId, 'julien-c/EsperBERTo-small');
    assert.deepEqual(model?.refs, { main: 'bbc77c8132af1cc5cf678da3f1ddf2de43606d48' });
    assert.equal(model?.sizeOnDisk, 3210 + 398 + 1400);
    const current = model?.revisions.find((r) => r.commit === 'bbc77c8132af1cc5cf678da3f1ddf2de43606d48');
    assert.deepEqual(current?.refs, ['main']);
    assert.deepEqual(
      current?.files.map((f) => [f.path, f.size, f.blob]),
      [
        ['pytorch_model.bin', 3210, '403450e234d65943a7dcf7e05a771ce3c92faa84dd07db4ac20f592037a1e4bd'],
        ['README.md', 398, '7cb18dc9bafbfcf74629a4b760af1b160957a83e'],
      ],
    );
    assert.equal(current?.size, 3608);
    assert.equal(model?.revisions.length, 2);
    assert.equal(resolveLocalModel('julien-c/EsperBERTo-small', { HF_HUB_CACHE: cache }), current?.folder);
    assert.equal(resolveLocalModel('julien-c/EsperBERTo-small@2439f60ef33a0d46d85da5001d52aeda5b00ce9f', { HF_HUB_CACHE: cache })?.endsWith('2439f60ef33a0d46d85da5001d52aeda5b00ce9f'), true);
  });

  it('agrees with @huggingface/hub scanCacheDir (a port of huggingface_hub.scan_cache_dir) on sizes and revisions', async () => {
    const cache = join(root, 'agree');
    documentedCache(cache);
    writeCachedModel(cache, 'org/flat', { 'config.json': '{}', 'model.safetensors': Buffer.alloc(5000, 1) });
    const ours = await scanHubCache({ HF_HUB_CACHE: cache });
    const theirs = await scanCacheDir(cache);
    for (const repo of theirs.repos) {
      const mine = ours.find((model) => model.repoId === repo.id.name);
      assert.ok(mine, repo.id.name);
      assert.equal(mine.sizeOnDisk, repo.size, `${repo.id.name} size on disk`);
      assert.deepEqual(mine.revisions.map((r) => r.commit).sort(), repo.revisions.map((r) => r.commitOid).sort());
      for (const revision of repo.revisions) {
        const match: CachedRevision | undefined = mine.revisions.find((r) => r.commit === revision.commitOid);
        assert.deepEqual(match?.files.map((f) => f.path).sort(), revision.files.map((f) => relative(revision.path, f.path).split('\\').join('/')).sort());
      }
    }
  });

  it('counts files in sub-folders (onnx/, 1_Pooling/), which @huggingface/hub scanCacheDir skips', async () => {
    const cache = join(root, 'nested');
    writeCachedModel(cache, 'org/nested', { 'config.json': '{}', 'onnx/model.onnx': Buffer.alloc(5000, 1), '1_Pooling/config.json': '{"a":1}' });
    const [model] = await scanHubCache({ HF_HUB_CACHE: cache });
    assert.equal(model?.sizeOnDisk, 2 + 5000 + 7);
    assert.deepEqual(
      model?.revisions[0]?.files.map((f) => f.path),
      ['1_Pooling/config.json', 'config.json', 'onnx/model.onnx'],
    );
  });

  it('reports broken links and interrupted downloads instead of failing', async () => {
    const cache = join(root, 'broken');
    const commit = writeCachedModel(cache, 'org/broken', { 'config.json': '{}' });
    const snapshot = join(cache, 'models--org--broken', 'snapshots', commit);
    symlinkSync('../../blobs/0000000000000000000000000000000000000000', join(snapshot, 'missing.bin'));
    writeFileSync(join(cache, 'models--org--broken', 'blobs', `${'a'.repeat(64)}.incomplete`), Buffer.alloc(77));
    const scan = await scanHubCacheDetailed({ HF_HUB_CACHE: cache });
    const model = scan.models[0];
    assert.equal(model?.incompleteBytes, 77);
    assert.equal(model?.revisions[0]?.files.find((f) => f.path === 'missing.bin')?.present, false);
    assert.match(scan.warnings.join('\n'), /missing blob/);
  });

  it('an absent cache folder is an empty list', async () => {
    assert.deepEqual(await scanHubCache({ HF_HUB_CACHE: join(root, 'does-not-exist') }), []);
  });

  it('removes a model from the cache, and only that model', async () => {
    const cache = join(root, 'remove');
    writeCachedModel(cache, 'org/keep', { 'config.json': '{}' });
    writeCachedModel(cache, 'org/drop', { 'config.json': '{"x":1}' });
    const freed = await removeCachedModel('org/drop', { HF_HUB_CACHE: cache });
    assert.equal(freed, 7);
    assert.deepEqual(
      (await scanHubCache({ HF_HUB_CACHE: cache })).map((m) => m.repoId),
      ['org/keep'],
    );
    await assert.rejects(removeCachedModel('org/drop', { HF_HUB_CACHE: cache }), /not in the cache/);
    await assert.rejects(removeCachedModel('../../etc', { HF_HUB_CACHE: cache }), /not a model id/);
  });
});
