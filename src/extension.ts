import type * as vscode from 'vscode';
import { Ctx } from './host/context';
import { type ChatHandles } from './host/chat/chatFeature';
import { type EngineHost } from './host/engine/engineHost';
import { type EvalHandles } from './host/eval/evalFeature';
import { registerFeatures } from './host/features';
import { type IndexManager } from './host/rag/indexManager';
import { type JobsHandles } from './host/jobs/jobsFeature';
import { type ServingHandles } from './host/serving/servingFeature';
import { type ModelSelection } from './host/models/modelSelection';
import { LanguageServerHost } from './host/languageClient';
import { showActivationFailure } from './host/activationFailure';

/** What `activate` returns: used by the integration tests and by other extensions. */
export interface ChatwrightApi {
  readonly version: string;
  languageServerRunning(): boolean;
  chatViewResolved(): boolean;
  /** The chat: `registerBackend` plugs in another source of answers; the service is there for tests. */
  readonly chat: ChatHandles;
  /** The local inference engine: `embed`, `generate` (streaming, cancellable), `load`, `status`. */
  readonly engine: EngineHost;
  /** The workspace's retrieval index: `search(query, options)`, `indexAll`, `settled`. */
  readonly rag: IndexManager;
  /** The workspace's chosen chat and embedding models (`chatModel`, `embeddingModel`, `onDidChange`, `select`). */
  readonly models: ModelSelection;
  /** Fine-tuning jobs: the jobs service, the Jobs view, preflight diagnostics, `reload` (a simulated window reload). */
  readonly jobs: JobsHandles;
  /** Serving: the servers this window follows, their health and status bar, served models as chat backends. */
  readonly serving: ServingHandles;
  /** Strategy comparisons: the runs of this window and the report panels. */
  readonly eval: EvalHandles;
}

let ctx: Ctx | undefined;
let languageServer: LanguageServerHost | undefined;
let serving: ServingHandles | undefined;

export function activate(extension: vscode.ExtensionContext): ChatwrightApi {
  try {
    ctx = new Ctx(extension);
    extension.subscriptions.push(ctx);
    languageServer = ctx.own(new LanguageServerHost(ctx));
    const handles = registerFeatures({ ctx, languageServer });
    serving = handles.serving;
    ctx.log.info(`Chatwright ${ctx.version} activated`);
    const server = languageServer;
    return {
      version: ctx.version,
      languageServerRunning: () => server.running,
      chatViewResolved: () => handles.chatView.resolved,
      chat: handles.chat,
      engine: handles.engine,
      rag: handles.rag,
      models: handles.modelSelection,
      jobs: handles.jobs,
      serving: handles.serving,
      eval: handles.eval,
    };
  } catch (error) {
    showActivationFailure(error);
    throw error;
  }
}

export async function deactivate(): Promise<void> {
  // Servers this window started stop with it (those started from the CLI run on); the log is still open here.
  await Promise.all([languageServer?.stop(), serving?.stopStartedHere()]);
  serving = undefined;
  ctx?.dispose();
  ctx = undefined;
  languageServer = undefined;
}
