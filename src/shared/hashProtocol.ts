/**
 * Messages between a downloading thread and the hash worker (entry `src/worker/hashWorker.ts`), which hashes files
 * as they are written by reading them back. One worker serves every transfer in flight: each hash is a job, named
 * by the number the downloading thread gives it. The worker reads the file as far as each `hash/written` says, and
 * answers `hash/digest` with the hex digest of the whole file.
 */
import { NotificationType, RequestType } from 'vscode-jsonrpc';

export interface HashStart {
  job: number;
  /** sha256 for LFS files; git's blob sha1 for the rest. */
  algorithm: 'sha256' | 'sha1';
  /** Hashed before the file (git's "blob <size>\0" header). */
  prefix: string | undefined;
  /** The file being written. */
  path: string;
}

export const hashStartNotification = new NotificationType<HashStart>('hash/start');
/** The file now holds this many bytes. */
export const hashWrittenNotification = new NotificationType<{ job: number; bytes: number }>('hash/written');
/** The file is complete at `bytes`: the hex digest of all of it ('short-read' when the file holds fewer bytes). */
export const hashDigestRequest = new RequestType<{ job: number; bytes: number }, string, void>('hash/digest');
/** The transfer failed or restarts: the job is dropped. */
export const hashDiscardNotification = new NotificationType<{ job: number }>('hash/discard');
