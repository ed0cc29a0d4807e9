import * as vscode from 'vscode';
import { type EngineSettings } from '../shared/engineProtocol';
import { type ServerSettings } from '../shared/languageServerProtocol';

/** Typed access to the `chatwright.*` settings. Nothing else reads the configuration. */
export class Config {
  static readonly section = 'chatwright';

  private get raw(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(Config.section);
  }

  get datasetDiagnostics(): boolean {
    return this.raw.get<boolean>('datasets.diagnostics', true);
  }

  /**
   * OpenAI-compatible chat endpoints. In Restricted Mode only the user's own settings count: a workspace must not
   * be able to send the user's chats to a server of its choosing.
   */
  get chatEndpoints(): { id: string; label: string; baseUrl: string; apiKeyEnvironmentVariable?: string }[] {
    const inspected = this.raw.inspect<unknown>('chat.endpoints');
    const value = vscode.workspace.isTrusted ? this.raw.get<unknown>('chat.endpoints') : inspected?.globalValue;
    if (!Array.isArray(value)) return [];
    return value.flatMap((entry: unknown) => {
      if (typeof entry !== 'object' || entry === null) return [];
      const { id, label, baseUrl, apiKeyEnvironmentVariable } = entry as Record<string, unknown>;
      if (typeof id !== 'string' || !/^[\w.-]{1,64}$/.test(id) || typeof baseUrl !== 'string' || !/^https?:\/\//.test(baseUrl)) return [];
      return [{ id, label: typeof label === 'string' && label ? label : id, baseUrl, ...(typeof apiKeyEnvironmentVariable === 'string' ? { apiKeyEnvironmentVariable } : {}) }];
    });
  }

  /** The `chatwright.datasets.*` settings besides `diagnostics`. */
  get datasets(): Omit<ServerSettings['datasets'], 'diagnostics'> {
    const formats = this.raw.get<unknown>('datasets.formats');
    const maxTokens = this.raw.get<unknown>('datasets.maxTokens');
    const minRows = this.raw.get<unknown>('datasets.minRows');
    const tokenizerPath = this.raw.get<unknown>('datasets.tokenizerPath');
    return {
      formats: typeof formats === 'object' && formats !== null ? Object.fromEntries(Object.entries(formats).filter((entry): entry is [string, string] => typeof entry[1] === 'string')) : {},
      maxTokens: typeof maxTokens === 'number' && maxTokens > 0 ? Math.floor(maxTokens) : 0,
      tokenizerPath: typeof tokenizerPath === 'string' ? tokenizerPath : '',
      minRows: typeof minRows === 'number' && minRows >= 0 ? Math.floor(minRows) : 10,
    };
  }

  /** Retrieval index settings for one workspace folder, with VS Code's `files.exclude` turned into globs. */
  ragSettings(folder: vscode.Uri): RagSettings {
    const rag = vscode.workspace.getConfiguration(`${Config.section}.rag`, folder);
    const filesExclude = vscode.workspace.getConfiguration('files', folder).get<Record<string, unknown>>('exclude', {});
    const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string' && entry.length > 0) : []);
    const positive = (value: unknown, fallback: number): number => (typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback);
    return {
      autoIndex: rag.get<boolean>('autoIndex', true),
      include: strings(rag.get('include')),
      exclude: [...strings(rag.get('exclude')), ...Object.entries(filesExclude ?? {}).filter(([, on]) => on === true).map(([glob]) => glob)],
      includeCode: rag.get<boolean>('includeCode', false),
      respectGitignore: rag.get<boolean>('respectGitignore', true),
      maxFileBytes: positive(rag.get('maxFileSizeKB'), 2048) * 1024,
      chunkTokens: positive(rag.get('chunkTokens'), 256),
      chunkOverlap: Math.max(0, rag.get<number>('chunkOverlap', 32)),
    };
  }

  /** `chatwright.engine.*`: how the local inference engine runs models. */
  get engine(): EngineSettings {
    const provider = this.raw.get<unknown>('engine.executionProvider');
    const threads = this.raw.get<unknown>('engine.threads');
    const idle = this.raw.get<unknown>('engine.idleUnloadMinutes');
    const spin = this.raw.get<unknown>('engine.spinWhileGenerating');
    return {
      executionProvider: provider === 'cuda' || provider === 'auto' ? provider : 'cpu',
      threads: typeof threads === 'number' && threads > 0 ? Math.floor(threads) : 0,
      idleUnloadMs: (typeof idle === 'number' && idle >= 0 ? idle : 10) * 60_000,
      spinWhileGenerating: spin === true,
    };
  }

  /** `chatwright.prompts.*`: prompt templates. */
  get prompts(): ServerSettings['prompts'] {
    const timeout = this.raw.get<unknown>('prompts.renderTimeoutMs');
    const previewModel = this.raw.get<unknown>('prompts.previewModel');
    return {
      diagnostics: this.raw.get<boolean>('prompts.diagnostics', true),
      previewModel: typeof previewModel === 'string' ? previewModel : '',
      renderTimeoutMs: typeof timeout === 'number' && timeout >= 100 ? Math.floor(timeout) : 2000,
    };
  }

  /**
   * `chatwright.models.*`. The Hub endpoint receives the user's token, so only the user's own settings may set it
   * (the setting has machine scope; a workspace cannot redirect downloads or the token).
   */
  get models(): { hubEndpoint: string; concurrency: number; offline: boolean } {
    const endpoint = this.raw.inspect<unknown>('models.hubEndpoint')?.globalValue;
    const concurrency = this.raw.get<unknown>('models.downloadConcurrency');
    return {
      hubEndpoint: typeof endpoint === 'string' && /^https?:\/\//.test(endpoint.trim()) ? endpoint.trim() : '',
      concurrency: typeof concurrency === 'number' && concurrency >= 1 ? Math.min(16, Math.floor(concurrency)) : 4,
      offline: this.raw.get<unknown>('models.offline') === true,
    };
  }

  serverSettings(): ServerSettings {
    return { datasets: { diagnostics: this.datasetDiagnostics, ...this.datasets }, prompts: this.prompts };
  }

  static affects(event: vscode.ConfigurationChangeEvent): boolean {
    return event.affectsConfiguration(Config.section);
  }
}

/** `chatwright.rag.*`: what to index and how to cut it. */
export interface RagSettings {
  autoIndex: boolean;
  /** Globs of files to index; empty: the default document formats. */
  include: string[];
  /** Extra globs to leave out (`chatwright.rag.exclude` and `files.exclude`). */
  exclude: string[];
  includeCode: boolean;
  respectGitignore: boolean;
  maxFileBytes: number;
  chunkTokens: number;
  chunkOverlap: number;
}
