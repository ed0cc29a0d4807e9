import * as vscode from 'vscode';
import {
  type EngineChatMessage,
  type EngineDtype,
  type EngineEmbeddingResult,
  type EngineEmbeddingRole,
  type EngineGenerateOptions,
  type EngineGenerationResult,
  type EngineModelInfo,
  type EngineStatus,
} from '../../shared/engineProtocol';
import { type Ctx } from '../context';
import { EngineClient } from './engineClient';

/**
 * The extension's local inference engine: a worker process (dist/engineWorker.js) started on first use, never on
 * activation. Chat and RAG call `generate` and `embed`; the status bar says which execution provider runs the
 * loaded models, and a CUDA fallback or a crash is shown once, with the reason.
 */
export class EngineHost implements vscode.Disposable {
  private readonly client: EngineClient;
  private readonly statusItem: vscode.StatusBarItem;
  private readonly loaded = new Map<string, EngineModelInfo>();
  private readonly changed = new vscode.EventEmitter<void>();
  private fallbackShown = false;
  /** Fires when models are loaded or unloaded, or the worker restarts. */
  readonly onDidChangeStatus = this.changed.event;

  constructor(private readonly ctx: Ctx) {
    this.statusItem = vscode.window.createStatusBarItem('chatwright.engine', vscode.StatusBarAlignment.Right, 90);
    this.statusItem.name = 'Chatwright Inference Engine';
    this.statusItem.command = 'chatwright.engine.showStatus';
    this.client = new EngineClient({
      workerPath: ctx.asAbsolutePath('dist/engineWorker.js'),
      settings: ctx.config.engine,
      log: (level, message) => ctx.log[level](message),
      onModelLoaded: (info, loadMs) => this.onModelLoaded(info, loadMs),
      onModelUnloaded: (model) => {
        for (const [key, info] of this.loaded) if (info.model === model) this.loaded.delete(key);
        this.refresh();
      },
      onCrash: (report) => {
        this.loaded.clear();
        this.refresh();
        // The client reports a series of crashes once (and once more if it gives up); the stderr tail is in the log.
        const restartAction = report.gaveUp || report.models.length > 0 ? ['Restart Inference Engine'] : [];
        void vscode.window.showErrorMessage(`Chatwright: ${report.message} Requests in progress failed.`, ...restartAction, 'Show Logs').then((choice) => {
          if (choice === 'Show Logs') ctx.log.show();
          else if (choice === 'Restart Inference Engine') this.restart();
        });
      },
    });
    ctx.own(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (event.affectsConfiguration('chatwright.engine')) this.client.configure(ctx.config.engine);
      }),
    );
  }

  /** Embeds texts with a feature-extraction model (Hub id or folder). Vectors are L2-normalised when the model says so. */
  embed(model: string, texts: readonly string[], role: EngineEmbeddingRole, signal?: AbortSignal, dtype?: EngineDtype): Promise<EngineEmbeddingResult> {
    return this.client.request('embed', { model, texts: [...texts], role, ...(dtype ? { dtype } : {}) }, undefined, signal);
  }

  async countTokens(model: string, texts: readonly string[], dtype?: EngineDtype): Promise<number[]> {
    return this.client.request('countTokens', { model, texts: [...texts], ...(dtype ? { dtype } : {}) });
  }

  /**
   * Generates a chat answer, streaming text deltas (never a broken character) to `onToken`. Aborting `signal`
   * stops within one token; the result then has finishReason 'cancelled' and the text so far.
   */
  async generate(
    model: string,
    messages: readonly EngineChatMessage[],
    options: EngineGenerateOptions,
    onToken: (text: string) => void,
    signal?: AbortSignal,
    dtype?: EngineDtype,
  ): Promise<EngineGenerationResult> {
    return this.client.request('generate', { model, messages: [...messages], options, ...(dtype ? { dtype } : {}) }, onToken, signal);
  }

  /** Loads a model ahead of use (e.g. when the user picks it) and reports its provider and limits. */
  load(model: string, kind: 'embedder' | 'generator', dtype?: EngineDtype): Promise<EngineModelInfo> {
    return this.client.request('load', { model, kind, ...(dtype ? { dtype } : {}) });
  }

  unload(model?: string): Promise<number> {
    return this.client.running ? this.client.request('unload', model === undefined ? {} : { model }) : Promise.resolve(0);
  }

  status(): Promise<EngineStatus | undefined> {
    return this.client.running ? this.client.request('status', {}) : Promise.resolve(undefined);
  }

  get running(): boolean {
    return this.client.running;
  }

  get pid(): number | undefined {
    return this.client.pid;
  }

  /** Stops the worker and forgets past crashes (the user asked): the next request starts a fresh one. */
  restart(): void {
    this.client.restart();
    this.loaded.clear();
    this.refresh();
  }

  private onModelLoaded(info: EngineModelInfo, loadMs: number): void {
    this.loaded.set(`${info.model}\u0000${info.kind}\u0000${info.dtype}`, info);
    this.ctx.log.info(`loaded ${info.kind} ${info.modelKey} (${info.dtype}, ${(info.weightBytes / 2 ** 20).toFixed(1)} MB) on ${info.provider.toUpperCase()} in ${loadMs} ms`);
    if (info.fallbackReason) {
      this.ctx.log.warn(info.fallbackReason);
      if (!this.fallbackShown) {
        this.fallbackShown = true;
        void vscode.window.showWarningMessage(`Chatwright: ${info.fallbackReason}`);
      }
    }
    this.refresh();
  }

  private refresh(): void {
    const models = [...this.loaded.values()];
    if (models.length === 0) {
      this.statusItem.hide();
    } else {
      const providers = [...new Set(models.map((info) => info.provider.toUpperCase()))].join('+');
      this.statusItem.text = `$(chip) ${providers}`;
      const tooltip = new vscode.MarkdownString('**Chatwright inference engine**\n\n');
      for (const info of models) tooltip.appendMarkdown(`- ${info.kind === 'embedder' ? 'Embeddings' : 'Generation'}: \`${info.model}\` (${info.dtype}) on ${info.provider.toUpperCase()}\n`);
      this.statusItem.tooltip = tooltip;
      this.statusItem.show();
    }
    this.changed.fire();
  }

  /** The command table of the engine feature. */
  commands(): Record<string, () => unknown> {
    return {
      'chatwright.engine.showStatus': async () => {
        const status = await this.status();
        if (!status || status.loaded.length === 0) {
          void vscode.window.showInformationMessage('Chatwright: the inference engine has no model loaded. It starts when a chat or an index needs a model.');
          return;
        }
        const lines = status.loaded.map((info) => `${info.kind === 'embedder' ? 'Embeddings' : 'Generation'}: ${info.model} (${info.dtype}) on ${info.provider.toUpperCase()}`);
        void vscode.window.showInformationMessage(`Chatwright engine (process ${status.pid}, ${(status.rssBytes / 2 ** 20).toFixed(0)} MB): ${lines.join('; ')}`);
      },
      'chatwright.engine.restart': () => this.restart(),
      'chatwright.engine.unloadModels': async () => {
        const count = await this.unload();
        void vscode.window.showInformationMessage(`Chatwright: ${count} model(s) unloaded.`);
      },
    };
  }

  dispose(): void {
    this.client.dispose();
    this.statusItem.dispose();
    this.changed.dispose();
  }
}

/** Registers the engine feature: its commands and the host that owns the worker (started lazily). */
export function registerEngine(ctx: Ctx): EngineHost {
  const engine = ctx.own(new EngineHost(ctx));
  ctx.registerCommands(engine.commands());
  return engine;
}
