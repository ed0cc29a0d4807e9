import * as vscode from 'vscode';
import { Config } from './config';

export type CommandHandler = (...args: unknown[]) => unknown;

/**
 * Everything the extension owns, in one place: the log, typed settings, and every disposable. Features receive it
 * and register what they create through `own`, so deactivation releases all of it.
 */
export class Ctx implements vscode.Disposable {
  readonly config = new Config();
  readonly log: vscode.LogOutputChannel;
  readonly version: string;
  private readonly disposables: vscode.Disposable[] = [];

  constructor(readonly extension: vscode.ExtensionContext) {
    this.log = this.own(vscode.window.createOutputChannel('Chatwright', { log: true }));
    this.version = (extension.extension.packageJSON as { version: string }).version;
  }

  own<T extends vscode.Disposable>(disposable: T): T {
    this.disposables.push(disposable);
    return disposable;
  }

  /**
   * Registers a feature's commands (its table: id → handler). Failures are logged and shown, never thrown into
   * VS Code's command service. Every id must also be listed in package.json's `contributes.commands`.
   */
  registerCommands(table: Record<string, CommandHandler>): void {
    for (const [id, handler] of Object.entries(table)) {
      this.own(
        vscode.commands.registerCommand(id, async (...args: unknown[]) => {
          try {
            return await handler(...args);
          } catch (error) {
            const message = error instanceof Error ? error.message : String(error);
            this.log.error(`${id} failed: ${error instanceof Error ? (error.stack ?? message) : message}`);
            void vscode.window.showErrorMessage(`Chatwright: ${message}`);
            return undefined;
          }
        }),
      );
    }
  }

  asAbsolutePath(relativePath: string): string {
    return this.extension.asAbsolutePath(relativePath);
  }

  dispose(): void {
    for (const disposable of this.disposables.splice(0).reverse()) {
      try {
        disposable.dispose();
      } catch (error) {
        console.error('Chatwright: dispose failed', error);
      }
    }
  }
}
