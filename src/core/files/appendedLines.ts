/**
 * Follows a file that another process appends lines to (a trainer's events.jsonl, its train.log): reads only the
 * bytes added since the last read and hands over complete lines. A line without its newline yet (the writer is
 * mid-write, or a read caught half of a multi-byte character) is kept back until the rest arrives.
 *
 * Woken by `fs.watch` on the file's folder (the file may not exist yet) and, because watching is unreliable on some
 * file systems (network shares, some containers), by a poll as well. Reads are small and synchronous, so two wake-ups
 * can never interleave.
 */
import { closeSync, fstatSync, openSync, readSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';

export interface AppendedLinesOptions {
  /** The byte offset to start from (default 0: the whole file). */
  fromOffset?: number;
  /** How often the file is looked at when no change is reported (default 250 ms). */
  pollMs?: number;
}

const readChunkBytes = 1 << 20;

export class AppendedLinesFollower {
  private offset: number;
  private pending: Buffer = Buffer.alloc(0);
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(
    readonly file: string,
    private readonly onLines: (lines: string[]) => void,
    options: AppendedLinesOptions = {},
  ) {
    this.offset = options.fromOffset ?? 0;
    try {
      const name = basename(file);
      this.watcher = watch(dirname(file), { persistent: false }, (_event, changed) => {
        if (changed === null || changed.toString() === name) this.readNow();
      });
      this.watcher.on('error', () => this.watcher?.close());
    } catch {
      // The folder is missing or cannot be watched: the poll alone finds the lines.
    }
    this.timer = setInterval(() => this.readNow(), options.pollMs ?? 250);
    queueMicrotask(() => this.readNow());
  }

  /** The offset up to which complete lines were handed over. */
  get position(): number {
    return this.offset - this.pending.length;
  }

  /** Reads what was appended since the last read, now (e.g. once the writer has exited, for its last lines). */
  readNow(): void {
    if (this.stopped) return;
    let fd: number;
    try {
      fd = openSync(this.file, 'r');
    } catch {
      return;
    }
    const chunks: Buffer[] = [];
    try {
      const size = fstatSync(fd).size;
      if (size < this.offset) {
        // Truncated or replaced: start over.
        this.offset = 0;
        this.pending = Buffer.alloc(0);
      }
      while (this.offset < size) {
        const buffer = Buffer.alloc(Math.min(readChunkBytes, size - this.offset));
        const read = readSync(fd, buffer, 0, buffer.length, this.offset);
        if (read <= 0) break;
        chunks.push(buffer.subarray(0, read));
        this.offset += read;
      }
    } finally {
      closeSync(fd);
    }
    if (chunks.length === 0) return;
    const bytes = Buffer.concat([this.pending, ...chunks]);
    const lastNewline = bytes.lastIndexOf(0x0a);
    if (lastNewline < 0) {
      this.pending = bytes;
      return;
    }
    this.pending = bytes.subarray(lastNewline + 1);
    const lines = bytes
      .subarray(0, lastNewline)
      .toString('utf8')
      .split('\n')
      .map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
    this.onLines(lines);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.watcher?.close();
    if (this.timer) clearInterval(this.timer);
  }
}
