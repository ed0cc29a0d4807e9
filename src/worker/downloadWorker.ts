// The download worker: one worker thread per model download. The transfer, its hashing and its writes run here, so
// the extension host's thread only relays progress. The Hub token arrives in memory (workerData) and is never logged.
import { parentPort, workerData } from 'node:worker_threads';
import { downloadToCache } from '../core/hub/downloader';
import { HubAccessError } from '../core/hub/hubErrors';
import { type DownloadWorkerError, type DownloadWorkerInbound, type DownloadWorkerInit, type DownloadWorkerMessage } from '../shared/downloadProtocol';

const port = parentPort;
if (!port) throw new Error('downloadWorker must run as a worker thread');
const init = workerData as DownloadWorkerInit;
const controller = new AbortController();

function post(message: DownloadWorkerMessage): void {
  port?.postMessage(message);
}

function describe(error: unknown): DownloadWorkerError {
  if (error instanceof HubAccessError) return { name: error.name, message: error.message, access: { repoId: error.repoId, status: error.status, accessUrl: error.accessUrl, gated: error.gated } };
  if (error instanceof Error) return { name: error.name, message: error.message };
  return { name: 'Error', message: String(error) };
}

port.on('message', (message: DownloadWorkerInbound) => {
  if (message.kind === 'cancel') controller.abort();
});

downloadToCache({
  connection: { endpoint: init.endpoint, offline: init.offline, token: init.token },
  repoId: init.repoId,
  revision: init.revision,
  commit: init.commit,
  files: init.files,
  env: init.env,
  ...(init.concurrency !== undefined ? { concurrency: init.concurrency } : {}),
  signal: controller.signal,
  onProgress: (progress) => post({ kind: 'progress', progress }),
  log: (message) => post({ kind: 'log', message }),
}).then(
  (result) => {
    post({ kind: 'done', result });
    port.close();
  },
  (error: unknown) => {
    post({ kind: 'failed', error: describe(error) });
    port.close();
  },
);
