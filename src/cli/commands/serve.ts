import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { describeFileNameError, escapeFileName } from '../../core/files/fileNames';
import { readBoundedText } from '../../core/files/boundedRead';
import { InferenceEngine } from '../../core/inference/inferenceEngine';
import { cliWorkspaceRoot } from '../../core/prompts/promptyFile';
import { defaultRenderWorkerScript, RenderSandbox } from '../../core/prompts/renderSandbox';
import { defaultIndexFile } from '../../core/rag/indexLocation';
import { IndexStore } from '../../core/rag/store';
import { generateApiKey } from '../../core/serving/apiKeyCheck';
import { type BuiltinServeRequest } from '../../core/serving/serveRequest';
import { EngineServedModels, type EngineServedModel } from '../../core/serving/engineServedModels';
import { indexPassageSearch } from '../../core/serving/indexPassageSearch';
import { isLoopbackHost, servingDefaults, startOpenAiServer, type RunningOpenAiServer } from '../../core/serving/openAiServer';
import { defaultServePorts, serveApiKeyVariable, type ServedModel, type ServedModelProvider } from '../../core/serving/servedModels';
import { ServingEventLog } from '../../core/serving/servingEventLog';
import { describeTemplate, TemplateServedModels, type ServedTemplate } from '../../core/serving/templateServedModels';
import { readRunRecord, runConfigFile, runNameOf, writeRunRecord } from '../../core/jobs/runFolder';
import { processStartTime } from '../../core/process/processGroup';
import { ExitCode, UsageError, type CliCommand, type CliIo } from '../io';
import { engineSettings, engineUsage, integer, modelArgs } from './engineOptions';

/** How concurrent requests run in the built-in engine, as the `serving` event says it. */
const builtinBatching = 'interleaved per model: concurrent generations take turns token by token (batch 1 per step)';

/** How long running answers may finish after SIGINT/SIGTERM before they are cut off. */
const stopGraceMs = 2000;

/** A serve failure with the code its `error` event carries. */
class ServeFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly action?: string,
  ) {
    super(message);
  }
}

export const serveCommand: CliCommand = {
  name: 'serve',
  summary: 'Serve local ONNX models (and .prompty templates) as an OpenAI-compatible API',
  usage: `chatwright serve --model <id|path> [--model …] [options]

Serves the models over HTTP with OpenAI's API: GET /v1/models, POST /v1/chat/completions (streaming or not),
POST /v1/embeddings (with --embedding-model), GET /health. Any OpenAI client works with the printed URL as its base
URL. Concurrent answers take turns token by token. Stops cleanly on Ctrl-C (SIGINT) or SIGTERM.

Listening beyond loopback needs an API key: set ${serveApiKeyVariable}, or one is generated and printed once.

Options:
${engineUsage.replace('(required)', '(required; repeat to serve several; the id clients use is what you type)')}
  --embedding-model <id|path>  serve this embedding model at /v1/embeddings
  --template <file.prompty>    serve a template as a model of its own (file name without .prompty), with its
                               system prompt, few-shot examples and retrieval; repeatable
  --db <file>                  the index a template's retrieval searches (default: ./.chatwright/index.db)
  --host <address>             where to listen (default 127.0.0.1)
  --port <n>                   port (default ${defaultServePorts.builtin}; 0 = any free port)
  --max-concurrent <n>         answers generated at once (default ${servingDefaults.maxConcurrent}); each holds its KV cache in memory
  --max-queue <n>              requests waiting beyond that before 429 (default ${servingDefaults.maxQueue})
  --max-tokens-limit <n>       largest max_tokens a request may ask (default ${servingDefaults.maxTokensLimit})
  --run-dir <dir>              record the server as a job there (run.json, events.jsonl in protocol v1); in a
                               folder under .chatwright/runs/ the Jobs view and "chatwright jobs" list and stop it
  --json                       print one JSON line {url, models, apiKeyRequired} once ready

Exit codes: 0 stopped cleanly, 2 usage error or a failure (a model that does not load, a port in use).`,
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        model: { type: 'string', short: 'm', multiple: true, default: [] },
        dtype: { type: 'string', default: 'auto' },
        provider: { type: 'string', default: 'cpu' },
        threads: { type: 'string', default: '0' },
        'embedding-model': { type: 'string' },
        template: { type: 'string', multiple: true, default: [] },
        db: { type: 'string' },
        host: { type: 'string', default: '127.0.0.1' },
        port: { type: 'string', default: String(defaultServePorts.builtin) },
        'max-concurrent': { type: 'string', default: String(servingDefaults.maxConcurrent) },
        'max-queue': { type: 'string', default: String(servingDefaults.maxQueue) },
        'max-tokens-limit': { type: 'string', default: String(servingDefaults.maxTokensLimit) },
        'run-dir': { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (values.model.length === 0) throw new UsageError('--model is required (a Hub id or a model folder)');
    const chat: EngineServedModel[] = values.model.map((typed) => ({ id: typed, ...modelArgs({ model: typed, dtype: values.dtype }, io.cwd) }));
    const embedding: EngineServedModel | undefined = values['embedding-model']
      ? { id: values['embedding-model'], ...modelArgs({ model: values['embedding-model'], dtype: values.dtype }, io.cwd) }
      : undefined;
    const port = integer('--port', values.port, 0);
    if (port > 65535) throw new UsageError(`--port must be at most 65535, not '${values.port}'`);
    const limits = {
      maxConcurrent: integer('--max-concurrent', values['max-concurrent'], 1),
      maxQueue: integer('--max-queue', values['max-queue'], 0),
      maxTokensLimit: integer('--max-tokens-limit', values['max-tokens-limit'], 1),
    };
    const host = values.host;
    const settings = engineSettings(values);
    const runDir = values['run-dir'] ? resolve(io.cwd, values['run-dir']) : undefined;
    if (runDir !== undefined)
      recordServerRun(runDir, {
        engine: 'builtin',
        models: values.model,
        ...(values['embedding-model'] ? { embeddingModel: values['embedding-model'] } : {}),
        ...(values.template && values.template.length > 0 ? { templates: values.template } : {}),
        host,
        port,
      });
    const log = runDir !== undefined ? new ServingEventLog(runDir) : undefined;

    let apiKey = io.env[serveApiKeyVariable]?.trim() || undefined;
    if (apiKey === undefined && !isLoopbackHost(host)) {
      apiKey = generateApiKey();
      io.stderr.write(
        `API key (needed as "Authorization: Bearer <key>" by every request to ${host}):\n${apiKey}\nThis key is not shown again: copy it now, or set ${serveApiKeyVariable} to choose your own.\n`,
      );
    }

    const engine = new InferenceEngine(settings, {}, io.env);
    const closers: (() => Promise<void> | void)[] = [() => engine.dispose()];
    let server: RunningOpenAiServer | undefined;
    const stopRequested = stopSignal();
    // Written once Ctrl-C is handled: from here a stop ends the server cleanly, even while the models load.
    log?.append({ event: 'phase', phase: 'loading_model', model: chat.map((entry) => entry.id).join(', ') });
    try {
      const engineModels = new EngineServedModels(engine, { chat, ...(embedding ? { embedding } : {}) });
      try {
        const loaded = engineModels.load().then(() => undefined);
        const interrupted = await Promise.race([loaded, stopRequested.received]);
        if (interrupted !== undefined) {
          // Loading cannot be interrupted, and its work would keep the process alive until it ends: leave now.
          loaded.catch(() => undefined);
          io.stderr.write(`${interrupted}: stopped while the models were loading\n`);
          log?.append({ event: 'phase', phase: 'stopped', reason: `${interrupted} while loading` });
          process.exit(ExitCode.ok);
        }
      } catch (error) {
        throw new ServeFailure(
          'MODEL_LOAD_FAILED',
          `cannot load the models: ${error instanceof Error ? error.message : String(error)}`,
          'Check the model ids or folders (chatwright models list shows what is cached).',
        );
      }
      const provider = await withTemplates(engineModels, values.template, values.db, chat, engine, io, closers);
      const models = await provider.listModels();
      try {
        server = await startOpenAiServer({
          provider,
          host,
          port,
          ...(apiKey !== undefined ? { apiKey } : {}),
          ...limits,
          onStats: (stats) =>
            log?.append({
              event: 'serving_stats',
              requests: stats.requests,
              active: stats.active,
              queued: stats.queued,
              rejected: stats.rejected,
              prompt_tokens: stats.promptTokens,
              completion_tokens: stats.completionTokens,
            }),
        });
      } catch (error) {
        const inUse = (error as NodeJS.ErrnoException).code === 'EADDRINUSE';
        throw new ServeFailure(
          inUse ? 'PORT_IN_USE' : 'LISTEN_FAILED',
          `cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`,
          inUse ? 'Pick another --port (0 takes any free one), or stop what listens there.' : undefined,
        );
      }
      log?.append({
        event: 'serving',
        url: server.url,
        host: server.host,
        port: server.port,
        engine: 'builtin',
        models: models.map((model) => ({ id: model.id, kind: model.kind, ...(model.parent !== undefined ? { parent: model.parent } : {}) })),
        api_key_required: apiKey !== undefined,
        max_concurrent: limits.maxConcurrent,
        max_queue: limits.maxQueue,
        batching: builtinBatching,
      });
      if (values.json) io.stdout.write(`${JSON.stringify({ url: server.url, models: models.map((model) => model.id), apiKeyRequired: apiKey !== undefined })}\n`);
      else io.stdout.write(`${server.url}\n${describeModels(models)}Ready: serving ${models.length} model${models.length === 1 ? '' : 's'} at ${server.url} (Ctrl-C stops)\n`);

      const signal = await stopRequested.received;
      io.stderr.write(`${signal}: stopping (answers running get ${stopGraceMs / 1000} s to finish)\n`);
      await server.close({ graceMs: stopGraceMs });
      server = undefined;
      log?.append({ event: 'phase', phase: 'stopped', reason: signal });
      io.stderr.write('Stopped.\n');
      return ExitCode.ok;
    } catch (error) {
      const failure =
        error instanceof ServeFailure
          ? error
          : error instanceof UsageError
            ? new ServeFailure('USAGE', error.message)
            : new ServeFailure('SERVE_FAILED', error instanceof Error ? error.message : String(error));
      log?.append({ event: 'error', code: failure.code, message: failure.message, ...(failure.action ? { action: failure.action } : {}) });
      log?.append({ event: 'phase', phase: 'failed', code: failure.code });
      io.stderr.write(`chatwright serve: ${failure.message}${failure.action ? `\n${failure.action}` : ''}\n`);
      return ExitCode.usage;
    } finally {
      stopRequested.dispose();
      await server?.close();
      for (const close of closers.reverse()) await close();
    }
  },
};

/** Resolves with the first SIGINT or SIGTERM; until disposed, both are handled here instead of killing the process. */
function stopSignal(): { received: Promise<NodeJS.Signals>; dispose(): void } {
  let handler: (signal: NodeJS.Signals) => void = () => undefined;
  const received = new Promise<NodeJS.Signals>((resolve) => (handler = resolve));
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return {
    received,
    dispose: () => {
      process.removeListener('SIGINT', handler);
      process.removeListener('SIGTERM', handler);
    },
  };
}

function describeModels(models: readonly ServedModel[]): string {
  return models
    .map((model) => `  ${model.id}  (${model.kind}${model.parent !== undefined ? ` on ${model.parent}` : ''}${model.contextLength !== undefined ? `, ${model.contextLength} tokens` : ''})\n`)
    .join('');
}

/**
 * The engine's models plus each `--template` as a model of its own. Templates render in the render sandbox (a worker
 * with a time limit); a template with `retrieval:` searches the index at --db, embedding the query with the index's
 * own model when it loads (lexical search otherwise, said on stderr).
 */
async function withTemplates(
  engineModels: EngineServedModels,
  files: readonly string[],
  db: string | undefined,
  chat: readonly EngineServedModel[],
  engine: InferenceEngine,
  io: CliIo,
  closers: (() => Promise<void> | void)[],
): Promise<ServedModelProvider> {
  if (files.length === 0) return engineModels;
  const templates: ServedTemplate[] = [];
  for (const file of files) {
    const path = resolve(io.cwd, file);
    let text: string;
    try {
      text = await readBoundedText(path, { kind: 'template' });
    } catch (error) {
      throw new ServeFailure('TEMPLATE_UNREADABLE', `${escapeFileName(file)}: cannot read: ${describeFileNameError(file, error)}`);
    }
    templates.push(
      describeTemplate(
        { path, label: file, text, workspaceRoots: [cliWorkspaceRoot(path, io.cwd)] },
        chat.map((entry) => entry.id),
        io.env,
      ),
    );
  }
  const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 5000 });
  closers.push(() => sandbox.dispose());
  let search;
  if (templates.some((template) => template.retrieval)) {
    const dbFile = db ? resolve(io.cwd, db) : defaultIndexFile(io.cwd);
    const asking = templates.filter((template) => template.retrieval).map((template) => template.label);
    if (!existsSync(dbFile)) {
      throw new ServeFailure(
        'INDEX_MISSING',
        `${asking.join(', ')} ask${asking.length === 1 ? 's' : ''} for retrieved passages, but there is no index at ${escapeFileName(dbFile)}`,
        'Build one with: chatwright index <folder> (or point --db at one).',
      );
    }
    const { store, rebuiltBecause } = IndexStore.open(dbFile);
    closers.push(() => store.close());
    if (rebuiltBecause) throw new ServeFailure('INDEX_OUTDATED', `the index ${escapeFileName(dbFile)} must be rebuilt: ${rebuiltBecause}`, "Run 'chatwright index' again.");
    const indexModel = store.getMeta('modelKey')?.replace(/#[^#]*$/, '');
    let embedder;
    if (indexModel) {
      try {
        embedder = await engine.embedder(indexModel);
      } catch (error) {
        io.stderr.write(`note: cannot load the index's embedding model '${indexModel}' (${(error as Error).message}); template retrieval searches lexically\n`);
      }
    }
    search = indexPassageSearch(store, embedder);
  }
  try {
    return new TemplateServedModels(engineModels, templates, (request, signal) => sandbox.render(request, signal), search);
  } catch (error) {
    throw new ServeFailure('TEMPLATE_INVALID', (error as Error).message);
  }
}

/**
 * A server started from a terminal with `--run-dir` records itself (run.json: kind `serve`, this process's pid and
 * start time, and its request as config.json) unless the folder already has a record, as one the extension prepared
 * does: so `chatwright jobs` and the Jobs view list it and can stop it, like a server they started.
 */
function recordServerRun(runDir: string, request: BuiltinServeRequest): void {
  if (readRunRecord(runDir) !== undefined) return;
  mkdirSync(runDir, { recursive: true });
  const startedAt = processStartTime(process.pid);
  const now = new Date().toISOString();
  writeRunRecord(runDir, {
    version: 1,
    name: runNameOf(runDir),
    kind: 'serve',
    createdAt: now,
    startedAt: now,
    hostname: hostname(),
    pid: process.pid,
    ...(startedAt !== undefined ? { processStartedAt: startedAt } : {}),
  });
  const configFile = join(runDir, runConfigFile);
  if (!existsSync(configFile)) writeFileSync(configFile, `${JSON.stringify(request, null, 2)}\n`);
}
