// The preflight worker (bundled as dist/preflightWorker.js): runs a job's preflight (the dataset through the
// validator, every row through the loss mask, template, pad token, memory fit) off the extension host's thread and
// answers with what the job page shows (src/shared/preflightProtocol.ts).
import { preflight } from '../core/jobs/preflight';
import { preflightView } from '../core/jobs/preflightView';
import { connectToParentPort, onRequest } from '../core/rpc/connection';
import { preflightRequest } from '../shared/preflightProtocol';

const connection = connectToParentPort();

onRequest(connection, preflightRequest, ({ config, hardware, serverMaxLoraRank }) =>
  preflightView(preflight(config, { ...(hardware ? { hardware } : {}), ...(serverMaxLoraRank !== undefined ? { serverMaxLoraRank } : {}) })),
);

connection.listen();
