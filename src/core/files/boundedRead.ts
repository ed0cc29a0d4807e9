import { closeSync, constants, fstatSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { open } from 'node:fs/promises';
import { formatBinaryBytes } from '../text/byteSize';

/**
 * What a file named from outside (a model folder, a setting, a template) may be, by kind. The caps sit well above the
 * largest real files of each kind on the Hub (Gemma 3's tokenizer.json is about 33 MB; tokenizer_config.json files
 * with every added token spelled out reach a few MB; chat templates and configs are kilobytes).
 */
export const fileSizeCaps = {
  /** config.json, generation_config.json, special_tokens_map.json, preprocessor configs. */
  modelConfig: 4 << 20,
  /** tokenizer_config.json (it can spell out every added token). */
  tokenizerConfig: 32 << 20,
  /** tokenizer.json. */
  tokenizer: 128 << 20,
  /** chat_template.jinja, chat_template.json. */
  chatTemplate: 2 << 20,
  /** A .prompty template, an examples file, a `${file:…}` reference. */
  template: 16 << 20,
  /** A Hub ref, a token file, a commit id. */
  small: 64 << 10,
  /** A saved chat conversation (text only, however long the chat). */
  conversation: 64 << 20,
  /** A document to index; the index settings set a lower cap per format (`maxFileBytes`, `maxPdfBytes`). */
  document: 256 << 20,
  /** A fine-tuning run's events.jsonl (a step event is ~300 bytes: about 800,000 steps). */
  runEvents: 256 << 20,
  /** A fine-tuning run's run.json. */
  runRecord: 1 << 20,
  /** An eval set (JSONL); its reader also caps the rows at 50,000. */
  evalSet: 64 << 20,
  /** A dataset read whole into memory (slicing an eval set off it); the validator streams files of any size instead. */
  dataset: 512 << 20,
} as const;

export type FileKind = keyof typeof fileSizeCaps;

export interface BoundedReadOptions {
  /** The largest size accepted, in bytes; default: the cap of `kind`. */
  maxBytes?: number;
  /** What the file is, for the cap and for the error message. */
  kind: FileKind;
  /** Give up after this long (a file on a hung network mount); default 10 s. */
  timeoutMs?: number;
}

/** A file that is not what it claims to be: not a regular file, too large, unreadable, or too slow. */
export class UnsafeFileError extends Error {
  constructor(
    readonly path: string,
    readonly reason: 'not-a-file' | 'too-large' | 'timeout' | 'unreadable',
    message: string,
    /** The system's error code when the file could not be opened ('ENOENT' for a missing one). */
    readonly code?: string,
  ) {
    super(message);
    this.name = 'UnsafeFileError';
  }
}

const kindNames: Record<FileKind, string> = {
  modelConfig: 'model configuration',
  tokenizerConfig: 'tokenizer configuration',
  tokenizer: 'tokenizer',
  chatTemplate: 'chat template',
  template: 'template file',
  small: 'file',
  conversation: 'conversation file',
  document: 'document',
  runEvents: "run's events file",
  runRecord: "run's record",
  evalSet: 'eval set',
  dataset: 'dataset',
};

function describeKind(type: { isDirectory(): boolean; isFIFO(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isSocket(): boolean }): string {
  if (type.isDirectory()) return 'a folder';
  if (type.isFIFO()) return 'a named pipe';
  if (type.isCharacterDevice() || type.isBlockDevice()) return 'a device';
  if (type.isSocket()) return 'a socket';
  return 'not a regular file';
}

function notAFile(path: string, label: string, what: string): UnsafeFileError {
  return new UnsafeFileError(path, 'not-a-file', `The ${label} ${path} is ${what}, not a regular file; refusing to read it.`);
}

function tooLarge(path: string, kind: FileKind, size: number | undefined, cap: number): UnsafeFileError {
  const actual = size === undefined ? 'over' : `${formatBinaryBytes(size)}, over`;
  return new UnsafeFileError(path, 'too-large', `The ${kindNames[kind]} ${path} is ${actual} the limit of ${formatBinaryBytes(cap)} for its kind; refusing to read it.`);
}

function unreadable(path: string, kind: FileKind, error: unknown): UnsafeFileError {
  const code = (error as NodeJS.ErrnoException).code;
  const detail =
    code === 'ENOENT' ? 'does not exist' : code === 'EACCES' || code === 'EPERM' ? 'cannot be read (permission denied)' : `cannot be read (${error instanceof Error ? error.message : String(error)})`;
  return new UnsafeFileError(path, 'unreadable', `The ${kindNames[kind]} ${path} ${detail}.`, code);
}

/** Whether a bounded read failed only because the file is not there (optional files are then skipped). */
export function isMissingFileError(error: unknown): boolean {
  return error instanceof UnsafeFileError && error.code === 'ENOENT';
}

/**
 * For a file handed by path to a library that opens it itself (onnxruntime and its `.onnx`): the same regular-file
 * rule, checked on what the path points to, and no size cap (weights run to many GB). `label` says what the file is.
 */
export function requireRegularFileSync(path: string, label: string): Stats {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UnsafeFileError(path, 'unreadable', `The ${label} ${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${error instanceof Error ? error.message : String(error)})`}.`, code);
  }
  if (!stats.isFile()) throw notAFile(path, label, describeKind(stats));
  return stats;
}

// O_NONBLOCK: opening a FIFO must not wait for a writer; the descriptor's type is then checked before any read.
const openFlags = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0);

/**
 * Reads a file named from outside, after checking on the opened descriptor (not the path, which could be swapped)
 * that it is a regular file within its kind's size cap. Links are followed, and what they point to is checked.
 * Never blocks on a pipe or device; stops at `timeoutMs`.
 */
export async function readBoundedFile(path: string, options: BoundedReadOptions): Promise<Buffer> {
  const cap = options.maxBytes ?? fileSizeCaps[options.kind];
  const timeoutMs = options.timeoutMs ?? 10_000;
  let handle;
  try {
    handle = await open(path, openFlags);
  } catch (error) {
    throw unreadable(path, options.kind, error);
  }
  let timer: NodeJS.Timeout | undefined;
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notAFile(path, kindNames[options.kind], describeKind(stats));
    if (stats.size > cap) throw tooLarge(path, options.kind, stats.size, cap);
    const reading = (async () => {
      const chunks: Buffer[] = [];
      let length = 0;
      // Read one byte past the cap: a file that grows (or lies about its size, as /proc files do) is caught too.
      while (length <= cap) {
        const chunk = Buffer.allocUnsafe(Math.min(cap + 1 - length, 1 << 20));
        const { bytesRead } = await handle.read(chunk, 0, chunk.length, null);
        if (bytesRead === 0) break;
        chunks.push(chunk.subarray(0, bytesRead));
        length += bytesRead;
      }
      if (length > cap) throw tooLarge(path, options.kind, undefined, cap);
      return Buffer.concat(chunks, length);
    })();
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new UnsafeFileError(path, 'timeout', `Reading the ${kindNames[options.kind]} ${path} took over ${timeoutMs / 1000} s; stopped.`)), timeoutMs);
    });
    return await Promise.race([reading, deadline]);
  } catch (error) {
    if (error instanceof UnsafeFileError) throw error;
    throw unreadable(path, options.kind, error);
  } finally {
    clearTimeout(timer);
    void handle.close().catch(() => undefined);
  }
}

export async function readBoundedText(path: string, options: BoundedReadOptions): Promise<string> {
  return (await readBoundedFile(path, options)).toString('utf8');
}

/**
 * The synchronous twin, for loaders that must stay synchronous (a worker's model load, the language server's
 * settings). Same checks; no deadline, since a regular file's read cannot hang on a pipe.
 */
export function readBoundedFileSync(path: string, options: Omit<BoundedReadOptions, 'timeoutMs'>): Buffer {
  const cap = options.maxBytes ?? fileSizeCaps[options.kind];
  let fd: number;
  try {
    fd = openSync(path, openFlags);
  } catch (error) {
    throw unreadable(path, options.kind, error);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw notAFile(path, kindNames[options.kind], describeKind(stats));
    if (stats.size > cap) throw tooLarge(path, options.kind, stats.size, cap);
    const chunks: Buffer[] = [];
    let length = 0;
    while (length <= cap) {
      const chunk = Buffer.allocUnsafe(Math.min(cap + 1 - length, Math.max(stats.size + 1, 1 << 16)));
      const bytesRead = readSync(fd, chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      chunks.push(chunk.subarray(0, bytesRead));
      length += bytesRead;
    }
    if (length > cap) throw tooLarge(path, options.kind, undefined, cap);
    return Buffer.concat(chunks, length);
  } catch (error) {
    if (error instanceof UnsafeFileError) throw error;
    throw unreadable(path, options.kind, error);
  } finally {
    closeSync(fd);
  }
}

export function readBoundedTextSync(path: string, options: Omit<BoundedReadOptions, 'timeoutMs'>): string {
  return readBoundedFileSync(path, options).toString('utf8');
}

/** Parses a bounded JSON file, naming the file in a syntax error. */
export function readBoundedJsonSync(path: string, options: Omit<BoundedReadOptions, 'timeoutMs'>): unknown {
  const text = readBoundedTextSync(path, options);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export async function readBoundedJson(path: string, options: BoundedReadOptions): Promise<unknown> {
  const text = await readBoundedText(path, options);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
