import { createHash } from 'node:crypto';
import * as vscode from 'vscode';
import { generateApiKey } from '../../core/serving/apiKeyCheck';

/** Where the key of the servers this editor starts beyond loopback is kept (VS Code's SecretStorage, never a setting). */
export const serveApiKeySecret = 'chatwright.serve.apiKey';

/**
 * The API key servers started from this editor require when they listen beyond loopback: generated on first need,
 * shown once, kept in SecretStorage, passed to the server in its environment. "Reset Server API Key" makes a new one
 * (servers running keep the old one until they are started again).
 */
function runKeySecret(runDir: string): string {
  return `${serveApiKeySecret}.run.${createHash('sha256').update(runDir).digest('hex').slice(0, 32)}`;
}

export class ServeApiKeyStore {
  constructor(private readonly secrets: vscode.SecretStorage) {}

  /** The stored key, if any (for the chat backends of served models and for `curl` examples). */
  get(): Thenable<string | undefined> {
    return this.secrets.get(serveApiKeySecret);
  }

  /**
   * Remembers which key a server was started with, so that its chat backend keeps sending that one after a reset
   * (a running server keeps the key it was given).
   */
  async rememberFor(runDir: string, key: string): Promise<void> {
    await this.secrets.store(runKeySecret(runDir), key);
  }

  /** The key a server started from this editor was given, else the current one (servers started before keys were remembered per run). */
  async keyFor(runDir: string): Promise<string | undefined> {
    return (await this.secrets.get(runKeySecret(runDir))) ?? (await this.secrets.get(serveApiKeySecret));
  }

  /** The stored key, or a new one (stored, and shown once). */
  async ensure(): Promise<string> {
    const stored = await this.secrets.get(serveApiKeySecret);
    if (stored) return stored;
    return this.replace();
  }

  /** Makes and stores a new key, and shows it once. */
  async replace(): Promise<string> {
    const key = generateApiKey();
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
