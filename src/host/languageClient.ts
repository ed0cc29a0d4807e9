import * as vscode from 'vscode';
import { LanguageClient, TransportKind, type LanguageClientOptions, type ServerOptions } from 'vscode-languageclient/node';
import { serverLanguageIds } from '../shared/languageServerProtocol';
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
    for (const document of vscode.workspace.textDocuments) this.startIfNeeded(document);
  }

  get running(): boolean {
    return this.client?.isRunning() ?? false;
  }

  private startIfNeeded(document: vscode.TextDocument): void {
    if ((serverLanguageIds as readonly string[]).includes(document.languageId)) {
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
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ['--nolazy', '--inspect=6009'] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: serverLanguageIds.map((language) => ({ language })),
      initializationOptions: this.ctx.config.serverSettings(),
      outputChannel: this.ctx.log,
      synchronize: { configurationSection: Config.section },
    };
    const client = new LanguageClient('chatwright', 'Chatwright Language Server', serverOptions, clientOptions);
    this.client = client;
    await client.start();
    this.ctx.log.info('Language server started');
    return client;
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
