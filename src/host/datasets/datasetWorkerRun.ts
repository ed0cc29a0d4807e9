import { Worker } from 'node:worker_threads';
import type * as vscode from 'vscode';
import { emptyStats } from '../../core/datasets/datasetScan';
import { type FileValidationResult } from '../../core/datasets/fileValidation';
import { type DatasetFinding } from '../../core/datasets/findings';
import { type DatasetWorkerData, type FileWorkerMessage } from '../../shared/datasetWorkerProtocol';

export interface WorkerRunCallbacks {
  onFindings?(findings: DatasetFinding[]): void;
  onProgress?(bytes: number, total: number): void;
}

/**
 * Runs one dataset job in a worker thread (dist/datasetWorker.js), never on the extension host's thread. Resolves
 * with the stats, or `cancelled` when the token fires (the worker, and the range workers it started, are terminated).
 */
export function runDatasetWorker(script: string, data: DatasetWorkerData, callbacks: WorkerRunCallbacks, token?: vscode.CancellationToken): Promise<FileValidationResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData: data });
    let settled = false;
    const finish = (action: () => void): void => {
      if (settled) return;
      settled = true;
      subscription?.dispose();
      void worker.terminate();
      action();
    };
    const subscription = token?.onCancellationRequested(() => finish(() => resolve({ stats: emptyStats(), cancelled: true })));
    worker.on('message', (message: FileWorkerMessage) => {
      switch (message.type) {
        case 'findings':
          callbacks.onFindings?.(message.findings);
          return;
        case 'progress':
          callbacks.onProgress?.(message.bytes, message.total);
          return;
        case 'done':
          finish(() => resolve(message.result));
          return;
        case 'error':
          finish(() => reject(new Error(message.message)));
          return;
      }
    });
    worker.on('error', (error) => finish(() => reject(error)));
    worker.on('exit', (code) => finish(() => reject(new Error(`The dataset worker stopped unexpectedly (exit code ${code}).`))));
  });
}
