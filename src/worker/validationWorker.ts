// The dataset validation worker (bundled as dist/datasetWorker.js): validates one byte range of a file for the
// coordinator (src/core/datasets/fileValidation.ts), or a whole file or an unsaved text for the extension host, off
// the caller's thread. The validation itself is core's; this file only relays it.
import { parentPort, workerData } from 'node:worker_threads';
import { validateDatasetFile } from '../core/datasets/fileValidation';
import { type DatasetFinding } from '../core/datasets/findings';
import { FingerprintTable } from '../core/datasets/fingerprint';
import { scanRange, type RangeScanMessage } from '../core/datasets/rangeScan';
import { validateTextWithTokens } from '../core/datasets/textValidation';
import { type DatasetWorkerData, type FileWorkerMessage } from '../shared/datasetWorkerProtocol';

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const port = parentPort;
const data = workerData as DatasetWorkerData | undefined;
if (port && data?.kind === 'range') {
  const post = (message: RangeScanMessage): void => {
    if (message.type === 'done' && message.result.table) {
      port.postMessage(message, FingerprintTable.transferList(message.result.table));
    } else {
      port.postMessage(message);
    }
  };
  void scanRange(data.request, post).then(
    (result) => post({ type: 'done', result }),
    (error: unknown) => post({ type: 'error', message: describe(error) }),
  );
} else if (port && data?.kind === 'file') {
  const post = (message: FileWorkerMessage): void => port.postMessage(message);
  let batch: DatasetFinding[] = [];
  let lastFlush = Date.now();
  const flush = (): void => {
    if (batch.length > 0) post({ type: 'findings', findings: batch });
    batch = [];
    lastFlush = Date.now();
  };
  void validateDatasetFile(data.path, {
    ...data.options,
    onFinding: (item) => {
      batch.push(item);
      if (batch.length >= 500 || Date.now() - lastFlush > 200) flush();
    },
    onProgress: (bytes, total) => post({ type: 'progress', bytes, total }),
  }).then(
    (result) => {
      flush();
      post({ type: 'done', result });
    },
    (error: unknown) => post({ type: 'error', message: describe(error) }),
  );
} else if (port && data?.kind === 'text') {
  void validateTextWithTokens(data.text, data.options).then(
    ({ findings, stats }) => {
      const messages: FileWorkerMessage[] = [{ type: 'findings', findings }, { type: 'done', result: { stats, cancelled: false } }];
      for (const message of messages) port.postMessage(message);
    },
    (error: unknown) => port.postMessage({ type: 'error', message: describe(error) } satisfies FileWorkerMessage),
  );
}
