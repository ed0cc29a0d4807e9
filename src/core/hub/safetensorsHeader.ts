import { open } from 'node:fs/promises';
import { authorizedFetch, type HubConnection } from './hubClient';

/** Reads bytes [start, end) of a file, local or remote. */
export type RangeReader = (start: number, end: number) => Promise<Buffer>;

export interface SafetensorsHeader {
  tensors: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  metadata: Record<string, string>;
}

/** Headers above this size are refused: a real one holds a few thousand tensor entries (~1 MB at most). */
const maxHeaderBytes = 100 * 1024 * 1024;

/**
 * A safetensors file starts with a little-endian u64 header length and a JSON header naming every tensor's dtype and
 * shape; reading those two ranges gives the exact parameter count without downloading the weights.
 */
export async function readSafetensorsHeader(read: RangeReader): Promise<SafetensorsHeader> {
  const prefix = await read(0, 8);
  if (prefix.length < 8) throw new Error('not a safetensors file: shorter than 8 bytes');
  const length = Number(prefix.readBigUInt64LE(0));
  if (length <= 0 || length > maxHeaderBytes) throw new Error(`not a safetensors file: header length ${length}`);
  const text = (await read(8, 8 + length)).toString('utf8');
  const parsed = JSON.parse(text) as Record<string, unknown>;
  const tensors: SafetensorsHeader['tensors'] = {};
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') metadata = (value ?? {}) as Record<string, string>;
    else tensors[name] = value as SafetensorsHeader['tensors'][string];
  }
  return { tensors, metadata };
}

/** Parameters per dtype (`{ BF16: 1235814400 }`), as the Hub's `safetensors.parameters` gives them. */
export function parametersByDtype(header: SafetensorsHeader): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const tensor of Object.values(header.tensors)) counts[tensor.dtype] = (counts[tensor.dtype] ?? 0) + tensor.shape.reduce((product, dim) => product * dim, 1);
  return counts;
}

export function fileRangeReader(path: string): RangeReader {
  return async (start, end) => {
    const handle = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(end - start);
      const { bytesRead } = await handle.read(buffer, 0, end - start, start);
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
    const body = Buffer.from(await response.arrayBuffer());
    // A server that ignores Range sends everything: keep only the part asked for.
    return response.status === 206 ? body : body.subarray(start, end);
  };
}
