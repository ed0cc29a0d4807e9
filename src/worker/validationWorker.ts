// The dataset validation worker (bundled as dist/datasetWorker.js): validates one byte range of a file for the
// coordinator (src/core/datasets/fileValidation.ts), or a whole file or an unsaved text for the extension host, off
// the caller's thread. The validation itself is core's; this file only serves it (src/shared/datasetWorkerProtocol.ts).
import { validateDatasetFile } from '../core/datasets/fileValidation';
import { type DatasetFinding } from '../core/datasets/findings';
import { FingerprintTable } from '../core/datasets/fingerprint';
import { scanRange } from '../core/datasets/rangeScan';
import { validateTextWithTokens } from '../core/datasets/textValidation';
import { connectToParentPort, onRequest, progressReporter, transferring } from '../core/rpc/connection';
import { fileValidationProgress, rangeScanProgress, scanRangeRequest, validateFileRequest, validateTextRequest } from '../shared/datasetWorkerProtocol';

/** Findings of a whole file go out in batches of this many, or after this long, whichever comes first. */
const findingsBatch = { size: 500, ms: 200 };

const connection = connectToParentPort();

onRequest(connection, scanRangeRequest, async ({ request, progressToken }, signal) => {
  const result = await scanRange(request, progressReporter(connection, rangeScanProgress, progressToken), () => signal.aborted);
  // The duplicate table is the result's bulk: it moves to the coordinator instead of being copied.
  return result.table ? transferring(result, FingerprintTable.transferList(result.table)) : result;
});

onRequest(connection, validateFileRequest, async ({ path, options, progressToken }, signal) => {
  const report = progressReporter(connection, fileValidationProgress, progressToken);
  let batch: DatasetFinding[] = [];
  let lastFlush = Date.now();
  const flush = (): void => {
    if (batch.length > 0) report({ type: 'findings', findings: batch });
    batch = [];
    lastFlush = Date.now();
  };
  const result = await validateDatasetFile(path, {
    ...options,
    signal,
    onFinding: (item) => {
      batch.push(item);
      if (batch.length >= findingsBatch.size || Date.now() - lastFlush > findingsBatch.ms) flush();
    },
    onProgress: (bytes, total) => report({ type: 'progress', bytes, total }),
  });
  flush();
  return result;
});

onRequest(connection, validateTextRequest, ({ text, options }) => validateTextWithTokens(text, options));

connection.listen();
