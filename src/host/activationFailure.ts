import * as vscode from 'vscode';

export function showActivationFailure(error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  console.error('Chatwright failed to activate', error);
  void vscode.window.showErrorMessage(`Chatwright failed to activate: ${message}`);
}
