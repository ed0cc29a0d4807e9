import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { didChangeServerSettingsNotification, redHatYamlExtensionId, serverDocumentFilters, type ServerSettings } from '../shared/languageServerProtocol';
import { Config } from './config';
import { type Ctx } from './context';

/**
 * Owns the language server process. It starts when the first document the server handles is opened (not at
 * activation), and can be restarted from the command palette.
 */
export class LanguageServerHost implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<LanguageClient> | undefined;

  constructor(private readonly ctx: Ctx) {
    ctx.own(vscode.workspace.onDidOpenTextDocument((document) => this.startIfNeeded(document)));
    ctx.own(vscode.workspace.onDidChangeConfiguration((event) => Config.affects(event) && this.sendSettings()));
    ctx.own(vscode.workspace.onDidGrantWorkspaceTrust(() => this.sendSettings()));
    // Installing or removing Red Hat's YAML extension moves YAML job files between it and this server.
    let redHatYaml = hasRedHatYaml();
    ctx.own(
      vscode.extensions.onDidChange(() => {
        if (hasRedHatYaml() === redHatYaml) return;
        redHatYaml = hasRedHatYaml();
        if (this.starting) this.restart().catch((error: unknown) => this.reportStartFailure(error));
      }),
    );
    for (const document of vscode.workspace.textDocuments) this.startIfNeeded(document);
  }

  get running(): boolean {
    return this.client?.isRunning() ?? false;
  }

  private startIfNeeded(document: vscode.TextDocument): void {
    if (vscode.languages.match(documentSelector(), document) > 0) {
      this.ensureStarted().catch((error: unknown) => this.reportStartFailure(error));
    }
  }

  ensureStarted(): Promise<LanguageClient> {
    this.starting ??= this.start();
    return this.starting;
  }

  async restart(): Promise<void> {
    const previous = this.starting;
    this.starting = undefined;
    this.client = undefined;
    if (previous) await (await previous).dispose().catch(() => undefined);
    await this.ensureStarted();
    this.ctx.log.info('Language server restarted');
  }

  private async start(): Promise<LanguageClient> {
    const module = this.ctx.asAbsolutePath('dist/server.js');
    // The server runs in the extension's own folder: nothing it resolves may land in the open repository by accident.
    const cwd = this.ctx.asAbsolutePath('dist');
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc, options: { cwd } },
      debug: { module, transport: TransportKind.ipc, options: { cwd, execArgv: ['--nolazy', '--inspect=6009'] } },
    };
    // No `synchronize.configurationSection`: the client would send the raw `chatwright` section, workspace values
    // included in Restricted Mode. The server gets only what Config decided (sendSettings); a `workspace/configuration`
    // request is answered from the same values.
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelector(),
      initializationOptions: this.ctx.config.serverSettings(),
      outputChannel: this.ctx.log,
      middleware: { workspace: { configuration: (params) => params.items.map((item) => decidedSection(this.ctx.config.serverSettings(), item.section)) } },
    };
    const client = new LanguageClient('chatwright', 'Chatwright Language Server', serverOptions, clientOptions);
    this.client = client;
    await client.start();
    this.ctx.log.info('Language server started');
    return client;
  }

  /** Sends the settings as Config decides them now (after a change of settings or of the workspace's trust). */
  private sendSettings(): void {
    const client = this.client;
    if (!client?.isRunning()) return;
    client.sendNotification(didChangeServerSettingsNotification, { settings: { chatwright: this.ctx.config.serverSettings() } }).catch((error: unknown) => {
      this.ctx.log.warn(`Settings not sent to the language server: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  private reportStartFailure(error: unknown): void {
    this.starting = undefined;
    const message = error instanceof Error ? error.message : String(error);
    this.ctx.log.error(`Language server failed to start: ${message}`);
    void vscode.window.showErrorMessage(`Chatwright's language server failed to start: ${message}`, 'Show Logs').then((choice) => {
      if (choice) this.ctx.log.show();
    });
  }

  /** Stops the server; deactivation awaits this so the process never outlives the extension host. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.starting = undefined;
    if (client?.isRunning()) await client.stop();
  }

  dispose(): void {
    void this.stop();
  }
}

/** The documents the server handles now (YAML job files only while Red Hat's YAML extension is absent). */
function documentSelector(): ReturnType<typeof serverDocumentFilters> {
  return serverDocumentFilters({ redHatYamlInstalled: hasRedHatYaml() });
}

function hasRedHatYaml(): boolean {
  return vscode.extensions.getExtension(redHatYamlExtensionId) !== undefined;
}

/** `chatwright`, `chatwright.prompts`, … of the decided server settings; null for anything else. */
function decidedSection(settings: ServerSettings, section: string | undefined): unknown {
  if (section === Config.section) return settings;
  if (!section?.startsWith(`${Config.section}.`)) return null;
  let value: unknown = settings;
  for (const part of section.slice(Config.section.length + 1).split('.')) {
    value = typeof value === 'object' && value !== null && Object.hasOwn(value, part) ? (value as Record<string, unknown>)[part] : undefined;
  }
  return value ?? null;
}
