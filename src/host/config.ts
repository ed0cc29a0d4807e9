import * as vscode from 'vscode';
import { type EngineSettings } from '../shared/engineProtocol';
import { type ServerSettings } from '../shared/languageServerProtocol';
import { chatEndpointsFrom, httpOrigin, type ChatEndpointSetting } from '../core/settings/chatEndpoints';
import { settingDefaults } from '../core/settings/settingDefaults';
import { boundedSetting, effectiveSetting, settingModel, settingPath, settingRules, type SettingKey, type SettingSource } from '../core/settings/settingTrust';

/**
 * Typed access to the `chatwright.*` settings. Nothing else reads the configuration. Who may set each setting, and the
 * bounds of each number, are in `settingRules` (src/core/settings/settingTrust.ts): settings that name a file, a
 * model, an endpoint, a limit or a secret come from the workspace only once it is trusted.
 */
export class Config {
  static readonly section = 'chatwright';

  private get raw(): vscode.WorkspaceConfiguration {
    return vscode.workspace.getConfiguration(Config.section);
  }

  /** A setting's value and where it came from, as its rule allows given the workspace's trust. */
  private decided(key: SettingKey, configuration: vscode.WorkspaceConfiguration = this.raw, prefix = ''): { value: unknown; source: SettingSource } {
    return effectiveSetting(configuration.inspect<unknown>(key.slice(prefix.length)), settingRules[key].trust, vscode.workspace.isTrusted);
  }

  private value(key: SettingKey): unknown {
    return this.decided(key).value;
  }

  private static firstFolder(): string | undefined {
    return vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  }

  get datasetDiagnostics(): boolean {
    return this.raw.get<boolean>('datasets.diagnostics', settingDefaults['datasets.diagnostics']);
  }

  /**
   * OpenAI-compatible chat endpoints. In Restricted Mode only the user's own settings count: a workspace must not
   * be able to send the user's chats to a server of its choosing. `apiKeyEnvironmentVariable` counts only in the
   * user's settings, trusted or not.
   */
  get chatEndpoints(): ChatEndpointSetting[] {
    const { value, source } = this.decided('chat.endpoints');
    return chatEndpointsFrom(value, source);
  }

  /** The `chatwright.datasets.*` settings besides `diagnostics`. */
  get datasets(): Omit<ServerSettings['datasets'], 'diagnostics'> {
    const formats = this.raw.get<unknown>('datasets.formats');
    const tokenizer = this.decided('datasets.tokenizerPath');
    return {
      formats: typeof formats === 'object' && formats !== null ? Object.fromEntries(Object.entries(formats).filter((entry): entry is [string, string] => typeof entry[1] === 'string')) : {},
      maxTokens: boundedSetting('datasets.maxTokens', this.value('datasets.maxTokens')),
      tokenizerPath: settingPath(tokenizer.value, tokenizer.source, Config.firstFolder()) ?? settingDefaults['datasets.tokenizerPath'],
      minRows: boundedSetting('datasets.minRows', this.raw.get<unknown>('datasets.minRows')),
    };
  }

  /** Retrieval index settings for one workspace folder, with VS Code's `files.exclude` turned into globs. */
  ragSettings(folder: vscode.Uri): RagSettings {
    const rag = vscode.workspace.getConfiguration(`${Config.section}.rag`, folder);
    const decided = (key: SettingKey): unknown => this.decided(key, rag, 'rag.').value;
    const filesExclude = vscode.workspace.getConfiguration('files', folder).get<Record<string, unknown>>('exclude', {});
    const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((entry): entry is string => typeof entry === 'string' && entry.length > 0) : []);
    const chunkTokens = boundedSetting('rag.chunkTokens', decided('rag.chunkTokens'));
    return {
      autoIndex: rag.get<boolean>('autoIndex', settingDefaults['rag.autoIndex']),
      include: strings(rag.get('include')),
      exclude: [
        ...strings(rag.get('exclude')),
        ...Object.entries(filesExclude ?? {})
          .filter(([, on]) => on === true)
          .map(([glob]) => glob),
      ],
      includeCode: rag.get<boolean>('includeCode', settingDefaults['rag.includeCode']),
      respectGitignore: rag.get<boolean>('respectGitignore', settingDefaults['rag.respectGitignore']),
      maxFileBytes: boundedSetting('rag.maxFileSizeKB', decided('rag.maxFileSizeKB')) * 1024,
      chunkTokens,
      // An overlap as long as the passage would never move forward.
      chunkOverlap: Math.min(boundedSetting('rag.chunkOverlap', decided('rag.chunkOverlap')), Math.floor(chunkTokens / 2)),
    };
  }

  /** `chatwright.engine.*`: how the local inference engine runs models (the user's settings only). */
  get engine(): EngineSettings {
    const provider = this.value('engine.executionProvider');
    return {
      executionProvider: provider === 'cuda' || provider === 'auto' ? provider : settingDefaults['engine.executionProvider'],
      threads: boundedSetting('engine.threads', this.value('engine.threads')),
      idleUnloadMs: boundedSetting('engine.idleUnloadMinutes', this.value('engine.idleUnloadMinutes')) * 60_000,
      spinWhileGenerating: this.value('engine.spinWhileGenerating') === true,
    };
  }

  /** `chatwright.prompts.*`: prompt templates. */
  get prompts(): ServerSettings['prompts'] {
    const previewModel = this.decided('prompts.previewModel');
    return {
      diagnostics: this.raw.get<boolean>('prompts.diagnostics', settingDefaults['prompts.diagnostics']),
      previewModel: settingModel(previewModel.value, previewModel.source, Config.firstFolder()) ?? settingDefaults['prompts.previewModel'],
      renderTimeoutMs: boundedSetting('prompts.renderTimeoutMs', this.value('prompts.renderTimeoutMs')),
    };
  }

  /**
   * `chatwright.models.*`. The Hub endpoint receives the user's token, so only the user's own settings may set it
   * (the setting has machine scope; a workspace cannot redirect downloads or the token).
   */
  get models(): { hubEndpoint: string; concurrency: number; offline: boolean } {
    const endpoint = this.value('models.hubEndpoint');
    return {
      hubEndpoint: typeof endpoint === 'string' && httpOrigin(endpoint) ? endpoint.trim() : settingDefaults['models.hubEndpoint'],
      concurrency: boundedSetting('models.downloadConcurrency', this.value('models.downloadConcurrency')),
      offline: this.value('models.offline') === true,
    };
  }

  /** `chatwright.jobs.*` limits (the interpreter setting is read by the Python environment feature). */
  get jobs(): { maxConcurrentJobs: number; stopTimeoutMs: number } {
    return {
      maxConcurrentJobs: boundedSetting('jobs.maxConcurrentJobs', this.value('jobs.maxConcurrentJobs')),
      stopTimeoutMs: boundedSetting('jobs.stopTimeoutSeconds', this.value('jobs.stopTimeoutSeconds')) * 1000,
    };
  }

  /** What the language server may use: only these values reach it (it never reads the configuration itself). */
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
