import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { resolveLocalModel } from '../../../src/core/hub/cacheLocation';
import { scanHubCacheDetailed } from '../../../src/core/hub/cacheScan';
import { downloadToCache } from '../../../src/core/hub/downloader';
import { getModelDetails, hubConnection, type HubConnection, type RepoFile } from '../../../src/core/hub/hubClient';
import { type FixtureModel, type HubServer, startHubServer, writeCachedModel } from '../../support/hubServer';
import { scratchDir } from '../../support/scratchDir';

/**
 * A Hub that lies: listings whose paths leave the snapshot, commit ids and blob hashes that are not hashes, redirects
 * to other schemes, in loops, or to other servers. Nothing it sends may write outside the cache or carry the token
 * elsewhere; each refusal names what was refused and the server it came from.
 */

const token = 'hf_hostileHubTestTokenCCCCCCCCCCCCCCCCC';
const config = Buffer.from('{"model_type":"bert","hidden_size":32}');
const weights = randomBytes(300_000);
const fixtures: FixtureModel[] = [
  {
    id: 'chatwright-test/target',
    files: [
      { path: 'config.json', content: config },
      { path: 'onnx/model.onnx', content: weights },
    ],
  },
  {
    id: 'chatwright-test/fresh',
    files: [
      { path: 'config.json', content: config },
      { path: 'tokenizer.json', content: Buffer.from('{}') },
    ],
  },
];

describe('a hostile Hub cannot write outside the cache or take the token elsewhere', () => {
  let hub: HubServer;
  let elsewhere: HubServer;
  let root: string;
  let cacheDir: string;
  let env: NodeJS.ProcessEnv;
  let outsideFile: string;
  const outsideContent = 'precious: must survive any download\n';
  const target = 'chatwright-test/target';
  const repoDir = (id: string): string => join(cacheDir, `models--${id.split('/').join('--')}`);
  const connection = (withToken = false): HubConnection => hubConnection(env, withToken ? token : undefined);

  before(async () => {
    hub = await startHubServer({ models: fixtures, pageSize: 2 });
    // Another server on another loopback port with the same repositories: a CDN, or a host a pagination link names.
    elsewhere = await startHubServer({ models: fixtures, pageSize: 2 });
    root = scratchDir('hostile-hub');
    cacheDir = join(root, 'hub');
    env = { HF_ENDPOINT: hub.url, HF_HUB_CACHE: cacheDir, HF_HOME: join(root, 'home') };
    outsideFile = join(root, 'outside.txt');
    // The blobs a hostile listing would point at are in the cache already (reused, never fetched again).
    const details = await getModelDetails(connection(), target);
    await downloadToCache({ connection: connection(), repoId: target, revision: 'main', commit: details.commit, files: details.repoFiles, env });
  });
  afterEach(() => {
    hub.hostile.clear();
    hub.redirects.clear();
    hub.cdnOrigin = undefined;
    hub.nextPageOrigin = undefined;
    writeFileSync(outsideFile, outsideContent);
  });
  after(async () => {
    await hub.close();
    await elsewhere.close();
    rmSync(root, { recursive: true, force: true });
  });

  function assertOutsideUntouched(): void {
    assert.ok(lstatSync(outsideFile).isFile(), 'the file outside the cache is still a regular file (not replaced by a link)');
    assert.equal(readFileSync(outsideFile, 'utf8'), outsideContent);
  }

  /** A listing entry that reuses config.json's blob (already cached, so a download links it without any transfer). */
  function entryReusingConfig(path: string): Record<string, unknown> {
    const served = hub.fileOf(target, 'config.json');
    return { type: 'file', oid: served.gitSha1, size: served.size, path };
  }

  function asRepoFile(entry: Record<string, unknown>): RepoFile {
    return { path: entry.path as string, size: entry.size as number, oid: entry.oid as string, lfsSha256: undefined };
  }

  it('a listing path with `..` that leads to a file outside the cache is refused, naming the path and the server; the file is untouched', async () => {
    writeFileSync(outsideFile, outsideContent);
    const commit = hub.commitOf(target);
    const snapshot = join(repoDir(target), 'snapshots', commit);
    const hostilePath = `onnx/x_data_/../../${relative(snapshot, outsideFile).split('\\').join('/')}`;
    const entry = entryReusingConfig(hostilePath);
    hub.hostile.set(target, { extraTreeEntries: [entry] });
    await assert.rejects(getModelDetails(connection(), target), (error: Error) => {
      assert.ok(error.message.includes(JSON.stringify(hostilePath)), error.message);
      assert.ok(error.message.includes(hub.url), error.message);
      return true;
    });
    // The download worker gets its file list from the host: the downloader checks it again on its own.
    const files = [asRepoFile(entryReusingConfig('config.json')), asRepoFile(entry)];
    await assert.rejects(downloadToCache({ connection: connection(), repoId: target, revision: 'main', commit, files, env }), (error: Error) => error.message.includes(JSON.stringify(hostilePath)));
    assertOutsideUntouched();
  });

  it('every kind of hostile listing path is refused before anything is written', async () => {
    const fresh = 'chatwright-test/fresh';
    const commit = hub.commitOf(fresh);
    const hostilePaths = [
      `../../../../${relative(root, outsideFile)}`,
      outsideFile,
      'onnx\\..\\..\\..\\outside.txt',
      'onnx/model\u0000.onnx',
      'C:/Windows/win.ini',
      'c:outside.txt',
      'onnx//model.onnx',
      'onnx/./model.onnx',
      'onnx/',
      'line\nbreak.json',
      '',
    ];
    for (const hostilePath of hostilePaths) {
      hub.hostile.set(fresh, { extraTreeEntries: [entryReusingConfig(hostilePath)] });
      await assert.rejects(getModelDetails(connection(), fresh), (error: Error) => {
        assert.ok(error.message.includes(JSON.stringify(hostilePath)) && error.message.includes(hub.url), `${JSON.stringify(hostilePath)}: ${error.message}`);
        return true;
      });
      const files = [asRepoFile(entryReusingConfig('config.json')), asRepoFile(entryReusingConfig(hostilePath))];
      await assert.rejects(downloadToCache({ connection: connection(), repoId: fresh, revision: 'main', commit, files, env }), (error: Error) => error.message.includes(JSON.stringify(hostilePath)));
      assert.equal(existsSync(repoDir(fresh)), false, `nothing was written for ${JSON.stringify(hostilePath)}`);
    }
    assertOutsideUntouched();
  });

  it('a commit id that is not 40 or 64 hex characters is refused, naming it and the server', async () => {
    for (const sha of ['not-a-commit', `${'a'.repeat(39)}.`, 'A'.repeat(41)]) {
      hub.hostile.set(target, { sha });
      await assert.rejects(getModelDetails(connection(), target), (error: Error) => {
        assert.ok(error.message.includes(`commit id ${JSON.stringify(sha)}`) && error.message.includes(hub.url), error.message);
        return true;
      });
    }
  });

  it('a blob hash that is not the hash format the cache uses is refused in the listing and by the downloader', async () => {
    const fresh = 'chatwright-test/fresh';
    const served = hub.fileOf(fresh, 'config.json');
    for (const entry of [
      { type: 'file', oid: `../../../../${relative(root, outsideFile)}`, size: served.size, path: 'config.json' },
      { type: 'file', oid: served.gitSha1, size: served.size, path: 'weights.bin', lfs: { oid: served.gitSha1, size: served.size } },
    ]) {
      hub.hostile.set(fresh, { extraTreeEntries: [entry] });
      await assert.rejects(getModelDetails(connection(), fresh), (error: Error) => {
        assert.match(error.message, /blob name/);
        assert.ok(error.message.includes(hub.url), error.message);
        return true;
      });
    }
    assertOutsideUntouched();
  });

  it('a revision with `..` is never written as a ref file, and the file it names outside the cache is untouched', async () => {
    const commit = hub.commitOf(target);
    const files = (await getModelDetails(connection(), target)).repoFiles;
    const refs = join(repoDir(target), 'refs');
    for (const revision of [relative(refs, outsideFile).split('\\').join('/'), 'main/../../../outside.txt', '/etc/x', 'a\\b', 'a b']) {
      hub.requests.length = 0;
      await assert.rejects(downloadToCache({ connection: connection(), repoId: target, revision, commit, files, env }), (error: Error) =>
        error.message.includes(`revision ${JSON.stringify(revision)}`),
      );
      assert.equal(hub.requests.length, 0, 'refused before any transfer');
    }
    assertOutsideUntouched();
  });

  it('a folder inside the model cache that is a link leading outside is never written through', async () => {
    const fresh = 'chatwright-test/fresh';
    const details = await getModelDetails(connection(), fresh);
    const outsideDir = join(root, 'outside-dir');
    for (const linked of ['blobs', join('snapshots', details.commit), 'refs']) {
      rmSync(repoDir(fresh), { recursive: true, force: true });
      rmSync(outsideDir, { recursive: true, force: true });
      mkdirSync(outsideDir);
      const link = join(repoDir(fresh), linked);
      mkdirSync(join(link, '..'), { recursive: true });
      symlinkSync(outsideDir, link);
      await assert.rejects(downloadToCache({ connection: connection(), repoId: fresh, revision: 'main', commit: details.commit, files: details.repoFiles, env }), (error: Error) => {
        assert.match(error.message, /outside the model's cache folder/);
        return true;
      });
      assert.deepEqual(readdirSync(outsideDir), [], `nothing was written through ${linked}`);
    }
    rmSync(repoDir(fresh), { recursive: true, force: true });
  });

  it('reading the cache: a ref file whose content is a path, and a snapshot link to a folder outside, lead nowhere outside', async () => {
    const cache = join(root, 'read-cache');
    const outsideDir = join(root, 'outside-snapshot');
    mkdirSync(outsideDir, { recursive: true });
    writeFileSync(join(outsideDir, 'secret.txt'), 'not part of any model');
    const commit = writeCachedModel(cache, 'org/model', { 'config.json': '{}' });
    const modelDir = join(cache, 'models--org--model');
    writeFileSync(join(modelDir, 'refs', 'evil'), relative(join(modelDir, 'snapshots'), outsideDir));
    assert.equal(resolveLocalModel('org/model@evil', { HF_HUB_CACHE: cache }), undefined);
    assert.equal(resolveLocalModel(`org/model@../../../${relative(root, outsideDir)}`, { HF_HUB_CACHE: cache }), undefined);
    assert.equal(resolveLocalModel('org/model', { HF_HUB_CACHE: cache }), join(modelDir, 'snapshots', commit));

    symlinkSync(outsideDir, join(modelDir, 'snapshots', commit, 'linked-away'));
    const scan = await scanHubCacheDetailed({ HF_HUB_CACHE: cache });
    const model = scan.models[0];
    assert.equal(model?.refs.evil, undefined, 'a ref that does not hold a commit id is not reported as one');
    const paths = model?.revisions[0]?.files.map((file) => file.path) ?? [];
    assert.ok(!paths.some((path) => path.startsWith('linked-away/')), `the scan did not descend outside: ${paths.join(', ')}`);
    assert.match(scan.warnings.join('\n'), /leads out of the model's cache folder/);
    assert.match(scan.warnings.join('\n'), /does not hold a commit id/);
  });

  it('a pagination link to another port does not carry the token; the Hub itself gets it', async () => {
    hub.nextPageOrigin = elsewhere.url;
    hub.requests.length = 0;
    elsewhere.requests.length = 0;
    const details = await getModelDetails(connection(true), target);
    assert.deepEqual(details.repoFiles.map((file) => file.path).sort(), ['config.json', 'onnx/model.onnx']);
    assert.ok(elsewhere.requests.length > 0, 'the listing continued on the other server');
    assert.deepEqual(
      elsewhere.requests.map((request) => request.authorization),
      elsewhere.requests.map(() => undefined),
    );
    assert.ok(hub.requests.every((request) => request.authorization === `Bearer ${token}`));
  });

  it('an LFS redirect to a CDN on another port does not carry the token, through node:http or the direct reader', async () => {
    const id = 'chatwright-test/big-cdn';
    const big = randomBytes(8 * 1024 * 1024 + 3);
    const models = [
      {
        id,
        files: [
          { path: 'config.json', content: config },
          { path: 'small.bin', content: randomBytes(1000) },
          { path: 'big.bin', content: big },
        ],
      },
    ];
    const origin = await startHubServer({ models });
    const cdn = await startHubServer({ models });
    const cdnEnv = { ...env, HF_ENDPOINT: origin.url };
    try {
      origin.cdnOrigin = cdn.url;
      const withToken = hubConnection(cdnEnv, token);
      const details = await getModelDetails(withToken, id);
      const result = await downloadToCache({ connection: withToken, repoId: id, revision: 'main', commit: details.commit, files: details.repoFiles, env: cdnEnv });
      assert.ok(readFileSync(join(result.snapshotFolder, 'big.bin')).equals(big));
      const cdnRequests = cdn.requests.filter((request) => request.url.startsWith('/cdn/'));
      assert.equal(cdnRequests.length, 2, 'both LFS files came from the CDN');
      assert.deepEqual(
        cdnRequests.map((request) => request.authorization),
        [undefined, undefined],
      );
      assert.ok(origin.requests.filter((request) => request.url.includes('/resolve/')).every((request) => request.authorization === `Bearer ${token}`));
    } finally {
      await origin.close();
      await cdn.close();
    }
  });

  it('a redirect to a scheme other than http(s) is refused with a message that says so', async () => {
    const fresh = 'chatwright-test/fresh';
    const details = await getModelDetails(connection(), fresh);
    rmSync(repoDir(fresh), { recursive: true, force: true });
    hub.redirects.set(`/${fresh}/resolve/${details.commit}/config.json`, 'file:///etc/passwd');
    await assert.rejects(
      downloadToCache({ connection: connection(), repoId: fresh, revision: 'main', commit: details.commit, files: details.repoFiles, env }),
      /redirected to a file: URL; only http and https/,
    );
    hub.redirects.set(`/api/models/${fresh}/tree/${details.commit}`, 'ftp://127.0.0.1/listing');
    await assert.rejects(getModelDetails(connection(), fresh), /redirected to a ftp: URL; only http and https/);
    rmSync(repoDir(fresh), { recursive: true, force: true });
  });

  it('a redirect loop is given up after a bounded number of hops, with a message that says so', async () => {
    const fresh = 'chatwright-test/fresh';
    const details = await getModelDetails(connection(), fresh);
    const resolvePath = `/${fresh}/resolve/${details.commit}/config.json`;
    hub.redirects.set(resolvePath, resolvePath);
    hub.requests.length = 0;
    await assert.rejects(downloadToCache({ connection: connection(), repoId: fresh, revision: 'main', commit: details.commit, files: details.repoFiles, env }), /redirected more than 10 times/);
    assert.ok(hub.requests.filter((request) => request.url === resolvePath).length <= 11);
    const infoPath = `/api/models/${fresh}/revision/main`;
    hub.redirects.set(infoPath, infoPath);
    await assert.rejects(getModelDetails(connection(), fresh), /redirected more than 10 times/);
    rmSync(repoDir(fresh), { recursive: true, force: true });
  });
});
