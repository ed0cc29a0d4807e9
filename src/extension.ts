import type * as vscode from 'vscode';
import { Ctx } from './host/context';
import { registerFeatures } from './host/features';
import { LanguageServerHost } from './host/languageClient';
import { showActivationFailure } from './host/activationFailure';

/** What `activate` returns: used by the integration tests and by other extensions. */
export interface ChatwrightApi {
  readonly version: string;
  languageServerRunning(): boolean;
  chatViewResolved(): boolean;
}

let ctx: Ctx | undefined;
let languageServer: LanguageServerHost | undefined;

export function activate(extension: vscode.ExtensionContext): ChatwrightApi {
  try {
    ctx = new Ctx(extension);
    extension.subscriptions.push(ctx);
    languageServer = ctx.own(new LanguageServerHost(ctx));
    const handles = registerFeatures({ ctx, languageServer });
    ctx.log.info(`Chatwright ${ctx.version} activated`);
    const server = languageServer;
    return { version: ctx.version, languageServerRunning: () => server.running, chatViewResolved: () => handles.chatView.resolved };
  } catch (error) {
    showActivationFailure(error);
    throw error;
  }
}

export async function deactivate(): Promise<void> {
  await languageServer?.stop();
  ctx?.dispose();
  ctx = undefined;
  languageServer = undefined;
}
