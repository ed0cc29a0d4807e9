import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { selectFiles } from '../../../src/core/hub/fileSelection';
import { getModelDetails } from '../../../src/core/hub/hubClient';
import { DownloadCancelledError, HubAccessError } from '../../../src/core/hub/hubErrors';
import { runDownloadInWorker } from '../../../src/host/models/downloadWorkerClient';
import { type DownloadProgress, type DownloadWorkerInit } from '../../../src/shared/downloadProtocol';
import { grantedToken, startHubTestEnv, type HubTestEnv } from '../../support/hubTestEnv';

const workerScript = join(__dirname, '..', '..', '..', 'src', 'worker', 'downloadWorker.ts');

describe('downloads on a worker thread (how the extension runs them)', () => {
  let hub: HubTestEnv;
  before(async () => {
    hub = await startHubTestEnv([
      {
        id: 'chatwright-test/worker-onnx',
        files: [
          { path: 'config.json', content: Buffer.from('{"model_type":"bert","hidden_size":32,"num_hidden_layers":2,"num_attention_heads":4}') },
          { path: 'tokenizer.json', content: Buffer.from('{}') },
          { path: 'onnx/model.onnx', content: randomBytes(12 * 1024 * 1024 + 5) },
        ],
        pipelineTag: 'feature-extraction',
      },
    ]);
  });
  after(async () => {
    await hub.dispose();
  });

  async function init(id: string, token?: string): Promise<DownloadWorkerInit> {
    const connection = hub.connection(token);
    const details = await getModelDetails(connection, id);
    const { files } = selectFiles(details.repoFiles, 'onnx', undefined, details.task);
    return { endpoint: connection.endpoint, offline: false, token: connection.token, repoId: id, revision: 'main', commit: details.commit, files, env: { ...hub.env } };
  }

  it('downloads byte-exact, relaying progress and log lines, and resolves with the result', async () => {
    const progress: DownloadProgress[] = [];
    const result = await runDownloadInWorker(workerScript, await init('chatwright-test/worker-onnx'), { onProgress: (p) => progress.push(p) });
    const served = hub.server.fileOf('chatwright-test/worker-onnx', 'onnx/model.onnx');
    assert.ok(readFileSync(join(result.snapshotFolder, 'onnx', 'model.onnx')).equals(served.content));
    assert.ok(result.downloaded.includes('onnx/model.onnx'));
    assert.ok(progress.length > 0, 'progress crossed from the worker');
    assert.equal(progress.at(-1)?.doneBytes, progress.at(-1)?.totalBytes);
  });

  it('a cancelled download rejects with DownloadCancelledError; an access error keeps its class and link', async () => {
    const id = 'chatwright-test/worker-onnx';
    rmSync(join(hub.cacheDir, 'models--chatwright-test--worker-onnx'), { recursive: true, force: true });
    hub.server.throttleBytesPerSecond = 2_000_000;
    const controller = new AbortController();
    try {
      await assert.rejects(runDownloadInWorker(workerScript, await init(id), { signal: controller.signal, onProgress: (p) => p.transferredBytes > 0 && controller.abort() }), DownloadCancelledError);
    } finally {
      hub.server.throttleBytesPerSecond = 0;
    }
    const gatedInit = { ...(await init('chatwright-test/worker-onnx')), repoId: 'chatwright-test/gated-llama' };
    const gatedDetails = await getModelDetails(hub.connection(grantedToken), 'chatwright-test/gated-llama');
    gatedInit.commit = gatedDetails.commit;
    gatedInit.files = selectFiles(gatedDetails.repoFiles, 'python').files;
    await assert.rejects(runDownloadInWorker(workerScript, gatedInit), (error: unknown) => error instanceof HubAccessError && error.gated && error.accessUrl.endsWith('/chatwright-test/gated-llama'));
  });
});
