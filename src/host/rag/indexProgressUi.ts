import * as vscode from 'vscode';
import { type IndexProgressInfo } from '../../shared/ragProtocol';
import { describeProgress } from '../../core/views/indexRows';
import { formatDuration } from '../../core/text/relativeTime';
import { type IndexClient } from './indexClient';
import { type IndexManager } from './indexManager';

function timeLeft(etaMs: number | undefined): string {
  const eta = formatDuration(etaMs);
  return eta ? ` · ${eta} left` : '';
}

/**
 * Indexing progress for the user: a status bar item while any folder is indexing (click to pause or resume), and,
 * for runs that take a while, a cancellable notification with counts and ETA.
 */
export class IndexProgressUi implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('chatwright.index', vscode.StatusBarAlignment.Left, 10);
  private readonly subscriptions: vscode.Disposable[] = [];
  private notification: { report: (text: string) => void; done: () => void } | undefined;
  private notificationTimer: NodeJS.Timeout | undefined;

  constructor(private readonly manager: IndexManager) {
    this.item.name = 'Chatwright Index';
    this.subscriptions.push(
      manager.onDidChange(() => this.update()),
      manager.onProgress(({ client, progress }) => this.progress(client, progress)),
    );
  }

  private update(): void {
    const busy = this.manager.folders.filter((client) => client.lastSnapshot?.busy || client.lastSnapshot?.paused);
    if (busy.length === 0) {
      this.item.hide();
      this.closeNotification();
      return;
    }
    const first = busy[0]?.lastSnapshot;
    const text = first ? describeProgress(first) : undefined;
    const paused = this.manager.paused;
    this.item.text = `$(${paused ? 'debug-pause' : 'sync~spin'}) ${text ?? 'Indexing…'}`;
    this.item.tooltip = `Chatwright index: ${busy.map((client) => `${client.folder.name}: ${client.lastSnapshot ? (describeProgress(client.lastSnapshot) ?? 'working') : 'working'}`).join('\n')}\nClick to ${paused ? 'resume' : 'pause'}.`;
    this.item.command = paused ? 'chatwright.rag.resumeIndexing' : 'chatwright.rag.pauseIndexing';
    this.item.show();
  }

  private progress(client: IndexClient, progress: IndexProgressInfo): void {
    this.update();
    const text =
      progress.phase === 'embedding'
        ? `${client.folder.name}: embedding ${progress.embedded}/${progress.embedTotal} passages${timeLeft(progress.etaMs)}`
        : `${client.folder.name}: ${progress.filesDone}/${progress.filesTotal} files, ${progress.chunksWritten} chunks${timeLeft(progress.etaMs)}`;
    if (progress.phase === 'done') {
      this.closeNotification();
      return;
    }
    if (this.notification) {
      this.notification.report(text);
      return;
    }
    // Short runs (a save, a small folder) finish before this fires: only long runs get a notification.
    this.notificationTimer ??= setTimeout(() => this.openNotification(text), 2000);
  }

  private openNotification(initial: string): void {
    this.notificationTimer = undefined;
    if (!this.manager.busy) return;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Chatwright: indexing', cancellable: true }, (progress, token) => {
      token.onCancellationRequested(() => void this.manager.cancel());
      progress.report({ message: initial });
      return new Promise<void>((resolve) => {
        this.notification = { report: (text) => progress.report({ message: text }), done: resolve };
      });
    });
  }

  private closeNotification(): void {
    if (this.notificationTimer) clearTimeout(this.notificationTimer);
    this.notificationTimer = undefined;
    this.notification?.done();
    this.notification = undefined;
  }

  dispose(): void {
    this.closeNotification();
    for (const subscription of this.subscriptions) subscription.dispose();
    this.item.dispose();
  }
}
