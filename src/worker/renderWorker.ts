// The render sandbox's worker thread: renders templates off the caller's thread, so a runaway template can be
// stopped by terminating this thread (see src/core/prompts/renderSandbox.ts). Bundled as dist/renderWorker.js.
import { cachingEmbedderLoader } from '../core/prompts/exampleEmbedders';
import { renderPrompt } from '../core/prompts/renderPrompt';
import { connectToParentPort, onRequest, progressReporter } from '../core/rpc/connection';
import { renderPhaseProgress, renderRequest } from '../shared/renderProtocol';

const loadEmbedder = cachingEmbedderLoader();
const connection = connectToParentPort();
onRequest(connection, renderRequest, ({ request, budgets, phaseToken }) => {
  const reportPhase = progressReporter(connection, renderPhaseProgress, phaseToken);
  reportPhase('template');
  return renderPrompt(request, { loadEmbedder, budgets, onPhase: reportPhase });
});
connection.listen();
