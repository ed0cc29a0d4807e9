import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { authorizedFetch, type HubConnection } from './hubClient';

/** Reads bytes [start, end) of a file, local or remote. */
export type RangeReader = (start: number, end: number) => Promise<Buffer>;

export interface SafetensorsHeader {
  tensors: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  metadata: Record<string, string>;
}

/**
 * Headers above this size are refused: the length is the file's first 8 bytes, written by whoever made the file, and
 * it sizes an allocation and a download. A real header holds a few thousand tensor entries of ~150 bytes (about
 * 1 MB for the largest sharded models); the safetensors library's own limit, 100 MB, is far past any real one.
 */
export const maxSafetensorsHeaderBytes = 16 * 1024 * 1024;

/**
 * A safetensors file starts with a little-endian u64 header length and a JSON header naming every tensor's dtype and
 * shape; reading those two ranges gives the exact parameter count without downloading the weights.
 */
export async function readSafetensorsHeader(read: RangeReader): Promise<SafetensorsHeader> {
  const prefix = await read(0, 8);
  if (prefix.length < 8) throw new Error('not a safetensors file: shorter than 8 bytes');
  const declared = prefix.readBigUInt64LE(0);
  if (declared === 0n || declared > BigInt(maxSafetensorsHeaderBytes)) {
    throw new Error(`not a safetensors file, or a header over the limit: its header length is ${declared} bytes (the limit is ${maxSafetensorsHeaderBytes})`);
  }
  const length = Number(declared);
  const bytes = await read(8, 8 + length);
  if (bytes.length < length) throw new Error(`not a safetensors file: the header says ${length} bytes but the file holds ${bytes.length} after its length`);
  const parsed = JSON.parse(bytes.toString('utf8')) as unknown;
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a safetensors file: the header is not a JSON object');
  const tensors: SafetensorsHeader['tensors'] = {};
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') metadata = (typeof value === 'object' && value !== null ? value : {}) as Record<string, string>;
    else if (isTensorEntry(value)) tensors[name] = value;
    else throw new Error(`not a safetensors file: the header entry ${JSON.stringify(name.slice(0, 200))} has no dtype, shape and data_offsets`);
  }
  return { tensors, metadata };
}

function isTensorEntry(value: unknown): value is SafetensorsHeader['tensors'][string] {
  const entry = value as Partial<SafetensorsHeader['tensors'][string]> | null;
  return (
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.dtype === 'string' &&
    Array.isArray(entry.shape) &&
    entry.shape.every((dim) => Number.isSafeInteger(dim) && dim >= 0) &&
    Array.isArray(entry.data_offsets)
  );
}

/** Parameters per dtype (`{ BF16: 1235814400 }`), as the Hub's `safetensors.parameters` gives them. */
export function parametersByDtype(header: SafetensorsHeader): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const tensor of Object.values(header.tensors)) counts[tensor.dtype] = (counts[tensor.dtype] ?? 0) + tensor.shape.reduce((product, dim) => product * dim, 1);
  return counts;
}

/**
 * Ranges of a local file. Opened without blocking (a named pipe would wait for a writer forever) and read only when
 * the opened file is a regular one; a range past the end comes back short.
 */
export function fileRangeReader(path: string): RangeReader {
  return async (start, end) => {
    const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    try {
      const stats = await handle.stat();
      if (!stats.isFile()) throw new Error(`${path} is not a regular file; refusing to read it`);
      const buffer = Buffer.alloc(Math.max(0, Math.min(end, stats.size) - start));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, start);
      return buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  };
}

/** Reads a range of a repository file with `Range: bytes=` through the resolve endpoint (redirects followed). */
export function hubRangeReader(connection: HubConnection, repoId: string, commit: string, path: string): RangeReader {
  const fetchImpl = authorizedFetch(connection);
  return async (start, end) => {
    const url = `${connection.endpoint}/${repoId}/resolve/${commit}/${path.split('/').map(encodeURIComponent).join('/')}`;
    const response = await fetchImpl(url, { headers: { range: `bytes=${start}-${end - 1}` } });
    if (!response.ok) throw new Error(`reading ${path}'s header: HTTP ${response.status}`);
    // A server that ignores Range sends everything (gigabytes of weights): read only up to the part asked for.
    const skip = response.status === 206 ? 0 : start;
    const body = await readBodyPrefix(response, skip + (end - start));
    return body.subarray(skip, skip + (end - start));
  };
}

/** The first `limit` bytes of a response body (or a little more: whole chunks); the rest is never downloaded. */
export async function readBodyPrefix(response: Response, limit: number): Promise<Buffer> {
  if (!response.body) return Buffer.alloc(0);
  const reader = response.body.getReader();
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    while (length < limit) {
      const { done, value } = (await reader.read()) as { done: boolean; value?: Uint8Array };
      if (done || !value) break;
      chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      length += value.byteLength;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return Buffer.concat(chunks, length);
}
