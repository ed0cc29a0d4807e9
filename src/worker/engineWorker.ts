// The inference engine's process: the extension forks it (dist/engineWorker.js) so that model loading and inference
// never run on the extension host's thread, and a native crash takes down only this process.
import { InferenceEngine } from '../core/inference/inferenceEngine';
import { ModelError } from '../core/inference/modelFolder';
import { type EngineFromWorker, type EngineRequest, type EngineRequestMap, type EngineToWorker } from '../shared/engineProtocol';

process.env.ORT_DISABLE_TELEMETRY ??= '1';

function send(message: EngineFromWorker): void {
  process.send?.(message);
}

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
sampler.unref();

const engine = new InferenceEngine(
  { executionProvider: 'cpu', threads: 0, idleUnloadMs: 10 * 60_000 },
  {
    onLoaded: (info, loadMs) => send({ type: 'modelLoaded', info, loadMs }),
    onUnloaded: (model) => send({ type: 'modelUnloaded', model }),
  },
);
const running = new Map<number, AbortController>();

async function handle(request: EngineRequest, signal: AbortSignal): Promise<EngineRequestMap[typeof request.kind][1]> {
  switch (request.kind) {
    case 'embed': {
      const { model, texts, role, dtype } = request.params;
      return engine.embed(model, texts, role, signal, dtype);
    }
    case 'countTokens':
      return engine.countTokens(request.params.model, request.params.texts, request.params.dtype);
    case 'generate': {
      const { model, messages, prompt, options, dtype } = request.params;
      const onText = (delta: string): void => send({ type: 'token', id: request.id, text: delta });
      const { text, stats } = prompt !== undefined ? await engine.complete(model, prompt, options, onText, signal, dtype) : await engine.generate(model, messages, options, onText, signal, dtype);
      return { text, stats };
    }
    case 'load':
      return engine.info(request.params.model, request.params.kind, request.params.dtype);
    case 'unload':
      return engine.unload(request.params.model);
    case 'status':
      // maxRSS is the kernel's high-water mark (KiB): exact, where the 200 ms sampler could miss a short peak.
      peakRss = Math.max(peakRss, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
      return { pid: process.pid, loaded: engine.loaded(), rssBytes: process.memoryUsage.rss(), peakRssBytes: peakRss };
  }
}

process.on('message', (message: EngineToWorker) => {
  if (message.type === 'cancel') {
    running.get(message.id)?.abort();
    return;
  }
  if (message.type === 'configure') {
    engine.configure(message.settings);
    return;
  }
  const controller = new AbortController();
  running.set(message.id, controller);
  handle(message, controller.signal).then(
    (result) => send({ type: 'result', id: message.id, result }),
    (error: unknown) => {
      const payload = error instanceof Error ? { name: error.name, message: error.message, ...(error instanceof ModelError && error.file ? { file: error.file } : {}) } : { name: 'Error', message: String(error) };
      send({ type: 'error', id: message.id, error: payload });
    },
  ).finally(() => running.delete(message.id));
});

// The host going away (IPC closed) ends the worker: it must never outlive the extension.
process.on('disconnect', () => {
  void engine.dispose().finally(() => process.exit(0));
});

send({ type: 'ready', pid: process.pid });
