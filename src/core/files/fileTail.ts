import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/**
 * The last complete lines of a file that may be growing or large (a trainer's log), reading at most `maxBytes` from
 * its end: a line cut by that window is dropped, and so is the empty piece after a final newline. `size` reads up to
 * a known length (what a follower has already handed over) instead of the file's current end. A missing file has no
 * lines.
 */
export function readLastLines(file: string, maxBytes: number, size?: number): string[] {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return [];
  }
  try {
    const end = size ?? fstatSync(fd).size;
    const length = Math.min(end, maxBytes);
    if (length === 0) return [];
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, end - length);
    const lines = buffer.toString('utf8').split(/\r?\n/);
    if (end > length) lines.shift();
    if (lines[lines.length - 1] === '') lines.pop();
    return lines;
  } finally {
    closeSync(fd);
  }
}
