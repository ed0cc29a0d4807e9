import { type FileHandle } from 'node:fs/promises';

/**
 * Writes a download to its file in large writes. Chunks are views of a reusable network buffer, so each is either
 * written at once (a large one, when nothing is staged) or copied into a 1 MB staging buffer that is written when
 * nearly full: TLS hands over ~16 KB records, and a write per record would cost a thread-pool round trip each. A
 * returned promise means "wait before handing over the next chunk".
 */
export class BlobFileWriter {
  private readonly staging = Buffer.allocUnsafe(1 << 20);
  private staged = 0;

  constructor(
    private readonly handle: FileHandle,
    private readonly onWritten: (bytes: number) => void,
  ) {}

  write(chunk: Buffer): void | Promise<void> {
    if (this.staged === 0 && chunk.length >= this.staging.length / 4) return this.writeFully(chunk);
    if (this.staged + chunk.length > this.staging.length) return this.flush().then(() => this.write(chunk));
    chunk.copy(this.staging, this.staged);
    this.staged += chunk.length;
    if (this.staged > this.staging.length - (64 << 10)) return this.flush();
  }

  async flush(): Promise<void> {
    if (this.staged === 0) return;
    const bytes = this.staging.subarray(0, this.staged);
    this.staged = 0;
    await this.writeFully(bytes);
  }

  private async writeFully(bytes: Buffer): Promise<void> {
    for (let offset = 0; offset < bytes.length;) {
      const { bytesWritten } = await this.handle.write(bytes, offset, bytes.length - offset);
      offset += bytesWritten;
      this.onWritten(bytesWritten);
    }
  }
}
