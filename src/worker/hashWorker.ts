// The hash worker: a worker thread that hashes files being written, reading them back from the page cache, so that
// hashing never runs on the downloading thread (see src/core/hub/hashWorker.ts). Bundled as dist/hashWorker.js.
import { parentPort } from 'node:worker_threads';
import { FileFollowingHash } from '../core/hub/fileFollowingHash';
import { type HashWorkerInbound, type HashWorkerReply } from '../shared/hashProtocol';

const port = parentPort;
if (!port) throw new Error('hashWorker must run as a worker thread');
const hashes = new Map<number, FileFollowingHash>();

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

port.on('message', (message: HashWorkerInbound) => {
  const hash = hashes.get(message.id);
  try {
    if (message.type === 'start') hashes.set(message.id, new FileFollowingHash(message.algorithm, message.prefix, message.path));
    else if (message.type === 'written') hash?.follow(message.bytes);
    else if (message.type === 'end' && hash) {
      hashes.delete(message.id);
      port.postMessage({ id: message.id, digest: hash.finish(message.bytes) } satisfies HashWorkerReply);
    } else if (message.type === 'discard') {
      hash?.close();
      hashes.delete(message.id);
    }
  } catch (error) {
    hash?.close();
    hashes.delete(message.id);
    if (message.type === 'end') port.postMessage({ id: message.id, error: describe(error) } satisfies HashWorkerReply);
  }
});
