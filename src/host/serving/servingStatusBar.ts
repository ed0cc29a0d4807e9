import * as vscode from 'vscode';
import { type ServerWatch } from './serverWatch';

/** The command the status bar item runs: the quick pick of a ready server's actions. */
export const serverActionsCommand = 'chatwright.serve.showServerActions';

/**
 * `$(broadcast) Serving :8765` while any server started here or found running is ready; its tooltip lists the URLs,
 * a click offers each server's actions (copy URL, copy a curl example, chat, stop).
 */
export class ServingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('chatwright.serving', vscode.StatusBarAlignment.Left, 50);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly watch: ServerWatch) {
    this.item.name = 'Chatwright Serving';
    this.item.command = serverActionsCommand;
    this.subscription = watch.onDidChange(() => this.update());
    this.update();
  }

  /** The text shown now (empty while hidden), for tests. */
  get text(): string {
    return this.watch.ready().length > 0 ? this.item.text : '';
  }

  update(): void {
    const ready = this.watch.ready();
    if (ready.length === 0) {
      this.item.hide();
      return;
    }
    const ports = [...new Set(ready.map((job) => job.serving!.port))].map((port) => `:${port}`);
    this.item.text = `$(broadcast) Serving ${ports.join(' ')}`;
    const tooltip = new vscode.MarkdownString(undefined, true);
    tooltip.appendMarkdown('**Chatwright is serving**\n\n');
    for (const job of ready) tooltip.appendMarkdown(`- ${job.name}: \`${job.serving!.url}\` (${job.serving!.engine}${job.serving!.apiKeyRequired ? ', API key required' : ''})\n`);
    tooltip.appendMarkdown('\nClick for the actions: copy the URL or a curl example, chat with a model, stop.');
    this.item.tooltip = tooltip;
    this.item.accessibilityInformation = { label: `Chatwright serving at ${ready.map((job) => job.serving!.url).join(', ')}` };
    this.item.show();
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
