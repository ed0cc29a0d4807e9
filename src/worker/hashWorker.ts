// The hash worker: a worker thread that hashes files being written, reading them back from the page cache, so that
// hashing never runs on the downloading thread (see src/core/hub/hashWorker.ts). Bundled as dist/hashWorker.js.
import { FileFollowingHash } from '../core/hub/fileFollowingHash';
import { connectToParentPort, onRequest } from '../core/rpc/connection';
import { hashDigestRequest, hashDiscardNotification, hashStartNotification, hashWrittenNotification } from '../shared/hashProtocol';

const hashes = new Map<number, FileFollowingHash>();
const connection = connectToParentPort();
connection.onNotification(hashStartNotification, ({ job, algorithm, prefix, path }) => hashes.set(job, new FileFollowingHash(algorithm, prefix, path)));
connection.onNotification(hashWrittenNotification, ({ job, bytes }) => hashes.get(job)?.follow(bytes));
connection.onNotification(hashDiscardNotification, ({ job }) => {
  hashes.get(job)?.close();
  hashes.delete(job);
});
onRequest(connection, hashDigestRequest, ({ job, bytes }) => {
  const hash = hashes.get(job);
  // A job this worker never started: the worker that started it stopped, and this one replaced it.
  if (!hash) throw new Error('hashing failed: the hashing worker restarted during the transfer');
  hashes.delete(job);
  return hash.finish(bytes);
});
connection.listen();
