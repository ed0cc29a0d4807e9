import { createHash, type Hash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';

/** One read buffer per thread: the hash worker follows several files, one read at a time. */
let readBuffer: Buffer | undefined;

/**
 * The hash of a file that is being written, computed by reading it back from the page cache as it grows (the hash
 * worker's job: the writing thread only says how many bytes are on disk). sha256 for LFS files; git's blob sha1
 * ("blob <size>\0" + content) for the rest, whose `prefix` is hashed first.
 */
export class FileFollowingHash {
  private readonly hash: Hash;
  private fd: number | undefined;
  private position = 0;
  /** A read that failed while following: the digest reports it. */
  private failure: Error | undefined;

  constructor(
    algorithm: 'sha256' | 'sha1',
    prefix: string | undefined,
    private readonly path: string,
  ) {
    this.hash = createHash(algorithm);
    if (prefix) this.hash.update(prefix);
  }

  /** Hashes the file's bytes up to `upTo` that are not hashed yet; a read that fails is kept for `finish`. */
  follow(upTo: number): void {
    if (this.failure) return;
    try {
      const buffer = (readBuffer ??= Buffer.allocUnsafe(4 << 20));
      this.fd ??= openSync(this.path, 'r');
      while (this.position < upTo) {
        const read = readSync(this.fd, buffer, 0, Math.min(buffer.length, upTo - this.position), this.position);
        if (read <= 0) break;
        this.hash.update(read === buffer.length ? buffer : buffer.subarray(0, read));
        this.position += read;
      }
    } catch (error) {
      this.failure = error instanceof Error ? error : new Error(String(error));
      this.close();
    }
  }

  /**
   * The hex digest of the file's first `bytes` bytes, or 'short-read' when the file holds fewer (it never matches).
   * Throws what made reading the file fail.
   */
  finish(bytes: number): string {
    this.follow(bytes);
    this.close();
    if (this.failure) throw new Error(`hashing failed: ${this.failure.message}`);
    return this.position === bytes ? this.hash.digest('hex') : 'short-read';
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // Already closed or gone: nothing is left to release.
    }
    this.fd = undefined;
  }
}
