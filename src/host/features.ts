import * as vscode from 'vscode';
import { ChatViewProvider } from './chatView';
import { generalCommands } from './commands';
import { type Ctx } from './context';
import { type LanguageServerHost } from './languageClient';

/** What every feature gets at activation. Features keep heavy work lazy: nothing here may load a native module. */
export interface FeatureDeps {
  ctx: Ctx;
  languageServer: LanguageServerHost;
}

/** What the features hand back for the extension's API (used by integration tests and other extensions). */
export interface FeatureHandles {
  chatView: ChatViewProvider;
}

/** Registers every feature. Each feature lives in its own folder under src/host and adds one line here. */
export function registerFeatures({ ctx, languageServer }: FeatureDeps): FeatureHandles {
  ctx.registerCommands(generalCommands(ctx, languageServer));
  const chatView = new ChatViewProvider(ctx);
  ctx.own(vscode.window.registerWebviewViewProvider(ChatViewProvider.viewId, chatView));
  return { chatView };
}
