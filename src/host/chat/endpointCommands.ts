import * as vscode from 'vscode';
import { type ChatModelInfo } from '../../core/chat/backend';
import { OpenAiCompatibleBackend } from '../../core/chat/openAiCompatibleBackend';
import {
  chatEndpointsFrom,
  checkEndpointUrl,
  endpointIdsIn,
  endpointSecretKey,
  suggestEndpointId,
  withEndpointAdded,
  withEndpointRemoved,
  type ChatEndpointSetting,
} from '../../core/settings/chatEndpoints';
import { type Ctx } from '../context';
import { type EndpointKeys } from './endpointKeys';

/** What "Add Chat Endpoint…" may be given instead of asking (other extensions, tests): each field skips its question. */
export interface AddEndpointRequest {
  baseUrl: string;
  apiKey?: string;
  label?: string;
  id?: string;
  /** Replace an endpoint with the same id instead of asking. */
  replace?: boolean;
}

const endpointsKey = 'chat.endpoints';

function isAddEndpointRequest(value: unknown): value is AddEndpointRequest {
  return typeof value === 'object' && value !== null && typeof (value as { baseUrl?: unknown }).baseUrl === 'string';
}

/** The user's own endpoint list (global settings): the one these commands edit, never a workspace's. */
function userEndpoints(): unknown {
  return vscode.workspace.getConfiguration('chatwright').inspect<unknown>(endpointsKey)?.globalValue;
}

async function writeUserEndpoints(value: unknown[]): Promise<void> {
  await vscode.workspace.getConfiguration('chatwright').update(endpointsKey, value, vscode.ConfigurationTarget.Global);
}

/**
 * "Chatwright: Add Chat Endpoint…" and "Remove Chat Endpoint…": the endpoints of `chatwright.chat.endpoints` without
 * editing JSON. Adding asks for the URL and the key, checks that the server lists its models, and appends the entry
 * to the user's settings; the key goes to secret storage, bound to the endpoint's origin.
 */
export class EndpointCommands {
  constructor(
    private readonly ctx: Ctx,
    private readonly keys: EndpointKeys,
  ) {}

  /** Resolves with the id of the endpoint added, or undefined when the user cancelled. */
  async add(given?: unknown): Promise<string | undefined> {
    const request = isAddEndpointRequest(given) ? given : undefined;
    const url = request ? checkEndpointUrl(request.baseUrl) : await this.askUrl();
    if (!url) return undefined;
    if (!url.ok) throw new Error(url.error);
    if (url.warning) this.ctx.log.warn(url.warning);
    const apiKey = request
      ? request.apiKey?.trim()
      : await vscode.window.showInputBox({
          title: 'Add Chat Endpoint (2/3): API key',
          prompt: `Optional. Sent only to ${url.origin} as a Bearer token, kept in VS Code's secret storage. Leave empty for a server without one.`,
          password: true,
          ignoreFocusOut: true,
          validateInput: (input) => (input.trim() === '' || /^[\x21-\x7e]{1,4096}$/.test(input.trim()) ? undefined : 'An API key is one word of printable ASCII characters.'),
        });
    if (apiKey === undefined && !request) return undefined;
    const listed = await this.listModels(url.baseUrl, apiKey || undefined, request !== undefined);
    if (!listed) return undefined;
    const { baseUrl, models } = listed;

    const host = new URL(baseUrl).host;
    const label =
      request?.label?.trim() ||
      (request
        ? host
        : (
            await vscode.window.showInputBox({
              title: 'Add Chat Endpoint (3/3): name',
              prompt: `Shown in the chat's model list.${
                models.length
                  ? ` The server lists ${models.length} model${models.length === 1 ? '' : 's'}: ${models
                      .slice(0, 5)
                      .map((m) => m.id)
                      .join(', ')}${models.length > 5 ? '…' : ''}.`
                  : ''
              }`,
              value: host,
              ignoreFocusOut: true,
              validateInput: (input) => (input.trim() ? undefined : 'Give the endpoint a name.'),
            })
          )?.trim());
    if (!label) return undefined;

    const current = userEndpoints();
    const taken = endpointIdsIn(current);
    // Asked for interactively when the name's id is taken; given requests get a free one.
    let id = request?.id ?? suggestEndpointId(label, request ? taken : []);
    let replace = request?.replace ?? false;
    if (taken.includes(id) && !replace) {
      if (request?.id !== undefined) throw new Error(`An endpoint with the id "${id}" exists in your settings. Pass replace: true to replace it, or another id.`);
      const other = suggestEndpointId(label, taken);
      const choice = await vscode.window.showWarningMessage(
        `A chat endpoint with the id "${id}" exists already. Replace it, or add this one as "${other}"?`,
        { modal: true },
        'Replace',
        `Add as "${other}"`,
      );
      if (!choice) return undefined;
      if (choice === 'Replace') replace = true;
      else id = other;
    }

    const entry = { id, label, baseUrl };
    const [endpoint] = chatEndpointsFrom([entry], 'user');
    if (!endpoint) throw new Error(`internal: the endpoint ${JSON.stringify(entry)} does not read back`);
    // The key first: registering the endpoint (on the settings change) then finds it.
    if (apiKey) await this.keys.store(endpoint, apiKey);
    else if (replace) await this.keys.store(endpoint, '');
    await writeUserEndpoints(withEndpointAdded(current, entry, { replace }));
    this.ctx.log.info(`Chat endpoint ${id} added: ${baseUrl} (${models.length} models)`);
    void vscode.window.showInformationMessage(
      `Chatwright: ${label} added${models.length ? ` with ${models.length} model${models.length === 1 ? '' : 's'}` : ''}. Pick one with "Pick Chat Model…" or in the chat's settings.${url.warning ? ` ${url.warning}` : ''}`,
    );
    return id;
  }

  async remove(given?: unknown): Promise<string | undefined> {
    const current = userEndpoints();
    const endpoints = chatEndpointsFrom(current, 'user');
    if (endpoints.length === 0) {
      if (typeof given === 'string') throw new Error(`No chat endpoint with the id "${given}" is in your user settings.`);
      void vscode.window.showInformationMessage('Chatwright: your user settings list no chat endpoint.');
      return undefined;
    }
    let endpoint: ChatEndpointSetting | undefined;
    if (typeof given === 'string') {
      endpoint = endpoints.find((e) => e.id === given);
      if (!endpoint) throw new Error(`No chat endpoint with the id "${given}" is in your user settings.`);
    } else {
      endpoint = (
        await vscode.window.showQuickPick(
          endpoints.map((e) => ({ label: e.label, description: e.baseUrl, detail: `id: ${e.id}`, endpoint: e })),
          { title: 'Remove which chat endpoint?' },
        )
      )?.endpoint;
      if (!endpoint) return undefined;
      const confirmed = await vscode.window.showWarningMessage(`Remove the chat endpoint ${endpoint.label} (${endpoint.baseUrl}) and its stored API key?`, { modal: true }, 'Remove');
      if (confirmed !== 'Remove') return undefined;
    }
    await writeUserEndpoints(withEndpointRemoved(current, endpoint.id));
    await this.ctx.extension.secrets.delete(endpointSecretKey(endpoint.id));
    this.ctx.log.info(`Chat endpoint ${endpoint.id} removed`);
    return endpoint.id;
  }

  private async askUrl() {
    const typed = await vscode.window.showInputBox({
      title: 'Add Chat Endpoint (1/3): URL',
      prompt: 'The OpenAI-compatible API of vLLM, llama.cpp, Ollama, LM Studio, TGI or a Chatwright server, ending before /chat/completions.',
      placeHolder: 'http://localhost:8000/v1',
      ignoreFocusOut: true,
      validateInput: (input) => {
        const check = checkEndpointUrl(input);
        if (!check.ok) return input.trim() ? check.error : undefined;
        return check.warning ? { message: check.warning, severity: vscode.InputBoxValidationSeverity.Warning } : undefined;
      },
    });
    return typed === undefined || typed.trim() === '' ? undefined : checkEndpointUrl(typed);
  }

  /**
   * The server's models, asked with progress: the endpoint is added only once it answers (or the user says to add it
   * anyway). A URL without its `/v1` is tried with it, as most servers serve the API there.
   */
  private async listModels(baseUrl: string, apiKey: string | undefined, unattended: boolean): Promise<{ baseUrl: string; models: ChatModelInfo[] } | undefined> {
    const attempt = (url: string, signal: AbortSignal) =>
      new OpenAiCompatibleBackend({ id: 'new-endpoint', label: new URL(url).host, baseUrl: url, ...(apiKey ? { apiKey } : {}) }).fetchModels(signal);
    for (;;) {
      const outcome = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Chatwright: asking ${baseUrl}/models`, cancellable: true },
        async (_progress, token): Promise<{ baseUrl: string; models: ChatModelInfo[] } | { error: string } | undefined> => {
          const controller = new AbortController();
          token.onCancellationRequested(() => controller.abort());
          try {
            return { baseUrl, models: await attempt(baseUrl, controller.signal) };
          } catch (error) {
            if (controller.signal.aborted) return undefined;
            const first = error instanceof Error ? error.message : String(error);
            if (!/\/v1$/.test(baseUrl)) {
              try {
                return { baseUrl: `${baseUrl}/v1`, models: await attempt(`${baseUrl}/v1`, controller.signal) };
              } catch {
                // The first failure says more: it is about the URL the user typed.
              }
            }
            return { error: first };
          }
        },
      );
      if (outcome === undefined) return undefined;
      if (!('error' in outcome)) return outcome;
      if (unattended) throw new Error(`${baseUrl} did not list its models: ${outcome.error}`);
      const choice = await vscode.window.showErrorMessage(
        `Chatwright: ${baseUrl} did not list its models. ${outcome.error} Start the server (or fix the URL or key) and retry, or add it anyway to use later.`,
        'Retry',
        'Add Anyway',
      );
      if (choice === 'Add Anyway') return { baseUrl, models: [] };
      if (choice !== 'Retry') return undefined;
    }
  }
}
