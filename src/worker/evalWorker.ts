// The evaluation worker (bundled as dist/evalWorker.js): scores a comparison's answers and builds its report off the
// extension host's thread. The work itself is core's; this file only serves it (src/shared/evalWorkerProtocol.ts).
import { scoreAnswers } from '../core/eval/answerScoring';
import { buildEvalReport } from '../core/eval/evalReport';
import { connectToParentPort, onRequest } from '../core/rpc/connection';
import { buildReportRequest, scoreAnswersRequest } from '../shared/evalWorkerProtocol';

const connection = connectToParentPort();

onRequest(connection, scoreAnswersRequest, ({ questions, answers, embeddings }) => [
  ...scoreAnswers({ questions, answers, ...(embeddings !== undefined ? { embeddings: new Map(embeddings) } : {}) }).entries(),
]);

onRequest(connection, buildReportRequest, ({ scores, judgements, ...rest }) =>
  buildEvalReport({ ...rest, scores: new Map(scores), ...(judgements !== undefined ? { judgements: new Map(judgements) } : {}) }),
);

connection.listen();
