import * as vscode from 'vscode';
import { generateServeApiKey } from '../../core/serving/serveApiKey';

/** Where the key of the servers this editor starts beyond loopback is kept (VS Code's SecretStorage, never a setting). */
export const serveApiKeySecret = 'chatwright.serve.apiKey';

/**
 * The API key servers started from this editor require when they listen beyond loopback: generated on first need,
 * shown once, kept in SecretStorage, passed to the server in its environment. "Reset Server API Key" makes a new one
 * (servers running keep the old one until they are started again).
 */
export class ServeApiKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** The stored key, if any (for the chat backends of served models and for `curl` examples). */
  get(): Thenable<string | undefined> {
    return this.secrets.get(serveApiKeySecret);
  }

  /** The stored key, or a new one (stored, and shown once). */
  async ensure(): Promise<string> {
    const stored = await this.secrets.get(serveApiKeySecret);
    if (stored) return stored;
    return this.replace();
  }

  /** Makes and stores a new key, and shows it once. */
  async replace(): Promise<string> {
    const key = generateServeApiKey();
    await this.secrets.store(serveApiKeySecret, key);
    void this.showOnce(key);
    return key;
  }

  private async showOnce(key: string): Promise<void> {
    const copy = 'Copy';
    const choice = await vscode.window.showInformationMessage(
      'Chatwright: the API key of servers that listen beyond this machine',
      {
        modal: true,
        detail: `${key}\n\nClients send it as "Authorization: Bearer <key>". It is not shown again; Chatwright: Reset Server API Key makes a new one.`,
      },
      copy,
    );
    if (choice === copy) await vscode.env.clipboard.writeText(key);
  }
}
