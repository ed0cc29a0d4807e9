import * as vscode from 'vscode';
import { type CommandHandler, type Ctx } from './context';
import { type LanguageServerHost } from './languageClient';

/** The general commands (settings, logs, the language server). Features register their own tables the same way. */
export function generalCommands(ctx: Ctx, languageServer: LanguageServerHost): Record<string, CommandHandler> {
  return {
    'chatwright.openSettings': () => vscode.commands.executeCommand('workbench.action.openSettings', '@ext:chatwright.chatwright'),
    'chatwright.showLogs': () => ctx.log.show(),
    'chatwright.restartLanguageServer': () => languageServer.restart(),
    'chatwright.openWalkthrough': () => vscode.commands.executeCommand('workbench.action.openWalkthrough', `${ctx.extension.extension.id}#gettingStarted`, false),
  };
}
