import assert from 'node:assert/strict';
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveLocalModel } from '../../../src/core/hub/cacheLocation';
import { downloadToCache } from '../../../src/core/hub/downloader';
import { selectFiles } from '../../../src/core/hub/fileSelection';
import { getModelDetails } from '../../../src/core/hub/hubClient';
import { DownloadCancelledError, HubAccessError } from '../../../src/core/hub/hubErrors';
import { type DownloadProgress } from '../../../src/shared/downloadProtocol';
import { grantedToken, startHubTestEnv, type HubTestEnv } from '../../support/hubTestEnv';

describe('downloads into the Hugging Face cache layout', () => {
  let hub: HubTestEnv;
  before(async () => {
    hub = await startHubTestEnv([
      {
        id: 'chatwright-test/big-onnx',
        files: [
          { path: 'config.json', content: Buffer.from('{"model_type":"bert","hidden_size":32,"num_hidden_layers":2,"num_attention_heads":4}') },
          { path: 'tokenizer.json', content: Buffer.from('{}') },
          { path: 'onnx/model.onnx', content: randomBytes(1000) },
          { path: 'onnx/model.onnx_data', content: randomBytes(20 * 1024 * 1024 + 17) },
        ],
        pipelineTag: 'feature-extraction',
      },
    ]);
  });
  after(async () => {
    await hub.dispose();
  });

  async function download(
    id: string,
    options: { runtime?: 'onnx' | 'python'; variant?: 'q4' | 'int8' | 'fp16' | 'fp32'; signal?: AbortSignal; onProgress?: (p: DownloadProgress) => void; token?: string } = {},
  ) {
    const connection = hub.connection(options.token);
    const details = await getModelDetails(connection, id);
    const selection = selectFiles(details.repoFiles, options.runtime ?? 'onnx', options.variant);
    const result = await downloadToCache({
      connection,
      repoId: id,
      revision: 'main',
      commit: details.commit,
      files: selection.files,
      env: hub.env,
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    });
    return { details, selection, result };
  }

  it('writes blobs named by etag, relative snapshot links and refs/main, byte-exact', async () => {
    const id = 'chatwright-test/tiny-llama-onnx';
    const { selection, result } = await download(id, { variant: 'q4' });
    const commit = hub.server.commitOf(id);
    const repoDir = join(hub.cacheDir, 'models--chatwright-test--tiny-llama-onnx');
    assert.equal(readFileSync(join(repoDir, 'refs', 'main'), 'utf8'), commit);
    assert.equal(result.snapshotFolder, join(repoDir, 'snapshots', commit));
    assert.deepEqual(selection.files.map((f) => f.path).sort(), ['config.json', 'generation_config.json', 'onnx/model_q4.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    for (const file of selection.files) {
      const link = join(result.snapshotFolder, ...file.path.split('/'));
      assert.ok(lstatSync(link).isSymbolicLink(), `${file.path} is a symlink`);
      const target = readlinkSync(link);
      const served = hub.server.fileOf(id, file.path);
      const etag = served.sha256 ?? served.gitSha1;
      const depth = file.path.split('/').length - 1;
      assert.equal(target, `${'../'.repeat(depth)}../../blobs/${etag}`);
      assert.ok(readFileSync(link).equals(served.content), `${file.path} is byte-exact`);
    }
    assert.equal(resolveLocalModel(id, hub.env), result.snapshotFolder);
    assert.deepEqual(
      readdirSync(join(repoDir, 'blobs')).filter((name) => name.endsWith('.incomplete')),
      [],
    );
  });

  it('takes the external-data file along with its ONNX variant', async () => {
    const { selection } = await download('chatwright-test/tiny-llama-onnx', { variant: 'fp16' });
    assert.ok(selection.files.some((f) => f.path === 'onnx/model_fp16.onnx_data'));
    assert.ok(existsSync(join(resolveLocalModel('chatwright-test/tiny-llama-onnx', hub.env) ?? '', 'onnx', 'model_fp16.onnx_data')));
  });

  it('downloads only the safetensors shards and index for the Python backend', async () => {
    const { selection } = await download('chatwright-test/tiny-llama-safetensors', { runtime: 'python' });
    const paths = selection.files.map((f) => f.path);
    assert.ok(paths.includes('model-00001-of-00002.safetensors') && paths.includes('model-00002-of-00002.safetensors') && paths.includes('model.safetensors.index.json'));
    assert.ok(!paths.includes('README.md'));
  });

  it('resumes an interrupted transfer with a Range request from the .incomplete bytes', async () => {
    const id = 'chatwright-test/tiny-minilm';
    hub.server.cutAfterBytes.set(`${id}/onnx/model.onnx`, 1_000_000);
    const logs: string[] = [];
    const connection = hub.connection();
    const details = await getModelDetails(connection, id);
    const selection = selectFiles(details.repoFiles, 'onnx', 'fp32');
    hub.server.requests.length = 0;
    const result = await downloadToCache({ connection, repoId: id, revision: 'main', commit: details.commit, files: selection.files, env: hub.env, log: (m) => logs.push(m) });
    const served = hub.server.fileOf(id, 'onnx/model.onnx');
    assert.ok(readFileSync(join(result.snapshotFolder, 'onnx', 'model.onnx')).equals(served.content));
    assert.ok(
      hub.server.requests.some((r) => r.range === 'bytes=1000000-'),
      'the retry asked for the rest only',
    );
    assert.ok(
      logs.some((m) => m.includes('resuming')),
      logs.join('\n'),
    );
  });

  it('resumes a partial file left by an earlier run', async () => {
    const id = 'chatwright-test/tiny-minilm';
    const served = hub.server.fileOf(id, 'onnx/model_quantized.onnx');
    const blobs = join(hub.cacheDir, 'models--chatwright-test--tiny-minilm', 'blobs');
    writeFileSync(join(blobs, `${served.sha256}.incomplete`), served.content.subarray(0, 123_456));
    hub.server.requests.length = 0;
    const { result } = await download(id);
    assert.ok(hub.server.requests.some((r) => r.range === 'bytes=123456-'));
    assert.ok(readFileSync(join(result.snapshotFolder, 'onnx', 'model_quantized.onnx')).equals(served.content));
    assert.equal(result.transferredBytes < served.size, true);
  });

  it('gated models: 401 without a token and a message with the access link', async () => {
    await assert.rejects(download('chatwright-test/gated-llama', { runtime: 'python' }), (error: unknown) => {
      assert.ok(error instanceof HubAccessError);
      assert.equal(error.status, 401);
      assert.match(error.message, new RegExp(`${hub.server.url}/chatwright-test/gated-llama`));
      return true;
    });
  });

  it('detects a corrupt transfer, discards it and fetches the file again', async () => {
    const id = 'chatwright-test/gated-llama';
    hub.server.corruptOnce.add(`${id}/model.safetensors`);
    const { result } = await download(id, { runtime: 'python', token: grantedToken });
    assert.ok(readFileSync(join(result.snapshotFolder, 'model.safetensors')).equals(hub.server.fileOf(id, 'model.safetensors').content));
    assert.equal(hub.server.corruptOnce.size, 0);
  });

  it('detects a corrupted blob already in the cache and replaces it', async () => {
    const id = 'chatwright-test/tiny-llama-onnx';
    const served = hub.server.fileOf(id, 'onnx/model_q4.onnx');
    const blob = join(hub.cacheDir, 'models--chatwright-test--tiny-llama-onnx', 'blobs', served.sha256 ?? '');
    const damaged = Buffer.from(served.content);
    damaged[10] = (damaged[10] ?? 0) ^ 1;
    writeFileSync(blob, damaged);
    const { result } = await download(id, { variant: 'q4' });
    assert.deepEqual(result.repaired, ['onnx/model_q4.onnx']);
    assert.ok(readFileSync(blob).equals(served.content));
  });

  it('reuses verified blobs without transferring them again', async () => {
    const { result } = await download('chatwright-test/tiny-llama-onnx', { variant: 'q4' });
    assert.equal(result.transferredBytes, 0);
    assert.equal(result.downloaded.length, 0);
  });

  it('cancellation leaves no partial file in the snapshot, and the next run resumes', async () => {
    const id = 'chatwright-test/tiny-llama-safetensors';
    hub.server.throttleBytesPerSecond = 400_000;
    const controller = new AbortController();
    const commit = hub.server.commitOf(id);
    const snapshot = join(hub.cacheDir, 'models--chatwright-test--tiny-llama-safetensors', 'snapshots', commit);
    const shard = hub.server.fileOf(id, 'model-00001-of-00002.safetensors');
    // Start from scratch for this model's big shard.
    for (const name of ['', '.incomplete']) {
      const path = join(hub.cacheDir, 'models--chatwright-test--tiny-llama-safetensors', 'blobs', `${shard.sha256}${name}`);
      if (existsSync(path)) truncateSync(path, 0);
    }
    let sawProgress = false;
    const pending = download(id, {
      runtime: 'python',
      signal: controller.signal,
      onProgress: (p) => {
        if (p.transferredBytes > 0 && !sawProgress) {
          sawProgress = true;
          controller.abort();
        }
      },
    });
    await assert.rejects(pending, DownloadCancelledError);
    hub.server.throttleBytesPerSecond = 0;
    assert.ok(sawProgress);
    const link = join(snapshot, 'model-00001-of-00002.safetensors');
    const linked = existsSync(link) ? statSync(realpathSync(link)).size : -1;
    assert.ok(linked === -1 || linked === shard.size, 'no partial file is linked in the snapshot');
    const again = await download(id, { runtime: 'python' });
    assert.ok(readFileSync(link).equals(shard.content));
    assert.ok(again.result.transferredBytes < shard.size * 2);
  });

  it('large files (read straight from the socket, hashed as they arrive): resumed after a cut, then a damaged blob is detected and replaced', async () => {
    const id = 'chatwright-test/big-onnx';
    const served = hub.server.fileOf(id, 'onnx/model.onnx_data');
    hub.server.cutAfterBytes.set(`${id}/onnx/model.onnx_data`, 9 * 1024 * 1024 + 5);
    hub.server.requests.length = 0;
    const first = await download(id);
    // Resumed with a Range request from what reached the disk before the cut (bytes still buffered in the socket when
    // the connection dropped are fetched again).
    const resumedFrom = hub.server.requests
      .filter((r) => r.url.includes('model.onnx_data'))
      .map((r) => Number(/^bytes=(\d+)-$/.exec(r.range ?? '')?.[1] ?? 0))
      .filter((start) => start > 0);
    assert.ok(resumedFrom.length >= 1, 'resumed with a Range request');
    assert.ok(
      resumedFrom.every((start) => start <= 9 * 1024 * 1024 + 5),
      'resumed no later than the cut',
    );
    const link = join(first.result.snapshotFolder, 'onnx', 'model.onnx_data');
    assert.ok(readFileSync(link).equals(served.content));
    const blob = realpathSync(link);
    const damaged = Buffer.from(served.content);
    damaged[15 * 1024 * 1024] = (damaged[15 * 1024 * 1024] ?? 0) ^ 0x80;
    writeFileSync(blob, damaged);
    const second = await download(id);
    assert.deepEqual(second.result.repaired, ['onnx/model.onnx_data']);
    assert.ok(readFileSync(link).equals(served.content));
    hub.server.corruptOnce.add(`${id}/onnx/model.onnx_data`);
    writeFileSync(blob, damaged);
    const third = await download(id);
    assert.ok(readFileSync(link).equals(served.content), 'a corrupt transfer of a large file is caught too');
    assert.equal(third.result.transferredBytes, served.size * 2);
  });

  it('cancelling a large transfer keeps what arrived in the .incomplete file, links nothing, and the next run resumes it', async () => {
    const id = 'chatwright-test/big-onnx';
    const served = hub.server.fileOf(id, 'onnx/model.onnx_data');
    const blobs = join(hub.cacheDir, 'models--chatwright-test--big-onnx', 'blobs');
    for (const name of readdirSync(blobs)) if (name.startsWith(served.sha256 ?? '-')) rmSync(join(blobs, name));
    const link = join(hub.cacheDir, 'models--chatwright-test--big-onnx', 'snapshots', hub.server.commitOf(id), 'onnx', 'model.onnx_data');
    rmSync(link, { force: true });
    hub.server.throttleBytesPerSecond = 4_000_000;
    const controller = new AbortController();
    try {
      const pending = download(id, {
        signal: controller.signal,
        onProgress: (p) => {
          if (p.active.includes('onnx/model.onnx_data') && p.transferredBytes > 300_000) controller.abort();
        },
      });
      await assert.rejects(pending, DownloadCancelledError);
    } finally {
      hub.server.throttleBytesPerSecond = 0;
    }
    const partial = join(blobs, `${served.sha256}.incomplete`);
    assert.ok(existsSync(partial), 'the partial transfer is kept');
    const kept = statSync(partial).size;
    assert.ok(kept > 0 && kept < served.size, `kept ${kept} bytes`);
    assert.ok(served.content.subarray(0, kept).equals(readFileSync(partial)), 'what was kept is the start of the file');
    assert.equal(existsSync(link), false, 'nothing is linked in the snapshot');
    hub.server.requests.length = 0;
    const resumed = await download(id);
    assert.ok(
      hub.server.requests.some((r) => r.range === `bytes=${kept}-`),
      'the next run asks for the rest only',
    );
    assert.ok(readFileSync(join(resumed.result.snapshotFolder, 'onnx', 'model.onnx_data')).equals(served.content));
  });

  it('large files from a server that ignores Range or sends chunked bodies still arrive byte-exact', async () => {
    const id = 'chatwright-test/big-onnx';
    const served = hub.server.fileOf(id, 'onnx/model.onnx_data');
    const blobs = join(hub.cacheDir, 'models--chatwright-test--big-onnx', 'blobs');
    const clear = () => {
      for (const name of readdirSync(blobs)) if (name.startsWith(served.sha256 ?? '-')) rmSync(join(blobs, name));
    };
    try {
      clear();
      writeFileSync(join(blobs, `${served.sha256}.incomplete`), served.content.subarray(0, 3_000_000));
      hub.server.ignoreRange = true;
      const restarted = await download(id);
      assert.ok(readFileSync(join(restarted.result.snapshotFolder, 'onnx', 'model.onnx_data')).equals(served.content), 'a 200 to a Range request starts the file over');
      hub.server.ignoreRange = false;
      clear();
      hub.server.chunkedBodies = true;
      const chunked = await download(id);
      assert.ok(readFileSync(join(chunked.result.snapshotFolder, 'onnx', 'model.onnx_data')).equals(served.content), 'a chunked body is read through node:http');
      assert.deepEqual(chunked.result.downloaded.sort(), ['onnx/model.onnx_data']);
    } finally {
      hub.server.ignoreRange = false;
      hub.server.chunkedBodies = false;
    }
  });

  it('two downloads of the same model at once fetch each blob once and both succeed', async () => {
    const id = 'chatwright-test/tiny-gguf';
    hub.server.requests.length = 0;
    const connection = hub.connection();
    const details = await getModelDetails(connection, id);
    const files = details.repoFiles.filter((f) => f.path.endsWith('.gguf'));
    const run = () => downloadToCache({ connection, repoId: id, revision: 'main', commit: details.commit, files, env: hub.env });
    const [a, b] = await Promise.all([run(), run()]);
    assert.equal(a.snapshotFolder, b.snapshotFolder);
    for (const file of files) assert.ok(readFileSync(join(a.snapshotFolder, file.path)).equals(hub.server.fileOf(id, file.path).content));
    assert.equal(hub.server.requests.filter((r) => r.url.startsWith('/cdn/')).length, files.length);
  });

  it('refuses to start when the disk is too small', async () => {
    const connection = hub.connection();
    const details = await getModelDetails(connection, 'chatwright-test/tiny-gguf');
    const huge = details.repoFiles.map((file) => ({ ...file, size: 1e18 }));
    await assert.rejects(downloadToCache({ connection, repoId: details.id, revision: 'main', commit: details.commit, files: huge, env: hub.env }), /Not enough free disk space/);
  });
});
