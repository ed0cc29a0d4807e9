import * as vscode from 'vscode';
import { hubConnection, type HubConnection } from '../../core/hub/hubClient';
import { redactSecrets } from '../../core/hub/hubErrors';
import { decideOffline, environmentFor, type OfflineDecision } from '../../core/hub/offlineMode';
import { type Ctx } from '../context';

const secretKey = 'chatwright.huggingFaceToken';

/**
 * How the extension reaches the Hub: the environment (HF_ENDPOINT, HF_TOKEN, HF_HUB_OFFLINE, HF_HOME, HF_HUB_CACHE) with
 * the user's `chatwright.models.hubEndpoint` and `chatwright.models.offline` on top, and the token from SecretStorage ("Chatwright: Set Hugging Face
 * Token") before HF_TOKEN. The token is never written to settings or to the log: every message that may hold it goes
 * through `redact`.
 */
export class HubAccess {
  private token: string | undefined;
  private loaded = false;
  private unreachable = false;
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(private readonly ctx: Ctx) {
    ctx.own(this.changed);
    ctx.own(
      ctx.extension.secrets.onDidChange((event) => {
        if (event.key !== secretKey) return;
        this.loaded = false;
        this.changed.fire();
      }),
    );
    ctx.own(
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration('chatwright.models.offline') && !event.affectsConfiguration('chatwright.models.hubEndpoint')) return;
        this.publishContext();
        this.changed.fire();
      }),
    );
    this.publishContext();
  }

  /** Offline when `chatwright.models.offline` is on or HF_HUB_OFFLINE is set in VS Code's environment. */
  offline(): OfflineDecision {
    return decideOffline(this.ctx.config.models.offline, process.env);
  }

  env(): NodeJS.ProcessEnv {
    const endpoint = this.ctx.config.models.hubEndpoint;
    return environmentFor(this.offline(), endpoint ? { ...process.env, HF_ENDPOINT: endpoint } : process.env);
  }

  /** Remembers whether the last call reached the Hub, for the Models view's welcome content. */
  noteReachable(reachable: boolean): void {
    if (this.unreachable === !reachable) return;
    this.unreachable = !reachable;
    this.publishContext();
  }

  /** Whether the last call failed to reach the Hub (offline mode aside). */
  get lastCallUnreachable(): boolean {
    return this.unreachable;
  }

  private publishContext(): void {
    void vscode.commands.executeCommand('setContext', 'chatwright.models.offline', this.offline().offline);
    void vscode.commands.executeCommand('setContext', 'chatwright.models.hubUnreachable', this.unreachable && !this.offline().offline);
  }

  async connection(): Promise<HubConnection> {
    if (!this.loaded) {
      this.token = (await this.ctx.extension.secrets.get(secretKey)) || undefined;
      this.loaded = true;
    }
    return hubConnection(this.env(), this.token);
  }

  /** Removes any token (stored or from the environment) from a text bound for the log or a message. */
  async redact(text: string): Promise<string> {
    const connection = await this.connection();
    return redactSecrets(text, [connection.token, process.env.HF_TOKEN, process.env.HUGGING_FACE_HUB_TOKEN]);
  }

  /** "Chatwright: Set Hugging Face Token": a password box; empty input removes the stored token. */
  async promptForToken(): Promise<void> {
    const value = await vscode.window.showInputBox({
      title: 'Hugging Face access token',
      prompt: "Paste a read token from https://huggingface.co/settings/tokens. It is kept in VS Code's secret storage. Leave empty to remove the stored token.",
      password: true,
      ignoreFocusOut: true,
      validateInput: (input) => (input.trim() === '' || /^\S{8,}$/.test(input.trim()) ? undefined : 'A token is one word of at least 8 characters.'),
    });
    if (value === undefined) return;
    await this.storeToken(value);
    void vscode.window.showInformationMessage(value.trim() ? 'Chatwright: Hugging Face token saved.' : 'Chatwright: stored Hugging Face token removed.');
  }

  async storeToken(value: string): Promise<void> {
    const token = value.trim();
    if (token) await this.ctx.extension.secrets.store(secretKey, token);
    else await this.ctx.extension.secrets.delete(secretKey);
    this.token = token || undefined;
    this.loaded = true;
    this.ctx.log.info(token ? 'Hugging Face token stored in secret storage' : 'Hugging Face token removed from secret storage');
    this.changed.fire();
  }
}
