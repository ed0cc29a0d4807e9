// The render sandbox's worker thread: renders templates off the caller's thread, so a runaway template can be
// stopped by terminating this thread (see src/core/prompts/renderSandbox.ts). Bundled as dist/renderWorker.js.
import { parentPort } from 'node:worker_threads';
import { cachingEmbedderLoader } from '../core/prompts/exampleEmbedders';
import { type TemplateBudgets } from '../core/prompts/guardedTemplates';
import { renderFailureOf } from '../core/prompts/renderErrors';
import { renderPrompt, type RenderRequest } from '../core/prompts/renderPrompt';

interface WorkerRequest {
  id: number;
  request: RenderRequest;
  budgets?: Partial<TemplateBudgets>;
}

const loadEmbedder = cachingEmbedderLoader();

parentPort?.on('message', (message: WorkerRequest) => {
  parentPort!.postMessage({ id: message.id, phase: 'template' });
  renderPrompt(message.request, { loadEmbedder, budgets: message.budgets, onPhase: (phase) => parentPort!.postMessage({ id: message.id, phase }) }).then(
    (result) => parentPort!.postMessage({ id: message.id, result }),
    (error: unknown) => {
      const failure = renderFailureOf(error);
      parentPort!.postMessage({ id: message.id, error: failure.message, origin: failure.origin });
    },
  );
});
