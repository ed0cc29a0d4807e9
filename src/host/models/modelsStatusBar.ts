import * as vscode from 'vscode';
import { modelsStatusText } from '../../core/views/modelRows';
import { type ModelSelection } from './modelSelection';

/** Shows the workspace's chat and embedding models; a click opens the chat model picker. */
export class ModelsStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('chatwright.models', vscode.StatusBarAlignment.Right, 100);
  private readonly subscription: vscode.Disposable;

  constructor(private readonly selection: ModelSelection) {
    this.item.name = 'Chatwright Models';
    this.item.command = 'chatwright.models.pickChatModel';
    this.subscription = selection.onDidChange(() => this.update());
    this.update();
    this.item.show();
  }

  private update(): void {
    const chat = this.selection.chatModel;
    const embedding = this.selection.embeddingModel;
    this.item.text = modelsStatusText(chat, embedding);
    const tooltip = new vscode.MarkdownString(`**Chatwright models**\n\nChat: ${chat ?? 'not chosen'}\n\nEmbeddings: ${embedding ?? 'not chosen'}\n\nClick to pick the chat model.`);
    this.item.tooltip = tooltip;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}
