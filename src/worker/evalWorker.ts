// The evaluation worker (bundled as dist/evalWorker.js): scores a comparison's answers, checks contamination, and
// builds and writes its report off the extension host's thread; rebuilds a report from the cache here as a whole. The
// work itself is core's; this file only serves it (src/shared/evalWorkerProtocol.ts).
import { scoreAnswers } from '../core/eval/answerScoring';
import { inProcessComputation, rebuildReport, workspaceFileReader } from '../core/eval/evaluateComparison';
import { connectToParentPort, onRequest } from '../core/rpc/connection';
import { buildReportRequest, contaminationRequest, rebuildReportRequest, scoreAnswersRequest } from '../shared/evalWorkerProtocol';

const connection = connectToParentPort();

/** The computation of the comparison rooted at `root`: templates and examples are read from its files. */
const computationOf = (root: string) => inProcessComputation(workspaceFileReader(root));

onRequest(connection, scoreAnswersRequest, ({ embeddings, ...rest }) => [...scoreAnswers({ ...rest, ...(embeddings !== undefined ? { embeddings: new Map(embeddings) } : {}) }).entries()]);

onRequest(connection, contaminationRequest, (input) => computationOf(input.spec.root).contamination(input));

onRequest(connection, buildReportRequest, ({ scores, judgements, ...rest }) =>
  computationOf(rest.spec.root).report({ ...rest, scores: new Map(scores), ...(judgements !== undefined ? { judgements: new Map(judgements) } : {}) }),
);

onRequest(connection, rebuildReportRequest, ({ spec, strategies }) => {
  const readText = workspaceFileReader(spec.root);
  return rebuildReport({ spec, readText, computation: inProcessComputation(readText), ...(strategies !== undefined ? { strategies } : {}) });
});

connection.listen();
