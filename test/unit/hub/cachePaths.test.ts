import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { hubTokenFromEnv } from '../../../src/core/hub/cacheLocation';
import {
  CacheLinkEscapeError,
  checkBlobName,
  checkCommitId,
  checkListedFile,
  checkRepoFilePath,
  confirmNoLinkEscape,
  confirmNoLinkEscapeSync,
  modelCacheLayout,
  refNameProblem,
  repoFilePathProblem,
  repoIdProblem,
  UnsafeHubPathError,
} from '../../../src/core/hub/cachePaths';
import { UnsafeFileError } from '../../../src/core/files/boundedRead';
import { scratchDir } from '../../support/scratchDir';

const commit = 'bbc77c8132af1cc5cf678da3f1ddf2de43606d48';

describe('names from the Hub, checked before they become cache paths', () => {
  it('accepts the paths real repositories hold', () => {
    for (const path of [
      'config.json',
      '.gitattributes',
      'onnx/model_q4.onnx',
      'onnx/model_fp16.onnx_data',
      '1_Pooling/config.json',
      'model-00001-of-00002.safetensors',
      'a b/ünïcode name.txt',
      'x..y/file..bin',
    ]) {
      assert.equal(repoFilePathProblem(path), undefined, path);
      assert.deepEqual(checkRepoFilePath(path), path.split('/'));
    }
  });

  it('refuses absolute paths, `..` and `.` segments, empty segments, backslashes, control characters and drive letters', () => {
    const refused: [string, RegExp][] = [
      ['/etc/passwd', /absolute/],
      ['onnx/x_data_/../../../../etc/passwd', /`\.\.` segment/],
      ['..', /`\.\.` segment/],
      ['onnx/./model.onnx', /`\.` segment/],
      ['onnx//model.onnx', /empty segment/],
      ['onnx/', /empty segment/],
      ['', /empty/],
      ['onnx\\..\\..\\x', /backslash/],
      ['model\u0000.onnx', /control character/],
      ['model\n.onnx', /control character/],
      ['C:/Windows/win.ini', /drive letter/],
      ['onnx/c:stream', /drive letter/],
      ['a/'.repeat(600), /longer than/],
    ];
    for (const [path, reason] of refused) {
      assert.match(repoFilePathProblem(path) ?? '', reason, JSON.stringify(path));
      assert.throws(
        () => checkRepoFilePath(path, 'the Hub at http://hub.test'),
        (error: unknown) => error instanceof UnsafeHubPathError && error.message.includes(JSON.stringify(path)) && error.message.includes('the Hub at http://hub.test'),
      );
    }
  });

  it('commit ids are 40 or 64 hex characters', () => {
    assert.equal(checkCommitId(commit), commit);
    assert.equal(checkCommitId('a'.repeat(64)), 'a'.repeat(64));
    for (const bad of ['main', 'a'.repeat(39), 'a'.repeat(41), '../../x', `${'a'.repeat(38)}/.`, 'g'.repeat(40), '']) assert.throws(() => checkCommitId(bad), /commit id/);
  });

  it('blob names are a sha256 for LFS files and a git sha1 otherwise, lower-cased', () => {
    assert.equal(checkBlobName('A'.repeat(64), 'sha256'), 'a'.repeat(64));
    assert.throws(() => checkBlobName('a'.repeat(40), 'sha256'), /blob name/);
    assert.throws(() => checkBlobName('a'.repeat(64), 'sha1'), /blob name/);
    assert.throws(() => checkBlobName('../../etc/passwd', 'sha1'), /blob name/);
    assert.deepEqual(checkListedFile({ path: 'onnx/model.onnx', size: 3, oid: 'b'.repeat(40), lfsSha256: 'c'.repeat(64) }), { segments: ['onnx', 'model.onnx'], blob: 'c'.repeat(64) });
    assert.throws(() => checkListedFile({ path: 'config.json', size: -1, oid: 'b'.repeat(40), lfsSha256: undefined }), /size/);
    assert.throws(() => checkListedFile({ path: 'config.json', size: Number.NaN, oid: 'b'.repeat(40), lfsSha256: undefined }), /size/);
    assert.throws(() => checkListedFile({ path: 'config.json', size: 1, oid: undefined, lfsSha256: undefined }), /no checksum/);
  });

  it('revisions follow git ref-name rules', () => {
    for (const name of ['main', 'v1.0', 'refs/pr/12', 'release-2024_05', commit]) assert.equal(refNameProblem(name), undefined, name);
    for (const name of [
      '',
      '..',
      'a/../b',
      '../main',
      '/main',
      'main/',
      'a//b',
      '.hidden',
      'a/.x',
      'x.lock',
      'main.',
      'a b',
      'a\\b',
      'C:x',
      'a~1',
      'a^',
      'a:b',
      'a?',
      'a*',
      'a[',
      'ma\u0000in',
      'a@{1}',
      '@',
    ])
      assert.notEqual(refNameProblem(name), undefined, JSON.stringify(name));
  });

  it('model ids are org/name as the Hub accepts them', () => {
    for (const id of ['gpt2', 'Xenova/all-MiniLM-L6-v2', 'Qwen/Qwen2.5-0.5B-Instruct', 'org_x/name.v2']) assert.equal(repoIdProblem(id), undefined, id);
    for (const id of ['../../etc', 'a/b/c', 'a--b/c', 'a/..', '/a', 'a\\b', 'a/b ', '-a/b', 'a/b.', '']) assert.match(repoIdProblem(id) ?? '', /not a model id/, JSON.stringify(id));
  });

  it('the layout builds paths only inside snapshots/<commit>, blobs and refs', () => {
    const layout = modelCacheLayout('/cache', 'org/name');
    assert.equal(layout.repoDir, join('/cache', 'models--org--name'));
    assert.equal(layout.snapshotFile(commit, ['onnx', 'model.onnx']), join(layout.repoDir, 'snapshots', commit, 'onnx', 'model.onnx'));
    assert.equal(layout.refFile(['refs', 'pr', '1']), join(layout.repoDir, 'refs', 'refs', 'pr', '1'));
    assert.throws(() => layout.snapshotFile(commit, ['..', '..', 'x']), UnsafeHubPathError);
    assert.throws(() => layout.snapshotDir('..'), UnsafeHubPathError);
    assert.throws(() => layout.refFile(['..', 'x']), UnsafeHubPathError);
    assert.throws(() => layout.blobFile('../x'), UnsafeHubPathError);
    assert.throws(() => modelCacheLayout('/cache', '../../x'), /not a model id/);
  });

  describe('links inside the cache', () => {
    let root: string;
    before(() => {
      root = scratchDir('cache-paths');
    });
    after(() => {
      rmSync(root, { recursive: true, force: true });
    });

    it('a real folder passes; a folder inside the model that is a link leading out is refused, however deep the target', async () => {
      const repo = join(root, 'models--org--name');
      const outside = join(root, 'outside');
      mkdirSync(join(repo, 'snapshots', commit), { recursive: true });
      mkdirSync(outside, { recursive: true });
      const deep = join(repo, 'snapshots', commit, 'onnx', 'sub', 'model.onnx');
      await confirmNoLinkEscape(repo, deep);
      confirmNoLinkEscapeSync(repo, deep);
      symlinkSync(outside, join(repo, 'snapshots', commit, 'onnx'));
      await assert.rejects(confirmNoLinkEscape(repo, deep), CacheLinkEscapeError);
      assert.throws(() => confirmNoLinkEscapeSync(repo, deep), CacheLinkEscapeError);
      await assert.rejects(confirmNoLinkEscape(repo, join(repo, '..', 'x')), UnsafeHubPathError);
    });

    it('a model folder that is itself a link (a cache moved to another disk) is followed, and a missing one passes', async () => {
      const moved = join(root, 'moved', 'models--org--moved');
      mkdirSync(join(moved, 'blobs'), { recursive: true });
      const cache = join(root, 'cache');
      mkdirSync(cache, { recursive: true });
      symlinkSync(moved, join(cache, 'models--org--moved'));
      await confirmNoLinkEscape(join(cache, 'models--org--moved'), join(cache, 'models--org--moved', 'blobs', 'a'.repeat(40)));
      await confirmNoLinkEscape(join(cache, 'models--org--absent'), join(cache, 'models--org--absent', 'blobs', 'a'.repeat(40)));
    });

    it('the token file is read bounded: a missing one is no token, an oversized one is refused with its path', () => {
      const home = join(root, 'home');
      mkdirSync(home, { recursive: true });
      assert.equal(hubTokenFromEnv({ HF_HOME: home }), undefined);
      writeFileSync(join(home, 'token'), 'x'.repeat(100_000));
      assert.throws(
        () => hubTokenFromEnv({ HF_HOME: home }),
        (error: unknown) => error instanceof UnsafeFileError && error.message.includes(join(home, 'token')),
      );
    });
  });
});
