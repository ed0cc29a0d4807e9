import { parentPort, workerData } from 'node:worker_threads';
import { validateDatasetFile, type FileValidationOptions, type FileValidationResult } from './fileValidation';
import { type DatasetFinding } from './findings';
import { FingerprintTable } from './fingerprint';
import { type DatasetFormat } from './formats';
import { type TokenCounter } from './tokenCount';
import { defaultTokenCounterSync, loadTokenCounter } from './tokenizer';
import { validateDataset } from './validateDataset';
import { scanRange, type RangeScanMessage, type RangeScanRequest } from './rangeScan';

/** What a dataset worker is asked to do: one byte range (for the coordinator), or a whole file (for the editor). */
export type DatasetWorkerData =
  | { kind: 'range'; request: RangeScanRequest }
  | { kind: 'file'; path: string; options: Omit<FileValidationOptions, 'signal' | 'onProgress' | 'onFinding'> }
  /** An editor's unsaved text: validated whole, with token counts (null: the default tokenizer). */
  | { kind: 'text'; text: string; options: { format?: DatasetFormat; maxTokens?: number; minRows?: number; tokenizer?: string | null } };

/** Messages of a whole-file worker. */
export type FileWorkerMessage =
  | { type: 'findings'; findings: DatasetFinding[] }
  | { type: 'progress'; bytes: number; total: number }
  | { type: 'done'; result: FileValidationResult }
  | { type: 'error'; message: string };

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

// Worker-thread entry, bundled as dist/datasetWorker.js.
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
  const { tokenizer, ...options } = data.options;
  void (async () => {
    // A report without token counts beats no report: a tokenizer that fails to load only drops the counts.
    const tokenCounter = tokenizer === undefined ? undefined : await loadTokenCounter(tokenizer ?? undefined).catch(() => undefined);
    const contextCounter = (): TokenCounter | undefined => tokenCounter ?? defaultTokenCounterSync();
    const { findings, stats } = validateDataset(data.text, { ...options, ...(tokenCounter ? { tokenCounter } : {}), ...(options.maxTokens === undefined ? { contextCounter } : {}) });
    stats.bytes = Buffer.byteLength(data.text);
    const message: FileWorkerMessage[] = [{ type: 'findings', findings }, { type: 'done', result: { stats, cancelled: false } }];
    for (const item of message) port.postMessage(item);
  })().catch((error: unknown) => port.postMessage({ type: 'error', message: describe(error) } satisfies FileWorkerMessage));
}
