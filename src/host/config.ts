import * as vscode from 'vscode';
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

  serverSettings(): ServerSettings {
    return { datasets: { diagnostics: this.datasetDiagnostics } };
  }

  static affects(event: vscode.ConfigurationChangeEvent): boolean {
    return event.affectsConfiguration(Config.section);
  }
}
