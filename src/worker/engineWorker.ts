// The inference engine's process: the extension forks it (dist/engineWorker.js) so that model loading and inference
// never run on the extension host's thread, and a native crash takes down only this process. It serves the requests
// of src/shared/engineProtocol.ts over the RPC layer; errors (ModelError with its `file`, CancelledError, RangeError …)
// reach the host with their names and fields.
import { defaultEngineSettings, InferenceEngine } from '../core/inference/inferenceEngine';
import { connectToParentProcess, onRequest, progressReporter } from '../core/rpc/connection';
import {
  engineConfigureNotification,
  engineCountTokensRequest,
  engineEmbedRequest,
  engineGenerateRequest,
  engineLoadRequest,
  engineModelLoadedNotification,
  engineModelUnloadedNotification,
  engineStatusRequest,
  engineTokenProgress,
  engineUnloadRequest,
} from '../shared/engineProtocol';

process.env.ORT_DISABLE_TELEMETRY ??= '1';

const connection = connectToParentProcess();

let peakRss = process.memoryUsage.rss();
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
sampler.unref();

const engine = new InferenceEngine(defaultEngineSettings, {
  onLoaded: (info, loadMs) => void connection.sendNotification(engineModelLoadedNotification, { info, loadMs }),
  onUnloaded: (model) => void connection.sendNotification(engineModelUnloadedNotification, { model }),
});

connection.onNotification(engineConfigureNotification, (settings) => engine.configure(settings));
onRequest(connection, engineEmbedRequest, ({ model, texts, role, dtype }, signal) => engine.embed(model, texts, role, signal, dtype));
onRequest(connection, engineCountTokensRequest, ({ model, texts, dtype }) => engine.countTokens(model, texts, dtype));
onRequest(connection, engineGenerateRequest, async ({ model, messages, prompt, options, dtype, progressToken }, signal) => {
  // Deltas produced in one burst (a stop sequence released at once) go out as one message.
  const onText = progressToken !== undefined ? progressReporter(connection, engineTokenProgress, progressToken, (earlier, later) => earlier + later) : undefined;
  const { text, stats } = prompt !== undefined ? await engine.complete(model, prompt, options, onText, signal, dtype) : await engine.generate(model, messages, options, onText, signal, dtype);
  return { text, stats };
});
onRequest(connection, engineLoadRequest, ({ model, kind, dtype }) => engine.info(model, kind, dtype));
onRequest(connection, engineUnloadRequest, ({ model }) => engine.unload(model));
onRequest(connection, engineStatusRequest, () => {
  // maxRSS is the kernel's high-water mark (KiB): exact, where the 200 ms sampler could miss a short peak.
  peakRss = Math.max(peakRss, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
  return { pid: process.pid, loaded: engine.loaded(), rssBytes: process.memoryUsage.rss(), peakRssBytes: peakRss };
});
connection.listen();

// The host going away (IPC closed) ends the worker: it must never outlive the extension.
process.on('disconnect', () => {
  void engine.dispose().finally(() => process.exit(0));
});
