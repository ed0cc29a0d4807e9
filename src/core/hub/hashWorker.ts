import { createHash, type Hash } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import { type NotificationType } from 'vscode-jsonrpc';
import { hashDigestRequest, hashDiscardNotification, hashStartNotification, hashWrittenNotification } from '../../shared/hashProtocol';
import { ProcessLauncher } from '../process/launcher';

/**
 * Hashing costs real CPU (sha256 ≈ 2 GB/s per core with SHA extensions, far less without), so hashing a large file
 * that is already on disk (a cached blob being verified, or a transfer that went through node:http) runs on a worker
 * thread that reads the file back from the page cache; the calling thread only reports how many bytes are on disk.
 * Direct transfers (directGet.ts) hash inline instead: their chunks are already in hand and reading them back would
 * cost more than hashing them. The worker's entry is src/worker/hashWorker.ts (dist/hashWorker.js beside every bundle
 * that downloads: the download worker's and the CLI's).
 */
export interface StreamHasher {
  /** A chunk received (used by the in-thread hasher). */
  chunk(chunk: Buffer): void;
  /** The file now holds this many bytes (used by the worker hasher). */
  written(bytes: number): void;
  /** The file is complete at `bytes`: the hex digest of all of it. */
  digest(bytes: number): Promise<string>;
  /** Abandons the hash (the transfer failed or restarts). */
  discard(): void;
  /** True when the hasher reads the file itself: a resumed partial file needs no separate pass. */
  readonly followsFile: boolean;
  /** Feeds bytes already in the file before the transfer resumes (in-thread hasher only). */
  catchUp(path: string): Promise<void>;
}

/** The worker's entry beside this bundle (dist/hashWorker.js), or its TypeScript source under tsx. */
function hashWorkerScript(): string {
  const bundled = join(__dirname, 'hashWorker.js');
  return existsSync(bundled) ? bundled : join(__dirname, '..', '..', 'worker', 'hashWorker.ts');
}

/**
 * One worker shared by the transfers in flight; it stops when none is left, never keeps the process alive, and
 * starts again for the next transfer (a worker that stopped fails only the digests awaited from it).
 */
class HashWorkerPool {
  private launcher: ProcessLauncher | undefined;
  private users = 0;
  private lastJob = 0;

  create(algorithm: 'sha256' | 'sha1', prefix: string | undefined, path: string): StreamHasher {
    const launcher = (this.launcher ??= new ProcessLauncher({ name: 'The hashing worker', target: { kind: 'worker', entry: hashWorkerScript(), unref: true } }));
    const job = ++this.lastJob;
    this.users++;
    // Notifications go out in order once the worker runs; the digest request follows them.
    const connection = launcher.connection();
    const notify = <P>(type: NotificationType<P>, params: P): void => {
      connection.then((ready) => ready.sendNotification(type, params)).catch(() => undefined);
    };
    notify(hashStartNotification, { job, algorithm, prefix, path });
    let finished = false;
    const release = (): void => {
      if (finished) return;
      finished = true;
      if (--this.users === 0) void launcher.stop();
    };
    return {
      followsFile: true,
      chunk: () => undefined,
      catchUp: () => Promise.resolve(),
      written: (bytes) => notify(hashWrittenNotification, { job, bytes }),
      digest: async (bytes) => {
        try {
          await connection;
          return await launcher.request(hashDigestRequest, { job, bytes });
        } finally {
          release();
        }
      },
      discard: () => {
        if (finished) return;
        notify(hashDiscardNotification, { job });
        release();
      },
    };
  }
}

const pool = new HashWorkerPool();

/** A hasher on the calling thread: for small files, where a worker round trip costs more than it saves. */
function inlineHasher(hash: Hash): StreamHasher {
  return {
    followsFile: false,
    chunk: (chunk) => hash.update(chunk),
    written: () => undefined,
    catchUp: async (path) => {
      for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
    },
    digest: () => Promise.resolve(hash.digest('hex')),
    discard: () => undefined,
  };
}

/** Files at least this large are hashed on the worker. */
export const workerHashThreshold = 8 * 1024 * 1024;

/** sha256 for LFS files; git's blob sha1 ("blob <size>\0" + content) for the rest. `path` is the file being written. */
export function createStreamHasher(algorithm: 'sha256' | 'sha1', prefix: string | undefined, expectedBytes: number, path: string): StreamHasher {
  if (expectedBytes >= workerHashThreshold) {
    try {
      return pool.create(algorithm, prefix, path);
    } catch {
      // No worker threads available (a restricted host): hash in this thread.
    }
  }
  return createInlineHasher(algorithm, prefix);
}

/** A hasher on the calling thread, fed with the chunks as they arrive (and `catchUp` for a resumed file). */
export function createInlineHasher(algorithm: 'sha256' | 'sha1', prefix: string | undefined): StreamHasher {
  const hash = createHash(algorithm);
  if (prefix) hash.update(prefix);
  return inlineHasher(hash);
}

/** The digest of a whole file on disk (verifying a cached blob). */
export async function hashWholeFile(path: string, algorithm: 'sha256' | 'sha1', prefix: string | undefined, size: number): Promise<string> {
  const hasher = createStreamHasher(algorithm, prefix, size, path);
  if (!hasher.followsFile) await hasher.catchUp(path);
  return hasher.digest(size);
}
