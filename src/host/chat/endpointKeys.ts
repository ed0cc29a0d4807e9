import * as vscode from 'vscode';
import { decodeEndpointSecret, encodeEndpointSecret, endpointApiKey, endpointSecretKey, type ChatEndpointSetting } from '../../core/settings/chatEndpoints';
import { type Ctx } from '../context';

/**
 * API keys of the chat endpoints, kept in VS Code's SecretStorage, one per endpoint id and bound to the origin it was
 * entered for. Never in settings, never in the log.
 */
export class EndpointKeys {
  constructor(private readonly ctx: Ctx) {}

  /** Fires when a stored key changes, so the endpoints are registered again with it. */
  onDidChange(listener: () => void): vscode.Disposable {
    return this.ctx.extension.secrets.onDidChange((event) => {
      if (event.key.startsWith(endpointSecretKey(''))) listener();
    });
  }

  async keyFor(endpoint: ChatEndpointSetting): Promise<string | undefined> {
    return endpointApiKey(endpoint, await this.ctx.extension.secrets.get(endpointSecretKey(endpoint.id)), process.env);
  }

  async store(endpoint: ChatEndpointSetting, apiKey: string): Promise<void> {
    const key = apiKey.trim();
    if (key) await this.ctx.extension.secrets.store(endpointSecretKey(endpoint.id), encodeEndpointSecret(endpoint.origin, key));
    else await this.ctx.extension.secrets.delete(endpointSecretKey(endpoint.id));
    this.ctx.log.info(key ? `API key of chat endpoint ${endpoint.id} stored for ${endpoint.origin}` : `API key of chat endpoint ${endpoint.id} removed`);
  }

  /**
   * "Chatwright: Set Endpoint API Key…": pick one of the configured endpoints (or pass its id), then a password box;
   * empty input removes the key. Only endpoints that count in this window (see `Config.chatEndpoints`) are offered.
   */
  async prompt(endpointId?: unknown): Promise<void> {
    const endpoints = this.ctx.config.chatEndpoints;
    if (endpoints.length === 0) {
      void vscode.window.showInformationMessage('Chatwright: no chat endpoint is configured. Add one with "Chatwright: Add Chat Endpoint…" first.');
      return;
    }
    const endpoint =
      typeof endpointId === 'string'
        ? endpoints.find((e) => e.id === endpointId)
        : endpoints.length === 1
          ? endpoints[0]
          : (
              await vscode.window.showQuickPick(
                endpoints.map((e) => ({ label: e.label, description: e.baseUrl, endpoint: e })),
                { title: 'Set the API key of which chat endpoint?' },
              )
            )?.endpoint;
    if (!endpoint) {
      if (typeof endpointId === 'string') throw new Error(`No chat endpoint with the id "${endpointId}" is configured.`);
      return;
    }
    const stored = decodeEndpointSecret(await this.ctx.extension.secrets.get(endpointSecretKey(endpoint.id)), endpoint.origin);
    const value = await vscode.window.showInputBox({
      title: `API key of ${endpoint.label}`,
      prompt: `Sent only to ${endpoint.origin}, as a Bearer token. Kept in VS Code's secret storage.${stored ? ' Leave empty to remove the stored key.' : ''}`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (input) => (input.trim() === '' || /^[\x21-\x7e]{1,4096}$/.test(input.trim()) ? undefined : 'An API key is one word of printable ASCII characters.'),
    });
    if (value === undefined) return;
    await this.store(endpoint, value);
    void vscode.window.showInformationMessage(value.trim() ? `Chatwright: API key of ${endpoint.label} saved.` : `Chatwright: API key of ${endpoint.label} removed.`);
  }
}
