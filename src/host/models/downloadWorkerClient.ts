import { Worker } from 'node:worker_threads';
import { DownloadCancelledError, HubAccessError } from '../../core/hub/hubErrors';
import { type DownloadProgress, type DownloadResult, type DownloadWorkerError, type DownloadWorkerInbound, type DownloadWorkerInit, type DownloadWorkerMessage } from '../../shared/downloadProtocol';

export interface DownloadWorkerOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  log?: (message: string) => void;
}

/** The worker's error as the host handles it: cancellation and access errors keep their classes. */
function rebuild(error: DownloadWorkerError): Error {
  if (error.name === 'DownloadCancelledError') return new DownloadCancelledError();
  if (error.access) return new HubAccessError(error.access.repoId, error.access.status, error.access.accessUrl, error.access.gated);
  return Object.assign(new Error(error.message), { name: error.name });
}

/**
 * Runs one download in a worker thread (`script`: dist/downloadWorker.js, or its TypeScript source under tsx in
 * tests). Cancelling the signal asks the worker to stop; what was transferred stays in the cache for a resume.
 */
export function runDownloadInWorker(script: string, init: DownloadWorkerInit, options: DownloadWorkerOptions = {}): Promise<DownloadResult> {
  return new Promise<DownloadResult>((resolve, reject) => {
    const worker = script.endsWith('.ts') ? new Worker(`require('tsx/cjs/api').register(); require(${JSON.stringify(script)});`, { eval: true, workerData: init }) : new Worker(script, { workerData: init });
    let settled = false;
    const settle = (outcome: () => void): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', cancel);
      outcome();
    };
    const cancel = (): void => worker.postMessage({ kind: 'cancel' } satisfies DownloadWorkerInbound);
    if (options.signal?.aborted) cancel();
    else options.signal?.addEventListener('abort', cancel);
    worker.on('message', (message: DownloadWorkerMessage) => {
      if (message.kind === 'progress') options.onProgress?.(message.progress);
      else if (message.kind === 'log') options.log?.(message.message);
      else if (message.kind === 'done') settle(() => resolve(message.result));
      else settle(() => reject(rebuild(message.error)));
    });
    worker.on('error', (error) => settle(() => reject(new Error(`The download worker failed: ${error.message}`))));
    worker.on('exit', (code) => settle(() => reject(new Error(`The download worker stopped (exit code ${code}) before finishing; run the download again to resume it.`))));
  });
}
