/**
 * Messages between a downloading thread and the hash worker (entry `src/worker/hashWorker.ts`), which hashes files
 * as they are written by reading them back. Each hash has an id; `end` is answered with the digest or an error.
 */
export type HashWorkerInbound =
  | { type: 'start'; id: number; algorithm: 'sha256' | 'sha1'; prefix: string | undefined; path: string }
  | { type: 'written'; id: number; bytes: number }
  | { type: 'end'; id: number; bytes: number }
  | { type: 'discard'; id: number };

export interface HashWorkerReply {
  id: number;
  digest?: string;
  error?: string;
}
