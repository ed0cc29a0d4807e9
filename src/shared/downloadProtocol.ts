/**
 * Messages between the extension host and a download worker (a worker thread per download; entry
 * `src/worker/downloadWorker.ts`), so that transferring, hashing and writing model files never run on the extension
 * host's thread. The host sends one `download/run` request; the worker streams progress to the request's progress
 * token and log lines as notifications, and answers with the result. Cancelling the request stops the download
 * (it rejects with DownloadCancelledError); errors keep their class (HubAccessError with its access link).
 */
import { NotificationType, ProgressType, RequestType, type ProgressToken } from 'vscode-jsonrpc';

export interface DownloadProgress {
  totalBytes: number;
  /** Bytes present so far, including blobs reused from the cache and resumed bytes. */
  doneBytes: number;
  /** Bytes actually moved over the network in this run. */
  transferredBytes: number;
  bytesPerSecond: number;
  /** Seconds left at the current rate; undefined before the rate is known. */
  etaSeconds: number | undefined;
  filesDone: number;
  filesTotal: number;
  /** Paths being transferred right now. */
  active: string[];
}

export interface DownloadResult {
  snapshotFolder: string;
  downloaded: string[];
  reused: string[];
  /** Existing blobs that failed verification and were fetched again. */
  repaired: string[];
  transferredBytes: number;
  seconds: number;
}

/** One file of a repository, as the Hub's tree lists it. */
export interface DownloadFile {
  path: string;
  size: number;
  /** Git blob sha1: the ETag and blob name of a non-LFS file. */
  oid: string | undefined;
  /** sha256 of an LFS file's content: its ETag and blob name. */
  lfsSha256: string | undefined;
}

export interface DownloadWorkerInit {
  endpoint: string;
  /** HF_HUB_OFFLINE: the worker refuses to contact the Hub. */
  offline: boolean;
  /** Passed in memory only; the worker never logs it. */
  token: string | undefined;
  repoId: string;
  revision: string;
  commit: string;
  files: DownloadFile[];
  /** The environment that locates the cache (HF_HOME, HF_HUB_CACHE, …). */
  env: Record<string, string | undefined>;
  concurrency?: number;
}

/** A download to run, and the token its progress is reported to. */
export interface DownloadParams extends DownloadWorkerInit {
  progressToken: ProgressToken;
}

export const downloadRequest = new RequestType<DownloadParams, DownloadResult, void>('download/run');
export const downloadProgress = new ProgressType<DownloadProgress>();
/** A line for the log (never the token). */
export const downloadLogNotification = new NotificationType<{ message: string }>('download/log');
