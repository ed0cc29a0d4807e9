import type * as vscode from 'vscode';
import { emptyStats } from '../../core/datasets/datasetScan';
import { type FileValidationResult } from '../../core/datasets/fileValidation';
import { type DatasetFinding } from '../../core/datasets/findings';
import { type TextValidationOptions } from '../../core/datasets/textValidation';
import { ProcessCrashedError, ProcessLauncher } from '../../core/process/launcher';
import { withProgress } from '../../core/rpc/connection';
import { fileValidationProgress, validateFileRequest, validateTextRequest, type FileJobOptions } from '../../shared/datasetWorkerProtocol';

/** A dataset job for a worker: a file on disk (streamed, in parallel ranges), or an editor's unsaved text. */
export type DatasetJob = { kind: 'file'; path: string; options: FileJobOptions } | { kind: 'text'; text: string; options: TextValidationOptions };

export interface WorkerRunCallbacks {
  onFindings?(findings: DatasetFinding[]): void;
  onProgress?(bytes: number, total: number): void;
}

/**
 * Runs one dataset job in a worker thread (dist/datasetWorker.js), never on the extension host's thread. Resolves
 * with the stats, or `cancelled` when the token fires (the worker, and the range workers it started, are terminated
 * at once).
 */
export async function runDatasetWorker(script: string, job: DatasetJob, callbacks: WorkerRunCallbacks, token?: vscode.CancellationToken): Promise<FileValidationResult> {
  const cancelled: FileValidationResult = { stats: emptyStats(), cancelled: true };
  if (token?.isCancellationRequested) return cancelled;
  const launcher = new ProcessLauncher({ name: 'The dataset worker', target: { kind: 'worker', entry: script } });
  // VS Code's cancellation becomes an AbortSignal here, at the edge; terminating the worker is what stops it at once.
  const controller = new AbortController();
  const subscription = token?.onCancellationRequested(() => {
    controller.abort();
    void launcher.dispose();
  });
  try {
    const connection = await launcher.connection();
    const signal = { signal: controller.signal };
    if (job.kind === 'text') {
      const { findings, stats } = await launcher.request(validateTextRequest, { text: job.text, options: job.options }, signal);
      callbacks.onFindings?.(findings);
      return { stats, cancelled: false };
    }
    return await withProgress(
      connection,
      fileValidationProgress,
      (update) => (update.type === 'findings' ? callbacks.onFindings?.(update.findings) : callbacks.onProgress?.(update.bytes, update.total)),
      (progressToken) => launcher.request(validateFileRequest, { path: job.path, options: job.options, progressToken }, signal),
    );
  } catch (error) {
    if (controller.signal.aborted) return cancelled;
    throw error instanceof ProcessCrashedError ? new Error(`${error.crash.reason}.`, { cause: error }) : error;
  } finally {
    subscription?.dispose();
    await launcher.dispose();
  }
}
