import { DownloadCancelledError, HubAccessError } from '../../core/hub/hubErrors';
import { ProcessCrashedError, ProcessLauncher } from '../../core/process/launcher';
import { withProgress } from '../../core/rpc/connection';
import { registerRevivableErrors } from '../../shared/rpc/errorTransport';
import { downloadLogNotification, downloadProgress, downloadRequest, type DownloadProgress, type DownloadResult, type DownloadWorkerInit } from '../../shared/downloadProtocol';

// Cancellation and access errors keep their classes across the worker boundary: the host handles both specially.
registerRevivableErrors({ DownloadCancelledError, HubAccessError });

export interface DownloadWorkerOptions {
  signal?: AbortSignal;
  onProgress?: (progress: DownloadProgress) => void;
  log?: (message: string) => void;
}

/**
 * Runs one download in a worker thread (`script`: dist/downloadWorker.js, or its TypeScript source under tsx in
 * tests). Cancelling the signal asks the worker to stop; what was transferred stays in the cache for a resume.
 */
export async function runDownloadInWorker(script: string, init: DownloadWorkerInit, options: DownloadWorkerOptions = {}): Promise<DownloadResult> {
  const launcher = new ProcessLauncher({
    name: 'The download worker',
    target: { kind: 'worker', entry: script },
    onConnected: (connection) => connection.onNotification(downloadLogNotification, ({ message }) => options.log?.(message)),
  });
  try {
    // A signal already aborted still reaches the worker, which answers with DownloadCancelledError.
    const connection = await launcher.connection();
    return await withProgress(
      connection,
      downloadProgress,
      (progress) => options.onProgress?.(progress),
      (progressToken) => launcher.request(downloadRequest, { ...init, progressToken }, options.signal ? { signal: options.signal } : {}),
    );
  } catch (error) {
    if (error instanceof ProcessCrashedError) throw new Error(`${error.crash.reason} before finishing; run the download again to resume it.`, { cause: error });
    throw error;
  } finally {
    await launcher.dispose();
  }
}
