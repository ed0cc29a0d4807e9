import { registerChat, type ChatHandles } from './chat/chatFeature';
import { type ChatViewProvider } from './chat/chatViewProvider';
import { generalCommands } from './commands';
import { type Ctx } from './context';
import { registerDatasets, type DatasetsHandles } from './datasets/datasetsFeature';
import { registerEngine, type EngineHost } from './engine/engineHost';
import { registerEval, type EvalHandles } from './eval/evalFeature';
import { registerJobs, type JobsHandles } from './jobs/jobsFeature';
import { registerPythonEnvironment } from './jobs/pythonEnvironmentCommands';
import { type LanguageServerHost } from './languageClient';
import { type ModelSelection } from './models/modelSelection';
import { registerModels } from './models/modelsFeature';
import { type IndexManager } from './rag/indexManager';
import { registerPrompts, type PromptHandles } from './prompts/promptsFeature';
import { registerRag } from './rag/ragFeature';
import { registerServing, type ServingHandles } from './serving/servingFeature';

/** What every feature gets at activation. Features keep heavy work lazy: nothing here may load a native module. */
export interface FeatureDeps {
  ctx: Ctx;
  languageServer: LanguageServerHost;
}

/** What the features hand back for the extension's API (used by integration tests and other extensions). */
export interface FeatureHandles {
  chatView: ChatViewProvider;
  /** The chat: conversations, and the backends answers come from (`registerBackend`). */
  chat: ChatHandles;
  /** The chosen chat and embedding models of this workspace (read by chat, preview and indexing). */
  modelSelection: ModelSelection;
  /** The local inference engine (embeddings and generation in a worker process). */
  engine: EngineHost;
  /** The workspace's retrieval index: `search(query, options)` for chat and prompt templates. */
  rag: IndexManager;
  /** Prompt templates: the open previews. */
  prompts: PromptHandles;
  /** Fine-tuning datasets: validating files from disk, the dataset report. */
  datasets: DatasetsHandles;
  /** Fine-tuning jobs: the jobs service (queue, runs, re-attach), the Jobs view, preflight diagnostics. */
  jobs: JobsHandles;
  /** Serving: the servers as jobs, their health, the status bar, served models as chat backends. */
  serving: ServingHandles;
  /** Strategy comparisons: runs (one per comparison file), the report panels. */
  eval: EvalHandles;
}

/** Registers every feature. Each feature lives in its own folder under src/host and adds one line here. */
export function registerFeatures({ ctx, languageServer }: FeatureDeps): FeatureHandles {
  ctx.registerCommands(generalCommands(ctx, languageServer));
  const engine = registerEngine(ctx);
  const modelSelection = registerModels(ctx);
  const rag = registerRag(ctx, { modelSelection, engine });
  const chat = registerChat(ctx, { modelSelection, engine, rag });
  const prompts = registerPrompts(ctx, { languageServer, modelSelection });
  const datasets = registerDatasets(ctx, { modelSelection });
  const jobs = registerJobs(ctx, { python: registerPythonEnvironment(ctx) });
  const serving = registerServing(ctx, { jobs, chat, modelSelection });
  const evaluation = registerEval(ctx, { chat, engine });
  return { chatView: chat.view, chat, modelSelection, engine, rag, prompts, datasets, jobs, serving, eval: evaluation };
}
