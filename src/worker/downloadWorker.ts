// The download worker: one worker thread per model download. The transfer, its hashing and its writes run here, so
// the extension host's thread only relays progress. The Hub token arrives in memory (the request) and is never logged.
import { downloadToCache } from '../core/hub/downloader';
import { connectToParentPort, onRequest, progressReporter } from '../core/rpc/connection';
import { downloadLogNotification, downloadProgress, downloadRequest } from '../shared/downloadProtocol';

const connection = connectToParentPort();
onRequest(connection, downloadRequest, (params, signal) =>
  downloadToCache({
    connection: { endpoint: params.endpoint, offline: params.offline, token: params.token },
    repoId: params.repoId,
    revision: params.revision,
    commit: params.commit,
    files: params.files,
    env: params.env,
    ...(params.concurrency !== undefined ? { concurrency: params.concurrency } : {}),
    signal,
    onProgress: progressReporter(connection, downloadProgress, params.progressToken),
    log: (message) => void connection.sendNotification(downloadLogNotification, { message }),
  }),
);
connection.listen();
